// DockerClient without an engine: URL parsing, escaping and a clean error
// (not a crash, not an exception) when the socket is missing.

#include <catch2/catch.hpp>

#include "agent/docker/docker_client.hpp"

using roam::agent::DockerClient;

TEST_CASE("socketFromUrl accepts unix:// URLs with an absolute path only", "[agent]") {
  CHECK(DockerClient::socketFromUrl("unix:///run/docker.sock") == "/run/docker.sock");
  CHECK(DockerClient::socketFromUrl("unix:///run/roam-engines/h1/docker.sock") ==
        "/run/roam-engines/h1/docker.sock");
  CHECK_FALSE(DockerClient::socketFromUrl("unix://"));
  CHECK_FALSE(DockerClient::socketFromUrl("unix://relative.sock"));
  CHECK_FALSE(DockerClient::socketFromUrl("tcp://127.0.0.1:2375"));
  CHECK_FALSE(DockerClient::socketFromUrl("/run/docker.sock"));
  CHECK_FALSE(DockerClient::socketFromUrl(""));
}

TEST_CASE("escape keeps unreserved characters and percent-encodes the rest", "[agent]") {
  CHECK(DockerClient::escape("web-1_a.b~") == "web-1_a.b~");
  CHECK(DockerClient::escape("roam/busybox:1") == "roam%2Fbusybox%3A1");
  CHECK(DockerClient::escape("a b&c=d?") == "a%20b%26c%3Dd%3F");
  CHECK(DockerClient::escape("{\"type\":[\"container\"]}") ==
        "%7B%22type%22%3A%5B%22container%22%5D%7D");
}

TEST_CASE("a missing socket gives a clean one-line error", "[agent]") {
  DockerClient client("/nonexistent/roam-test/docker.sock");
  CHECK(client.socketPath() == "/nonexistent/roam-test/docker.sock");

  auto v = client.version();
  CHECK_FALSE(v.ok());
  CHECK(v.status == 0);
  CHECK(v.body.is_null());
  CHECK_THAT(v.error, Catch::Contains("/nonexistent/roam-test/docker.sock"));
  CHECK(v.error.find('\n') == std::string::npos);

  auto i = client.inspectContainer("web");
  CHECK_FALSE(i.ok());
  CHECK_THAT(i.error, Catch::Contains("inspect container web"));

  // Streaming calls fail the same way, without touching the sink or source.
  bool sinkCalled = false;
  auto s = client.saveImage("roam/busybox:1", [&](std::span<const std::uint8_t>) {
    sinkCalled = true;
    return true;
  });
  CHECK_FALSE(s.ok());
  CHECK_FALSE(sinkCalled);
  auto l =
      client.loadImage([](std::span<std::uint8_t>) -> std::optional<std::size_t> { return 0; });
  CHECK_FALSE(l.ok());
  auto e = client.events(0, 0, nullptr, [](const nlohmann::json&) { return true; });
  CHECK_FALSE(e.ok());
}
