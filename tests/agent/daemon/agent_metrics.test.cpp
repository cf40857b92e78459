// The agent's metrics (docs/metrics.md), counted by real agents: a migration
// between two of them (fake Docker engines), connections, a peer refused in
// the TLS handshake; and its /metrics endpoint checked by promtool.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "agent/daemon/agent_metrics.hpp"
#include "agent/migration_harness.hpp"
#include "common/http/metrics_endpoint.hpp"
#include "http_client.hpp"
#include "metrics_text.hpp"
#include "seeded_bytes.hpp"

using roamtest::MigrationHarness;
using roamtest::sample;

namespace {

void runContainer(roamtest::DockerEngineModel& engine) {
  const auto noise = roamtest::seededBytes(20000, 3);
  engine.addImage("roam/busybox:1", {{"bin/busybox", std::string(noise.begin(), noise.end())}});
  engine.runContainer("web", "roam/busybox:1", {},
                      {{"Cmd", {"httpd", "-f"}}, {"HostConfig", {{"NetworkMode", "host"}}}});
}

// Waits up to two seconds for SERIES to reach WANT (the agent counts on its
// own thread).
bool reaches(const roam::metrics::Registry& registry, const std::string& series, double want) {
  for (int i = 0; i < 200; ++i) {
    if (sample(registry, series) == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Connects to ADDRESS (127.0.0.1:PORT) over plain TCP, says something that
// is not TLS and waits for the agent to hang up.
void notTls(const std::string& address) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port =
      htons(static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1))));
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  const char hello[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::write(fd, hello, sizeof hello - 1) > 0);
  char buf[256];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
  ::close(fd);
}

}  // namespace

TEST_CASE("agent metrics: a migration, its connections and a refused peer", "[agent][metrics]") {
  // The metrics outlive the harness: its agents count into them until they stop.
  roam::metrics::Registry sourceRegistry, destinationRegistry;
  roam::agent::AgentMetrics sourceMetrics(sourceRegistry), destinationMetrics(destinationRegistry);
  MigrationHarness h;
  h.source.metrics = &sourceMetrics;
  h.destination.metrics = &destinationMetrics;
  runContainer(h.source.engine);
  h.start();

  auto m = h.migrate("web");
  INFO(m.result() << "\n" << h.logs());
  REQUIRE(m.succeeded());
  CHECK(reaches(sourceRegistry, "roam_agent_migrations_total{role=\"source\",result=\"success\"}",
                1));
  CHECK(reaches(destinationRegistry,
                "roam_agent_migrations_total{role=\"destination\",result=\"success\"}", 1));
  CHECK(sample(sourceRegistry, "roam_agent_migrations_total{role=\"source\",result=\"failure\"}") ==
        0);
  CHECK(sample(sourceRegistry, "roam_agent_migrations_in_flight{role=\"source\"}") == 0);
  CHECK(sample(destinationRegistry, "roam_agent_migrations_in_flight{role=\"destination\"}") == 0);
  // The client's connection to the source; the source's to the destination.
  CHECK(sample(sourceRegistry, "roam_agent_connections_total") >= 1);
  CHECK(sample(destinationRegistry, "roam_agent_connections_total") >= 1);
  CHECK(sample(sourceRegistry, "roam_agent_tls_refused_total") == 0);

  notTls(h.source.address);
  CHECK(reaches(sourceRegistry, "roam_agent_tls_refused_total", 1));
  CHECK(reaches(sourceRegistry, "roam_agent_open_connections", 0));
  CHECK(sample(sourceRegistry, "roam_build_info{version=\"0.1.0\"}") == 1);
}

TEST_CASE("agent metrics: a failed migration as the source", "[agent][metrics]") {
  roam::metrics::Registry registry;
  roam::agent::AgentMetrics metrics(registry);
  MigrationHarness h;
  h.source.metrics = &metrics;
  h.start();
  auto m = h.migrate("no-such-container");
  CHECK_FALSE(m.succeeded());
  CHECK(reaches(registry, "roam_agent_migrations_total{role=\"source\",result=\"failure\"}", 1));
  CHECK(sample(registry, "roam_agent_migrations_in_flight{role=\"source\"}") == 0);
}

TEST_CASE("agent metrics: /metrics over HTTP passes promtool check metrics", "[agent][metrics]") {
  roam::metrics::Registry registry;
  roam::agent::AgentMetrics metrics(registry);
  MigrationHarness h;
  h.source.metrics = &metrics;
  runContainer(h.source.engine);
  h.start();
  REQUIRE(h.migrate("web").succeeded());
  // The client may hear DONE before the source's thread has counted it.
  REQUIRE(reaches(registry, "roam_agent_migrations_total{role=\"source\",result=\"success\"}", 1));
  auto server = roam::http::serveMetrics("127.0.0.1:0", registry);
  REQUIRE(server.ok());

  // What a scraper gets, fetched over the socket with libcurl.
  auto reply = roamtest::httpRequest("http://" + (*server)->boundAddress() + "/metrics");
  REQUIRE(reply.code == CURLE_OK);
  CHECK(reply.contentType == "text/plain; version=0.0.4; charset=utf-8");
  const std::string& body = reply.body;

  CHECK(body.find("roam_agent_migrations_total{role=\"source\",result=\"success\"} 1\n") !=
        std::string::npos);
  auto checked = roamtest::promtoolCheck(body);
  INFO(body << "\n" << checked.output);
  CHECK(checked.status == 0);
  CHECK(checked.output.empty());
}
