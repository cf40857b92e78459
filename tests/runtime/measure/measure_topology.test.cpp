// The topology file and how it names and sizes the discovered topology.

#include <catch2/catch.hpp>

#include "test_util.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "runtime/measure/ryu_backend.hpp"
#include "runtime/measure/topology_file.hpp"

using namespace roam::runtime;
using roam::test::fixture;

namespace {

std::string headlines(const roam::lang::Diagnostics& ds) {
  std::string out;
  for (const auto& d : ds) out += roam::lang::formatHeadline(d) + "\n";
  return out;
}

// The topology file the testbed wrote for the recorded Ryu answers.
std::string recordedTopologyFile() {
  auto recording = nlohmann::json::parse(fixture("ryu/recording.json"));
  return recording.at("topology").dump(1);
}

DiscoveredTopology recordedDiscovery() {
  DiscoveredTopology t;
  auto s = parseRyuTopologySwitches(fixture("ryu/topology_switches.json"));
  auto l = parseRyuTopologyLinks(fixture("ryu/topology_links.json"));
  auto h = parseRyuTopologyHosts(fixture("ryu/topology_hosts.json"));
  REQUIRE(s);
  REQUIRE(l);
  REQUIRE(h);
  t.switches = *s;
  t.links = *l;
  t.hosts = *h;
  return t;
}

const roam::lang::HostInfo* host(const TopologyView& v, const std::string& name) {
  for (const auto& h : v.hosts)
    if (h.name == name) return &h;
  return nullptr;
}

// The link between two switches, in either direction.
const roam::lang::LinkInfo* link(const TopologyView& v, const std::string& a,
                                 const std::string& b) {
  for (const auto& l : v.links)
    if ((l.src == a && l.dst == b) || (l.src == b && l.dst == a)) return &l;
  return nullptr;
}

}  // namespace

TEST_CASE("measure: topology file: the testbed's file parses", "[runtime][measure]") {
  auto r = parseTopologyFile(recordedTopologyFile(), "topo.json");
  INFO(headlines(r.diagnostics));
  REQUIRE(r.file);
  CHECK(r.diagnostics.empty());
  REQUIRE(r.file->switches.size() == 3);
  CHECK(r.file->switches[1].dpid == 2);
  CHECK(r.file->switches[1].name == "s2");
  REQUIRE(r.file->hosts.size() == 3);
  CHECK(r.file->hosts[0].capacityBps == 1e9);
  CHECK(r.file->hosts[1].switchDpid == 2u);
  CHECK(r.file->hosts[1].port == 1);
  REQUIRE(r.file->links.size() == 2);
  CHECK(r.file->links[1].src == 2);
  CHECK(r.file->links[1].srcPort == 3);
  CHECK(r.file->links[1].dst == 3);
  CHECK(r.file->links[0].capacityBps == 1e7);
}

