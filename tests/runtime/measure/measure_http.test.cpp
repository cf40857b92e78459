// The HTTP client and both back-ends against a tiny in-process HTTP server on
// 127.0.0.1 (port 0), serving the fixture documents, garbage, errors and a
// slow answer. Floodlight cannot run on these machines, so its documents are
// the hand-written fixtures in its documented format (see
// measure_parse.test.cpp).

#include <catch2/catch.hpp>

#include <algorithm>

#include "http_test_server.hpp"
#include "test_util.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "runtime/measure/floodlight_backend.hpp"
#include "runtime/measure/http_client.hpp"
#include "runtime/measure/measurement_service.hpp"
#include "runtime/measure/ryu_backend.hpp"

using namespace roam::runtime;
using roam::test::fixture;

namespace {

using TestServer = roamtest::HttpTestServer;

// A port nobody listens on: bound, then closed.
int closedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

void serveRyuFixtures(TestServer& server) {
  for (const auto& [path, file] : std::map<std::string, std::string>{
           {"/stats/switches", "switches"},
           {"/stats/port/1", "port_1"},
           {"/stats/port/2", "port_2"},
           {"/stats/portdesc/1", "portdesc_1"},
           {"/stats/portdesc/2", "portdesc_2"},
           {"/stats/aggregateflow/1", "aggregateflow_1"},
           {"/v1.0/topology/switches", "topology_switches"},
           {"/v1.0/topology/links", "topology_links"},
           {"/v1.0/topology/hosts", "topology_hosts"},
       })
    server.route(path, {200, fixture("ryu/" + file + ".json")});
}

}  // namespace

TEST_CASE("measure: HTTP Ryu back-end over real HTTP", "[runtime][measure]") {
  TestServer server;
  serveRyuFixtures(server);
  server.route("/stats/port/3", {200, "<html>oops</html>"});
  server.route("/stats/aggregateflow/3", {200, "{\"3\": []}", 1.5});
  HttpOptions http;
  http.totalTimeoutSeconds = 0.3;
  RyuBackend ryu(server.url() + "/", http);

  auto switches = ryu.listSwitches();
  REQUIRE(switches);
  CHECK(*switches == std::vector<Dpid>{1, 2, 3});
  auto ports = ryu.portStats(1);
  REQUIRE(ports);
  CHECK(ports->size() == 2);
  auto desc = ryu.portDescriptions(2);
  REQUIRE(desc);
  CHECK(desc->size() == 3);
  auto agg = ryu.aggregate(1);
  REQUIRE(agg);
  CHECK(agg->flows == 7);
  auto topo = ryu.topology();
  REQUIRE(topo);
  CHECK(topo->switches.size() == 3);
  CHECK(topo->links.size() == 4);
  CHECK(topo->hosts.size() == 3);
  // Every request above went over one kept-alive connection.
  CHECK(server.connectionsAccepted() == 1);

  SECTION("HTTP errors name the request") {
    auto r = ryu.portStats(99);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FetchError::Kind::Http);
    CHECK(r.error().message() == "GET " + server.url() + "/stats/port/99: HTTP 404");
  }
  SECTION("garbage") {
    auto r = ryu.portStats(3);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FetchError::Kind::BadAnswer);
    CHECK(r.error().message() == "GET " + server.url() + "/stats/port/3: invalid JSON at byte 0");
  }
  SECTION("a slow answer times out") {
    auto started = std::chrono::steady_clock::now();
    auto r = ryu.aggregate(3);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == FetchError::Kind::Timeout);
    CHECK(r.error().message() ==
          "GET " + server.url() + "/stats/aggregateflow/3: timed out after 0.3 s");
    CHECK(took < 1.2);
    // The client is usable again afterwards.
    CHECK(ryu.aggregate(1));
  }
}

