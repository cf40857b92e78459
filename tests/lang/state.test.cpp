#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lang/state_json.hpp"
#include "lang/synthetic_state.hpp"
#include "lang/topology.hpp"

using namespace roam::lang;
using nlohmann::json;

namespace {

constexpr double kT0 = 1732470000;

std::string examplePath(const std::string& name) {
  return std::string(ROAM_SOURCE_DIR) + "/examples/states/" + name;
}

// A small valid state that each error test breaks in one place.
json baseDoc() {
  return json::parse(R"({
    "switches": [{"name": "s1", "dpid": "0000000000000001"}, {"name": "s2"}],
    "hosts": [
      {"name": "h1", "ip": "10.0.0.1", "switch": "s1", "port": 1, "capacity_bps": 100000000},
      {"name": "h2", "ip": "10.0.0.2", "switch": "s2", "port": 1, "capacity_bps": 100000000}
    ],
    "links": [{"src": "s1", "src_port": 2, "dst": "s2", "dst_port": 2, "capacity_bps": 10000000}],
    "containers": [{"name": "c1", "host": "h1", "image": "roam/iperf3"}],
    "port_stats": [{"switch": "s1", "port": 1, "rx_bps": 100, "tx_bps": 200, "t": 10}],
    "switch_stats": [{"switch": "s1", "packets_per_s": 1, "bytes_per_s": 2, "flows": 3, "t": 10}],
    "latency": [{"src": "h1", "dst": "h2", "ms": 0.5}]
  })");
}

std::vector<std::string> messagesOf(const StateLoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(d.message);
  return out;
}

std::vector<std::string> errorsOf(const json& doc) {
  auto r = loadStateJson(doc.dump(), "state.json");
  for (const auto& d : r.diagnostics) {
    CHECK(d.code == "state_error");
    CHECK(d.file == "state.json");
    CHECK(d.severity == Severity::Error);
  }
  CHECK((r.state == nullptr) == !r.diagnostics.empty());
  return messagesOf(r);
}

using Messages = std::vector<std::string>;

}  // namespace

TEST_CASE("the paper's example states load", "[lang][state]") {
  for (const char* name : {"paper-heterogeneous.json", "paper-homogeneous.json"}) {
    DYNAMIC_SECTION(name) {
      auto r = loadStateFile(examplePath(name));
      INFO(messagesOf(r).size());
      REQUIRE(r.diagnostics.empty());
      REQUIRE(r.state);
      const auto& s = *r.state;
      CHECK(s.switches().size() == 5);
      CHECK(s.hosts().size() == 5);
      CHECK(s.links().size() == 4);
      REQUIRE(s.containers().size() == 2);
      CHECK(s.switches()[4].dpid == "0000000000000005");
      CHECK(s.hosts()[2].mac == "00:00:00:00:00:03");
      const auto& server =
          s.containers()[static_cast<std::size_t>(s.containerIndex("iperf-server"))];
      CHECK(server.host == "h2");
      CHECK(server.image == "roam/iperf3");
      CHECK(server.labels.at("role") == "server");

      REQUIRE(s.sampleTimes().size() == 3);
      CHECK(s.sampleTimes()[0] == kT0);
      CHECK(s.now() == kT0 + 2);
      CHECK(s.dataAgeSeconds() == 0);
      const int s1 = s.switchIndex("s1");
      const auto intoS1 = s.portSamples(s1, 1);
      REQUIRE(intoS1.size() == 3);
      CHECK(intoS1[0].t < intoS1[1].t);
      CHECK(intoS1[0].rxBps > 4e6);  // the iperf3 flow from h1
      CHECK(intoS1[0].txBps < 0.5e6);
      CHECK(s.switchSamples(s1).size() == 3);
      CHECK(s.latencySeconds("h2", "h3").value() == Approx(0.0006));
      CHECK(s.latencySeconds("h3", "h2").value() == Approx(0.0006));
      CHECK(s.latencySeconds("h2", "h4").value() == Approx(0.0008));
      // Every pair of hosts has a latency.
      for (const auto& a : s.hosts())
        for (const auto& b : s.hosts())
          if (a.name != b.name) CHECK(s.latencySeconds(a.name, b.name).has_value());
    }
  }
}

