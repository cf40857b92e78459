#pragma once
// Test doubles for the manager: an agent gateway that "migrates" by moving a
// container between hosts in a table (no TLS, no Docker: the real agents are
// exercised by tests/integration/manager_e2e.py), and file helpers. MTD is
// real in memory: each host keeps what MTD_SETUP gave it and the source
// resolves its destination with agent/mtd's code, asking the others' key
// services directly.

#include <catch2/catch.hpp>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/mtd/host_epoch.hpp"
#include "file_text.hpp"
#include "runtime/manager/agent_gateway.hpp"
#include "runtime/vib/history.hpp"

namespace roamtest {

inline std::string sourcePath(const std::string& relative) {
  return std::string(ROAM_SOURCE_DIR) + "/" + relative;
}

class FakeAgents final : public roam::runtime::AgentGateway {
 public:
  // address -> host name, and where each container runs.
  std::map<std::string, std::string> hostAt;
  std::map<std::string, std::string> containerHost;
  std::vector<roam::agent::Migrate> requests;  // every MIGRATE received
  std::string failWith;                        // non-empty: DONE says failure
  bool hold = false;                           // block migrations until release()
  // Labels a container's STATUS reports (default: app=iperf).
  std::map<std::string, std::map<std::string, std::string>> containerLabels;
  std::set<std::string> refuseSetup;  // addresses whose MTD_SETUP fails
  // Called after each PROGRESS the manager was given (outside the lock).
  std::function<void(const std::string& phase)> afterProgress;
  // The mode DONE reports. "checkpoint" also splits the freeze and counts the
  // memory moved, as a checkpoint source does (dump + transfer + restore =
  // the freeze, 123.5 ms).
  std::string reportMode = "snapshot";

