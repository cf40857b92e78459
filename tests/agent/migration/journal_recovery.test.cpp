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
  REQUIRE(std::holds_alternative<Journal>(opened));
  auto& journal = std::get<Journal>(opened);
  REQUIRE(journal.put(entry(JournalRole::source, "checkpointing", "roam-m1")) == "");
  auto back = journal.get("m1");
  REQUIRE(back);
  CHECK(back->checkpointId == "roam-m1");
  CHECK(back->state == "checkpointing");
  // Entries written before the field existed read as "no checkpoint".
  REQUIRE(journal.put(entry(JournalRole::source, "sending", "")) == "");
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
