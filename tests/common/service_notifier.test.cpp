// sd_notify by hand (common/service_notifier.hpp) against real datagram
// sockets, at a path and in the abstract namespace.

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "common/service_notifier.hpp"
#include "notify_socket.hpp"
#include "temp_dir.hpp"

using namespace std::chrono_literals;
using roam::ServiceNotifier;

TEST_CASE("sd_notify: the states reach a socket at a path", "[common][notify]") {
  roamtest::TempDir dir("roam-notify");
  roamtest::NotifySocket socket((dir.path / "notify").string());
  ServiceNotifier notifier(socket.name(), std::nullopt);
  REQUIRE(notifier.active());

  REQUIRE(notifier.ready("serving\nsecond line").ok());
  CHECK(socket.receive(1s) == "READY=1\nSTATUS=serving second line");
  REQUIRE(notifier.reloading("reloading").ok());
  auto reloading = socket.receive(1s);
  REQUIRE(reloading);
  CHECK(reloading->rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
  CHECK(reloading->find("\nSTATUS=reloading") != std::string::npos);
  REQUIRE(notifier.stopping("bye").ok());
  CHECK(socket.receive(1s) == "STOPPING=1\nSTATUS=bye");
  REQUIRE(notifier.watchdog().ok());
  CHECK(socket.receive(1s) == "WATCHDOG=1");
}

TEST_CASE("sd_notify: '@' names the abstract namespace", "[common][notify]") {
  const std::string name = "@roam-notify-test-" + std::to_string(::getpid());
  roamtest::NotifySocket socket(name);
  ServiceNotifier notifier(name, std::nullopt);
  REQUIRE(notifier.status("hello").ok());
  CHECK(socket.receive(1s) == "STATUS=hello");
}

TEST_CASE("sd_notify: without a socket nothing is sent; errors are reported", "[common][notify]") {
  ServiceNotifier none;
  CHECK_FALSE(none.active());
  CHECK(none.ready("x").ok());
  CHECK_FALSE(none.watchdogInterval());

  roamtest::TempDir dir("roam-notify");
  ServiceNotifier gone((dir.path / "nobody-listens").string(), std::nullopt);
  auto sent = gone.ready("x");
  REQUIRE_FALSE(sent.ok());
  CHECK(sent.error().message.find("nobody-listens") != std::string::npos);

  ServiceNotifier relative("relative/path", std::nullopt);
  CHECK_FALSE(relative.ready("x").ok());
}

TEST_CASE("sd_notify: the environment names the socket and the watchdog", "[common][notify]") {
  ::setenv("NOTIFY_SOCKET", "@roam-env", 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::unsetenv("WATCHDOG_PID");
  auto ours = ServiceNotifier::fromEnvironment();
  CHECK(ours.active());
  REQUIRE(ours.watchdogInterval());
  CHECK(*ours.watchdogInterval() == 1500000us);

  // The watchdog of another process (a parent's) is not ours.
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK_FALSE(ServiceNotifier::fromEnvironment().watchdogInterval());
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(ServiceNotifier::fromEnvironment().watchdogInterval());
  ::setenv("WATCHDOG_USEC", "soon", 1);
  CHECK_FALSE(ServiceNotifier::fromEnvironment().watchdogInterval());

  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK_FALSE(ServiceNotifier::fromEnvironment().active());
}