  void release() {
    std::lock_guard lock(mutex_);
    hold = false;
    changed_.notify_all();
  }
  std::size_t requestCount() {
    std::lock_guard lock(mutex_);
    return requests.size();
  }
  // Waits until a migration is blocked inside migrate().
  bool waitHeld() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(5), [&] { return held_ > 0; });
  }

  roam::agent::MigrateOutcome migrate(
      const std::string& sourceAddress, const roam::agent::Migrate& request,
      const std::function<void(const roam::agent::Progress&)>& onProgress,
      const std::atomic<bool>* cancel) override {
    std::unique_lock lock(mutex_);
    requests.push_back(request);
    ++held_;
    changed_.notify_all();
    while (hold && !(cancel && cancel->load()))
      changed_.wait_for(lock, std::chrono::milliseconds(20));
    --held_;
    if (cancel && cancel->load()) return roam::makeError(roam::ErrorCode::Internal, "cancelled");
    // As a real source: the transfer, then "serving" (the destination runs
    // it, the source copy is frozen) before DONE.
    lock.unlock();
    for (const char* phase : {"precopy", "serving"}) {
      if (!failWith.empty() && std::string(phase) == "serving") break;
      onProgress({request.migrationId, phase, 50, 100, 1e6});
      if (afterProgress) afterProgress(phase);
    }
    lock.lock();
    roam::agent::Done done;
    done.migrationId = request.migrationId;
    done.container = request.container;
    done.source = hostAt[sourceAddress];
    done.destination = hostAt[request.destination];
    done.bytesSent = done.bytesTotal = 100;
    done.seconds = 0.01;
    done.freezeMs = 123.5;
    done.rounds = {{1, false, 90, 0.005}, {2, true, 10, 0.004}};
    done.totalSeconds = 0.02;
    reportModeIn(done);
    if (failWith.empty()) {
      done.result = "success";
      containerHost[request.container] = done.destination;
    } else {
      done.result = "failure";
      done.note = failWith;
    }
    return roam::agent::MigrationVerdict{done, ""};
  }

  roam::agent::StatusOutcome status(const std::string& address) override {
    std::lock_guard lock(mutex_);
    roam::agent::StatusReply reply;
    reply.name = hostAt[address];
    for (const auto& [name, host] : containerHost) {
      if (host != reply.name) continue;
      nlohmann::json labels = {{"app", "iperf"}};
      if (auto it = containerLabels.find(name); it != containerLabels.end()) labels = it->second;
      reply.containers.push_back(
          {{"name", name}, {"image", "roam/iperf3"}, {"state", "running"}, {"labels", labels}});
    }
    return reply;
  }

  roam::agent::PingOutcome ping(const std::string& address) override {
    return roam::agent::PingRoundTrip{0.001, hostAt[address]};
  }

  // LATENCY_PROBE: agents at these addresses (control or data) are down, so
  // their probes fail and nobody gets their PONG; other round trips are
  // `roundTrip[{from, to}]` (host names), 1 ms when not given.
  std::set<std::string> unreachable;
  std::map<std::pair<std::string, std::string>, double> roundTrip;
  std::vector<std::vector<roam::agent::AgentPeer>> probes;  // every probe's peers

  roam::agent::LatencyOutcome probeLatencies(
      const std::string& address, const std::vector<roam::agent::AgentPeer>& peers) override {
    std::lock_guard lock(mutex_);
    probes.push_back(peers);
    if (unreachable.count(address))
      return roam::makeError(roam::ErrorCode::Connect, "connection refused");
    roam::agent::LatencyReport report;
    const auto from = hostAt[address];
    for (const auto& peer : peers) {
      if (unreachable.count(peer.address)) continue;
      auto it = roundTrip.find({from, peer.name});
      report.roundTrips.push_back({peer.name, it == roundTrip.end() ? 0.001 : it->second});
    }
    return report;
  }

  std::vector<roam::agent::MtdSetup> setups;  // every MTD_SETUP received
  std::vector<roam::agent::MtdMigrate> mtdOrders;

  roam::Status mtdSetup(const std::string& address, const roam::agent::MtdSetup& setup) override {
    std::lock_guard lock(mutex_);
    setups.push_back(setup);
    if (refuseSetup.count(address))
      return roam::makeError(roam::ErrorCode::Refused, "refused by the test");
    auto host = roam::agent::mtd::hostEpochFromSetup(setup, hostAt[address]);
    if (!host.ok()) return roam::makeError(roam::ErrorCode::Refused, host.error().message);
    epochs_.insert_or_assign(hostAt[address], std::move(*host));
    keyServices_[hostAt[address]] = {};
    return {};
  }

  // Like a real agent: an id it has seen joins or replays its outcome (the
  // journal); otherwise the source resolves its destination in memory, and a
  // resolution that fails is an ERROR, not a DONE.
  roam::agent::MigrateOutcome mtdMigrate(const std::string& sourceAddress,
                                         const roam::agent::MtdMigrate& order,
                                         const std::function<void(const roam::agent::Progress&)>&,
                                         const std::atomic<bool>*) override {
    std::lock_guard lock(mutex_);
    mtdOrders.push_back(order);
    if (auto known = mtdDone_.find(order.migrationId); known != mtdDone_.end())
      return roam::agent::MigrationVerdict{known->second, ""};
    const auto source = hostAt[sourceAddress];
    auto epoch = epochs_.find(source);
    if (epoch == epochs_.end())
      return roam::makeError(
          roam::ErrorCode::Refused,
          "the source agent refused: MTD: no epoch has been set up on " + source);
    auto ask = [&](const std::vector<roam::agent::AgentPeer>& peers,
                   const roam::agent::KeyRequest& request) {
      std::vector<roam::agent::mtd::KeyAnswer> answers;
      for (const auto& p : peers)
        answers.push_back(keyServices_[p.name].answer(epochs_.at(p.name), request, source));
      return answers;
    };
    auto resolved =
        roam::agent::mtd::resolveDestination(epoch->second, order, ask, {}, mtdOrders.size());
    if (!resolved.destination)
      return roam::makeError(roam::ErrorCode::Refused,
                             "the source agent refused: " + resolved.error->message);
    roam::agent::Done done;
    done.migrationId = order.migrationId;
    done.container = order.container;
    done.source = source;
    done.keySeconds = resolved.keySeconds;
    done.destination = resolved.destination->address;
    done.result = "success";
    done.note = "MTD index " + std::to_string(resolved.index);
    done.bytesSent = done.bytesTotal = 100;
    done.seconds = 0.01;
    if (reportMode == "checkpoint") done.freezeMs = 123.5;
    reportModeIn(done);
    containerHost[order.container] = resolved.destination->name;
    mtdDone_[order.migrationId] = done;
    return roam::agent::MigrationVerdict{done, ""};
  }

 private:
  void reportModeIn(roam::agent::Done& done) const {
    done.mode = reportMode;
    if (reportMode != "checkpoint") return;
    done.dumpMs = 61.25;
    done.transferMs = 40.5;
    done.restoreMs = 18.25;
    done.redirectMs = 3.5;
    done.memoryBytes = 12345678;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  int held_ = 0;
  std::map<std::string, roam::agent::mtd::HostEpoch> epochs_;
  std::map<std::string, roam::agent::mtd::KeyService> keyServices_;
  std::map<std::string, roam::agent::Done> mtdDone_;  // by migration id
};

// The VIB row of a migration FakeAgents ran with reportMode "checkpoint" and
// the manager asked in auto mode: DONE's numbers, column by column.
inline void checkFakeCheckpointRow(const roam::runtime::MigrationRecord& m) {
  CHECK(m.state == "done");
  CHECK(m.mode == "auto");
  CHECK(m.reportedMode == "checkpoint");
  CHECK(m.freezeMs == Approx(123.5));
  CHECK(m.dumpMs == Approx(61.25));
  CHECK(m.transferMs == Approx(40.5));
  CHECK(m.restoreMs == Approx(18.25));
  CHECK(m.redirectMs == Approx(3.5));  // no redirector: DONE's address move only
  CHECK(m.memoryBytes == 12345678);
}

}  // namespace roamtest
