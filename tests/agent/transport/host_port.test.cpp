// HOST:PORT as agents, the client and the command line write addresses.

#include <string>
#include <variant>

#include <catch2/catch.hpp>

#include "agent/transport/host_port.hpp"

using namespace roam::agent;

TEST_CASE("agent options: HOST:PORT", "[agent]") {
  auto ok = [](const std::string& text) { return std::get<HostPort>(parseHostPort(text)); };
  CHECK(ok("10.0.0.1:7070").host == "10.0.0.1");
  CHECK(ok("10.0.0.1:7070").port == 7070);
  CHECK(ok("[::1]:80").host == "::1");
  CHECK(ok("h1:0").port == 0);
  for (const char* bad : {"10.0.0.1", ":80", "h:", "h:65536", "h:8x", "h:-1"})
    CHECK(std::holds_alternative<std::string>(parseHostPort(bad)));
}
