// The `roam` executable end to end: exit codes, stdout and stderr.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include "cli/run_command.hpp"

namespace {

using roamtest::roam;
using roamtest::Run;
using roamtest::slurp;

std::string writeTemp(const std::string& name, const std::string& text) {
  std::string path = std::string(ROAM_BINARY) + "-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST_CASE("roam check accepts every shipped policy", "[cli]") {
  auto r = roam(
      "check policies/load-balancing/bandwidth.policy policies/load-balancing/shortest-path.policy "
      "policies/load-balancing/random.policy policies/mtd/shamir.policy "
      "policies/mtd/fountain.policy policies/mtd/prf.policy");
  INFO(r.err);
  CHECK(r.status == 0);
  CHECK(r.out == "ok: 6 policies in 6 files\n");
}

TEST_CASE("roam check reports all errors with source line and caret", "[cli]") {
  std::string path = writeTemp("bad.policy", R"(policy p {
  when { host_bandwidth("h1") > 5s }
  which c in containers { }
  where h in hosts { maximize hops(source, h) + 1Mbps }
}
)");
  auto r = roam("check " + path);
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  std::string expected = path +
                         ":2:31: error: cannot compare rate with duration ('>')\n"
                         "    when { host_bandwidth(\"h1\") > 5s }\n"
                         "                                ^\n";
  CHECK(r.err.find(expected) == 0);
  CHECK(r.err.find(path + ":4:47: error: cannot add number and rate ('+')") != std::string::npos);
  CHECK(r.err.find("2 errors in 1 file") != std::string::npos);
}

TEST_CASE("roam eval prints the decision as text and JSON", "[cli]") {
  auto r = roam(
      "eval policies/load-balancing/bandwidth.policy --state "
      "examples/states/paper-heterogeneous.json --json");
  INFO(r.err);
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["policy"] == "bandwidth");
  CHECK(j["triggered"] == true);
  CHECK(j["container"] == "iperf-server");
  CHECK(j["source"] == "h2");
  CHECK(j["destination"] == "h4");

  auto text = roam(
      "eval policies/load-balancing/shortest-path.policy --state "
      "examples/states/paper-heterogeneous.json");
  CHECK(text.status == 0);
  CHECK(text.out.find("destination: h3") != std::string::npos);

  auto idle = roam(
      "eval policies/load-balancing/shortest-path.policy --state "
      "examples/states/paper-heterogeneous.json "
      "--param threshold=1Gbps --json");
  CHECK(idle.status == 0);
  auto k = nlohmann::json::parse(idle.out);
  CHECK(k["triggered"] == false);
  CHECK(k["destination"].is_null());
}

TEST_CASE("roam eval reports command-line and state errors with locations", "[cli]") {
  SECTION("a malformed --param") {
    auto r = roam(
        "eval policies/load-balancing/bandwidth.policy --state "
        "examples/states/paper-heterogeneous.json --param threshold");
    CHECK(r.status == 1);
    CHECK(r.err.find("<command-line>:1:") == 0);
    CHECK(r.err.find("error: --param expects NAME=VALUE, got 'threshold'") != std::string::npos);
  }
  SECTION("a --param of the wrong unit") {
    auto r = roam(
        "eval policies/load-balancing/bandwidth.policy --state "
        "examples/states/paper-heterogeneous.json --param threshold=5s");
    CHECK(r.status == 1);
    CHECK(
        r.err.find(
            "<param threshold>:1:1: error: parameter 'threshold' is rate, but '5s' is duration") ==
        0);
  }
  SECTION("a dangling reference in the state") {
    std::string state = writeTemp("state.json", R"({"switches": [{"name": "s1"}], "hosts": [],
      "links": [{"src": "s1", "src_port": 1, "dst": "s9", "dst_port": 1, "capacity_bps": 1}]})");
    auto r = roam("eval policies/load-balancing/bandwidth.policy --state " + state);
    CHECK(r.status == 1);
    CHECK(r.err.find(state + ":") == 0);
    CHECK(r.err.find("links[0].dst: unknown switch \"s9\"") != std::string::npos);
  }
  SECTION("an unknown option") {
    auto r = roam("eval --frobnicate");
    CHECK(r.status == 2);
    CHECK(r.err.find("<command-line>:1:1: error:") == 0);
  }
}

TEST_CASE("the language reference documents every built-in", "[cli]") {
  auto r = roam("builtins --markdown");
  REQUIRE(r.status == 0);
  std::string doc = slurp(std::string(ROAM_SOURCE_DIR) + "/docs/language.md");
  INFO(
      "docs/language.md is out of date: regenerate its reference section with roam builtins "
      "--markdown");
  CHECK(doc.find(r.out) != std::string::npos);
}
