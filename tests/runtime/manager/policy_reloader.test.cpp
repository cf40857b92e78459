// PolicyReloader: check-then-swap of the active policy, the log line of every
// attempt, and evaluations that keep the version they started with.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lang/decision.hpp"
#include "lang/state_json.hpp"
#include "runtime/manager/policy_reloader.hpp"
#include "temp_dir.hpp"

using namespace roam::runtime;
using roamtest::TempDir;
namespace fs = std::filesystem;

namespace {

std::string sourcePath(const std::string& relative) {
  return std::string(ROAM_SOURCE_DIR) + "/" + relative;
}

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out);
  out << text;
}

// The reloader with its log captured (thread-safe, for the stress test).
struct Fixture {
  TempDir dir{"roam-reload"};
  std::string file = (dir.path / "active.policy").string();
  std::string bandwidth = readText(sourcePath("policies/load-balancing/bandwidth.policy"));
  std::string shortest = readText(sourcePath("policies/load-balancing/shortest-path.policy"));
  std::mutex logMutex;
  std::vector<std::string> lines;
  PolicyReloader reloader{[this](const std::string& line) {
                            std::lock_guard lock(logMutex);
                            lines.push_back(line);
                          },
                          [] { return 1000.0; }};

  std::string log() {
    std::lock_guard lock(logMutex);
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
  void clearLog() {
    std::lock_guard lock(logMutex);
    lines.clear();
  }
  std::string policyName() {
    auto p = reloader.current();
    REQUIRE(p);
    REQUIRE(p->policy);
    return p->policy->name;
  }
};

bool hasLocatedError(const std::string& log) {
  static const std::regex located(R"(active\.policy:\d+:\d+: error: )");
  return std::regex_search(log, located);
}

}  // namespace

