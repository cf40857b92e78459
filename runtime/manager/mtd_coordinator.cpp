#include "runtime/manager/mtd_coordinator.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <future>
#include <optional>

#include <openssl/crypto.h>

#include "agent/mtd/host_epoch.hpp"
#include "crypto/epoch.hpp"
#include "crypto/secure_bytes.hpp"

namespace roam::runtime {

namespace {

void wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

void wipe(crypto::Bytes& b) {
  if (!b.empty()) OPENSSL_cleanse(b.data(), b.size());
  b.clear();
}

// MTD_SETUP carries a host's share, droplets or S in plain strings.
void wipe(agent::MtdSetup& setup) {
  if (setup.share) wipe(setup.share->y);
  for (auto& d : setup.droplets) wipe(d.v);
  wipe(setup.key);
}

// The epoch's material in plain buffers (S itself is in SecretBytes).
void wipe(crypto::Epoch& epoch) {
  for (auto& h : epoch.hosts) {
    if (h.share) wipe(h.share->y);
    for (auto& d : h.droplets) wipe(d.value);
    h.masterKey.reset();
  }
}

}  // namespace

MtdCoordinator::MtdCoordinator(AgentGateway& agents, Log log, roam::Result<crypto::Pkey> key)
    : agents_(agents), log_(std::move(log)) {
  if (!key) {
    unavailable_ = "MTD needs the manager's private key: " + key.error().message;
    return;
  }
  key_ = std::move(*key);
  publicKeyPem_ = crypto::publicKeyPem(key_.get());
  if (publicKeyPem_.empty()) unavailable_ = "MTD: the manager's public key could not be encoded";
}

std::string MtdCoordinator::epochId() const {
  std::lock_guard lock(mutex_);
  return epochId_;
}

void MtdCoordinator::rotate() {
  std::lock_guard lock(mutex_);
  epochId_.clear();
}

roam::Status MtdCoordinator::ensureEpoch(const std::string& scheme, int kArg,
                                         const std::vector<AgentAddress>& agents,
                                         const std::vector<std::string>& candidates) {
  using roam::ErrorCode;
  using roam::makeError;
  if (!unavailable_.empty()) return makeError(ErrorCode::Unsupported, unavailable_);
  // `mtd prf()` has no k (the decision says 0), but MTD_SETUP's k is 1..255.
  const int k = scheme == "prf" ? 1 : kArg;
  Inputs inputs{scheme, k, {}, candidates};
  std::sort(inputs.candidates.begin(), inputs.candidates.end());
  for (const auto& a : agents)
    inputs.agents.push_back(a.name + "|" + a.address + "|" + a.transferAddress());

  std::lock_guard lock(mutex_);
  if (!epochId_.empty() && inputs == inputs_) return {};
  epochId_.clear();

  std::vector<crypto::TableEntry> table;
  for (const auto& name : inputs.candidates) {
    auto it = std::find_if(agents.begin(), agents.end(),
                           [&](const AgentAddress& a) { return a.name == name; });
    if (it == agents.end())
      return makeError(
          ErrorCode::NotFound,
          "MTD: candidate host '" + name + "' has no configured agent (configuration: agents)");
    table.push_back({name, it->transferAddress()});
  }
  std::vector<std::string> hosts;
  for (const auto& a : agents) hosts.push_back(a.name);

  const auto started = std::chrono::steady_clock::now();
  const std::string id = crypto::newEpochId();
  std::optional<roam::Result<crypto::Epoch>> built;
  try {
    built.emplace(crypto::buildEpoch(id, scheme, k, table, hosts));
  } catch (const std::exception& e) {  // the RNG failed, or a parameter slipped through
    return makeError(ErrorCode::Internal, std::string("MTD setup: ") + e.what());
  }
  if (!*built) return makeError(built->error().code, "MTD setup: " + built->error().message);
  auto& epoch = built->value();

  // One MTD_SETUP per agent, all at once: the setup's time is the slowest agent's.
  std::vector<std::future<roam::Status>> answers;
  for (std::size_t i = 0; i < agents.size(); ++i) {
    std::vector<agent::AgentPeer> peers;
    for (std::size_t j = 0; j < agents.size(); ++j)
      if (j != i) peers.push_back({agents[j].name, agents[j].transferAddress()});
    auto setup = agent::mtd::setupMessage(epoch, epoch.hosts[i], std::move(peers), publicKeyPem_);
    answers.push_back(
        std::async(std::launch::async, [this, address = agents[i].address, setup]() mutable {
          auto ready = agents_.mtdSetup(address, setup);
          wipe(setup);
          return ready;
        }));
    wipe(setup);
  }
  std::string failed;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    std::string error;
    try {
      error = roam::errorText(answers[i].get());
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty())
      failed += (failed.empty() ? "" : "; ") + agents[i].name + " (" + error + ")";
  }
  const std::size_t entries = epoch.entries, hostCount = epoch.hosts.size();
  wipe(epoch);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!failed.empty())
    return makeError(ErrorCode::Refused, "MTD setup of epoch " + id + " failed at " + failed);

  epochId_ = id;
  inputs_ = std::move(inputs);
  char line[256];
  std::snprintf(line, sizeof line,
                "mtd: epoch %s (%s, k=%d): %zu entries, %zu hosts, set up in %.1f ms", id.c_str(),
                scheme.c_str(), k, entries, hostCount, seconds * 1000);
  log_(line);
  return {};
}

agent::MtdMigrate MtdCoordinator::rejoinOrder(const std::string& migrationId,
                                              const std::string& container,
                                              const std::string& mode) {
  return {migrationId, container, mode, "rejoin", std::string(agent::kMtdRHex, '0'), "00"};
}

agent::MtdMigrate MtdCoordinator::order(const std::string& migrationId,
                                        const std::string& container, const std::string& mode,
                                        const std::string& source) {
  agent::MtdMigrate o;
  o.migrationId = migrationId;
  o.container = container;
  o.mode = mode;
  if (!key_) return o;  // no token: the agents refuse it (ensureEpoch already failed)
  {
    std::lock_guard lock(mutex_);
    o.epoch = epochId_;
  }
  crypto::SecretBytes r(crypto::randomBytes(crypto::kRandomSize));
  o.r = crypto::toHex(r.view());
  o.token = crypto::signToken(key_.get(), crypto::tokenMessage(o.epoch, migrationId, source, o.r));
  return o;
}

}  // namespace roam::runtime
