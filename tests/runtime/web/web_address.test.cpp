// --web's address: loopback by default, the TLS rule's loopback test, and
// the certificates a non-loopback address needs.

#include <catch2/catch.hpp>

#include "file_text.hpp"
#include "runtime/web/web_address.hpp"
#include "temp_dir.hpp"

using roam::runtime::parseWebAddress;

TEST_CASE("web address: PORT is loopback; ADDR:PORT as given", "[web]") {
  struct Row {
    std::string text, host;
    int port;
    bool loopback;
    std::string hostPort;
  };
  for (const auto& r : std::vector<Row>{
           {"8470", "127.0.0.1", 8470, true, "127.0.0.1:8470"},
           {"0", "127.0.0.1", 0, true, "127.0.0.1:0"},
           {"127.0.0.1:8470", "127.0.0.1", 8470, true, "127.0.0.1:8470"},
           {"127.1.2.3:1", "127.1.2.3", 1, true, "127.1.2.3:1"},
           {"localhost:80", "127.0.0.1", 80, true, "127.0.0.1:80"},
           {"[::1]:8470", "::1", 8470, true, "[::1]:8470"},
           {"0.0.0.0:8470", "0.0.0.0", 8470, false, "0.0.0.0:8470"},
           {"192.168.77.254:8470", "192.168.77.254", 8470, false, "192.168.77.254:8470"},
           {"[::]:8470", "::", 8470, false, "[::]:8470"},
       }) {
    INFO(r.text);
    auto a = parseWebAddress(r.text);
    REQUIRE(a.ok());
    CHECK(a->listen.host == r.host);
    CHECK(a->listen.port == r.port);
    CHECK(a->loopback == r.loopback);
    CHECK(a->hostPort() == r.hostPort);
  }
  for (const std::string bad : {"", "x", ":80", "host:", "host:80", "1.2.3.4:65536", "::1:80",
                                "[::1]", "[nope]:80", "-1", "70000"}) {
    INFO(bad);
    auto a = parseWebAddress(bad);
    REQUIRE_FALSE(a.ok());
    CHECK(a.error().message.find("--web expects PORT or ADDR:PORT, got '" + bad + "': expected") ==
          0);
  }
}

TEST_CASE("web address: a non-loopback address needs the manager's certificates", "[web]") {
  roamtest::TempDir dir("roam-web-certs");
  auto a = parseWebAddress("0.0.0.0:8470");
  REQUIRE(a.ok());
  auto refused = roam::runtime::checkWebCertificates(*a, dir.path, "manager");
  REQUIRE_FALSE(refused.ok());
  const auto& message = refused.error().message;
  CHECK(message.find("not a loopback address") != std::string::npos);
  CHECK(message.find("mutual TLS") != std::string::npos);
  CHECK(message.find((dir.path / "ca.crt").string()) != std::string::npos);
  CHECK(message.find((dir.path / "manager.key").string()) != std::string::npos);
  for (const char* f : {"ca.crt", "manager.crt", "manager.key"})
    roamtest::writeText(dir.path / f, "x");
  CHECK(roam::runtime::checkWebCertificates(*a, dir.path, "manager").ok());
  CHECK_FALSE(roam::runtime::checkWebCertificates(*a, dir.path, "other").ok());
}