TEST_CASE("PolicyReloader loads, switches and logs", "[reload]") {
  Fixture f;
  writeFile(f.file, f.bandwidth);
  auto first = f.reloader.load({f.file, "", {}}, "start-up");
  INFO(f.log());
  REQUIRE(first.ok);
  CHECK(first.changed);
  CHECK(first.hash == contentHash(f.bandwidth));
  CHECK(first.message ==
        "load (start-up): policy bandwidth from " + f.file + " " + first.hash + " active");
  CHECK(f.log() == first.message + "\n");
  CHECK(f.policyName() == "bandwidth");
  CHECK(f.reloader.current()->loadedAt == 1000.0);

  SECTION("a valid change switches the active policy") {
    writeFile(f.file, f.shortest);
    auto out = f.reloader.reload("file changed");
    REQUIRE(out.ok);
    CHECK(out.changed);
    CHECK(out.hash == contentHash(f.shortest));
    CHECK(out.message == "reload (file changed): policy shortest-path from " + f.file + " " +
                             out.hash + " active");
    CHECK(f.policyName() == "shortest-path");
    CHECK(f.reloader.current()->contentHash == out.hash);
  }
  SECTION("unchanged content: changed is false and the same version stays") {
    auto before = f.reloader.current();
    auto out = f.reloader.reload("SIGHUP");
    REQUIRE(out.ok);
    CHECK_FALSE(out.changed);
    CHECK(out.message ==
          "reload (SIGHUP): policy bandwidth from " + f.file + " " + out.hash + " unchanged");
    CHECK(f.reloader.current() == before);
  }
  SECTION("an invalid change is rejected, logged located, and the old one kept") {
    auto before = f.reloader.current();
    // A misspelt name: a located check error.
    std::string broken = f.bandwidth;
    broken.replace(broken.find("count(overloaded) > 0"), 21, "count(overloded) > 0");
    writeFile(f.file, broken);
    f.clearLog();
    auto out = f.reloader.reload("SIGHUP");
    CHECK_FALSE(out.ok);
    CHECK_FALSE(out.changed);
    CHECK(out.hash == contentHash(broken));
    CHECK(out.message.rfind("reload (SIGHUP): " + f.file + " " + out.hash + " rejected, keeping " +
                                before->contentHash + " (",
                            0) == 0);
    CHECK(out.message.find(" error") != std::string::npos);
    CHECK(hasLocatedError(out.errors));
    auto log = f.log();
    INFO(log);
    CHECK(log.rfind(out.message + "\n", 0) == 0);
    CHECK(hasLocatedError(log));
    CHECK(f.reloader.current() == before);
    CHECK(f.policyName() == "bandwidth");

    SECTION("and fixing the file makes the next reload succeed") {
      writeFile(f.file, f.shortest);
      auto fixed = f.reloader.reload("file changed");
      CHECK(fixed.ok);
      CHECK(f.policyName() == "shortest-path");
    }
  }
  SECTION("a syntax error is rejected with its location") {
    writeFile(f.file, f.bandwidth + "\npolicy {\n");
    auto out = f.reloader.reload("REPL");
    CHECK_FALSE(out.ok);
    CHECK(hasLocatedError(f.log()));
    CHECK(f.policyName() == "bandwidth");
  }
  SECTION("a deleted file keeps the old policy") {
    auto before = f.reloader.current();
    fs::remove(f.file);
    auto out = f.reloader.reload("file changed");
    CHECK_FALSE(out.ok);
    CHECK(out.hash.empty());
    CHECK(out.message == "reload (file changed): " + f.file + " rejected, keeping " +
                             before->contentHash + " (1 error)");
    CHECK(f.log().find("cannot read policy file") != std::string::npos);
    CHECK(f.reloader.current() == before);
  }
  SECTION("an unreadable file keeps the old policy") {
    if (::geteuid() == 0) {
      // root reads it anyway; a directory in its place cannot be read by anyone.
      fs::remove(f.file);
      fs::create_directory(f.file);
    } else {
      fs::permissions(f.file, fs::perms::none);
    }
    auto out = f.reloader.reload("file changed");
    CHECK_FALSE(out.ok);
    CHECK(f.policyName() == "bandwidth");
    if (::geteuid() != 0) fs::permissions(f.file, fs::perms::owner_all);
  }
  SECTION("a parameter override the policy lacks is rejected, the old kept") {
    auto before = f.reloader.current();
    PolicySource bad{f.file, "", {{"treshold", "8Mbps", "roam.conf"}}};
    auto out = f.reloader.replaceSource(bad, "configuration changed");
    CHECK_FALSE(out.ok);
    CHECK(out.message.find("with treshold=8Mbps") != std::string::npos);
    CHECK(out.message.find("rejected, keeping " + before->contentHash) != std::string::npos);
    CHECK(out.errors.find("roam.conf:") != std::string::npos);
    CHECK(out.errors.find("error:") != std::string::npos);
    CHECK(f.reloader.current() == before);
    CHECK(f.reloader.current()->source.params.empty());
  }
  SECTION("a valid parameter override is a change even with the same file") {
    PolicySource tuned{f.file, "bandwidth", {{"threshold", "8Mbps", "roam.conf"}}};
    auto out = f.reloader.replaceSource(tuned, "configuration changed");
    REQUIRE(out.ok);
    CHECK(out.changed);
    CHECK(out.hash == first.hash);
    CHECK(out.message.find("policy bandwidth from " + f.file + " with threshold=8Mbps") !=
          std::string::npos);
    REQUIRE(f.reloader.current()->source.params.size() == 1);
    CHECK(f.reloader.reload("SIGHUP").changed == false);
  }
  SECTION("an unknown policy name is rejected") {
    auto out = f.reloader.replaceSource({f.file, "nope", {}}, "configuration changed");
    CHECK_FALSE(out.ok);
    CHECK(out.errors.find("error:") != std::string::npos);
    CHECK(f.policyName() == "bandwidth");
  }
}

