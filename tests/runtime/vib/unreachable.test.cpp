// Issue 17, "Unreachable hosts": with a link down, a host no path leads to is
// no destination. The network comes from a real VIB (SQLite in a temporary
// directory) into which the paper's heterogeneous topology was written
// without the link s2-s3, as the topology collector writes it after a link
// goes down; the policies are the paper's six from policies/.

#include <algorithm>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "file_text.hpp"
#include "lang/decision.hpp"
#include "runtime/vib/vib.hpp"
#include "temp_dir.hpp"
#include "test_util.hpp"

namespace {

using roam::lang::Decision;
using roam::lang::NetworkData;

// The paper's heterogeneous network without the links between the named switch pairs.
NetworkData paperWithout(const std::vector<std::pair<std::string, std::string>>& down) {
  NetworkData data = roam::test::exampleState("paper-heterogeneous")->data();
  std::erase_if(data.links, [&](const roam::lang::LinkInfo& l) {
    return std::any_of(down.begin(), down.end(), [&](const auto& d) {
      return (l.src == d.first && l.dst == d.second) || (l.src == d.second && l.dst == d.first);
    });
  });
  return data;
}

// What a VIB holding `data` gives the manager: a snapshot as of the newest sample.
struct VibFixture {
  roamtest::TempDir dir;
  std::unique_ptr<roam::lang::InMemoryState> state;

  explicit VibFixture(const NetworkData& data) {
    const roam::lang::InMemoryState given(data);
    const double now = given.now();
    auto opened = roam::runtime::Vib::open((dir.path / "vib.sqlite").string());
    INFO(roam::errorText(opened));
    REQUIRE(opened.ok());
    auto& vib = **opened;
    vib.writeTopology({data.switches, data.hosts, data.links}, now);
    REQUIRE(vib.setContainers(data.containers).ok());
    vib.writePortSamples(data.portSamples);
    vib.writeSwitchSamples(data.switchSamples);
    vib.writeLatencies(data.latencies, now);
    INFO(vib.lastError());
    REQUIRE(vib.failedWrites() == 0);
    auto snap = vib.snapshot(now, 60);
    INFO(roam::errorText(snap));
    REQUIRE(snap.ok());
    state = std::move(*snap);
    REQUIRE(state->links().size() == data.links.size());
  }
};

Decision decidePolicy(const std::string& relative, const roam::lang::NetworkState& state,
                      std::uint64_t seed = 1) {
  const std::string path = roam::test::sourcePath("policies/" + relative + ".policy");
  auto c = roam::test::parseAndCheck(roamtest::readText(path), path);
  INFO(roam::test::headlines(c.diagnostics));
  REQUIRE(c.diagnostics.empty());
  REQUIRE(c.file.policies.size() == 1);
  roam::lang::DecideOptions options;
  options.seed = seed;
  auto r = roam::lang::decide(c.file.policies[0], path, state, options);
  INFO(roam::test::headlines(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.decision);
  REQUIRE(r.decision->triggered);
  return *r.decision;
}

std::vector<std::string> candidateHosts(const Decision& d) {
  std::vector<std::string> out;
  for (const auto& c : d.candidates) out.push_back(c.host);
  std::sort(out.begin(), out.end());
  return out;
}

bool excludedAsUnreachable(const Decision& d, const std::string& host, const std::string& from) {
  return std::any_of(d.excluded.begin(), d.excluded.end(), [&](const auto& e) {
    return e.host == host && e.reason == "no path from " + from;
  });
}

// An evaluation error's message, or "" when `text` evaluates.
std::string evalError(const std::string& text, const roam::lang::NetworkState& state) {
  auto parsed = roam::lang::parseExpression(text, "<expr>");
  REQUIRE(parsed.expr);
  auto checked = roam::lang::checkExpression(*parsed.expr, {}, "<expr>");
  REQUIRE(checked.diagnostics.empty());
  roam::lang::Evaluator ev(nullptr, checked.frameSize, state, 1);
  try {
    ev.eval(*parsed.expr);
  } catch (const roam::lang::EvalError& e) {
    CHECK(e.loc.line == 1);
    CHECK(e.loc.column >= 1);
    return e.message;
  }
  return "";
}

}  // namespace

TEST_CASE("unreachable hosts are no destinations for the paper's policies",
          "[runtime][vib][lang]") {
  VibFixture vib(paperWithout({{"s2", "s3"}}));  // h3 is cut off from h2
  const auto& state = *vib.state;

  SECTION("bandwidth: the widest path among the reachable hosts") {
    Decision d = decidePolicy("load-balancing/bandwidth", state);
    REQUIRE(d.source == "h2");
    CHECK(d.destination == "h4");
    CHECK(candidateHosts(d) == std::vector<std::string>{"h4", "h5"});
    CHECK(excludedAsUnreachable(d, "h3", "h2"));
    CHECK(d.explanation.find("h3: no path from h2") != std::string::npos);
    CHECK(roam::lang::decisionToText(d).find("excluded h3: no path from h2") != std::string::npos);
  }
  SECTION("shortest path: the nearest reachable host") {
    Decision d = decidePolicy("load-balancing/shortest-path", state);
    REQUIRE(d.source == "h2");
    CHECK(d.destination == "h4");  // h4 and h5 are 3 switches away; by name
    CHECK(candidateHosts(d) == std::vector<std::string>{"h4", "h5"});
    CHECK(excludedAsUnreachable(d, "h3", "h2"));
  }
  SECTION("random: never the unreachable host, whatever the seed") {
    std::set<std::string> chosen;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
      Decision d = decidePolicy("load-balancing/random", state, seed);
      REQUIRE(d.destination);
      chosen.insert(*d.destination);
      CHECK(excludedAsUnreachable(d, "h3", "h2"));
    }
    CHECK(chosen == std::set<std::string>{"h4", "h5"});
  }
  for (const char* scheme : {"shamir", "fountain", "prf"}) {
    SECTION(std::string("MTD ") + scheme + ": the lookup table holds reachable hosts only") {
      Decision d = decidePolicy(std::string("mtd/") + scheme, state);
      REQUIRE(d.source == "h2");
      REQUIRE(d.mtd);
      CHECK(candidateHosts(d) == std::vector<std::string>{"h1", "h4", "h5"});
      CHECK(excludedAsUnreachable(d, "h3", "h2"));
      CHECK(d.explanation.find("h3: no path from h2") != std::string::npos);
    }
  }
}