TEST_CASE("indexes and lookups of an in-memory state", "[lang][state]") {
  auto r = loadStateJson(baseDoc().dump(), "x.json");
  REQUIRE(r.state);
  const auto& s = *r.state;
  CHECK(s.switchIndex("s2") == 1);
  CHECK(s.switchIndex("h1") == -1);
  CHECK(s.hostIndex("h2") == 1);
  CHECK(s.hostIndex("nope") == -1);
  CHECK(s.containerIndex("c1") == 0);
  CHECK(s.containerIndex("h1") == -1);
  CHECK(s.portSamples(0, 99).empty());
  CHECK(s.portSamples(-1, 1).empty());
  CHECK(s.switchSamples(1).empty());
  CHECK(s.switchSamples(7).empty());

  SECTION("a missing dpid defaults to its position + 1 in 16 hex digits") {
    CHECK(s.switches()[1].dpid == "0000000000000002");
  }
  SECTION("latency is found in either direction and is in seconds") {
    CHECK(s.latencySeconds("h1", "h2") == 0.0005);
    CHECK(s.latencySeconds("h2", "h1") == 0.0005);
    CHECK_FALSE(s.latencySeconds("h1", "h1"));
    CHECK_FALSE(s.latencySeconds("h1", "h9"));
  }
  SECTION("a latency given in both directions keeps each") {
    auto doc = baseDoc();
    doc["latency"].push_back({{"src", "h2"}, {"dst", "h1"}, {"ms", 0.7}});
    auto r2 = loadStateJson(doc.dump(), "x.json");
    REQUIRE(r2.state);
    CHECK(r2.state->latencySeconds("h1", "h2") == 0.0005);
    CHECK(r2.state->latencySeconds("h2", "h1") == Approx(0.0007));
  }
  SECTION("unknown keys, including _comment, are ignored") {
    auto doc = baseDoc();
    doc["_comment"] = "hello";
    doc["future"] = {1, 2, 3};
    doc["hosts"][0]["rack"] = 7;
    CHECK(errorsOf(doc).empty());
  }
  SECTION("optional host extras") {
    auto doc = baseDoc();
    doc["hosts"][0]["mac"] = "00:00:00:00:00:01";
    doc["hosts"][0]["labels"] = {{"zone", "a"}};
    auto r2 = loadStateJson(doc.dump(), "x.json");
    REQUIRE(r2.state);
    CHECK(r2.state->hosts()[0].mac == "00:00:00:00:00:01");
    CHECK(r2.state->hosts()[0].labels.at("zone") == "a");
    CHECK(r2.state->hosts()[1].mac.empty());
  }
  SECTION("an empty object is an empty network") {
    auto r2 = loadStateJson("{}", "x.json");
    REQUIRE(r2.state);
    CHECK(r2.state->hosts().empty());
    CHECK(r2.state->sampleTimes().empty());
    CHECK(r2.state->now() == 0);
  }
}

TEST_CASE("sample times and now", "[lang][state]") {
  auto doc = baseDoc();
  doc["port_stats"] = json::array();
  for (double t : {30.0, 10.0, 20.0})
    doc["port_stats"].push_back(
        {{"switch", "s1"}, {"port", 1}, {"rx_bps", t}, {"tx_bps", 0}, {"t", t}});
  doc["switch_stats"][0]["t"] = 25;
  auto r = loadStateJson(doc.dump(), "x.json");
  REQUIRE(r.state);
  const auto& s = *r.state;
  CHECK(std::vector<double>(s.sampleTimes().begin(), s.sampleTimes().end()) ==
        std::vector<double>{10, 20, 25, 30});
  CHECK(s.now() == 30);
  const auto samples = s.portSamples(0, 1);
  REQUIRE(samples.size() == 3);
  CHECK(samples[0].t == 10);
  CHECK(samples[0].rxBps == 10);
  CHECK(samples[2].t == 30);
}

