// The agents' side of MTD in memory: the manager's MTD_SETUP for each host
// (through the wire encoding), holders answering KEY_REQUEST, the source
// resolving its destination, for each scheme; and every refusal.

#include <catch2/catch.hpp>

#include "agent/mtd/host_epoch.hpp"
#include "agent/protocol/frame.hpp"
#include "agent/protocol_samples.hpp"
#include "agent/tls/certificates.hpp"
#include "temp_dir.hpp"

using namespace roam::agent;
using namespace roam::agent::mtd;
using namespace roam::crypto;

namespace {

const std::vector<std::string> kHosts = {"h1", "h2", "h3", "h4", "h5"};

// A deployment of five agents and the manager, in memory.
struct Deployment {
  roamtest::TempDir certs;
  Pkey managerKey;
  std::string managerPem;
  Epoch epoch;
  std::map<std::string, HostEpoch> hosts;
  std::map<std::string, KeyService> services;
  std::map<std::string, std::string> tamperedShare;  // host -> replacement y (hex)

  explicit Deployment(const std::string& scheme, int k) {
    REQUIRE(initAuthority(certs.path).ok());
    REQUIRE(issueCertificate(certs.path, "manager", {}).ok());
    auto loaded = loadPrivateKey(certs.path / "manager.key");
    REQUIRE(loaded.ok());
    managerKey = std::move(*loaded);
    managerPem = publicKeyPem(managerKey.get());
    std::vector<TableEntry> table;
    for (const auto& h : kHosts) table.push_back({h, "10.0.0." + h.substr(1) + ":7070"});
    auto built = buildEpoch(newEpochId(), scheme, k, table, kHosts);
    if (!built) FAIL(built.error().message);
    epoch = std::move(*built);
    for (const auto& material : epoch.hosts) {
      std::vector<AgentPeer> peers;
      for (const auto& t : table)
        if (t.name != material.name) peers.push_back({t.name, t.address});
      // Through the wire: what the agent decodes is what it keeps.
      auto decoded =
          roamtest::roundTrip(encodeMessage(setupMessage(epoch, material, peers, managerPem)));
      INFO(roam::errorText(decoded));
      REQUIRE(decoded.ok());
      auto host = hostEpochFromSetup(std::get<MtdSetup>(*decoded), material.name);
      if (!host.ok()) FAIL(host.error().message);
      hosts.emplace(material.name, std::move(*host));
      services[material.name];
    }
  }

  int orders = 0;

  // A new migration (id) each time: holders track droplets per migration.
  MtdMigrate order(const std::string& source, EVP_PKEY* signer = nullptr) {
    MtdMigrate m{"m-" + std::to_string(++orders), "svc", "snapshot", epoch.id,
                 toHex(randomBytes(kRandomSize)), ""};
    m.token = signToken(signer ? signer : managerKey.get(),
                        tokenMessage(m.epoch, m.migrationId, source, m.r));
    return m;
  }

  AskPeers askAs(const std::string& requester) {
    return [this, requester](const std::vector<AgentPeer>& peers, const KeyRequest& request) {
      std::vector<KeyAnswer> answers;
      for (const auto& p : peers) {
        auto answer = services[p.name].answer(hosts.at(p.name), request, requester);
        if (answer.ok() && tamperedShare.count(p.name))
          std::get<MtdShare>(answer->material).y = tamperedShare[p.name];
        answers.push_back(std::move(answer));
      }
      return answers;
    };
  }

  // The destination the manager's own material predicts for SOURCE and R.
  std::string expected(const std::string& source, const MtdMigrate& m) {
    const auto& self = *std::find_if(epoch.hosts.begin(), epoch.hosts.end(),
                                     [&](const HostMaterial& h) { return h.name == source; });
    auto index = indexFor(epoch.scheme, *fromHex(m.r), self, epoch.entries);
    std::vector<TableEntry> table;
    for (const auto& h : kHosts) table.push_back({h, ""});
    return destinationAt(table, index, source).value().name;
  }
};

std::map<std::string, double> latencies() {
  return {{"h1", 0.001}, {"h3", 0.002}, {"h4", 0.004}, {"h5", 0.008}};
}

// The resolution's error message, or "" when it found a destination.
std::string errorOf(const Resolution& r) {
  return r.error ? r.error->message : "";
}

}  // namespace

TEST_CASE("mtd hosts: each scheme resolves the destination its table names", "[mtd]") {
  for (auto [scheme, k] : {std::pair{"shamir", 3}, {"fountain", 3}, {"prf", 1}}) {
    INFO(scheme);
    Deployment d(scheme, k);
    for (int run = 0; run < 5; ++run) {
      auto m = d.order("h2");
      auto r = resolveDestination(d.hosts.at("h2"), m, d.askAs("h2"), latencies(), run);
      INFO(errorOf(r));
      REQUIRE(r.destination);
      CHECK(r.destination->name != "h2");
      CHECK(r.destination->name == d.expected("h2", m));
      CHECK(r.destination->address == "10.0.0." + r.destination->name.substr(1) + ":7070");
      if (std::string(scheme) == "shamir") CHECK(r.requests == 3);
      if (std::string(scheme) == "fountain") CHECK(r.requests >= 3);
      if (std::string(scheme) == "prf") CHECK(r.requests == 0);
    }
  }
}

