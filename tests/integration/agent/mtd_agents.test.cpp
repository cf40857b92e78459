// MTD between real agents over mutual TLS (docs/mtd.md): four agents in this
// process, each a real daemon on 127.0.0.1 with its own certificate, all
// pointing at the shared test engine (they need one to start; no container
// moves here: the migration itself is covered by tests/integration and the
// testbed experiment). The manager's side is played with the client calls the
// manager uses and agent/mtd's epoch builder.
//
// Checked: only the manager may set up an epoch or order an MTD migration;
// holders refuse KEY_REQUEST without the manager's token and from anyone but
// the named source; an MTD_MIGRATE with a valid token makes the source gather
// key material from the others over TLS and go for the destination its table
// names (DONE carries that address, the key-gathering time and the index),
// for each scheme; the same id again (a restarted manager's re-attachment)
// replays that outcome, an unknown one is refused.

#include <chrono>
#include <thread>

#include "agent/client/agent_request.hpp"
#include "agent/daemon/agent.hpp"
#include "agent/mtd/host_epoch.hpp"
#include "agent/tls/certificates.hpp"
#include "agent/tls/tls_context.hpp"
#include "agent/transport/agent_connector.hpp"
#include "local_agents.hpp"

using namespace roam::agent;
namespace crypto = roam::crypto;

namespace {

using roamtest::kHosts;
using Agents = roamtest::LocalAgents;

// The manager's part: an epoch over the four agents, set up on each.
struct ManagerSide {
  crypto::Pkey key;
  crypto::Epoch epoch;
  std::vector<crypto::TableEntry> table;

  ManagerSide(Agents& a, const std::string& scheme, int k) {
    auto loaded = crypto::loadPrivateKey(a.dir.path / "certs" / "manager.key");
    REQUIRE(loaded.ok());
    key = std::move(*loaded);
    for (const auto& h : kHosts) table.push_back({h, a.address[h]});
    auto built = crypto::buildEpoch(crypto::newEpochId(), scheme, k, table, kHosts);
    REQUIRE(built.ok());
    epoch = std::move(*built);
  }

  MtdSetup setupFor(Agents& a, const std::string& host) {
    std::vector<AgentPeer> peers;
    for (const auto& h : kHosts)
      if (h != host) peers.push_back({h, a.address[h]});
    const auto& material =
        *std::find_if(epoch.hosts.begin(), epoch.hosts.end(),
                      [&](const crypto::HostMaterial& m) { return m.name == host; });
    return mtd::setupMessage(epoch, material, peers, crypto::publicKeyPem(key.get()));
  }

  MtdMigrate order(const std::string& source, const std::string& container) {
    MtdMigrate m{newMigrationId(),
                 container,
                 "snapshot",
                 epoch.id,
                 crypto::toHex(crypto::randomBytes(crypto::kRandomSize)),
                 ""};
    m.token =
        crypto::signToken(key.get(), crypto::tokenMessage(m.epoch, m.migrationId, source, m.r));
    return m;
  }

  // The address the source must go for, from the manager's copy of its point.
  std::string expected(const std::string& source, const MtdMigrate& m) {
    const auto& self =
        *std::find_if(epoch.hosts.begin(), epoch.hosts.end(),
                      [&](const crypto::HostMaterial& h) { return h.name == source; });
    auto index = crypto::indexFor(epoch.scheme, *crypto::fromHex(m.r), self, epoch.entries);
    return crypto::destinationAt(table, index, source).value().address;
  }
};

// One KEY_REQUEST as `who`; "" when a KEY_REPLY came back, else the refusal.
std::string keyRequestAs(Agents& a, const std::string& who, const std::string& holder,
                         const KeyRequest& request) {
  auto tls = makeTlsContext(TlsFiles::forName(a.dir.path / "certs", who), TlsRole::client);
  REQUIRE(tls.ok());
  asio::io_context io;
  std::string result = "no answer";
  auto exchange = [&]() -> awaitable<void> {
    auto connected = co_await connectToAgent(**tls, a.address[holder], std::chrono::seconds(5));
    if (!connected.ok()) {
      result = connected.error().message;
      co_return;
    }
    auto stream = *connected;
    stream->send(request);
    auto next = co_await stream->read();
    if (next.message && std::holds_alternative<KeyReply>(*next.message))
      result = "";
    else if (next.message && std::holds_alternative<Error>(*next.message))
      result = std::get<Error>(*next.message).error;
    stream->close();
  };
  asio::co_spawn(io, exchange, asio::detached);
  io.run();
  return result;
}

}  // namespace

