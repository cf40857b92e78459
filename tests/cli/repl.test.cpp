// `roam repl` end to end: -e scripts, --json, located errors, piped input,
// and an interactive session on a pseudo-terminal (completion, history).

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include "cli/run_command.hpp"
#include "temp_dir.hpp"

namespace {

using roamtest::roam;
using roamtest::Run;

const std::string kState = "--state examples/states/paper-heterogeneous.json";

// `roam repl` on a pseudo-terminal: what a user types and what they see.
class Terminal {
 public:
  explicit Terminal(const std::vector<std::string>& args) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      if (::chdir(ROAM_SOURCE_DIR) != 0) _exit(127);
      ::setenv("TERM", "xterm", 1);
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(ROAM_BINARY));
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(ROAM_BINARY, argv.data());
      _exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }

  void type(const std::string& keys) {
    // libedit switches the terminal to raw mode after printing the prompt and
    // may discard input typed before that (seen under load), so let it settle.
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    REQUIRE(::write(master_, keys.data(), keys.size()) == static_cast<ssize_t>(keys.size()));
  }

  // Reads until `text` has appeared in the output since the last expect (or
  // 10 s passed); returns whether it did.
  bool expect(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (seen_.find(text) == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd p{master_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
        UNSCOPED_INFO("waited for '" << text << "'; the terminal showed:\n" << transcript_);
        return false;
      }
      char buf[4096];
      ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) {
        UNSCOPED_INFO("waited for '" << text << "'; the program ended after:\n" << transcript_);
        return false;
      }
      seen_.append(buf, static_cast<std::size_t>(n));
      transcript_.append(buf, static_cast<std::size_t>(n));
    }
    seen_.erase(0, seen_.find(text) + text.size());
    return true;
  }

  // The exit status once the program ends (-1 when it has not within 10 s).
  int wait() {
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) return -1;  // the destructor kills it
      // Keep the terminal drained so the program never blocks writing to it.
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 50) > 0) {
        char buf[4096];
        ssize_t n = ::read(master_, buf, sizeof buf);
        if (n > 0) seen_.append(buf, static_cast<std::size_t>(n));
      }
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  int master_ = -1;
  pid_t pid_ = -1;
  std::string seen_;        // not yet matched by expect()
  std::string transcript_;  // everything, for failure messages
};

}  // namespace

TEST_CASE("roam repl -e prints each result and exits", "[cli][repl]") {
  Run r = roam("repl " + kState + " -e 'count(hosts)' -e 'hops h1 h3'");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "5\n3\n");
  CHECK(r.err.empty());

  SECTION("with a policy: its parameters and lets, explain") {
    Run p = roam("repl " + kState +
                 " --policy policies/load-balancing/bandwidth.policy --param threshold=20Mbps"
                 " -e 'count(overloaded)' -e 'explain'");
    INFO(p.err);
    CHECK(p.status == 0);
    CHECK(p.out.rfind("0\npolicy:      bandwidth\ntriggered:   no", 0) == 0);
  }
}

TEST_CASE("roam repl --json prints one JSON document per line", "[cli][repl]") {
  Run r = roam("repl " + kState + " --json -e 'host_bandwidth(\"h2\")' -e 'containers'");
  INFO(r.err);
  REQUIRE(r.status == 0);
  std::istringstream lines(r.out);
  std::string first, second, extra;
  REQUIRE(std::getline(lines, first));
  REQUIRE(std::getline(lines, second));
  CHECK_FALSE(std::getline(lines, extra));
  auto a = nlohmann::json::parse(first);
  CHECK(a["type"] == "rate");
  CHECK(a["value"].get<double>() > 9e6);
  CHECK(nlohmann::json::parse(second)["containers"].size() == 2);
}

TEST_CASE("roam repl reports located errors and exits 1 at the first", "[cli][repl]") {
  Run r = roam("repl " + kState + " -e 'count(hosts)' -e 'count(hostz) + 1' -e 'hosts'");
  CHECK(r.status == 1);
  CHECK(r.out == "5\n");
  CHECK(r.err.rfind("<repl>:1:7: error: unknown name 'hostz'", 0) == 0);

  Run offline = roam("repl " + kState + " -e 'migrate iperf-server to h4'");
  CHECK(offline.status == 1);
  CHECK(offline.err.find("needs a running manager (roam repl --connect SOCKET)") !=
        std::string::npos);
}

TEST_CASE("roam repl says why it cannot connect to the manager", "[cli][repl]") {
  roamtest::TempDir dir("roam-repl");
  std::string socket = (dir.path / "none.sock").string();
  Run r = roam("repl --connect " + socket + " -e hosts");
  CHECK(r.status == 1);
  CHECK(r.err == "<command-line>:1:" + std::to_string(std::string(ROAM_BINARY).size() + 17) +
                     ": error: cannot connect to manager at " + socket +
                     ": No such file or directory\n");
}

