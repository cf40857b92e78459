// `roam manager`'s flags: checked, located, laid over the configuration file
// (runtime/manager/manager_launch.hpp). Running the manager is tested through
// the program (tests/cli/manager.test.cpp).

#include <filesystem>

#include <catch2/catch.hpp>

#include "file_text.hpp"
#include "runtime/manager/manager_launch.hpp"
#include "temp_dir.hpp"

using roam::runtime::CommandError;
using roam::runtime::CommandLine;
using roam::runtime::ManagerFlags;
using roam::runtime::ManagerLaunch;
using roam::runtime::prepareManagerLaunch;

namespace {

// The flags of `roam manager ARGS...` as CLI11 would have read them are built
// by each test; `args` is the command line they came from.
CommandLine lineOf(std::vector<std::string> args) {
  args.insert(args.begin(), {"roam", "manager"});
  return CommandLine{args};
}

std::string errorOf(const ManagerFlags& flags, const CommandLine& line, int status = 2) {
  auto r = prepareManagerLaunch(flags, line);
  REQUIRE(!r.ok());
  CHECK(r.error().status == status);
  return r.error().text;
}

}  // namespace

TEST_CASE("manager launch: flag mistakes are located", "[manager][launch]") {
  ManagerFlags flags;
  flags.policy = "p.policy";

  SECTION("no policy") {
    CHECK(errorOf(ManagerFlags{}, lineOf({})) ==
          "<command-line>:1:1: error: no policy: give --policy FILE or a configuration with "
          "\"policy\"\n");
  }
  SECTION("--param") {
    flags.params = {"threshold"};
    CHECK(errorOf(flags, lineOf({"--policy", "p.policy", "--param", "threshold"})) ==
          "<command-line>:1:40: error: --param expects NAME=VALUE, got 'threshold'\n");
  }
  SECTION("--interval and --cooldown") {
    flags.cooldown = "soon";
    CHECK(errorOf(flags, lineOf({"--cooldown", "soon"})) ==
          "<command-line>:1:25: error: expected a duration such as 1s, 500ms or 2min, got "
          "'soon'\n");
    flags.cooldown.clear();
    flags.interval = "-1s";
    CHECK(errorOf(flags, lineOf({"--interval", "-1s"})) ==
          "<command-line>:1:25: error: expected a duration such as 1s, 500ms or 2min, got "
          "'-1s'\n");
  }
  SECTION("--agent") {
    flags.agents = {"h1=10.0.0.1:7070", "h2"};
    CHECK(errorOf(flags, lineOf({"--agent", "h1=10.0.0.1:7070", "--agent", "h2"})) ==
          "<command-line>:1:47: error: --agent expects NAME=HOST:PORT, got 'h2'\n");
    flags.agents = {"=10.0.0.1:7070"};
    CHECK(errorOf(flags, lineOf({"--agent", "=10.0.0.1:7070"})).find("got '=10.0.0.1:7070'") !=
          std::string::npos);
    flags.agents = {"h1=10.0.0.1"};
    CHECK(errorOf(flags, lineOf({"--agent", "h1=10.0.0.1"})).find("got 'h1=10.0.0.1'") !=
          std::string::npos);
  }
  SECTION("--web: an address; elsewhere than loopback, the certificates") {
    flags.web = "80x";
    CHECK(errorOf(flags, lineOf({"--policy", "p.policy", "--web", "80x"})) ==
          "<command-line>:1:38: error: --web expects PORT or ADDR:PORT, got '80x': expected "
          "ADDR:PORT (no port), got '80x'\n");
    roamtest::TempDir empty("roam-web-launch");
    flags.web = "0.0.0.0:8470";
    flags.certs = empty.path.string();
    const auto text = errorOf(flags, lineOf({"--policy", "p.policy", "--web", "0.0.0.0:8470",
                                             "--certs", empty.path.string()}));
    CHECK(text.rfind("<command-line>:1:38: error: --web 0.0.0.0:8470 is not a loopback address, "
                     "so the live view is served only over mutual TLS",
                     0) == 0);
    CHECK(text.find((empty.path / "manager.crt").string()) != std::string::npos);
    flags.web = "8470";
    auto loopback = prepareManagerLaunch(flags, lineOf({"--policy", "p.policy", "--web", "8470"}));
    REQUIRE(loopback.ok());
    REQUIRE(loopback->web);
    CHECK(loopback->web->hostPort() == "127.0.0.1:8470");
    CHECK(loopback->web->loopback);
  }
  SECTION("--duration must be positive") {
    flags.duration = "0s";
    CHECK(errorOf(flags, lineOf({"--duration", "0s"})) ==
          "<command-line>:1:25: error: --duration expects a positive duration, got '0s'\n");
  }
}