TEST_CASE("samples without t", "[lang][state]") {
  auto doc = baseDoc();
  doc["port_stats"] = json::array();
  doc["switch_stats"] = json::array();
  auto port = [](const char* sw, int p, double rx) {
    return json{{"switch", sw}, {"port", p}, {"rx_bps", rx}, {"tx_bps", 0}};
  };
  auto sws = [](const char* sw, double pps) {
    return json{{"switch", sw}, {"packets_per_s", pps}, {"bytes_per_s", 0}, {"flows", 1}};
  };

  SECTION("take the newest t in the file, several of one port spaced 1 s apart") {
    doc["port_stats"].push_back(port("s1", 1, 1));
    doc["port_stats"].push_back(port("s1", 2, 5));
    doc["port_stats"].push_back(port("s1", 1, 2));
    doc["port_stats"].push_back(port("s1", 1, 3));
    auto timed = port("s2", 1, 9);
    timed["t"] = 100;
    doc["port_stats"].push_back(timed);
    doc["switch_stats"].push_back(sws("s1", 1));
    doc["switch_stats"].push_back(sws("s1", 2));
    doc["switch_stats"].push_back(sws("s2", 3));
    auto timedSwitch = sws("s2", 4);
    timedSwitch["t"] = 50;
    doc["switch_stats"].push_back(timedSwitch);

    auto r = loadStateJson(doc.dump(), "x.json");
    REQUIRE(r.state);
    const auto& s = *r.state;
    const auto p1 = s.portSamples(0, 1);
    REQUIRE(p1.size() == 3);
    CHECK(p1[0].t == 98);  // listed order, ending at the newest t
    CHECK(p1[0].rxBps == 1);
    CHECK(p1[1].t == 99);
    CHECK(p1[2].t == 100);
    CHECK(p1[2].rxBps == 3);
    REQUIRE(s.portSamples(0, 2).size() == 1);
    CHECK(s.portSamples(0, 2)[0].t == 100);
    const auto sw1 = s.switchSamples(0);
    REQUIRE(sw1.size() == 2);
    CHECK(sw1[0].t == 99);
    CHECK(sw1[1].t == 100);
    const auto sw2 = s.switchSamples(1);
    REQUIRE(sw2.size() == 2);
    CHECK(sw2[0].t == 50);
    CHECK(sw2[1].t == 100);
    CHECK(s.now() == 100);
  }
  SECTION("end at 0 when no sample has a t") {
    doc["port_stats"].push_back(port("s1", 1, 1));
    doc["port_stats"].push_back(port("s1", 1, 2));
    doc["switch_stats"].push_back(sws("s1", 1));
    auto r = loadStateJson(doc.dump(), "x.json");
    REQUIRE(r.state);
    const auto p1 = r.state->portSamples(0, 1);
    REQUIRE(p1.size() == 2);
    CHECK(p1[0].t == -1);
    CHECK(p1[1].t == 0);
    CHECK(r.state->switchSamples(0)[0].t == 0);
    CHECK(r.state->now() == 0);
  }
}