TEST_CASE("PolicyReloader before a first successful load", "[reload]") {
  Fixture f;
  SECTION("reload without a source does nothing, and says so") {
    auto out = f.reloader.reload("SIGHUP");
    CHECK_FALSE(out.ok);
    CHECK(f.reloader.current() == nullptr);
    CHECK(f.log().find("nothing to reload") != std::string::npos);
  }
  SECTION("a failed first load leaves nothing active; a fixed file then loads") {
    writeFile(f.file, "policy broken {\n");
    auto out = f.reloader.load({f.file, "", {}}, "start-up");
    CHECK_FALSE(out.ok);
    CHECK(out.message.find("rejected, no policy active") != std::string::npos);
    CHECK(hasLocatedError(f.log()));
    CHECK(f.reloader.current() == nullptr);
    writeFile(f.file, f.bandwidth);
    auto fixed = f.reloader.reload("file changed");
    CHECK(fixed.ok);
    CHECK(fixed.changed);
    CHECK(f.policyName() == "bandwidth");
  }
}

TEST_CASE("An evaluation holding the old version is unaffected by a reload", "[reload]") {
  Fixture f;
  writeFile(f.file, f.bandwidth);
  REQUIRE(f.reloader.load({f.file, "", {}}, "start-up").ok);
  auto state = roam::lang::loadStateFile(sourcePath("examples/states/paper-heterogeneous.json"));
  REQUIRE(state.state);

  auto held = f.reloader.current();  // an evaluation starts with this version
  writeFile(f.file, f.shortest);
  REQUIRE(f.reloader.reload("file changed").ok);
  auto now = f.reloader.current();
  REQUIRE(now != held);
  CHECK(now->policy->name == "shortest-path");

  // The held version is still whole: its policy, its file and its AST.
  CHECK(held->policy->name == "bandwidth");
  roam::lang::DecideOptions options;
  options.params = held->source.params;
  auto old = roam::lang::decide(*held->policy, held->source.file, *state.state, options);
  REQUIRE(old.decision);
  CHECK(old.decision->policy == "bandwidth");
  CHECK(old.decision->destination == "h4");

  auto fresh = roam::lang::decide(*now->policy, now->source.file, *state.state, options);
  REQUIRE(fresh.decision);
  CHECK(fresh.decision->policy == "shortest-path");
  CHECK(fresh.decision->destination == "h3");
}

TEST_CASE("PolicyReloader: concurrent reloads and reads are safe", "[reload]") {
  Fixture f;
  auto other = (f.dir.path / "other.policy").string();
  writeFile(f.file, f.bandwidth);
  writeFile(other, f.shortest);
  REQUIRE(f.reloader.load({f.file, "", {}}, "start-up").ok);

  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto p = f.reloader.current();
      if (!p || !p->policy || !p->set ||
          (p->policy->name != "bandwidth" && p->policy->name != "shortest-path"))
        ++bad;
      ++reads;
    }
  });
  // Reads must overlap the reloads: start reloading once the reader runs.
  while (reads.load() == 0) std::this_thread::yield();
  std::thread reloader([&] {
    for (int i = 0; i < 40; ++i) {
      if (i % 4 == 3)
        f.reloader.reload("stress");
      else
        f.reloader.replaceSource({i % 2 ? other : f.file, "", {}}, "stress");
    }
  });
  // The main thread reloads too: attempts from two threads are serialised.
  for (int i = 0; i < 20; ++i) f.reloader.reload("main");
  reloader.join();
  done = true;
  reader.join();
  CHECK(bad.load() == 0);
  CHECK(reads.load() > 0);
  auto p = f.reloader.current();
  REQUIRE(p);
  CHECK((p->policy->name == "bandwidth" || p->policy->name == "shortest-path"));
  // One log line per attempt (all succeeded: no error lines).
  CHECK(f.lines.size() == 1 + 40 + 20);
}