TEST_CASE("manager launch: errors in the configuration file", "[manager][launch]") {
  roamtest::TempDir dir("roam-manager-launch");
  const auto file = (dir.path / "m.jsonc").string();
  REQUIRE(roamtest::writeText(file, "{\n  \"brain\": {\"cooldown\": \"x\"}\n}\n"));
  ManagerFlags flags;
  flags.config = file;
  CHECK(errorOf(flags, lineOf({"--config", file}), 1)
            .starts_with(file + ":2:13: error: 'brain.cooldown' must be a duration"));
}

TEST_CASE("manager launch: flags win over the file, at start and at reload", "[manager][launch]") {
  roamtest::TempDir dir("roam-manager-launch");
  const auto file = dir.path / "m.jsonc";
  REQUIRE(roamtest::writeText(file, R"({
  "policy": {"file": "file.policy", "name": "from-file",
             "params": {"threshold": "1Mbps", "n": "2"}},
  "brain": {"cooldown": "5s"},
  "agents": [{"name": "h9", "address": "10.0.0.9:7070"}]
})"));
  ManagerFlags flags;
  flags.config = file.string();
  flags.params = {"threshold=5Mbps"};
  flags.interval = "500ms";
  flags.agents = {"h1=10.0.0.1:7070"};
  flags.vib = "v.sqlite";
  flags.dryRun = true;
  flags.duration = "2min";
  auto r = prepareManagerLaunch(flags, lineOf({}));
  REQUIRE(r.ok());
  const auto& launch = r.value();
  const auto& c = launch.config;
  CHECK(c.policy.file == (dir.path / "file.policy").string());
  CHECK(c.policy.name == "from-file");
  REQUIRE(c.policy.params.size() == 2);
  CHECK(c.policy.params.back().name == "threshold");  // replaced, not added twice
  CHECK(c.policy.params.back().value == "5Mbps");
  CHECK(c.interval == 0.5);
  CHECK(c.cooldown == 5);  // the file's: no --cooldown
  REQUIRE(c.agents.size() == 1);
  CHECK(c.agents[0].name == "h1");
  CHECK(c.agents[0].address == "10.0.0.1:7070");
  CHECK(c.vib == std::filesystem::absolute("v.sqlite").string());
  CHECK(c.dryRun);
  CHECK(launch.duration == 120.0);

  SECTION("--policy replaces the file's policy and its name") {
    flags.policy = "other.policy";
    auto again = prepareManagerLaunch(flags, lineOf({}));
    REQUIRE(again.ok());
    const auto& p = again.value().config.policy;
    CHECK(p.file == std::filesystem::absolute("other.policy").string());
    CHECK(p.name.empty());
  }
  SECTION("a reload lays the same flags over the re-read file") {
    roam::runtime::ManagerConfig reread;
    reread.cooldown = 30;
    launch.overrides(reread);
    CHECK(reread.cooldown == 30);
    CHECK(reread.interval == 0.5);
    CHECK(reread.agents.size() == 1);
    CHECK(reread.dryRun);
  }
}
