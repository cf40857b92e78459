// HOST:PORT as agents, the client and the command line write addresses.

#include <string>

#include <catch2/catch.hpp>

#include "agent/transport/host_port.hpp"

using namespace roam::agent;

TEST_CASE("agent options: HOST:PORT", "[agent]") {
  auto ok = [](const std::string& text) { return parseHostPort(text).value(); };
  CHECK(ok("10.0.0.1:7070").host == "10.0.0.1");
  CHECK(ok("10.0.0.1:7070").port == 7070);
  CHECK(ok("[::1]:80").host == "::1");
  CHECK(ok("h1:0").port == 0);
  for (const char* bad : {"10.0.0.1", ":80", "h:", "h:65536", "h:8x", "h:-1"}) {
    auto parsed = parseHostPort(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == roam::ErrorCode::BadInput);
  }
  CHECK(parseHostPort("h").error().message == "expected HOST:PORT, got 'h'");
  CHECK(parseHostPort("h:8x").error().message == "invalid port in 'h:8x' (expected 0-65535)");
}