TEST_CASE("missing keys and wrong types", "[lang][state]") {
  auto doc = baseDoc();
  SECTION("missing required key") {
    doc["hosts"][0].erase("switch");
    CHECK(errorsOf(doc) == Messages{R"(hosts[0]: missing required key "switch")"});
  }
  SECTION("every required key") {
    doc["switches"][1] = json::object();
    doc["links"][0] = json::object();
    doc["port_stats"][0] = {{"t", 1}};
    // doc.dump() writes keys in alphabetical order, and errors come in file order.
    CHECK(errorsOf(doc) == Messages{
                               // s2 lost its name, so h2 is on an unknown switch.
                               R"(hosts[1].switch: unknown switch "s2")",
                               R"(links[0]: missing required key "src")",
                               R"(links[0]: missing required key "src_port")",
                               R"(links[0]: missing required key "dst")",
                               R"(links[0]: missing required key "dst_port")",
                               R"(links[0]: missing required key "capacity_bps")",
                               R"(port_stats[0]: missing required key "switch")",
                               R"(port_stats[0]: missing required key "port")",
                               R"(port_stats[0]: missing required key "rx_bps")",
                               R"(port_stats[0]: missing required key "tx_bps")",
                               R"(switches[1]: missing required key "name")",
                           });
  }
  SECTION("a broken field is reported once, not again as a dangling reference") {
    doc["hosts"][0].erase("switch");
    doc["hosts"][0]["port"] = "one";
    doc["containers"][0]["host"] = 5;
    CHECK(errorsOf(doc) == Messages{
                               R"(containers[0].host: expected a string, got number)",
                               R"(hosts[0]: missing required key "switch")",
                               R"(hosts[0].port: expected an integer, got string)",
                           });
  }
  SECTION("wrong JSON types") {
    doc["switches"][0]["name"] = 1;
    doc["switches"][1]["dpid"] = false;
    doc["hosts"][1]["capacity_bps"] = "100M";
    doc["hosts"][1]["labels"] = json::array();
    doc["containers"][0]["labels"] = {{"app", 3}, {"ok", "yes"}};
    doc["port_stats"][0]["t"] = "now";
    doc["latency"][0]["ms"] = nullptr;
    // s1 has no readable name any more, so references to it dangle.
    CHECK(errorsOf(doc) == Messages{
                               R"(containers[0].labels.app: expected a string, got number)",
                               R"(hosts[0].switch: unknown switch "s1")",
                               R"(hosts[1].capacity_bps: expected a number, got string)",
                               R"(hosts[1].labels: expected an object, got array)",
                               R"(latency[0].ms: expected a number, got null)",
                               R"(links[0].src: unknown switch "s1")",
                               R"(port_stats[0].t: expected a number, got string)",
                               R"(port_stats[0].switch: unknown switch "s1")",
                               R"(switch_stats[0].switch: unknown switch "s1")",
                               R"(switches[0].name: expected a string, got number)",
                               R"(switches[1].dpid: expected a string, got boolean)",
                           });
  }
  SECTION("integers") {
    doc["hosts"][0]["port"] = 1.5;
    doc["hosts"][1]["port"] = 3.0;  // integral: fine
    doc["links"][0]["src_port"] = 4294967296LL;
    doc["links"][0]["dst_port"] = -4294967296LL;
    CHECK(errorsOf(doc) == Messages{
                               R"(hosts[0].port: expected an integer, got 1.5)",
                               R"(links[0].src_port: 4294967296 is out of range)",
                               R"(links[0].dst_port: -4294967296 is out of range)",
                           });
  }
  SECTION("an element that is not an object") {
    doc["containers"][0] = "c1";
    CHECK(errorsOf(doc) == Messages{R"(containers[0]: expected an object, got string)"});
  }
  SECTION("a top-level key that is not an array") {
    doc["links"] = json::object();
    CHECK(errorsOf(doc) == Messages{R"(links: expected an array, got object)"});
  }
  SECTION("the top level must be an object") {
    auto r = loadStateJson("\n  [1, 2]", "x.json");
    CHECK_FALSE(r.state);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "the top level must be a JSON object, got array");
    CHECK(r.diagnostics[0].location.line == 2);
    CHECK(r.diagnostics[0].location.column == 3);
  }
}

TEST_CASE("values out of range", "[lang][state]") {
  auto doc = baseDoc();
  doc["hosts"][0]["capacity_bps"] = -1;
  doc["hosts"][1]["port"] = -3;
  doc["links"][0]["capacity_bps"] = -2.5;
  doc["port_stats"][0]["rx_bps"] = -1;
  doc["port_stats"][0]["tx_bps"] = -2;
  doc["switch_stats"][0]["packets_per_s"] = -1;
  doc["switch_stats"][0]["bytes_per_s"] = -1;
  doc["switch_stats"][0]["flows"] = -1;
  doc["latency"][0]["ms"] = -0.5;
  CHECK(errorsOf(doc) == Messages{
                             R"(hosts[0].capacity_bps: must not be negative, got -1)",
                             R"(hosts[1].port: must not be negative, got -3)",
                             R"(latency[0].ms: must not be negative, got -0.5)",
                             R"(links[0].capacity_bps: must not be negative, got -2.5)",
                             R"(port_stats[0].rx_bps: must not be negative, got -1)",
                             R"(port_stats[0].tx_bps: must not be negative, got -2)",
                             R"(switch_stats[0].packets_per_s: must not be negative, got -1)",
                             R"(switch_stats[0].bytes_per_s: must not be negative, got -1)",
                             R"(switch_stats[0].flows: must not be negative, got -1)",
                         });
  SECTION("a number too large for a double") {
    auto r = loadStateJson(R"({"hosts": [], "x": 1e999})", "x.json");
    CHECK_FALSE(r.state);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message.find("1e999") != std::string::npos);
    CHECK(r.diagnostics[0].location.column == 20);
  }
}

