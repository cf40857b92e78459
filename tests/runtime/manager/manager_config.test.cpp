// The configuration file: defaults, every section, located errors.

#include <catch2/catch.hpp>

#include "manager_fakes.hpp"
#include "runtime/manager/manager_config.hpp"
#include "temp_dir.hpp"

using roam::runtime::loadManagerConfig;

TEST_CASE("config: the shipped example loads", "[manager][config]") {
  auto loaded = loadManagerConfig(roamtest::sourcePath("examples/manager.jsonc"));
  INFO(roam::errorText(loaded));
  REQUIRE(loaded.ok());
  const auto& c = *loaded;
  CHECK(c.controllerBackend == "ryu");
  CHECK(c.agents.size() == 5);
  CHECK(c.policy.file == roamtest::sourcePath("policies/load-balancing/bandwidth.policy"));
  CHECK(c.cooldown == 60);
  CHECK(c.rateLimit.migrations == 1);
}

TEST_CASE("config: values, the one-line policy form, relative paths", "[manager][config]") {
  roamtest::TempDir dir;
  auto file = dir.path / "m.jsonc";
  roamtest::writeText(file, R"({
  // comments are allowed
  "policy": "p/shortest.policy",
  "collectors": {"bandwidth": "500ms", "agents": 2, "latency": "10s"},
  "brain": {"cooldown": "2min", "rate_limit": {"migrations": 3, "per": "1min"},
            "max_data_age": "4s", "mode": "snapshot", "seed": 9},
  "agents": [{"name": "h1", "address": "10.0.0.1:7070"},
             {"name": "h2", "address": "192.168.7.2:7070", "data_address": "10.0.0.2:7070"}],
  "decision_log": "/tmp/d.jsonl",
  "log_format": "json"
})");
  auto loaded = loadManagerConfig(file);
  INFO(roam::errorText(loaded));
  REQUIRE(loaded.ok());
  const auto& c = *loaded;
  CHECK(c.policy.file == (dir.path / "p/shortest.policy").string());
  CHECK(c.bandwidthInterval == Approx(0.5));
  CHECK(c.agentPollInterval == 2);
  CHECK(c.latencyInterval == 10);
  CHECK(c.cooldown == 120);
  CHECK(c.rateLimit.migrations == 3);
  CHECK(c.rateLimit.perSeconds == 60);
  CHECK(*c.maxDataAge == 4);
  CHECK(c.mode == "snapshot");
  CHECK(c.seed == 9);
  CHECK(c.decisionLog == "/tmp/d.jsonl");
  CHECK(c.logFormat == "json");
  REQUIRE(c.agents.size() == 2);
  CHECK(c.agents[0].transferAddress() == "10.0.0.1:7070");  // no data address: the same one
  CHECK(c.agents[1].address == "192.168.7.2:7070");
  CHECK(c.agents[1].transferAddress() == "10.0.0.2:7070");
  CHECK(c.vib == "/var/lib/roam/vib.sqlite");  // default kept
}

TEST_CASE("config: errors are located at the offending key", "[manager][config]") {
  roamtest::TempDir dir;
  auto file = dir.path / "bad.jsonc";
  auto check = [&](const std::string& text, const std::string& expected) {
    roamtest::writeText(file, text);
    auto loaded = loadManagerConfig(file);
    CHECK_FALSE(loaded.ok());
    INFO(roam::errorText(loaded));
    CHECK(roam::errorText(loaded).find(file.string() + expected) != std::string::npos);
  };
  check("{\n  \"polcy\": \"x.policy\"\n}", ":2:3: error: unknown key 'polcy'");
  check("{\n  \"brain\": {\n    \"cooldown\": \"soon\"\n  }\n}",
        ":3:5: error: 'brain.cooldown' must be a duration");
  check("{\n \"brain\": {\"rate_limit\": {\"migrations\": 0}}\n}",
        ":2:27: error: 'brain.rate_limit.migrations' must be a positive integer");
  check("{\n  \"controller\": {\"backend\": \"onos\"}\n}",
        ":2:18: error: 'controller.backend' must be ryu or floodlight");
  check("{\n  \"agents\": [{\"name\": \"h1\", \"address\": \"h1\"}]\n}",
        ":2:23: error: agent 'h1': address 'h1' must be HOST:PORT");
  check("{\n  \"agents\": [{\"name\": \"h1\", \"address\": \"a:1\", \"data\": 1}]\n}",
        ":2:47: error: unknown key 'agents.h1.data'");
  check("{\n  \"agents\": [{\"name\": \"h1\", \"address\": \"a:1\", \"data_address\": \"b\"}]\n}",
        ":2:23: error: agent 'h1': address 'b' must be HOST:PORT");
  check("{\n  \"collectors\": {\"latency\": \"often\"}\n}",
        ":2:18: error: 'collectors.latency' must be a positive duration");
  check("{\n  \"vib\": 3,\n}", ":3:1: error: not valid JSON");
  check("{\n  \"log_format\": \"yaml\"\n}", ":2:3: error: 'log_format' must be text or json");
  CHECK_FALSE(loadManagerConfig(dir.path / "missing.jsonc").ok());
}

TEST_CASE("config: metrics is ADDR:PORT, checked where it is written", "[manager][config]") {
  roamtest::TempDir dir;
  auto file = dir.path / "m.jsonc";
  roamtest::writeText(file, "{\n  \"metrics\": \"127.0.0.1:9464\"\n}");
  auto good = loadManagerConfig(file);
  REQUIRE(good.ok());
  CHECK(good->metrics == "127.0.0.1:9464");
  CHECK(roam::runtime::ManagerConfig{}.metrics.empty());  // off unless asked for

  roamtest::writeText(file, "{\n  \"metrics\": \"localhost:port\"\n}");
  auto bad = loadManagerConfig(file);
  REQUIRE_FALSE(bad.ok());
  CHECK(roam::errorText(bad).find(
            file.string() + ":2:3: error: 'metrics' expected ADDR:PORT (the port must be a "
                            "number from 0 to 65535), got 'localhost:port'") != std::string::npos);
}
