// `roam manager` and `roam agent` as systemd services: real processes with a
// real NOTIFY_SOCKET (a datagram socket bound here) get READY, WATCHDOG,
// RELOADING/READY on SIGHUP and STOPPING on SIGTERM across; their log is
// JSON lines with --log-format json and today's text lines without. The
// agent runs against the fixture Docker Engine (no Docker here).

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include "agent/fake_docker_engine.hpp"
#include "cli/run_command.hpp"
#include "notify_socket.hpp"
#include "temp_dir.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using roamtest::NotifySocket;

// `roam ARGS` in the background with ENV added to ours; stderr to a file.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& args, const std::vector<std::string>& env,
         std::filesystem::path errFile)
      : errFile_(std::move(errFile)) {
    std::vector<std::string> argv{ROAM_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::vector<std::string> envs(env);
    for (char** e = environ; *e; ++e) {
      std::string s = *e;
      if (s.rfind("NOTIFY_SOCKET=", 0) != 0 && s.rfind("WATCHDOG_", 0) != 0) envs.push_back(s);
    }
    std::vector<char*> cenv;
    for (auto& e : envs) cenv.push_back(e.data());
    cenv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, errFile_.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    REQUIRE(posix_spawn(&pid_, ROAM_BINARY, &actions, nullptr, cargv.data(), cenv.data()) == 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  void signal(int sig) { REQUIRE(::kill(pid_, sig) == 0); }
  // The exit status, or -1 if it did not end within TIMEOUT.
  int wait(std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }
  std::string log() const { return roamtest::slurp(errFile_.string()); }

 private:
  std::filesystem::path errFile_;
  pid_t pid_ = -1;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The parsed lines; fails the test on a line that is not a JSON object with
// an RFC 3339 UTC timestamp with milliseconds, a level and a message.
std::vector<nlohmann::json> jsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  const std::regex stamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const auto& line : lines(text)) {
    INFO(line);
    auto j = nlohmann::json::parse(line, nullptr, false);
    REQUIRE(j.is_object());
    REQUIRE(j["timestamp"].is_string());
    CHECK(std::regex_match(j["timestamp"].get<std::string>(), stamp));
    CHECK(j["level"].is_string());
    CHECK(j["message"].is_string());
    out.push_back(j);
  }
  return out;
}

const nlohmann::json* findEvent(const std::vector<nlohmann::json>& events, const std::string& event,
                                const std::string& key = "", const std::string& value = "") {
  for (const auto& e : events)
    if (e.value("event", "") == event &&
        (key.empty() || e.value(key, "").find(value) != std::string::npos))
      return &e;
  return nullptr;
}

std::vector<std::string> managerArgs(const roamtest::TempDir& dir) {
  const std::string src = ROAM_SOURCE_DIR;
  return {"manager",
          "--policy",
          src + "/policies/load-balancing/shortest-path.policy",
          "--state",
          src + "/examples/states/paper-heterogeneous.json",
          "--dry-run",
          "--interval",
          "200ms",
          "--vib",
          (dir.path / "vib.sqlite").string(),
          "--admin-socket",
          (dir.path / "m.sock").string(),
          "--decision-log",
          (dir.path / "decisions.jsonl").string()};
}

}  // namespace

