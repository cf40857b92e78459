// The admin socket: requests and replies, permissions, stale files, limits.

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include <catch2/catch.hpp>

#include "runtime/repl/admin_socket.hpp"
#include "runtime/repl/offline_backend.hpp"
#include "runtime/repl/repl_protocol.hpp"
#include "temp_dir.hpp"

namespace {

using roam::runtime::AdminClient;
using roam::runtime::AdminServer;

std::unique_ptr<roam::runtime::ReplBackend> paperBackend() {
  auto made = roam::runtime::makeStateBackend(
      std::string(ROAM_SOURCE_DIR) + "/examples/states/paper-heterogeneous.json", {});
  REQUIRE(made.ok());
  return std::move(*made);
}

// A raw connection, for sending what AdminClient never would.
int rawConnect(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

std::string readLine(int fd) {
  std::string out;
  char c;
  while (::read(fd, &c, 1) == 1 && c != '\n') out += c;
  return out;
}

}  // namespace

TEST_CASE("the admin socket answers REPL requests", "[repl]") {
  roamtest::TempDir dir("roam-admin");
  std::string path = (dir.path / "manager.sock").string();
  auto backend = paperBackend();
  auto server = AdminServer::listen(
      path, [&](const nlohmann::json& r) { return roam::runtime::answerReplRequest(*backend, r); });
  INFO(roam::errorText(server));
  REQUIRE(server.ok());
  REQUIRE((*server)->listening());

  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto connected = AdminClient::connect(path);
  REQUIRE(connected.ok());
  AdminClient& client = **connected;
  REQUIRE(client.connected());

  SECTION("execute") {
    auto reply = client.request({{"execute", "count(hosts)"}});
    REQUIRE(reply);
    CHECK((*reply)["ok"] == true);
    CHECK((*reply)["text"] == "5");
    CHECK((*reply)["json"]["value"] == 5);
    auto bad = client.request({{"execute", "count(hostz)"}});
    REQUIRE(bad);
    CHECK((*bad)["ok"] == false);
    CHECK((*bad)["text"].get<std::string>().rfind("<repl>:1:7: error:", 0) == 0);
  }
  SECTION("complete and describe") {
    auto reply = client.request({{"complete", "hops h1 h"}, {"word_start", 8}});
    REQUIRE(reply);
    CHECK((*reply)["candidates"] == nlohmann::json({"h1", "h2", "h3", "h4", "h5"}));
    auto d = client.request({{"describe", true}});
    REQUIRE(d);
    CHECK((*d)["text"].get<std::string>().rfind("state ", 0) == 0);
  }
  SECTION("a malformed request gets an error and the connection stays open") {
    int fd = rawConnect(path);
    REQUIRE(::write(fd, "not json\n", 9) == 9);
    auto reply = nlohmann::json::parse(readLine(fd));
    CHECK(reply["ok"] == false);
    CHECK(reply["text"].get<std::string>().find("malformed") != std::string::npos);
    std::string ok = "{\"execute\": \"hops h1 h3\"}\n";
    REQUIRE(::write(fd, ok.data(), ok.size()) == static_cast<ssize_t>(ok.size()));
    CHECK(nlohmann::json::parse(readLine(fd))["ok"] == true);
    ::close(fd);
  }
  SECTION("a line over 1 MiB is refused and the connection closed") {
    int fd = rawConnect(path);
    std::string big(std::size_t{1} << 20, 'x');
    big += "yy";
    std::size_t sent = 0;
    while (sent < big.size()) {
      ssize_t n = ::send(fd, big.data() + sent, big.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    auto reply = nlohmann::json::parse(readLine(fd));
    CHECK(reply["ok"] == false);
    CHECK(reply["text"].get<std::string>().find("1 MiB") != std::string::npos);
    char c;
    CHECK(::read(fd, &c, 1) == 0);
    ::close(fd);
  }
}

TEST_CASE("the admin server stops promptly with idle clients connected", "[repl]") {
  roamtest::TempDir dir("roam-admin");
  std::string path = (dir.path / "m.sock").string();
  auto start = std::chrono::steady_clock::now();
  {
    auto server = AdminServer::listen(path, [](const nlohmann::json&) {
      return nlohmann::json{{"ok", true}};
    });
    REQUIRE(server.ok());
    auto a = AdminClient::connect(path), b = AdminClient::connect(path);
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    REQUIRE((*a)->request({{"describe", true}}).ok());
  }
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  CHECK_FALSE(std::filesystem::exists(path));
}

TEST_CASE("the admin server replaces a stale socket but not a live one or a file", "[repl]") {
  roamtest::TempDir dir("roam-admin");
  std::string path = (dir.path / "m.sock").string();
  auto handler = [](const nlohmann::json&) { return nlohmann::json::object(); };

  {
    // A socket file with nobody listening, as a killed manager leaves it.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
  }
  auto first = AdminServer::listen(path, handler);
  CHECK(first.ok());

  auto second = AdminServer::listen(path, handler);
  CHECK_FALSE(second.ok());
  CHECK(roam::errorText(second).find("another server") != std::string::npos);

  std::string plain = (dir.path / "plain").string();
  std::ofstream(plain) << "keep me";
  auto third = AdminServer::listen(plain, handler);
  CHECK_FALSE(third.ok());
  CHECK(roam::errorText(third).find("not a socket") != std::string::npos);
  CHECK(std::filesystem::exists(plain));
}

TEST_CASE("the admin client says why it cannot connect", "[repl]") {
  roamtest::TempDir dir("roam-admin");
  auto client = AdminClient::connect((dir.path / "none.sock").string());
  CHECK_FALSE(client.ok());
  CHECK(roam::errorText(client) == "No such file or directory");
}
