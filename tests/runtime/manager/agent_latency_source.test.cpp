// The manager's latency source over the fake agents: who is asked about whom
// (data addresses), what becomes a sample, and what becomes an error.

#include <catch2/catch.hpp>

#include "manager_fakes.hpp"
#include "runtime/manager/agent_latency_source.hpp"

using roam::runtime::AgentAddress;
using roam::runtime::AgentLatencySource;
using roam::runtime::FetchError;

namespace {

struct Fixture {
  roamtest::FakeAgents fake;
  std::vector<AgentAddress> agents = {{"h1", "192.168.0.1:7070", "10.0.0.1:7070"},
                                      {"h2", "192.168.0.2:7070", "10.0.0.2:7070"},
                                      {"h3", "192.168.0.3:7070", ""}};
  AgentLatencySource source{fake, [this] { return agents; }};

  Fixture() {
    for (const auto& a : agents) fake.hostAt[a.address] = a.name;
  }
};

double secondsOf(const roam::runtime::LatencyMeasurement& m, const std::string& src,
                 const std::string& dst) {
  for (const auto& r : m.records)
    if (r.src == src && r.dst == dst) return r.seconds;
  return -1;
}

}  // namespace

TEST_CASE("agent latency: every agent measures every other over the data network",
          "[manager][latency]") {
  Fixture f;
  f.fake.roundTrip[{"h1", "h2"}] = 0.004;
  auto measured = f.source.measureLatencies();
  CHECK(measured.errors.empty());
  CHECK(measured.records.size() == 6);
  CHECK(secondsOf(measured, "h1", "h2") == 0.004);
  CHECK(secondsOf(measured, "h2", "h1") == 0.001);
  CHECK(secondsOf(measured, "h3", "h1") == 0.001);
  // The peers are named with their data addresses (the migration's path).
  REQUIRE(f.fake.probes.size() == 3);
  for (const auto& peers : f.fake.probes) {
    CHECK(peers.size() == 2);
    for (const auto& p : peers) {
      if (p.name == "h1") CHECK(p.address == "10.0.0.1:7070");
      if (p.name == "h3") CHECK(p.address == "192.168.0.3:7070");
    }
  }
}

TEST_CASE("agent latency: an agent that is down costs its pairs only", "[manager][latency]") {
  Fixture f;
  f.fake.unreachable = {"192.168.0.3:7070"};
  auto measured = f.source.measureLatencies();
  // h1<->h2 still measured; h3's probe failed; h1 and h2 got no PONG from it.
  CHECK(measured.records.size() == 2);
  REQUIRE(measured.errors.size() == 3);
  int refused = 0, silent = 0;
  for (const auto& e : measured.errors) {
    if (e.kind == FetchError::Kind::Connect) {
      ++refused;
      CHECK(e.message() == "agent h3 (192.168.0.3:7070): connection refused");
    } else {
      ++silent;
      CHECK(e.reason == "no PONG from h3 at 192.168.0.3:7070");
    }
  }
  CHECK(refused == 1);
  CHECK(silent == 2);
}

TEST_CASE("agent latency: fewer than two agents measure nothing", "[manager][latency]") {
  Fixture f;
  f.agents.resize(1);
  auto measured = f.source.measureLatencies();
  CHECK(measured.records.empty());
  CHECK(measured.errors.empty());
  CHECK(f.fake.probes.empty());
}