TEST_CASE("measure: topology file: errors point at the key", "[runtime][measure]") {
  SECTION("invalid JSON") {
    auto r = parseTopologyFile("{\n  \"switches\": [,]\n}", "topo.json");
    REQUIRE_FALSE(r.file);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(headlines(r.diagnostics).starts_with("topo.json:2:16: error: invalid JSON"));
  }
  SECTION("not an object") {
    auto r = parseTopologyFile("[1]", "topo.json");
    CHECK(headlines(r.diagnostics) ==
          "topo.json:1:1: error: the top level must be a JSON object, got an array\n");
  }
  SECTION("field errors, each located") {
    const char* text = R"({
  "switches": [
    {"dpid": "0000000000000001", "name": "s1"},
    {"dpid": "zz", "name": "s2"},
    {"dpid": "0000000000000001", "name": "s3"}
  ],
  "hosts": [
    {"name": "h1", "ip": "10.0.0.1", "capacity_bps": -5},
    {"name": "h2"}
  ],
  "links": [
    {"src": "s1", "src_port": 2, "dst": "s9", "dst_port": 1, "capacity_bps": 1e7},
    {"src": "s1", "src_port": 0, "dst": "0000000000000002", "dst_port": 1}
  ],
  "extra": true
})";
    auto r = parseTopologyFile(text, "topo.json");
    CHECK_FALSE(r.file);
    CHECK(headlines(r.diagnostics) ==
          "topo.json:15:3: warning: extra: unknown key \"extra\" is ignored\n"
          "topo.json:4:6: error: switches[1].dpid: expected a DPID (16 hex digits, or "
          "colon-separated), got string \"zz\"\n"
          "topo.json:5:6: error: switches[2].dpid: duplicate DPID 0000000000000001 (also "
          "switches[0])\n"
          "topo.json:8:38: error: hosts[0].capacity_bps: expected a non-negative number of "
          "bits/s, got number -5\n"
          "topo.json:9:5: error: hosts[1]: needs \"ip\" or \"mac\" to be matched with a "
          "discovered host\n"
          "topo.json:12:34: error: links[0].dst: unknown switch \"s9\" (not a name in "
          "\"switches\", nor a DPID)\n"
          "topo.json:13:19: error: links[1].src_port: expected a port number (an integer from "
          "1), got number 0\n");
  }
  SECTION("unreadable file") {
    auto r = loadTopologyFile("/nonexistent/topo.json");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message.starts_with("cannot read \"/nonexistent/topo.json\""));
  }
}

TEST_CASE("measure: topology view: names and capacities applied", "[runtime][measure]") {
  auto file = parseTopologyFile(recordedTopologyFile(), "topo.json");
  REQUIRE(file.file);
  TopologyNaming naming(*file.file);
  PortSpeeds speeds{{{1, 2}, 1e10}, {{2, 2}, 1e10}, {{3, 1}, 5e8}};
  TopologyView view = naming.build(recordedDiscovery(), speeds);

  REQUIRE(view.switches.size() == 3);
  CHECK(view.switches[0].name == "s1");
  CHECK(view.switches[0].dpid == "0000000000000001");

  // Four discovered directions -> two links; capacities from the file.
  REQUIRE(view.links.size() == 2);
  const auto* s1s2 = link(view, "s1", "s2");
  REQUIRE(s1s2);
  CHECK(s1s2->capacityBps == 1e7);
  CHECK((s1s2->src == "s1" ? s1s2->srcPort : s1s2->dstPort) == 2);
  REQUIRE(link(view, "s2", "s3"));
  CHECK(link(view, "s2", "s3")->capacityBps == 1e9);

  REQUIRE(view.hosts.size() == 3);
  const auto* h1 = host(view, "h1");
  REQUIRE(h1);
  CHECK(h1->switchName == "s1");
  CHECK(h1->port == 1);
  CHECK(h1->capacityBps == 1e9);
  CHECK(h1->mac == "00:00:00:00:00:01");
  REQUIRE(host(view, "h3"));
  CHECK(host(view, "h3")->ip == "10.0.0.3");

  SECTION("without a file: DPIDs, IPs and port speeds") {
    TopologyView bare = TopologyNaming().build(recordedDiscovery(), speeds);
    CHECK(bare.switches[0].name == "0000000000000001");
    const auto* a = link(bare, "0000000000000001", "0000000000000002");
    REQUIRE(a);
    CHECK(a->capacityBps == 1e10);  // min of both ends
    const auto* b = link(bare, "0000000000000002", "0000000000000003");
    REQUIRE(b);
    CHECK(b->capacityBps == 0);  // s2:3 and s3:2 unknown
    REQUIRE(host(bare, "10.0.0.1"));
    REQUIRE(host(bare, "10.0.0.3"));
    CHECK(host(bare, "10.0.0.3")->capacityBps == 5e8);  // s3 port 1 speed
  }
  SECTION("file links are added when discovery has none (LLDP off)") {
    DiscoveredTopology d = recordedDiscovery();
    d.links.clear();
    TopologyView v = naming.build(d, speeds);
    REQUIRE(v.links.size() == 2);
    CHECK(v.links[0].src == "s1");
    CHECK(v.links[0].dst == "s2");
    CHECK(v.links[0].capacityBps == 1e7);
  }
  SECTION("file hosts not yet discovered are placed where the file says") {
    DiscoveredTopology d = recordedDiscovery();
    std::erase_if(d.hosts, [](const DiscoveredHost& h) { return h.mac == "00:00:00:00:00:02"; });
    REQUIRE(d.hosts.size() == 2);  // h2 has sent nothing yet
    TopologyView v = naming.build(d, speeds);
    REQUIRE(v.hosts.size() == 3);
    CHECK(v.hosts[2].name == "h2");
    CHECK(v.hosts[2].switchName == "s2");
    CHECK(v.hosts[2].port == 1);
    CHECK(v.hosts[2].mac == "00:00:00:00:00:02");
  }
  SECTION("hosts on inter-switch ports or unknown switches are left out") {
    DiscoveredTopology d = recordedDiscovery();
    d.hosts.push_back({"00:00:00:00:00:aa", {"10.0.0.99"}, 1, 2});  // s1:2 is a link port
    d.hosts.push_back({"00:00:00:00:00:bb", {"10.0.0.98"}, 9, 1});  // no switch 9
    d.hosts.push_back({"00:00:00:00:00:cc", {}, 3, 7});
    TopologyView v = naming.build(d, speeds);
    REQUIRE(v.hosts.size() == 4);
    CHECK(host(v, "00:00:00:00:00:cc"));
  }
}