TEST_CASE("measure: HTTP requests in parallel: every answer reaches its own index",
          "[runtime][measure]") {
  TestServer server;
  for (int i = 0; i < 20; ++i) server.route("/n/" + std::to_string(i), {200, std::to_string(i)});
  server.route("/n/7", {200, "late", 0.2});  // answers after the ones behind it
  server.route("/n/13", {503, "busy"});
  server.route("/n/17", {200, "too late", 1.5});
  HttpOptions http;
  http.totalTimeoutSeconds = 0.5;
  HttpClient client(http);
  std::vector<std::string> urls;
  for (int i = 0; i < 20; ++i) urls.push_back(server.url() + "/n/" + std::to_string(i));

  for (int round = 0; round < 2; ++round) {  // the second round reuses the connections
    INFO("round " << round);
    std::vector<std::string> got(urls.size(), "<none>");
    std::vector<std::size_t> order;
    client.getEach(urls, 4, [&](std::size_t i, Result<HttpResponse> r) {
      CHECK(got[i] == "<none>");  // once per index
      got[i] = r ? r->body : r.error().message();
      order.push_back(i);
    });
    for (int i = 0; i < 20; ++i) {
      const std::string prefix = "GET " + urls[static_cast<std::size_t>(i)];
      if (i == 7)
        CHECK(got[7] == "late");
      else if (i == 13)
        CHECK(got[13] == prefix + ": HTTP 503");
      else if (i == 17)
        CHECK(got[17] == prefix + ": timed out after 0.5 s");
      else
        CHECK(got[static_cast<std::size_t>(i)] == std::to_string(i));
    }
    // Completion order, not request order: 7 waited while others finished.
    CHECK(std::find(order.begin(), order.end(), 7) > std::find(order.begin(), order.end(), 8));
  }
  // Four connections at most (one more when a timed-out one is replaced).
  CHECK(server.connectionsAccepted() <= 6);

  // The single-request path still works beside it.
  CHECK(client.get(urls[3]));
}

TEST_CASE("measure: HTTP Ryu port statistics of many switches at once", "[runtime][measure]") {
  TestServer server;
  serveRyuFixtures(server);
  server.route("/stats/port/3", {200, "<html>oops</html>"});
  RyuBackend ryu(server.url());
  const std::vector<Dpid> dpids = {2, 99, 1, 3};
  std::map<std::size_t, std::string> got;
  ryu.portStatsEach(dpids, [&](std::size_t i, Result<std::vector<PortStats>> r) {
    got[i] = r ? std::to_string(r->size()) + " ports" : r.error().message();
  });
  CHECK(got == std::map<std::size_t, std::string>{
                   {0, "3 ports"},  // port_2.json: s2 has three
                   {1, "GET " + server.url() + "/stats/port/99: HTTP 404"},
                   {2, "2 ports"},
                   {3, "GET " + server.url() + "/stats/port/3: invalid JSON at byte 0"},
               });
}

TEST_CASE("measure: HTTP connection refused", "[runtime][measure]") {
  const std::string url = "http://127.0.0.1:" + std::to_string(closedPort());
  HttpClient client;
  auto r = client.get(url + "/stats/port/1");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == FetchError::Kind::Connect);
  CHECK(r.error().message() == "GET " + url + "/stats/port/1: connection refused");

  const std::vector<std::string> urls = {url + "/a", url + "/b", url + "/c"};
  std::vector<std::string> got(3);
  client.getEach(urls, 2, [&](std::size_t i, Result<HttpResponse> each) {
    got[i] = each ? "answered" : each.error().message();
  });
  for (std::size_t i = 0; i < 3; ++i) CHECK(got[i] == "GET " + urls[i] + ": connection refused");
}