TEST_CASE("mtd hosts: holders refuse without a valid token, another epoch or requester", "[mtd]") {
  Deployment d("shamir", 2);
  roamtest::TempDir other;
  REQUIRE(initAuthority(other.path).ok());
  REQUIRE(issueCertificate(other.path, "manager", {}).ok());
  auto intruder = std::move(loadPrivateKey(other.path / "manager.key").value());

  auto m = d.order("h2");
  KeyRequest good{m.migrationId, m.epoch, "h2", m.r, m.token};
  auto answer = [&](const KeyRequest& q, const std::string& who) {
    auto a = d.services["h3"].answer(d.hosts.at("h3"), q, who);
    return roam::errorText(a);
  };
  CHECK(answer(good, "h2") == "");
  CHECK(answer(good, "h4") == "the requester 'h4' is not the source 'h2'");
  auto forged = d.order("h2", intruder.get());
  CHECK(answer({forged.migrationId, forged.epoch, "h2", forged.r, forged.token}, "h2") ==
        "the manager's token does not verify");
  CHECK(answer({m.migrationId, m.epoch, "h2", std::string(64, '0'), m.token}, "h2") ==
        "the manager's token does not verify");
  CHECK(answer({m.migrationId, "e-0-old", "h2", m.r, m.token}, "h2").find("not the current") !=
        std::string::npos);

  // The source itself refuses an order whose token is not the manager's.
  auto r = resolveDestination(d.hosts.at("h2"), forged, d.askAs("h2"), latencies(), 1);
  CHECK_FALSE(r.destination);
  CHECK(errorOf(r) == "MTD: the manager's token does not verify");
}

TEST_CASE("mtd hosts: a wrong share is detected by the table's tag", "[mtd]") {
  Deployment d("shamir", 4);  // every other host's share is needed
  d.tamperedShare["h5"] = std::string(64, 'a');
  auto r = resolveDestination(d.hosts.at("h2"), d.order("h2"), d.askAs("h2"), latencies(), 1);
  CHECK_FALSE(r.destination);
  CHECK(errorOf(r) == "MTD: the lookup table did not authenticate");
}

TEST_CASE("mtd hosts: shamir moves on past a refusing holder; too few is an error", "[mtd]") {
  Deployment d("shamir", 3);
  d.hosts.at("h1").id = "e-0-stale";  // h1 refuses: its epoch is another
  auto r = resolveDestination(d.hosts.at("h2"), d.order("h2"), d.askAs("h2"), latencies(), 7);
  INFO(errorOf(r));
  CHECK(r.destination);
  d.hosts.at("h3").id = "e-0-stale";
  auto short_ = resolveDestination(d.hosts.at("h2"), d.order("h2"), d.askAs("h2"), latencies(), 7);
  CHECK_FALSE(short_.destination);
  CHECK(errorOf(short_) == "MTD: gathered 2 of 3 shares");
  CHECK(short_.refusals.size() == 2);
}

TEST_CASE("mtd hosts: a fountain holder sends each droplet once per migration", "[mtd]") {
  Deployment d("fountain", 3);
  auto m = d.order("h2");
  KeyRequest q{m.migrationId, m.epoch, "h2", m.r, m.token};
  auto first = d.services["h3"].answer(d.hosts.at("h3"), q, "h2");
  auto second = d.services["h3"].answer(d.hosts.at("h3"), q, "h2");
  auto third = d.services["h3"].answer(d.hosts.at("h3"), q, "h2");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(*first != *second);
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().message == "no droplet left for this migration");
  CHECK(third.error().code == roam::ErrorCode::Refused);
}

TEST_CASE("mtd hosts: malformed setups are refused", "[mtd]") {
  Deployment d("fountain", 3);
  std::vector<AgentPeer> peers = {{"h1", "a:1"}};
  auto setup = setupMessage(d.epoch, d.epoch.hosts[1], peers, d.managerPem);
  auto refused = [&](MtdSetup s, const std::string& self = "h2") {
    auto e = hostEpochFromSetup(s, self);
    return roam::errorText(e);
  };
  CHECK(refused(setup) == "");
  auto s = setup;
  s.droplets.push_back(s.droplets[0]);
  CHECK(refused(s).find("more droplets than k-1") != std::string::npos);
  s = setup;
  s.droplets[0].c = "0102";
  CHECK(refused(s) == "MTD_SETUP: a droplet does not match k and secret_length");
  s = setup;
  s.managerKey = "-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n";
  CHECK(refused(s).find("not a PEM public key") != std::string::npos);
  CHECK(refused(setup, "h1") == "MTD_SETUP: this host is listed among its peers");
}
