#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include "lang/state_json.hpp"
#include "lang/synthetic_state.hpp"
#include "lang/topology.hpp"

using namespace roam::lang;

namespace {

std::unique_ptr<InMemoryState> loadExample(const std::string& name) {
  auto r = loadStateFile(std::string(ROAM_SOURCE_DIR) + "/examples/states/" + name);
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.state);
  return std::move(r.state);
}

struct PathSummary {
  std::vector<std::string> switches;  // crossed, in order
  double bottleneckBps = 0;
};

PathSummary summarize(const Topology& t, const std::vector<Hop>& hops) {
  PathSummary s;
  s.bottleneckBps = hops.empty() ? 0 : hops.front().capacityBps;
  for (const auto& h : hops) {
    if (t.isSwitch(h.to)) s.switches.push_back(t.nodeName(h.to));
    s.bottleneckBps = std::min(s.bottleneckBps, h.capacityBps);
  }
  return s;
}

PathSummary hostPath(const NetworkState& state, const std::string& from, const std::string& to) {
  const auto& t = state.topology();
  auto hops = t.path(t.hostNode(state.hostIndex(from)), t.hostNode(state.hostIndex(to)));
  REQUIRE(hops);
  return summarize(t, *hops);
}

using Names = std::vector<std::string>;

HostInfo host(std::string name, std::string sw, int port, double capacity = 1e9) {
  return HostInfo{std::move(name), "10.0.0.1", "", std::move(sw), port, capacity, {}};
}

}  // namespace

TEST_CASE("paths in the paper's heterogeneous scenario", "[lang][topology]") {
  const auto state = loadExample("paper-heterogeneous.json");

  SECTION("h2 to h3 crosses s2, s3; bottleneck 2 Mbps") {
    const auto p = hostPath(*state, "h2", "h3");
    CHECK(p.switches == Names{"s2", "s3"});
    CHECK(p.bottleneckBps == 2e6);
  }
  SECTION("h2 to h4 crosses s2, s1, s4; bottleneck 10 Mbps") {
    const auto p = hostPath(*state, "h2", "h4");
    CHECK(p.switches == Names{"s2", "s1", "s4"});
    CHECK(p.bottleneckBps == 10e6);
  }
  SECTION("h2 to h5 crosses s2, s1, s5; bottleneck 5 Mbps") {
    const auto p = hostPath(*state, "h2", "h5");
    CHECK(p.switches == Names{"s2", "s1", "s5"});
    CHECK(p.bottleneckBps == 5e6);
  }
  SECTION("h2 to h1 uses the 100 Mbps links") {
    const auto p = hostPath(*state, "h2", "h1");
    CHECK(p.switches == Names{"s2", "s1"});
    CHECK(p.bottleneckBps == 100e6);
  }
  SECTION("hops carry ports in the direction of travel") {
    const auto& t = state->topology();
    const int h2 = t.hostNode(state->hostIndex("h2"));
    const int h3 = t.hostNode(state->hostIndex("h3"));
    const auto hops = t.path(h2, h3);
    REQUIRE(hops);
    REQUIRE(hops->size() == 3);
    const auto& a = (*hops)[0];
    CHECK(a.from == h2);
    CHECK(t.nodeName(a.to) == "s2");
    CHECK(a.fromPort == -1);
    CHECK(a.toPort == 1);
    CHECK(a.capacityBps == 100e6);
    const auto& b = (*hops)[1];
    CHECK(t.nodeName(b.from) == "s2");
    CHECK(t.nodeName(b.to) == "s3");
    CHECK(b.fromPort == 3);
    CHECK(b.toPort == 2);
    const auto& c = (*hops)[2];
    CHECK(c.fromPort == 1);
    CHECK(c.toPort == -1);
    CHECK(c.to == h3);

    // The reverse direction swaps ends and ports.
    const auto back = t.path(h3, h2);
    REQUIRE(back);
    REQUIRE(back->size() == 3);
    CHECK((*back)[1].fromPort == 2);
    CHECK((*back)[1].toPort == 3);
  }
  SECTION("a node to itself is an empty path") {
    const auto& t = state->topology();
    const auto p = t.path(t.hostNode(1), t.hostNode(1));
    REQUIRE(p);
    CHECK(p->empty());
  }
  SECTION("direct link capacities, either direction") {
    const auto& t = state->topology();
    const int s1 = state->switchIndex("s1");
    const int s2 = state->switchIndex("s2");
    const int s3 = state->switchIndex("s3");
    CHECK(t.linkCapacity(t.switchNode(s2), t.switchNode(s3)) == 2e6);
    CHECK(t.linkCapacity(t.switchNode(s3), t.switchNode(s2)) == 2e6);
    CHECK(t.linkCapacity(t.hostNode(state->hostIndex("h1")), t.switchNode(s1)) == 100e6);
    CHECK_FALSE(t.linkCapacity(t.switchNode(s1), t.switchNode(s3)));
    CHECK_FALSE(t.linkCapacity(t.switchNode(s1), 99));
  }
}