TEST_CASE("measure: HTTP Floodlight back-end over real HTTP", "[runtime][measure]") {
  TestServer server;
  server.route("/wm/statistics/config/enable/json",
               {200, fixture("floodlight/stats_enabled.json")});
  server.route("/wm/core/controller/switches/json", {200, fixture("floodlight/switches.json")});
  server.route("/wm/statistics/bandwidth/00:00:00:00:00:00:00:01/all/json",
               {200, fixture("floodlight/bandwidth_all.json")});
  server.route("/wm/statistics/bandwidth/00:00:00:00:00:00:00:09/all/json",
               {200, fixture("floodlight/error.json")});
  server.route("/wm/core/switch/00:00:00:00:00:00:00:01/aggregate/json",
               {200, fixture("floodlight/aggregate_snake.json")});
  server.route("/wm/topology/links/json", {200, fixture("floodlight/links.json")});
  server.route("/wm/device/", {200, fixture("floodlight/devices_wrapped.json")});
  FloodlightBackend fl(server.url());

  REQUIRE(fl.prepare());
  auto ports = fl.portStats(1);
  REQUIRE(ports);
  REQUIRE(ports->size() == 2);  // dpid 2's entry in the answer is not ours
  REQUIRE((*ports)[0].rates);
  CHECK((*ports)[0].rates->rxBps == 10624);
  auto desc = fl.portDescriptions(1);
  REQUIRE(desc);
  CHECK((*desc)[0].speedBps == 1e7);
  auto agg = fl.aggregate(1);
  REQUIRE(agg);
  CHECK(agg->bytes == 9800);
  auto topo = fl.topology();
  REQUIRE(topo);
  CHECK(topo->switches.size() == 3);
  CHECK(topo->links.size() == 2);
  CHECK(topo->hosts.size() == 2);
  auto gone = fl.portStats(9);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().reason == "controller says: Switch was not online: 00:00:00:00:00:00:00:09");
  auto lines = server.requestLines();
  REQUIRE_FALSE(lines.empty());
  CHECK(lines[0] == "POST /wm/statistics/config/enable/json");
}

TEST_CASE("measure: HTTP recorded counters give the rate iperf3 measured", "[runtime][measure]") {
  // port_1_t0 and port_1_t1 were recorded 5 s apart while iperf3 sent from h1
  // (on s1 port 1) to h2; recording.json says what iperf3 measured.
  struct Clock5 final : Clock {
    double now() const override { return t; }
    void sleepUntil(double until) override { t = std::max(t, until); }
    double t = 1'700'000'000;
  } clock;
  struct Sink final : MeasurementSink {
    void writeTopology(const TopologyView& v, double) override { topology = v; }
    void writePortSamples(std::span<const roam::lang::PortSampleRecord> s) override {
      samples.insert(samples.end(), s.begin(), s.end());
    }
    void writeSwitchSamples(std::span<const roam::lang::SwitchSampleRecord>) override {}
    void writeLatencies(std::span<const roam::lang::LatencyRecord>, double) override {}
    void writeStatus(const CollectorStatus&) override {}
    TopologyView topology;
    std::vector<roam::lang::PortSampleRecord> samples;
  } sink;

  auto recording = nlohmann::json::parse(fixture("ryu/recording.json"));
  auto file = parseTopologyFile(recording.at("topology").dump(), "recording.json");
  REQUIRE(file.file);

  TestServer server;
  serveRyuFixtures(server);
  server.route("/stats/port/1", {200, fixture("ryu/port_1_t0.json")});
  RyuBackend ryu(server.url());
  // The fake clock advances exactly as much as the wall clock did between
  // the two recorded requests.
  const double interval = recording.at("port_1_interval_s").get<double>();
  const double t0 = clock.t;
  MeasurementOptions options;
  options.bandwidthIntervalSeconds = interval;
  MeasurementService service(ryu, sink, clock, options, TopologyNaming(*file.file));
  service.runUntil(t0 + 0.5);
  server.route("/stats/port/1", {200, fixture("ryu/port_1_t1.json")});
  service.runUntil(t0 + interval + 0.5);

  REQUIRE(sink.topology.hosts.size() == 3);
  CHECK(sink.topology.switches[0].name == "s1");
  const roam::lang::PortSampleRecord* s1p1 = nullptr;
  for (const auto& s : sink.samples)
    if (s.switchName == "s1" && s.port == 1) s1p1 = &s;
  REQUIRE(s1p1);
  const double iperf = recording.at("iperf3_h1_to_h2_bps").get<double>();
  // Counters include headers; iperf3 reports payload: within 10%.
  CHECK(s1p1->sample.rxBps == Approx(iperf).epsilon(0.10));
}