TEST_CASE("mtd agents: only the manager sets up, holders check token and requester",
          "[agent][integration][mtd]") {
  Agents a;
  ManagerSide m(a, "shamir", 2);
  CHECK(roam::errorText(setUpMtdEpoch(a.as("cli"), a.address["h3"], m.setupFor(a, "h3")))
            .find("only the manager may set up MTD") != std::string::npos);
  for (const auto& h : kHosts)
    REQUIRE(roam::errorText(setUpMtdEpoch(a.as("manager"), a.address[h], m.setupFor(a, h))) == "");

  auto order = m.order("h2", "nothing-here");
  KeyRequest good{order.migrationId, order.epoch, "h2", order.r, order.token};
  CHECK(keyRequestAs(a, "h2", "h3", good) == "");
  CHECK(keyRequestAs(a, "h4", "h3", good) == "the requester 'h4' is not the source 'h2'");
  auto forged = good;
  forged.r = std::string(64, '0');
  CHECK(keyRequestAs(a, "h2", "h3", forged) == "the manager's token does not verify");
  CHECK(a.logged("h3: KEY_REQUEST from h4"));

  // MTD_MIGRATE from anyone but the manager is refused.
  auto refused = requestMigration(a.as("cli"), a.address["h2"], order, nullptr);
  CHECK(roam::errorText(refused).find("only the manager may order an MTD migration") !=
        std::string::npos);
}

TEST_CASE("mtd agents: the source gathers over TLS and goes for its table's destination",
          "[agent][integration][mtd]") {
  Agents a;
  for (auto [scheme, k] : {std::pair{"shamir", 2}, {"fountain", 3}, {"prf", 1}}) {
    INFO(scheme);
    ManagerSide m(a, scheme, k);
    for (const auto& h : kHosts)
      REQUIRE(roam::errorText(setUpMtdEpoch(a.as("manager"), a.address[h], m.setupFor(a, h))) ==
              "");
    // No such container: the migration itself fails at once, after the
    // destination has been found (which is what this test is about).
    auto order = m.order("h2", "no-such-container");
    auto outcome = requestMigration(a.as("manager"), a.address["h2"], order, nullptr);
    INFO(roam::errorText(outcome));
    REQUIRE(outcome.ok());
    CHECK(outcome->done.destination == m.expected("h2", order));
    CHECK(outcome->done.destination != a.address["h2"]);
    CHECK(outcome->done.note.find("MTD index ") != std::string::npos);
    if (std::string(scheme) != "prf") CHECK(outcome->done.keySeconds > 0);
    CHECK(outcome->done.result != "success");

    // A restarted manager re-attaches with the same id and nothing else
    // (runtime/manager: MtdCoordinator::rejoinOrder): the outcome is replayed
    // from the source's journal. An id it never had is refused.
    const MtdMigrate rejoin{order.migrationId, order.container,      "snapshot",
                            "rejoin",          std::string(64, '0'), "00"};
    auto replayed = requestMigration(a.as("manager"), a.address["h2"], rejoin, nullptr);
    INFO(roam::errorText(replayed));
    REQUIRE(replayed.ok());
    CHECK(replayed->done.migrationId == order.migrationId);
    CHECK(replayed->done.destination == outcome->done.destination);
    CHECK(replayed->done.result == outcome->done.result);
    auto unknown = rejoin;
    unknown.migrationId = newMigrationId();
    auto refused = requestMigration(a.as("manager"), a.address["h2"], unknown, nullptr);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("epoch rejoin is not the current one") != std::string::npos);
  }
  CHECK(a.logged("h2: MTD "));
  CHECK_FALSE(a.logged("\"y\""));  // no share in any log line
}