TEST_CASE("roam manager tells systemd READY, WATCHDOG, RELOADING, STOPPING", "[cli][service]") {
  roamtest::TempDir dir("roam-service");
  NotifySocket notify((dir.path / "notify").string());
  auto args = managerArgs(dir);
  args.insert(args.end(), {"--log-format", "json"});
  Daemon manager(args, {"NOTIFY_SOCKET=" + notify.name(), "WATCHDOG_USEC=400000"},
                 dir.path / "manager.log");

  auto ready = notify.until("READY=1");
  INFO(notify.seen() << manager.log());
  REQUIRE(ready);
  CHECK(ready->find("STATUS=manager (policy shortest-path") != std::string::npos);
  auto pet = notify.until("WATCHDOG=1");
  REQUIRE(pet);
  CHECK(pet->find("\nSTATUS=manager (policy shortest-path") != std::string::npos);
  CHECK(notify.until("WATCHDOG=1"));  // again: it keeps coming

  manager.signal(SIGHUP);
  auto reloading = notify.until("RELOADING=1");
  REQUIRE(reloading);
  CHECK(std::regex_search(*reloading, std::regex("\nMONOTONIC_USEC=[0-9]+\n")));
  auto readyAgain = notify.until("READY=1");
  REQUIRE(readyAgain);
  CHECK(readyAgain->find("rejected") == std::string::npos);

  manager.signal(SIGTERM);
  CHECK(notify.until("STOPPING=1"));
  CHECK(manager.wait(10s) == 0);

  auto events = jsonLines(manager.log());
  const auto* decision = findEvent(events, "decision");
  REQUIRE(decision);
  CHECK((*decision)["policy"] == "shortest-path");
  CHECK((*decision)["action"] == "dry-run");
  CHECK((*decision)["container"] == "iperf-server");
  CHECK((*decision)["source"] == "h2");
  CHECK((*decision)["destination"] == "h3");
  CHECK((*decision)["decision_id"].is_string());
  CHECK((*decision)["level"] == "info");
  CHECK((*decision)["decision_ms"].is_number());
  const auto* start = findEvent(events, "start");
  REQUIRE(start);
  CHECK((*start)["dry_run"] == true);
  CHECK((*start)["agents"] == 0);
  const auto* reload = findEvent(events, "policy_reload", "reason", "reload (SIGHUP)");
  REQUIRE(reload);
  CHECK((*reload)["policy"] == "shortest-path");
  CHECK((*reload)["result"] == "unchanged");
  CHECK(findEvent(events, "stopping", "signal", "SIGTERM"));
}

