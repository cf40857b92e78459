// The REPL's commands and completion on an offline STATE.json backend.

#include <algorithm>

#include <catch2/catch.hpp>

#include "lang/synthetic_state.hpp"
#include "runtime/repl/offline_backend.hpp"
#include "runtime/repl/repl_session.hpp"
#include "runtime/vib/vib.hpp"
#include "temp_dir.hpp"

namespace {

using roam::runtime::ReplReply;

std::string source(const std::string& relative) {
  return std::string(ROAM_SOURCE_DIR) + "/" + relative;
}

std::unique_ptr<roam::runtime::ReplBackend> paperBackend(bool withPolicy = true) {
  roam::runtime::PolicySource policy;
  if (withPolicy) policy.file = source("policies/load-balancing/bandwidth.policy");
  auto made =
      roam::runtime::makeStateBackend(source("examples/states/paper-heterogeneous.json"), policy);
  INFO(roam::errorText(made));
  REQUIRE(made.ok());
  return std::move(*made);
}

// A session on the paper's state with the bandwidth policy.
struct PaperSession {
  std::unique_ptr<roam::runtime::ReplBackend> backend = paperBackend();
  roam::runtime::ReplSession session{*backend};
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE_METHOD(PaperSession, "the REPL evaluates expressions with the active policy in scope",
                 "[repl]") {
  SECTION("globals and built-ins") {
    ReplReply r = session.execute("count(hosts)");
    CHECK(r.ok);
    CHECK(r.text == "5");
    CHECK(r.json["value"] == 5);
    CHECK(r.json["type"] == "number");
  }
  SECTION("parameters and lets of the policy") {
    CHECK(session.execute("threshold").text == "4 Mbps");
    ReplReply r = session.execute("count(overloaded)");
    INFO(r.text);
    CHECK(r.text == "2");
  }
  SECTION("a name error is located in the line") {
    ReplReply r = session.execute("count(hostz)");
    CHECK_FALSE(r.ok);
    CHECK(r.text.rfind("<repl>:1:7: error: ", 0) == 0);
    CHECK(r.json["errors"][0]["column"] == 7);
  }
  SECTION("an evaluation error is located too") {
    ReplReply r = session.execute("host_bandwidth(\"h9\")");
    CHECK_FALSE(r.ok);
    CHECK(r.text.rfind("<repl>:1:", 0) == 0);
    CHECK(r.text.find("h9") != std::string::npos);
  }
  SECTION("a blank line does nothing") {
    ReplReply r = session.execute("   ");
    CHECK(r.ok);
    CHECK(r.text.empty());
  }
  SECTION("an expression that starts with a command's name is still an expression") {
    ReplReply r = session.execute("hosts - free_hosts()");
    INFO(r.text);
    CHECK(r.ok);
    CHECK(r.text == "{h1, h2}");
  }
}

TEST_CASE_METHOD(PaperSession, "the REPL's query commands agree with the built-ins", "[repl]") {
  SECTION("hosts, switches, links, containers") {
    ReplReply hosts = session.execute("hosts");
    CHECK(hosts.ok);
    CHECK(hosts.text.find("10.0.0.4") != std::string::npos);
    CHECK(hosts.json["hosts"].size() == 5);
    CHECK(hosts.json["hosts"][1]["containers"][0] == "iperf-server");
    CHECK(session.execute("switches").json["switches"].size() == 5);
    CHECK(session.execute("links").json["links"].size() ==
          std::stoul(session.execute("count(links)").text));
    ReplReply cs = session.execute("containers");
    CHECK(cs.text.find("iperf-server") != std::string::npos);
    CHECK(cs.text.find("app=iperf") != std::string::npos);
  }
  SECTION("hops, latency and path") {
    CHECK(session.execute("hops h1 h3").text == session.execute("hops(\"h1\", \"h3\")").text);
    CHECK(session.execute("latency h1 h4").text == session.execute("latency(\"h1\", \"h4\")").text);
    ReplReply path = session.execute("path h2 h4");
    INFO(path.text);
    CHECK(path.ok);
    CHECK(path.json["path_bandwidth_bps"] ==
          session.execute("path_bandwidth(\"h2\", \"h4\")").json["value"]);
  }
  SECTION("bandwidth now and over a window") {
    ReplReply all = session.execute("bandwidth");
    CHECK(all.json["hosts"].size() == 5);
    ReplReply h2 = session.execute("bandwidth h2");
    CHECK(h2.json["hosts"].size() == 1);
    CHECK(h2.json["hosts"][0]["bandwidth_bps"] ==
          session.execute("host_bandwidth(\"h2\")").json["value"]);
    ReplReply over = session.execute("bandwidth h2 over 2s");
    CHECK(over.json["hosts"][0]["bandwidth_bps"] ==
          session.execute("avg_over(host_bandwidth(\"h2\"), 2s)").json["value"]);
    ReplReply sw = session.execute("bandwidth s1");
    INFO(sw.text);
    CHECK(sw.ok);
    CHECK(sw.json["ports"].size() >= 3);
  }
  SECTION("bad arguments are located") {
    CHECK(session.execute("hops h1 hz")
              .text.rfind("<repl>:1:9: error: no host or switch called 'hz'", 0) == 0);
    CHECK(session.execute("bandwidth h2 over 5Mbps").text.rfind("<repl>:1:19: error:", 0) == 0);
    CHECK(session.execute("hosts h1").text.rfind("<repl>:1:7: error:", 0) == 0);
    CHECK(session.execute("hops h1").text.rfind("<repl>:1:6: error: usage: hops A B", 0) == 0);
  }
}

TEST_CASE_METHOD(PaperSession, "the REPL explains, shows the policy and refuses to migrate offline",
                 "[repl]") {
  SECTION("explain is the decision roam eval prints") {
    ReplReply r = session.execute("explain");
    INFO(r.text);
    REQUIRE(r.ok);
    CHECK(r.text.find("destination: h4") != std::string::npos);
    CHECK(r.json["destination"] == "h4");
    CHECK(r.json["candidates"].size() == 3);
    CHECK(session.execute("explain bandwidth").json == r.json);
    CHECK(session.execute("explain nope").text.rfind("<repl>:1:9: error:", 0) == 0);
  }
  SECTION("policy show") {
    ReplReply r = session.execute("policy show");
    INFO(r.text);
    CHECK(r.ok);
    CHECK(r.text.find("sha256:") != std::string::npos);
    CHECK(r.text.find("threshold = 4 Mbps") != std::string::npos);
    CHECK(r.json["source"].get<std::string>().rfind("policy bandwidth", 0) == 0);
  }
  SECTION("migrate needs a manager, history is empty") {
    ReplReply r = session.execute("migrate iperf-server to h4");
    CHECK_FALSE(r.ok);
    CHECK(r.text.find("needs a running manager") != std::string::npos);
    CHECK(session.execute("migrate nope to h4").text.rfind("<repl>:1:9: error: no container", 0) ==
          0);
    CHECK(session.execute("decisions").text == "no decisions yet");
    CHECK(session.execute("migrations 5").json["migrations"].empty());
    CHECK_FALSE(session.execute("decisions zero").ok);
  }
  SECTION("reload re-reads the --policy file") {
    ReplReply r = session.execute("reload");
    CHECK(r.ok);
    CHECK(r.text.find("reloaded bandwidth") == 0);
  }
  SECTION("help") {
    CHECK(session.execute("help").text.find("migrate CONTAINER to HOST") != std::string::npos);
    CHECK(session.execute("help bandwidth").text.find("avg_over") != std::string::npos);
    CHECK(session.execute("help path_bandwidth").text.find("path_bandwidth(a:") == 0);
    CHECK_FALSE(session.execute("help nothing").ok);
  }
}

TEST_CASE("without a policy, explain says how to load one", "[repl]") {
  auto backend = paperBackend(false);
  roam::runtime::ReplSession session(*backend);
  ReplReply r = session.execute("explain");
  CHECK_FALSE(r.ok);
  CHECK(r.text.find("--policy FILE") != std::string::npos);
  CHECK(session.execute("threshold").text.rfind("<repl>:1:1: error:", 0) == 0);
}

TEST_CASE_METHOD(PaperSession, "the REPL completes commands, built-ins and names from the state",
                 "[repl]") {
  auto first = session.complete("ho", 0);
  CHECK(contains(first, "hosts"));
  CHECK(contains(first, "hops"));
  CHECK(contains(first, "host_bandwidth"));
  CHECK_FALSE(contains(first, "h1"));

  CHECK(session.complete("host_bandwidth(\"h", 16) ==
        std::vector<std::string>{"h1", "h2", "h3", "h4", "h5"});
  CHECK(session.complete("hops h1 s", 8) == std::vector<std::string>{"s1", "s2", "s3", "s4", "s5"});
  CHECK(session.complete("migrate ip", 8) ==
        std::vector<std::string>{"iperf-client", "iperf-server"});
  CHECK(session.complete("migrate iperf-server ", 21) == std::vector<std::string>{"to"});
  CHECK(session.complete("explain ", 8) == std::vector<std::string>{"bandwidth"});
  CHECK(session.complete("policy s", 7) == std::vector<std::string>{"show"});
  CHECK(contains(session.complete("count(over", 6), "overloaded"));
  CHECK(contains(session.complete("count(thr", 6), "threshold"));
  CHECK(session.complete("help host_u", 5) == std::vector<std::string>{"host_utilization"});
}

TEST_CASE("the REPL reads a VIB: its newest snapshot and the manager's history", "[repl]") {
  roamtest::TempDir dir("roam-repl-vib");
  const std::string path = (dir.path / "vib.sqlite").string();
  const auto data = roam::lang::makeSyntheticNetwork(6, 3);
  {
    auto opened = roam::runtime::Vib::open(path);
    REQUIRE(opened.ok());
    auto& vib = **opened;
    vib.writeTopology({data.switches, data.hosts, data.links}, 1732470002);
    REQUIRE(vib.setContainers(data.containers).ok());
    vib.writePortSamples(data.portSamples);
    vib.writeSwitchSamples(data.switchSamples);
    vib.writeLatencies(data.latencies, 1732470002);
    REQUIRE(vib.failedWrites() == 0);
    roam::runtime::DecisionRecord d;
    d.id = "d-1";
    d.t = 1732470002;
    d.policy = "bandwidth";
    d.json = {{"policy", "bandwidth"},
              {"triggered", true},
              {"container", "c1"},
              {"source", "h1"},
              {"destination", "h2"}};
    REQUIRE(vib.recordDecision(d).ok());
    roam::runtime::MigrationRecord m;
    m.migrationId = "m-1";
    m.decisionId = "d-1";
    m.container = "c1";
    m.source = "h1";
    m.destination = "h2";
    m.policy = "bandwidth";
    m.mode = "snapshot";
    m.state = "done";
    m.startedT = 1732470002;
    m.updatedT = 1732470004;
    m.finishedT = 1732470004;
    m.decisionSeconds = 0.002;
    m.migrationSeconds = 2;
    REQUIRE(vib.upsertMigration(m).ok());
  }

  auto made = roam::runtime::makeVibBackend(path, 10, {});
  INFO(roam::errorText(made));
  REQUIRE(made.ok());
  roam::runtime::ReplSession session(**made);
  CHECK(session.execute("count(hosts)").text == std::to_string(data.hosts.size()));
  ReplReply decisions = session.execute("decisions");
  INFO(decisions.text);
  CHECK(decisions.json["decisions"].size() == 1);
  CHECK(decisions.text.find("h1 -> h2") != std::string::npos);
  ReplReply migrations = session.execute("migrations 1");
  INFO(migrations.text);
  CHECK(migrations.json["migrations"][0]["migration_id"] == "m-1");
  CHECK(migrations.text.find("2 s") != std::string::npos);
  CHECK((*made)->describe() == "VIB " + path);

  auto missing = roam::runtime::makeVibBackend((dir.path / "none.sqlite").string(), 10, {});
  CHECK_FALSE(missing.ok());
  CHECK(roam::errorText(missing).find(":1:1: error: ") != std::string::npos);
}