TEST_CASE("duplicate names and ports", "[lang][state]") {
  auto doc = baseDoc();
  SECTION("switches") {
    doc["switches"][1]["name"] = "s1";
    CHECK(errorsOf(doc) ==
          Messages{
              // The second s1 replaces s2, which h2 and the link name.
              R"(hosts[1].switch: unknown switch "s2")",
              R"(links[0].dst: unknown switch "s2")",
              R"(switches[1].name: duplicate name "s1" (already used by switches[0]))",
          });
  }
  SECTION("hosts, and hosts named like switches") {
    doc["hosts"].push_back(
        {{"name", "h1"}, {"ip", "10.0.0.3"}, {"switch", "s1"}, {"port", 5}, {"capacity_bps", 1}});
    doc["hosts"].push_back(
        {{"name", "s2"}, {"ip", "10.0.0.4"}, {"switch", "s1"}, {"port", 6}, {"capacity_bps", 1}});
    CHECK(errorsOf(doc) ==
          Messages{
              R"(hosts[2].name: duplicate name "h1" (already used by hosts[0]))",
              R"(hosts[3].name: duplicate name "s2" (already used by switches[1]))",
          });
  }
  SECTION("containers") {
    doc["containers"].push_back({{"name", "c1"}, {"host", "h2"}, {"image", "x"}});
    CHECK(errorsOf(doc) ==
          Messages{R"(containers[1].name: duplicate name "c1" (already used by containers[0]))"});
  }
  SECTION("dpids") {
    doc["switches"][1]["dpid"] = "0000000000000001";
    doc["switches"].push_back({{"name", "s3"}, {"dpid", "1"}});
    CHECK(
        errorsOf(doc) ==
        Messages{
            R"(switches[1].dpid: duplicate dpid "0000000000000001" (already used by switches[0]))",
            R"(switches[2].dpid: expected 16 hexadecimal digits, got "1")",
        });
  }
  SECTION("a switch port carries one link") {
    doc["hosts"][1]["switch"] = "s1";  // port 1 of s1, like h1
    doc["links"].push_back(
        {{"src", "s2"}, {"src_port", 3}, {"dst", "s1"}, {"dst_port", 2}, {"capacity_bps", 1}});
    CHECK(errorsOf(doc) ==
          Messages{
              R"(hosts[1].port: port 1 of switch "s1" is already used by hosts[0])",
              R"(links[1].dst_port: port 2 of switch "s1" is already used by links[0])",
          });
  }
  SECTION("empty names") {
    doc["switches"][1]["name"] = "";
    doc["hosts"][1]["ip"] = "";
    CHECK(errorsOf(doc) == Messages{
                               "hosts[1].ip: must not be empty",
                               R"(hosts[1].switch: unknown switch "s2")",
                               R"(links[0].dst: unknown switch "s2")",
                               "switches[1].name: must not be empty",
                           });
  }
}

TEST_CASE("dangling references", "[lang][state]") {
  auto doc = baseDoc();
  doc["links"].push_back(
      {{"src", "s2"}, {"src_port", 3}, {"dst", "s9"}, {"dst_port", 1}, {"capacity_bps", 1}});
  doc["links"].push_back(
      {{"src", "s8"}, {"src_port", 1}, {"dst", "s1"}, {"dst_port", 3}, {"capacity_bps", 1}});
  doc["hosts"][1]["switch"] = "s7";
  doc["containers"][0]["host"] = "h9";
  doc["port_stats"][0]["switch"] = "s6";
  doc["switch_stats"][0]["switch"] = "s5";
  doc["latency"][0]["src"] = "h3";
  doc["latency"][0]["dst"] = "h4";
  CHECK(errorsOf(doc) == Messages{
                             R"(containers[0].host: unknown host "h9")",
                             R"(hosts[1].switch: unknown switch "s7")",
                             R"(latency[0].src: unknown host "h3")",
                             R"(latency[0].dst: unknown host "h4")",
                             R"(links[1].dst: unknown switch "s9")",
                             R"(links[2].src: unknown switch "s8")",
                             R"(port_stats[0].switch: unknown switch "s6")",
                             R"(switch_stats[0].switch: unknown switch "s5")",
                         });
}

