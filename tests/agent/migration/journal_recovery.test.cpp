// The journal's checkpoint field and start-up recovery's decision per entry.

#include <catch2/catch.hpp>

#include "agent/migration/journal.hpp"
#include "temp_dir.hpp"

using namespace roam::agent;

namespace {
JournalEntry entry(JournalRole role, const std::string& state, const std::string& checkpointId) {
  JournalEntry e;
  e.migrationId = "m1";
  e.container = "web";
  e.role = role;
  e.state = state;
  e.checkpointId = checkpointId;
  return e;
}
}  // namespace

TEST_CASE("the journal keeps a source's checkpoint id", "[agent]") {
  roamtest::TempDir tmp("roam-journal");
  auto opened = Journal::open(tmp.path);
  REQUIRE(opened.ok());
  auto& journal = *opened;
  REQUIRE(journal.put(entry(JournalRole::source, "checkpointing", "roam-m1")).ok());
  auto back = journal.get("m1");
  REQUIRE(back);
  CHECK(back->checkpointId == "roam-m1");
  CHECK(back->state == "checkpointing");
  // Entries written before the field existed read as "no checkpoint".
  REQUIRE(journal.put(entry(JournalRole::source, "sending", "")).ok());
  CHECK(journal.get("m1")->checkpointId.empty());
}

TEST_CASE("recovery decides per entry", "[agent]") {
  using enum RecoveryAction;
  const auto src = JournalRole::source;
  const auto dst = JournalRole::destination;
  for (const char* terminal : {"done", "failed", "rolled-back", "succeeded"}) {
    CHECK(recoveryActionFor(entry(src, terminal, "")) == none);
    CHECK(recoveryActionFor(entry(src, terminal, "roam-m1")) == none);
    CHECK(recoveryActionFor(entry(dst, terminal, "")) == none);
  }
  CHECK(recoveryActionFor(entry(dst, "receiving", "")) == rollBackDestination);
  CHECK(recoveryActionFor(entry(dst, "restoring", "")) == rollBackDestination);
  CHECK(recoveryActionFor(entry(src, "committed", "")) == finishRetiring);
  // SUCCESS arrived: the old copy goes, checkpoint or not.
  CHECK(recoveryActionFor(entry(src, "committed", "roam-m1")) == finishRetiring);
  for (const char* early : {"capturing", "sending"})
    CHECK(recoveryActionFor(entry(src, early, "")) == discardCapture);
  // A checkpoint may have stopped the container: it must be started again.
  for (const char* early : {"checkpointing", "capturing", "sending"})
    CHECK(recoveryActionFor(entry(src, early, "roam-m1")) == restartSource);
}

TEST_CASE("recovery of a pre-copy migration follows its step", "[agent]") {
  using enum RecoveryAction;
  const auto src = JournalRole::source;
  const auto dst = JournalRole::destination;
  // Source: nothing ran elsewhere before the freeze; frozen and not handed
  // over, it is resumed; handed over, only the destination knows.
  for (const char* early : {"inspecting", "preparing", "precopy"})
    CHECK(recoveryActionFor(entry(src, early, "")) == discardCapture);
  CHECK(recoveryActionFor(entry(src, "frozen", "")) == resumeSource);
  CHECK(recoveryActionFor(entry(src, "handed-over", "")) == askDestination);
  CHECK(recoveryActionFor(entry(src, "retiring", "")) == finishRetiring);
  // Destination: before the final round it is rolled back; after it, the
  // frozen source counts on it: it is started.
  for (const char* early : {"preparing", "receiving"})
    CHECK(recoveryActionFor(entry(dst, early, "")) == rollBackDestination);
  CHECK(recoveryActionFor(entry(dst, "starting", "")) == finishStarting);
}