// What the testbed's controller reported after a service address had moved
// away from h4 (recorded 2026-12-06): h4 had routed a stray packet of h1's
// back out, so the controller filed h1's address under h4's MAC as well.
TEST_CASE("measure: topology view: an address a host forwarded does not rename it",
          "[runtime][measure]") {
  auto file = parseTopologyFile(R"({
    "switches": [{"name": "s1", "dpid": "0000000000000001"}],
    "hosts": [{"name": "h1", "ip": "10.0.0.1", "mac": "00:00:00:00:00:01", "switch": "s1", "port": 1},
              {"name": "h2", "ip": "10.0.0.2", "mac": "00:00:00:00:00:02", "switch": "s1", "port": 2},
              {"name": "h4", "ip": "10.0.0.4", "mac": "00:00:00:00:00:04", "switch": "s1", "port": 4}],
    "links": []})",
                                "topo.json");
  REQUIRE(file.file);
  DiscoveredTopology d;
  d.switches = {1};
  d.hosts = {{"00:00:00:00:00:01", {"10.0.0.1"}, 1, 1},
             {"00:00:00:00:00:02", {"10.0.1.1", "10.0.0.2"}, 1, 2},
             {"00:00:00:00:00:04", {"10.0.0.1", "10.0.0.4"}, 1, 4}};
  TopologyView v = TopologyNaming(*file.file).build(d, {});
  REQUIRE(v.hosts.size() == 3);
  REQUIRE(host(v, "h4"));
  CHECK(host(v, "h4")->mac == "00:00:00:00:00:04");
  CHECK(host(v, "h4")->port == 4);
  CHECK(host(v, "h1")->mac == "00:00:00:00:00:01");
  CHECK(host(v, "h2")->ip == "10.0.0.2");

  SECTION("a file host without a MAC is still matched by its IP") {
    auto byIp = parseTopologyFile(R"({
      "switches": [{"name": "s1", "dpid": "0000000000000001"}],
      "hosts": [{"name": "web", "ip": "10.0.0.4", "switch": "s1", "port": 4}], "links": []})",
                                  "topo.json");
    REQUIRE(byIp.file);
    DiscoveredTopology one;
    one.switches = {1};
    one.hosts = {{"00:00:00:00:00:04", {"10.0.0.4"}, 1, 4}};
    TopologyView w = TopologyNaming(*byIp.file).build(one, {});
    REQUIRE(w.hosts.size() == 1);
    CHECK(w.hosts[0].name == "web");
  }
}
