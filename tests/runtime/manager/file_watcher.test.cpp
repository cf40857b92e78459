// FileWatcher on real files in temporary directories: the ways editors save
// (in place, truncation, write-then-rename), files in several directories,
// unrelated neighbours, and a burst of events reported once.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "runtime/manager/file_watcher.hpp"
#include "temp_dir.hpp"

using namespace roam::runtime;
using roamtest::TempDir;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out);
  out << text;
}

bool contains(const std::vector<fs::path>& paths, const fs::path& p) {
  return std::find(paths.begin(), paths.end(), p) != paths.end();
}

// A report that names `file` and nothing else.
void checkOnly(const std::vector<fs::path>& changed, const fs::path& file) {
  REQUIRE(changed.size() == 1);
  CHECK(changed[0] == file);
}

}  // namespace

TEST_CASE("FileWatcher reports each way of saving a watched file", "[reload]") {
  TempDir dir("roam-watch");
  auto file = dir.path / "x.policy";
  writeFile(file, "one\n");
  FileWatcher watcher({file});
  REQUIRE(watcher.startStatus().ok());
  REQUIRE(watcher.fd() >= 0);

  SECTION("nothing happens: empty after the timeout") {
    auto start = std::chrono::steady_clock::now();
    CHECK(watcher.waitForChanges(100ms, 10ms).empty());
    CHECK(std::chrono::steady_clock::now() - start >= 90ms);
  }
  SECTION("written in place") {
    writeFile(file, "two\n");
    checkOnly(watcher.waitForChanges(2s, 20ms), file);
  }
  SECTION("truncated without being opened for writing") {
    fs::resize_file(file, 0);
    checkOnly(watcher.waitForChanges(2s, 20ms), file);
  }
  SECTION("a temporary file renamed over it (a new inode)") {
    auto tmp = dir.path / ".x.policy.tmp";
    writeFile(tmp, "three\n");
    fs::rename(tmp, file);
    checkOnly(watcher.waitForChanges(2s, 20ms), file);
    // The watch is on the directory, so the new inode is watched too.
    writeFile(file, "four\n");
    checkOnly(watcher.waitForChanges(2s, 20ms), file);
  }
  SECTION("deleted, then created again") {
    fs::remove(file);
    auto changed = watcher.waitForChanges(2s, 20ms);
    CHECK(contains(changed, file));
    writeFile(file, "back\n");
    changed = watcher.waitForChanges(2s, 20ms);
    CHECK(contains(changed, file));
  }
  SECTION("unrelated files in the same directory are not reported") {
    writeFile(dir.path / "other.policy", "x\n");
    writeFile(dir.path / "x.policy~", "x\n");
    fs::rename(dir.path / "other.policy", dir.path / "third.policy");
    CHECK(watcher.waitForChanges(200ms, 10ms).empty());
  }
  SECTION("events already queued are read with a zero timeout") {
    writeFile(file, "five\n");
    // As a caller that polled fd() itself would do.
    checkOnly(watcher.waitForChanges(0ms, 20ms), file);
  }
}

TEST_CASE("FileWatcher watches files in several directories", "[reload]") {
  TempDir a("roam-watch-a");
  TempDir b("roam-watch-b");
  auto fileA = a.path / "a.policy";
  auto fileA2 = a.path / "a2.policy";
  auto fileB = b.path / "roam.conf";
  writeFile(fileA, "a\n");
  writeFile(fileA2, "a2\n");
  writeFile(fileB, "b\n");
  FileWatcher watcher({fileA, fileA2, fileB});
  REQUIRE(watcher.startStatus().ok());

  SECTION("a change in the second directory names that file only") {
    writeFile(fileB, "b2\n");
    checkOnly(watcher.waitForChanges(2s, 20ms), fileB);
  }
  SECTION("changes in both directories in one burst are all reported") {
    writeFile(fileA2, "x\n");
    writeFile(fileB, "y\n");
    writeFile(fileA, "z\n");
    auto changed = watcher.waitForChanges(2s, 50ms);
    CHECK(changed.size() == 3);
    CHECK(contains(changed, fileA));
    CHECK(contains(changed, fileA2));
    CHECK(contains(changed, fileB));
  }
  SECTION("watch() replaces the watched set") {
    REQUIRE(watcher.watch({fileB}).ok());
    writeFile(fileA, "no longer watched\n");
    CHECK(watcher.waitForChanges(150ms, 10ms).empty());
    writeFile(fileB, "still watched\n");
    checkOnly(watcher.waitForChanges(2s, 20ms), fileB);
  }
}

TEST_CASE("FileWatcher coalesces a burst of events into one report", "[reload]") {
  TempDir dir("roam-watch");
  auto file = dir.path / "x.policy";
  writeFile(file, "0\n");
  FileWatcher watcher({file});

  SECTION("many events already queued") {
    for (int i = 0; i < 20; ++i) writeFile(file, std::to_string(i) + "\n");
    checkOnly(watcher.waitForChanges(2s, 50ms), file);
    CHECK(watcher.waitForChanges(100ms, 10ms).empty());
  }
  SECTION("a save spread over time, each step within the settle period") {
    std::thread editor([&] {
      for (int i = 0; i < 5; ++i) {
        writeFile(file, "step " + std::to_string(i) + "\n");
        std::this_thread::sleep_for(20ms);
      }
      auto tmp = dir.path / "x.policy.swp";
      writeFile(tmp, "final\n");
      fs::rename(tmp, file);
    });
    auto changed = watcher.waitForChanges(2s, 300ms);
    editor.join();
    checkOnly(changed, file);
    // Everything of the burst was consumed: nothing is left to report.
    CHECK(watcher.waitForChanges(100ms, 10ms).empty());
  }
}

TEST_CASE("FileWatcher reports a directory it cannot watch", "[reload]") {
  TempDir dir("roam-watch");
  auto good = dir.path / "x.policy";
  writeFile(good, "x\n");
  FileWatcher watcher({dir.path / "missing" / "y.policy", good});
  CHECK(roam::errorText(watcher.startStatus()).find("missing") != std::string::npos);
  // The other file is still watched.
  writeFile(good, "y\n");
  checkOnly(watcher.waitForChanges(2s, 20ms), good);
}