TEST_CASE("diagnostic locations", "[lang][state]") {
  SECTION("semantic errors point at the start of their array element") {
    const std::string text =
        "{\n"
        "  \"switches\": [\n"
        "    {\"name\": \"s1\"},\n"
        "      {\"name\": \"s1\"}\n"
        "  ],\n"
        "  \"hosts\": [{\"name\": \"h1\", \"ip\": \"a\", \"switch\": \"s9\", \"port\": 1,\n"
        "             \"capacity_bps\": 1}]\n"
        "}\n";
    auto r = loadStateJson(text, "f.json");
    REQUIRE(r.diagnostics.size() == 2);
    CHECK(r.diagnostics[0].message ==
          R"(switches[1].name: duplicate name "s1" (already used by switches[0]))");
    CHECK(r.diagnostics[0].location.line == 4);
    CHECK(r.diagnostics[0].location.column == 7);
    CHECK(r.diagnostics[1].message == R"(hosts[0].switch: unknown switch "s9")");
    CHECK(r.diagnostics[1].location.line == 6);
    CHECK(r.diagnostics[1].location.column == 13);
    CHECK(formatHeadline(r.diagnostics[1]) ==
          R"(f.json:6:13: error: hosts[0].switch: unknown switch "s9")");
  }
  SECTION("errors are ordered by where they are in the file") {
    const std::string text = R"({"latency": [{"src": "x", "dst": "h1", "ms": 1}],
      "hosts": [{"name": "h1", "ip": "a", "switch": "s1", "port": 1, "capacity_bps": 1}],
      "switches": [{"name": "s1"}, {"name": 2}]})";
    CHECK(messagesOf(loadStateJson(text, "f.json")) ==
          Messages{R"(latency[0].src: unknown host "x")",
                   R"(switches[1].name: expected a string, got number)"});
  }
  SECTION("a non-array top-level value points at the value") {
    auto r = loadStateJson("{\"_comment\": \"[{\\\"\",\n \"hosts\": 5}", "f.json");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].message == "hosts: expected an array, got number");
    CHECK(r.diagnostics[0].location.line == 2);
    CHECK(r.diagnostics[0].location.column == 11);
  }
  SECTION("JSON syntax errors point at the offending character") {
    const std::string text = "{\n  \"hosts\": [\n    {\"name\": \"h1\",, }\n  ]\n}\n";
    auto r = loadStateJson(text, "f.json");
    CHECK_FALSE(r.state);
    REQUIRE(r.diagnostics.size() == 1);
    const auto& d = r.diagnostics[0];
    CHECK(d.code == "state_error");
    CHECK(d.message.rfind("invalid JSON: syntax error", 0) == 0);
    CHECK(d.message.find("[json.exception") == std::string::npos);
    CHECK(d.location.line == 3);
    CHECK(d.location.column == 19);
    CHECK(d.location.offset == text.find(",,") + 1);
  }
  SECTION("truncated input") {
    auto r = loadStateJson("{\"hosts\": [", "f.json");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].location.line == 1);
    CHECK(r.diagnostics[0].location.column == 12);
  }
  SECTION("an unreadable file") {
    auto r = loadStateFile("/nonexistent/state.json");
    CHECK_FALSE(r.state);
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].code == "state_error");
    CHECK(r.diagnostics[0].message ==
          R"(cannot read "/nonexistent/state.json": No such file or directory)");
    CHECK(r.diagnostics[0].file == "/nonexistent/state.json");
  }
}

TEST_CASE("validateNetworkData checks data built in code", "[lang][state]") {
  NetworkData d;
  d.switches.push_back({"s1", ""});
  d.hosts.push_back({"h1", "10.0.0.1", "", "s2", 1, 1e6, {}});
  d.containers.push_back({"c", "h2", "img", {}});
  d.latencies.push_back({"h1", "h1", -0.001});
  const auto ds = validateNetworkData(d, "gen");
  std::vector<std::string> messages;
  for (const auto& x : ds) {
    messages.push_back(x.message);
    CHECK(x.code == "state_error");
    CHECK(x.file == "gen");
  }
  CHECK(messages == Messages{R"(hosts[0].switch: unknown switch "s2")",
                             R"(containers[0].host: unknown host "h2")",
                             R"(latency[0].ms: must not be negative, got -1)"});
  SECTION("names that are not UTF-8 are quoted, not thrown about") {
    d.hosts[0].switchName = std::string(1, static_cast<char>(0xff));
    std::size_t n = 0;
    CHECK_NOTHROW(n = validateNetworkData(d, "gen").size());
    CHECK(n == 3);
  }
}