TEST_CASE("paths in the paper's homogeneous scenario", "[lang][topology]") {
  const auto state = loadExample("paper-homogeneous.json");
  const auto h3 = hostPath(*state, "h2", "h3");
  CHECK(h3.switches == Names{"s2", "s3"});
  CHECK(h3.bottleneckBps == 5e6);
  CHECK(hostPath(*state, "h2", "h4").switches.size() == 3);
  CHECK(hostPath(*state, "h2", "h4").bottleneckBps == 5e6);
  CHECK(hostPath(*state, "h2", "h5").bottleneckBps == 5e6);
}

TEST_CASE("node ids and names", "[lang][topology]") {
  std::vector<SwitchInfo> switches{{"s1", ""}, {"s2", ""}};
  std::vector<HostInfo> hosts{host("h1", "s1", 1), host("h2", "s2", 1), host("h3", "s2", 2)};
  std::vector<LinkInfo> links{{"s1", 2, "s2", 3, 1e6}};
  Topology t(switches, hosts, links);
  CHECK(t.switchCount() == 2);
  CHECK(t.hostCount() == 3);
  CHECK(t.nodeCount() == 5);
  CHECK(t.hostNode(2) == 4);
  CHECK(t.isHost(4));
  CHECK_FALSE(t.isHost(5));
  CHECK(t.isSwitch(1));
  CHECK_FALSE(t.isSwitch(2));
  CHECK(t.hostIndexOf(4) == 2);
  CHECK(t.nodeName(0) == "s1");
  CHECK(t.nodeName(4) == "h3");
}

TEST_CASE("unreachable nodes", "[lang][topology]") {
  std::vector<SwitchInfo> switches{{"s1", ""}, {"s2", ""}, {"s3", ""}};
  std::vector<HostInfo> hosts{host("h1", "s1", 1), host("h2", "s2", 1), host("h3", "s3", 1),
                              host("lonely", "", 0), host("lost", "s9", 1)};
  std::vector<LinkInfo> links{{"s1", 2, "s2", 2, 1e6}, {"s3", 2, "nowhere", 1, 1e6}};
  Topology t(switches, hosts, links);
  CHECK(t.path(t.hostNode(0), t.hostNode(1)));
  CHECK_FALSE(t.path(t.hostNode(0), t.hostNode(2)));  // s3 is an island
  CHECK_FALSE(t.path(t.hostNode(2), t.hostNode(0)));
  CHECK_FALSE(t.path(t.hostNode(0), t.hostNode(3)));  // attached to nothing
  CHECK_FALSE(t.path(t.hostNode(4), t.hostNode(0)));  // on an unknown switch
  CHECK(t.path(t.hostNode(2), t.switchNode(2)));
  // reachable() agrees with path() on every pair.
  for (int a = -1; a <= t.nodeCount(); ++a)
    for (int b = -1; b <= t.nodeCount(); ++b) CHECK(t.reachable(a, b) == t.path(a, b).has_value());
  SECTION("out-of-range ids") {
    CHECK_FALSE(t.path(-1, 0));
    CHECK_FALSE(t.path(0, t.nodeCount()));
    CHECK_FALSE(t.linkCapacity(-1, 0));
  }
}