TEST_CASE("roam manager's text log keeps its lines", "[cli][service]") {
  roamtest::TempDir dir("roam-service");
  NotifySocket notify("@roam-service-test-" + std::to_string(::getpid()));
  Daemon manager(managerArgs(dir), {"NOTIFY_SOCKET=" + notify.name()}, dir.path / "manager.log");
  auto ready = notify.until("READY=1");
  INFO(notify.seen() << manager.log());
  REQUIRE(ready);
  // Without WATCHDOG_USEC there is no watchdog.
  CHECK_FALSE(notify.until("WATCHDOG=1", 500ms));
  manager.signal(SIGHUP);
  REQUIRE(notify.until("RELOADING=1"));
  REQUIRE(notify.until("READY=1"));
  manager.signal(SIGINT);
  CHECK(notify.until("STOPPING=1"));
  CHECK(manager.wait(10s) == 0);

  const std::string log = manager.log();
  INFO(log);
  const std::regex line(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d [^{].*)");
  for (const auto& l : lines(log)) {
    INFO(l);
    CHECK(std::regex_match(l, line));
  }
  CHECK(log.find(" load (start): policy shortest-path from ") != std::string::npos);
  CHECK(log.find(" reload (SIGHUP): policy shortest-path from ") != std::string::npos);
  CHECK(std::regex_search(log, std::regex(" decision d-[0-9a-f-]+: dry-run iperf-server h2 -> h3 "
                                          "in [0-9.]+ ms\n")));
  CHECK(log.find(" manager: SIGINT, stopping\n") != std::string::npos);
  CHECK(log.find(" manager: stopped\n") != std::string::npos);
}

TEST_CASE("roam manager --log-format refuses other formats", "[cli][service]") {
  auto r = roamtest::roam(
      "manager --policy policies/load-balancing/shortest-path.policy --log-format yaml");
  CHECK(r.status == 2);
  CHECK(r.err.find("--log-format expects text or json, got 'yaml'") != std::string::npos);
  auto a = roamtest::roam("agent --certs /nonexistent --log-format yaml");
  CHECK(a.status == 2);
  CHECK(a.err.find("--log-format expects text or json, got 'yaml'") != std::string::npos);
}

TEST_CASE("roam agent tells systemd READY, WATCHDOG, RELOADING, STOPPING", "[cli][service]") {
  roamtest::TempDir dir("roam-service");
  const std::string certs = (dir.path / "certs").string();
  REQUIRE(roamtest::roam("certs init " + certs).status == 0);
  REQUIRE(roamtest::roam("certs issue " + certs + " h1 --ip 127.0.0.1").status == 0);
  // Just enough of an engine for an agent to start and poll: no containers,
  // no experimental mode (so no CRIU probe).
  roamtest::FakeDockerEngine engine(dir.path / "docker.sock", [](const auto& r) {
    using Response = roamtest::FakeDockerEngine::Response;
    if (r.line() == "GET /version") return Response{200, R"({"ApiVersion":"1.41"})"};
    if (r.line() == "GET /info")
      return Response{200, R"({"ExperimentalBuild":false,"Driver":"overlay2"})"};
    if (r.line() == "GET /containers/json") return Response{200, "[]"};
    return Response{404, R"({"message":"not in this fixture"})"};
  });
  NotifySocket notify("@roam-agent-test-" + std::to_string(::getpid()));
  Daemon agent({"agent", "--name", "h1", "--listen", "127.0.0.1:0", "--docker",
                "unix://" + (dir.path / "docker.sock").string(), "--certs", certs, "--data-dir",
                (dir.path / "data").string(), "--log-format", "json"},
               {"NOTIFY_SOCKET=" + notify.name(), "WATCHDOG_USEC=400000"}, dir.path / "agent.log");

  auto ready = notify.until("READY=1");
  INFO(notify.seen() << agent.log());
  REQUIRE(ready);
  CHECK(ready->find("STATUS=agent h1 on 127.0.0.1:") != std::string::npos);
  auto pet = notify.until("WATCHDOG=1");
  REQUIRE(pet);
  CHECK(pet->find("\nSTATUS=agent h1 on 127.0.0.1:") != std::string::npos);
  CHECK(pet->find(", 0 migration(s) in flight") != std::string::npos);

  // SIGHUP reloads the certificates ...
  agent.signal(SIGHUP);
  REQUIRE(notify.until("RELOADING=1"));
  auto reloaded = notify.until("READY=1");
  REQUIRE(reloaded);
  CHECK(reloaded->find("failed") == std::string::npos);
  // ... and keeps the running ones when the new files are broken.
  std::filesystem::remove(std::filesystem::path(certs) / "h1.key");
  agent.signal(SIGHUP);
  REQUIRE(notify.until("RELOADING=1"));
  auto kept = notify.until("READY=1");
  REQUIRE(kept);
  CHECK(kept->find("STATUS=certificate reload failed; agent h1 on") != std::string::npos);

  agent.signal(SIGTERM);
  CHECK(notify.until("STOPPING=1"));
  CHECK(agent.wait(10s) == 0);

  auto events = jsonLines(agent.log());
  const auto* start = findEvent(events, "start");
  REQUIRE(start);
  CHECK((*start)["agent"] == "h1");
  CHECK((*start)["listen"].get<std::string>().rfind("127.0.0.1:", 0) == 0);
  CHECK(findEvent(events, "certificates_reloaded", "agent", "h1"));
  const auto* failed = findEvent(events, "certificates_reload_failed");
  REQUIRE(failed);
  CHECK((*failed)["level"] == "error");
  CHECK(findEvent(events, "stopped", "agent", "h1"));
}

TEST_CASE("roam manager's collector errors are events naming the collector", "[cli][service]") {
  roamtest::TempDir dir("roam-service");
  // Live mode against a controller that is not there (nothing listens on
  // loopback port 1): every collector fails and says so.
  const auto config = dir.path / "m.jsonc";
  std::ofstream(config) << R"({"controller": {"backend": "ryu", "url": "http://127.0.0.1:1"},
    "collectors": {"bandwidth": "200ms", "aggregate": "200ms", "topology": "200ms"},
    "policy": ")" << ROAM_SOURCE_DIR
                        << R"(/policies/load-balancing/shortest-path.policy",
    "vib": ")" << (dir.path / "vib.sqlite").string()
                        << R"(", "admin_socket": ")" << (dir.path / "m.sock").string()
                        << R"(", "redirect": false, "log_format": "json"})";
  auto r = roamtest::roam("manager --config " + config.string() + " --duration 1s");
  INFO(r.err);
  CHECK(r.status == 0);
  auto events = jsonLines(r.err);
  const auto* bandwidth = findEvent(events, "collector_error", "collector", "bandwidth");
  REQUIRE(bandwidth);
  CHECK((*bandwidth)["level"] == "warning");
  CHECK((*bandwidth)["backend"] == "ryu");
  CHECK((*bandwidth)["message"].get<std::string>().rfind("measure: bandwidth collector: GET ", 0) ==
        0);
  CHECK(findEvent(events, "collector_error", "collector", "topology"));
}