TEST_CASE("stateToJson round-trips", "[lang][state]") {
  SECTION("the paper's state") {
    auto r = loadStateFile(examplePath("paper-heterogeneous.json"));
    REQUIRE(r.state);
    const json first = stateToJson(*r.state);
    CHECK(first["port_stats"].size() == r.state->data().portSamples.size());
    CHECK(first["switch_stats"].size() == r.state->data().switchSamples.size());
    CHECK(first["latency"].size() == 10);
    CHECK(first["hosts"][0]["mac"] == "00:00:00:00:00:01");
    CHECK(first["containers"][1]["labels"]["role"] == "server");
    CHECK(first["latency"][0]["ms"] == 0.6);
    auto again = loadStateJson(first.dump(2), "again.json");
    REQUIRE(again.state);
    CHECK(stateToJson(*again.state) == first);
    CHECK(again.state->now() == r.state->now());
  }
  SECTION("samples of unconnected ports and t-less samples are kept") {
    auto doc = baseDoc();
    doc["port_stats"].push_back({{"switch", "s2"}, {"port", 42}, {"rx_bps", 1}, {"tx_bps", 1}});
    auto r = loadStateJson(doc.dump(), "x.json");
    REQUIRE(r.state);
    const json out = stateToJson(*r.state);
    REQUIRE(out["port_stats"].size() == 2);
    CHECK(out["port_stats"][1]["port"] == 42);
    CHECK(out["port_stats"][1]["t"] == 10);
    CHECK(out["switches"][1]["dpid"] == "0000000000000002");
    auto again = loadStateJson(out.dump(), "again.json");
    REQUIRE(again.state);
    CHECK(stateToJson(*again.state) == out);
  }
  SECTION("a synthetic network") {
    InMemoryState s(makeSyntheticNetwork(100, 7));
    const json first = stateToJson(s);
    auto again = loadStateJson(first.dump(), "again.json");
    REQUIRE(again.diagnostics.empty());
    REQUIRE(again.state);
    CHECK(stateToJson(*again.state) == first);
  }
}

TEST_CASE("synthetic networks", "[lang][state]") {
  SECTION("small networks are valid and shaped as documented") {
    for (int hosts : {1, 24, 25, 384, 385, 1000}) {
      const auto d = makeSyntheticNetwork(hosts, 1);
      INFO(hosts);
      CHECK(validateNetworkData(d, "gen").empty());
      CHECK(d.hosts.size() == static_cast<std::size_t>(hosts));
      const std::size_t leaves = (static_cast<std::size_t>(hosts) + 23) / 24;
      const std::size_t spines = (leaves + 15) / 16;
      CHECK(d.switches.size() == leaves + spines + (spines > 1 ? 1 : 0));
      CHECK(d.links.size() == leaves + (spines > 1 ? spines : 0));
    }
    CHECK(makeSyntheticNetwork(0, 1).hosts.empty());
  }
  SECTION("reproducible from the seed") {
    InMemoryState a(makeSyntheticNetwork(200, 42));
    InMemoryState b(makeSyntheticNetwork(200, 42));
    InMemoryState c(makeSyntheticNetwork(200, 43));
    CHECK(stateToJson(a) == stateToJson(b));
    CHECK(stateToJson(a) != stateToJson(c));
  }
  SECTION("10,000 hosts build quickly and are all connected") {
    const auto start = std::chrono::steady_clock::now();
    InMemoryState s(makeSyntheticNetwork(10000, 2024));
    const auto& topo = s.topology();
    const int from = topo.hostNode(0);
    int reached = 0;
    for (int h = 0; h < topo.hostCount(); ++h)
      if (topo.path(from, topo.hostNode(h))) ++reached;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CHECK(reached == 10000);
    CHECK(seconds < 1.0);

    CHECK(s.containers().size() > 2500);
    CHECK(s.containers().size() < 3500);
    CHECK(s.sampleTimes().size() == 3);
    CHECK(s.latencySeconds("h1", "h10000").has_value());
    CHECK(s.latencySeconds("h9999", "h10").has_value());
    CHECK_FALSE(s.latencySeconds("h500", "h501").has_value());
    // Host port and both ends of its leaf's uplink are sampled.
    CHECK(s.portSamples(s.switchIndex("leaf1"), 1).size() == 3);
    CHECK(s.portSamples(s.switchIndex("leaf1"), 25).size() == 3);
    CHECK(s.portSamples(s.switchIndex("spine1"), 1).size() == 3);

    // Any two hosts: through the core at most 5 switches.
    for (int a : {17, 4000, 9999})
      for (int b : {0, 23, 24, 383, 384, 6001}) {
        auto p = topo.path(topo.hostNode(a), topo.hostNode(b));
        REQUIRE(p);
        CHECK(p->size() <= 6);
      }
  }
}