TEST_CASE("with no reachable host a decision says there is no destination",
          "[runtime][vib][lang]") {
  VibFixture vib(paperWithout({{"s2", "s3"}, {"s1", "s2"}}));  // h2 is alone
  const auto& state = *vib.state;
  for (const char* policy : {"load-balancing/bandwidth", "load-balancing/shortest-path",
                             "load-balancing/random", "mtd/shamir", "mtd/fountain", "mtd/prf"}) {
    SECTION(policy) {
      Decision d = decidePolicy(policy, state);
      REQUIRE(d.source == "h2");
      CHECK_FALSE(d.destination);
      CHECK_FALSE(d.mtd);
      CHECK(d.candidates.empty());
      CHECK(excludedAsUnreachable(d, "h3", "h2"));
      CHECK(d.explanation.find("no destination: no candidate is reachable from h2") !=
            std::string::npos);
    }
  }
}

TEST_CASE("path built-ins: choices leave unreachable hosts out, direct uses are located errors",
          "[runtime][vib][lang]") {
  VibFixture vib(paperWithout({{"s2", "s3"}}));
  const auto& state = *vib.state;
  using roam::test::evalExpr;
  auto name = [&](const std::string& text) {
    INFO(text);
    return roam::lang::entityName(evalExpr(text, state), state);
  };

  SECTION("argmax and argmin over hosts skip the ones without a path") {
    CHECK(name(R"(argmax(h in hosts - {"h2"}: path_bandwidth("h2", h)))") == "h1");
    CHECK(name(R"(argmin(h in hosts - {"h2", "h1"}: hops("h2", h)))") == "h4");
    CHECK(name(R"(argmin(h in hosts - {"h2"}: latency("h2", h)))") == "h1");
    CHECK(name(R"(argmax(h in hosts - {"h2"}: available_bandwidth("h2", h)))") == "h1");
    CHECK(name(R"(argmax(h in hosts - {"h2"} where hops("h2", h) > 2: 1))") == "h4");
    CHECK(name(R"(argmax(h in {"h3", "h5"}: path_bandwidth("h2", h)))") == "h5");
  }
  SECTION("latency-weighted sampling never draws an unreachable host") {
    auto drawn =
        evalExpr(R"(weighted_sample(h in hosts - {"h2"}: 1 / latency("h2", h), 200))", state);
    REQUIRE(drawn.elements().size() == 200);
    std::set<std::string> names;
    for (const auto& v : drawn.elements()) names.insert(roam::lang::entityName(v, state));
    CHECK(names == std::set<std::string>{"h1", "h4", "h5"});
  }
  SECTION("a choice with every host left out says why it is empty") {
    CHECK(evalError(R"(argmin(h in {"h3"}: hops("h2", h)))", state) ==
          "argmin() of an empty set (left out as unreachable: h3: no path from h2)");
    CHECK(evalError(R"(weighted_sample(h in {"h3"}: 1 / latency("h2", h), 2))", state) ==
          "weighted_sample needs at least one positive weight (left out as unreachable: h3: no "
          "path from h2)");
  }
  SECTION("a path asked for directly, or in an aggregate, is a located error") {
    for (const char* text :
         {R"(hops("h2", "h3"))", R"(path("h2", "h3"))", R"(shortest_path("h3", "h2"))",
          R"(path_bandwidth("h2", "h3"))", R"(available_bandwidth("h2", "h3"))",
          R"(latency("h2", "h3"))", R"(sum(h in hosts - {"h2"}: hops("h2", h)))"}) {
      INFO(text);
      const std::string message = evalError(text, state);
      CHECK((message == "no path from h2 to h3" || message == "no path from h3 to h2"));
    }
  }
}
