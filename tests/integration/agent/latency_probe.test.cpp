// Latency between real agents over mutual TLS (docs/protocol.md, "Latency"):
// the four agents of local_agents.hpp. The manager's LATENCY_PROBE makes an
// agent PING the peers it names and report their round trips; nobody else
// may ask. Then the manager's whole latency source (TlsAgentGateway and
// AgentLatencySource, what `roam manager` runs in live mode) over the four.

#include <algorithm>
#include <set>

#include "local_agents.hpp"
#include "runtime/manager/agent_latency_source.hpp"

using namespace roam::agent;
using roamtest::kHosts;

TEST_CASE("latency probe: the manager gets round trips to the peers that answer",
          "[agent][integration][latency]") {
  roamtest::LocalAgents a;
  std::vector<AgentPeer> peers;
  for (const auto& h : {"h2", "h3", "h4"}) peers.push_back({h, a.address[h]});
  peers.push_back({"h9", "127.0.0.1:1"});  // nobody listens there

  auto outcome = probeLatencies(a.as("manager"), a.address["h1"], peers);
  INFO(roam::errorText(outcome));
  REQUIRE(outcome.ok());
  std::set<std::string> answered;
  for (const auto& trip : outcome->roundTrips) {
    answered.insert(trip.name);
    CHECK(trip.seconds > 0);
    CHECK(trip.seconds < 2);
  }
  CHECK(answered == std::set<std::string>{"h2", "h3", "h4"});

  auto refused = probeLatencies(a.as("cli"), a.address["h1"], peers);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find("only the manager may ask for latency probes") !=
        std::string::npos);
  CHECK(a.logged("h1: closing the connection from cli"));
}

TEST_CASE("latency probe: the manager's latency source measures every ordered pair",
          "[agent][integration][latency]") {
  roamtest::LocalAgents a;
  roam::runtime::TlsAgentGateway gateway(a.as("manager"));
  std::vector<roam::runtime::AgentAddress> agents;
  for (const auto& h : kHosts) agents.push_back({h, a.address[h], ""});
  roam::runtime::AgentLatencySource source(gateway, [&] { return agents; });

  auto measured = source.measureLatencies();
  CHECK(measured.errors.empty());
  REQUIRE(measured.records.size() == kHosts.size() * (kHosts.size() - 1));
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& r : measured.records) {
    CHECK(r.src != r.dst);
    CHECK(r.seconds > 0);
    pairs.insert({r.src, r.dst});
  }
  CHECK(pairs.size() == measured.records.size());

  // An agent that is down: its own probe fails, and the others report no PONG
  // from it; the remaining pairs are still measured.
  agents.push_back({"h5", "127.0.0.1:1", ""});
  measured = source.measureLatencies();
  CHECK(measured.records.size() == kHosts.size() * (kHosts.size() - 1));
  REQUIRE(measured.errors.size() == 1 + kHosts.size());
  CHECK(std::count_if(measured.errors.begin(), measured.errors.end(),
                      [](const auto& e) { return e.endpoint == "agent h5 (127.0.0.1:1)"; }) == 1);
}