TEST_CASE("ties between equally short paths are broken by node names", "[lang][topology]") {
  // h1 - a - {m, b, z} - d - h2: three two-switch routes between a and d.
  std::vector<SwitchInfo> switches{{"a", ""}, {"z", ""}, {"m", ""}, {"b", ""}, {"d", ""}};
  std::vector<HostInfo> hosts{host("h1", "a", 1), host("h2", "d", 1)};
  std::vector<LinkInfo> links{{"a", 2, "z", 1, 1e6}, {"a", 3, "m", 1, 2e6}, {"a", 4, "b", 1, 3e6},
                              {"z", 2, "d", 2, 1e6}, {"m", 2, "d", 3, 2e6}, {"b", 2, "d", 4, 3e6}};

  auto route = [](const Topology& t, int from, int to) {
    auto hops = t.path(from, to);
    REQUIRE(hops);
    return summarize(t, *hops).switches;
  };

  Topology t(switches, hosts, links);
  CHECK(route(t, t.hostNode(0), t.hostNode(1)) == Names{"a", "b", "d"});
  CHECK(route(t, t.hostNode(1), t.hostNode(0)) == Names{"d", "b", "a"});

  SECTION("whatever order switches and links are listed in") {
    std::vector<SwitchInfo> sw2(switches.rbegin(), switches.rend());
    std::vector<LinkInfo> links2(links.rbegin(), links.rend());
    for (auto& l : links2) {
      std::swap(l.src, l.dst);
      std::swap(l.srcPort, l.dstPort);
    }
    Topology t2(sw2, hosts, links2);
    CHECK(route(t2, t2.hostNode(0), t2.hostNode(1)) == Names{"a", "b", "d"});
    CHECK(route(t2, t2.hostNode(1), t2.hostNode(0)) == Names{"d", "b", "a"});
  }
  SECTION("and on every call") {
    for (int i = 0; i < 5; ++i)
      CHECK(route(t, t.hostNode(0), t.hostNode(1)) == Names{"a", "b", "d"});
  }
  SECTION("names compare byte-wise over the whole path from the source") {
    // Two routes s -> x -> q and s -> y -> p to t: x < y decides, although p < q.
    std::vector<SwitchInfo> sw{{"s", ""}, {"x", ""}, {"y", ""}, {"q", ""}, {"p", ""}, {"t", ""}};
    std::vector<LinkInfo> ls{{"s", 1, "y", 1, 1}, {"s", 2, "x", 1, 2}, {"y", 2, "p", 1, 3},
                             {"x", 2, "q", 1, 4}, {"p", 2, "t", 1, 5}, {"q", 2, "t", 2, 6}};
    Topology t3(sw, {}, ls);
    CHECK(route(t3, 0, 5) == Names{"x", "q", "t"});
    CHECK(route(t3, 5, 0) == Names{"p", "y", "s"});
  }
  SECTION("parallel links: the lowest ports win") {
    std::vector<SwitchInfo> sw{{"s1", ""}, {"s2", ""}};
    std::vector<LinkInfo> ls{{"s1", 5, "s2", 5, 50}, {"s1", 3, "s2", 7, 30}};
    Topology t4(sw, {}, ls);
    const auto hops = t4.path(0, 1);
    REQUIRE(hops);
    REQUIRE(hops->size() == 1);
    CHECK((*hops)[0].fromPort == 3);
    CHECK((*hops)[0].toPort == 7);
    CHECK(t4.linkCapacity(0, 1) == 30);
    CHECK(t4.linkCapacity(1, 0) == 50);  // from s2, port 5 is the lower one
  }
}

TEST_CASE("paths from many sources and threads", "[lang][topology]") {
  InMemoryState state(makeSyntheticNetwork(2000, 5));
  const auto& t = state.topology();

  SECTION("more sources than the cache holds still give the same answers") {
    const int target = t.hostNode(1999);
    const auto first = t.path(t.hostNode(0), target);
    REQUIRE(first);
    for (int h = 0; h < static_cast<int>(Topology::kMaxCachedTrees) + 20; ++h)
      REQUIRE(t.path(t.hostNode(h), target));
    const auto again = t.path(t.hostNode(0), target);
    REQUIRE(again);
    REQUIRE(again->size() == first->size());
    for (std::size_t i = 0; i < first->size(); ++i) {
      CHECK((*again)[i].to == (*first)[i].to);
      CHECK((*again)[i].fromPort == (*first)[i].fromPort);
    }
  }
  SECTION("concurrent queries agree") {
    std::vector<std::size_t> lengths(4, 0);
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k)
      threads.emplace_back([&, k] {
        std::size_t total = 0;
        for (int src = 0; src < 100; ++src)
          for (int dst = 0; dst < t.hostCount(); dst += 37)
            if (auto p = t.path(t.hostNode((src * 7) % t.hostCount()), t.hostNode(dst)))
              total += p->size();
        lengths[static_cast<std::size_t>(k)] = total;
      });
    for (auto& th : threads) th.join();
    CHECK(lengths[0] > 0);
    CHECK(std::all_of(lengths.begin(), lengths.end(),
                      [&](std::size_t n) { return n == lengths[0]; }));
  }
}