TEST_CASE("roam repl reads lines from a pipe without a prompt", "[cli][repl]") {
  Run r = roamtest::shell("cd " + std::string(ROAM_SOURCE_DIR) +
                          " && printf 'count(hosts)\\n\\nlatency h1 h2\\n' | " + ROAM_BINARY +
                          " repl " + kState);
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "5\n600 us\n");
}

TEST_CASE("roam repl on a terminal completes with TAB and keeps history", "[cli][repl]") {
  roamtest::TempDir dir("roam-repl");
  std::string history = (dir.path / "history").string();
  {
    Terminal t(
        {"repl", "--state", "examples/states/paper-heterogeneous.json", "--history", history});
    REQUIRE(t.expect("roam> "));
    // "swi" + TAB completes to the `switches` command, whose table appears.
    t.type("swi\t");
    t.type("\r");
    CHECK(t.expect("0000000000000004"));
    REQUIRE(t.expect("roam> "));
    t.type("count(hosts) * 1111\r");
    CHECK(t.expect("5555"));
    REQUIRE(t.expect("roam> "));
    t.type("exit\r");
    CHECK(t.wait() == 0);
  }
  CHECK(roamtest::slurp(history) == "switches\ncount(hosts) * 1111\nexit\n");
  {
    Terminal t(
        {"repl", "--state", "examples/states/paper-heterogeneous.json", "--history", history});
    REQUIRE(t.expect("roam> "));
    // Up twice: past `exit` to the expression of the previous session.
    t.type("\x1b[A\x1b[A\r");
    CHECK(t.expect("5555"));
    REQUIRE(t.expect("roam> "));
    t.type("\x04");  // Ctrl-D
    CHECK(t.wait() == 0);
  }
}

TEST_CASE("roam repl --json prints errors as a JSON object on stdout", "[cli][repl]") {
  Run r = roam("repl " + kState + " --json -e 'count(hostz)'");
  CHECK(r.status == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["ok"] == false);
  CHECK(j["errors"][0]["file"] == "<repl>");
  CHECK(j["errors"][0]["line"] == 1);
  CHECK(j["errors"][0]["column"] == 7);
  CHECK(j["errors"][0]["message"].get<std::string>().find("hostz") != std::string::npos);
  // The text still goes to stderr.
  CHECK(r.err.rfind("<repl>:1:7: error: unknown name 'hostz'", 0) == 0);
}

TEST_CASE("roam repl names the piped input's line in errors, across continued entries",
          "[cli][repl]") {
  Run r = roamtest::shell("cd " + std::string(ROAM_SOURCE_DIR) +
                          " && printf 'count(hosts)\\ncount({h in hosts\\n  where hostz(h)})\\n"
                          "count(\\n  hosts\\n)\\nhops h1 hz\\n' | " +
                          ROAM_BINARY + " repl " + kState);
  CHECK(r.status == 1);
  CHECK(r.out == "5\n5\n");
  INFO(r.err);
  CHECK(r.err.rfind("<repl>:3:9: error: unknown function 'hostz'", 0) == 0);
  CHECK(r.err.find("\n<repl>:7:9: error: no host or switch called 'hz'") != std::string::npos);
}

TEST_CASE("roam repl on a terminal: Ctrl-C cancels, brackets continue, TAB completes fields",
          "[cli][repl]") {
  roamtest::TempDir dir("roam-repl");
  Terminal t({"repl", "--state", "examples/states/paper-heterogeneous.json", "--history",
              (dir.path / "history").string()});
  REQUIRE(t.expect("roam> "));
  // Ctrl-C drops the half-typed line; the REPL stays.
  t.type("count(hostz\x03");
  REQUIRE(t.expect("roam> "));
  // An open bracket continues on the next line with the continuation prompt.
  t.type("count(\r");
  REQUIRE(t.expect("....> "));
  // Ctrl-C there drops the whole unfinished entry.
  t.type("hosts\x03");
  REQUIRE(t.expect("roam> "));
  t.type("1111 * 3\r");
  CHECK(t.expect("3333"));
  REQUIRE(t.expect("roam> "));
  t.type("count(\r");
  REQUIRE(t.expect("....> "));
  t.type("hosts) * 1111\r");
  CHECK(t.expect("5555"));
  REQUIRE(t.expect("roam> "));
  // TAB after `c.` completes a field name: `c.ho` becomes `c.host`.
  t.type("count({c in containers where c.ho\t");
  CHECK(t.expect("st"));
  t.type(" == \"h1\"}) * 7777\r");
  // The result on a line of its own (an error would quote the line instead).
  CHECK(t.expect("\n7777\r"));
  REQUIRE(t.expect("roam> "));
  t.type("\x04");  // Ctrl-D leaves
  CHECK(t.wait() == 0);
}
