// The migration journal on a real temporary directory.

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include "agent/migration/journal.hpp"

namespace fs = std::filesystem;
using namespace roam::agent;

namespace {

using TempDir = roamtest::TempDir;

Journal openJournal(const fs::path& dataDir) {
  auto opened = Journal::open(dataDir);
  if (auto* error = std::get_if<std::string>(&opened)) FAIL(*error);
  return std::move(std::get<Journal>(opened));
}

JournalEntry sample(const std::string& id) {
  JournalEntry e;
  e.migrationId = id;
  e.container = "cache";
  e.peer = "host-b:7443";
  e.mode = "stop-and-copy";
  e.state = "sending";
  e.role = JournalRole::destination;
  e.images = {"roam/cache:" + id};
  e.volumes = {"cache-data", std::string(64, 'a')};
  e.createdContainer = "abc123";
  e.result = "";
  e.bytesSent = 123456789012ull;
  e.seconds = 12.5;
  e.note = "ünïcode note";
  return e;
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace

TEST_CASE("Journal round-trips entries", "[agent]") {
  TempDir dir;
  Journal journal = openJournal(dir.path / "data");
  struct stat st {};
  REQUIRE(::stat((dir.path / "data" / "journal").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  CHECK(journal.all().empty());
  CHECK(!journal.get("m1"));

  const double before = 1e9;
  REQUIRE(journal.put(sample("m1")) == "");
  auto got = journal.get("m1");
  REQUIRE(got);
  CHECK(got->migrationId == "m1");
  CHECK(got->container == "cache");
  CHECK(got->peer == "host-b:7443");
  CHECK(got->mode == "stop-and-copy");
  CHECK(got->state == "sending");
  CHECK(got->role == JournalRole::destination);
  CHECK(got->images == std::vector<std::string>{"roam/cache:m1"});
  CHECK(got->volumes == sample("m1").volumes);
  CHECK(got->createdContainer == "abc123");
  CHECK(got->bytesSent == 123456789012ull);
  CHECK(got->seconds == 12.5);
  CHECK(got->note == "ünïcode note");
  CHECK(got->updatedAt > before);  // stamped by put

  REQUIRE(journal.put(sample("m2")) == "");
  JournalEntry updated = *got;
  updated.state = "failed";
  updated.result = "peer went away";
  REQUIRE(journal.put(updated) == "");  // m1 is now the most recent
  auto all = journal.all();
  REQUIRE(all.size() == 2);
  CHECK(all[0].migrationId == "m2");
  CHECK(all[1].migrationId == "m1");
  CHECK(all[1].state == "failed");
  CHECK(all[1].result == "peer went away");
  CHECK(all[1].updatedAt >= all[0].updatedAt);
  CHECK(journal.lastWarnings().empty());

  // A second Journal over the same directory sees the same entries.
  CHECK(openJournal(dir.path / "data").all().size() == 2);

  CHECK(journal.remove("m2") == "");
  CHECK(!journal.get("m2"));
  CHECK(journal.remove("m2") == "");  // already gone is fine
  CHECK(journal.all().size() == 1);
}

TEST_CASE("Journal ignores leftover temp files and skips corrupt ones", "[agent]") {
  TempDir dir;
  Journal journal = openJournal(dir.path);
  REQUIRE(journal.put(sample("good")) == "");
  const fs::path jdir = dir.path / "journal";

  // What a crash between write and rename leaves behind.
  writeFile(jdir / ".crashed.json.tmp", R"({"migrationId": "crashed", "state": "sen)");
  writeFile(jdir / "garbage.json", "{not json");
  writeFile(jdir / "wrongtype.json", R"({"migrationId": "wrongtype", "bytesSent": "many"})");
  writeFile(jdir / "other.json", R"({"migrationId": "someone-else"})");
  writeFile(jdir / "README", "not an entry");

  auto all = journal.all();
  REQUIRE(all.size() == 1);
  CHECK(all[0].migrationId == "good");
  CHECK(journal.lastWarnings().size() == 3);
  std::string warnings;
  for (const auto& w : journal.lastWarnings()) warnings += w + "\n";
  CHECK_THAT(warnings, Catch::Contains("garbage.json") && Catch::Contains("wrongtype.json") &&
                           Catch::Contains("other.json"));

  CHECK(!journal.get("garbage"));
  CHECK(journal.lastWarnings().size() == 1);
  CHECK(!journal.get("crashed"));

  // A put over a stale temp file still works and leaves no temp behind.
  writeFile(jdir / ".good.json.tmp", "stale");
  REQUIRE(journal.put(sample("good")) == "");
  CHECK(!fs::exists(jdir / ".good.json.tmp"));
  CHECK(journal.get("good"));
}

TEST_CASE("Journal rejects ids that are not plain file names", "[agent]") {
  TempDir dir;
  Journal journal = openJournal(dir.path);
  for (const std::string& id : std::vector<std::string>{"", ".", "..", "a/b", "../escape", "/abs",
                                                        "a\\b", "sp ace", std::string(129, 'x')}) {
    INFO("id \"" << id << "\"");
    CHECK(!isValidMigrationId(id));
    CHECK(journal.put(sample(id)) != "");
    CHECK(!journal.get(id));
    CHECK(journal.remove(id) != "");
  }
  CHECK(!fs::exists(dir.path / "escape.json"));
  CHECK(isValidMigrationId("mig-2021.08_21-abc"));
  CHECK(journal.all().empty());
}

TEST_CASE("Journal reports a data directory it cannot use", "[agent]") {
  TempDir dir;
  writeFile(dir.path / "file", "x");
  auto opened = Journal::open(dir.path / "file");
  REQUIRE(std::holds_alternative<std::string>(opened));
  CHECK_THAT(std::get<std::string>(opened), Catch::Contains("file"));
}

TEST_CASE("isTerminalState", "[agent]") {
  for (const char* s : {"done", "failed", "rolled-back", "succeeded"}) CHECK(isTerminalState(s));
  for (const char* s : {"capturing", "sending", "committed", "receiving", "restoring", ""})
    CHECK(!isTerminalState(s));
}
