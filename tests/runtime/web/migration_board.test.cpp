// The progress board: phases and pre-copy rounds from the source's PROGRESS
// reports, the end, how many finished migrations it keeps, and the change
// counter a reader waits on.

#include <catch2/catch.hpp>

#include <thread>

#include "runtime/web/migration_board.hpp"
#include "web_fixture.hpp"

using roam::runtime::MigrationBoard;
using roam::runtime::MigrationStep;
using roamtest::migrationRecord;

TEST_CASE("board: phases make the timeline, each pre-copy round counts", "[web]") {
  MigrationBoard board;
  board.started(migrationRecord("m-1", 100), 100);
  // As a source reports: each phase starts with zero bytes, then its bytes.
  board.progressed("m-1", "connecting", 0, 0, 0, 100.1);
  board.progressed("m-1", "preparing", 0, 0, 0, 100.2);
  board.progressed("m-1", "precopy", 0, 0, 0, 100.5);
  board.progressed("m-1", "precopy", 400, 1000, 8e6, 100.7);
  board.progressed("m-1", "precopy", 1000, 1000, 8e6, 100.9);
  board.progressed("m-1", "precopy", 0, 0, 0, 101.0);  // round 2
  board.progressed("m-1", "precopy", 50, 100, 1e6, 101.1);

  auto live = board.snapshot();
  REQUIRE(live.size() == 1);
  const auto& p = live[0];
  CHECK(p.state == "transferring");
  CHECK(p.phase == "precopy");
  CHECK(p.precopyRounds == 2);
  CHECK(p.bytesSent == 50);
  CHECK(p.bytesTotal == 100);
  CHECK(p.rateBps == 1e6);
  CHECK_FALSE(p.finishedT);
  CHECK(p.timeline == std::vector<MigrationStep>{{"dispatched", 100},
                                                 {"connecting", 100.1},
                                                 {"preparing", 100.2},
                                                 {"precopy", 100.5},
                                                 {"precopy", 101.0}});

  board.progressed("m-1", "freezing", 0, 0, 0, 101.2);
  board.progressed("m-1", "final-round", 0, 0, 0, 101.25);
  board.progressed("m-1", "serving", 0, 0, 0, 101.3);
  auto m = migrationRecord("m-1", 100);
  m.state = "done";
  m.finishedT = 101.5;
  m.freezeMs = 100;
  board.finished(m);
  // A late report after the end changes nothing.
  board.progressed("m-1", "retiring", 0, 0, 0, 101.6);

  live = board.snapshot();
  REQUIRE(live.size() == 1);
  CHECK(live[0].state == "done");
  CHECK(live[0].finishedT == 101.5);
  CHECK(live[0].freezeMs == 100);
  REQUIRE(live[0].timeline.size() == 9);
  CHECK(live[0].timeline.back() == MigrationStep{"done", 101.5});

  const auto j = roam::runtime::progressToJson(live[0]);
  CHECK(j["precopy_rounds"] == 2);
  CHECK(j["timeline"][3] == nlohmann::json{{"phase", "precopy"}, {"t", 100.5}});
  CHECK(j["finished_t"] == 101.5);
}

TEST_CASE("board: newest first; unfinished stay, old finished ones go", "[web]") {
  MigrationBoard board(2);
  for (int i = 1; i <= 4; ++i) board.started(migrationRecord("m-" + std::to_string(i), i), i);
  for (int i = 2; i <= 4; ++i) {
    auto m = migrationRecord("m-" + std::to_string(i), i);
    m.state = i == 3 ? "failed" : "done";
    m.error = i == 3 ? "destination refused" : "";
    m.finishedT = 10 + i;
    board.finished(m);
  }
  auto live = board.snapshot();
  REQUIRE(live.size() == 3);  // m-1 still running, m-3 and m-4 finished
  CHECK(live[0].migrationId == "m-4");
  CHECK(live[1].migrationId == "m-3");
  CHECK(live[1].error == "destination refused");
  CHECK(live[2].migrationId == "m-1");
  CHECK(live[2].state == "dispatched");
}

TEST_CASE("board: a migration that failed before it started still shows", "[web]") {
  MigrationBoard board;
  auto m = migrationRecord("m-9", 5);
  m.state = "failed";
  m.finishedT = 5;
  m.error = "no agent configured for host 'h4'";
  board.finished(m);
  auto live = board.snapshot();
  REQUIRE(live.size() == 1);
  CHECK(live[0].state == "failed");
  CHECK(live[0].error == m.error);
}

TEST_CASE("board: the change counter wakes a waiting reader", "[web]") {
  MigrationBoard board;
  const auto seen = board.changeCount();
  CHECK(board.waitForChange(seen, std::chrono::milliseconds(10)) == seen);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    board.touch();
  });
  CHECK(board.waitForChange(seen, std::chrono::seconds(5)) == seen + 1);
  writer.join();
  board.started(migrationRecord("m-1", 1), 1);
  board.progressed("m-1", "precopy", 0, 0, 0, 2);
  board.progressed("m-2", "precopy", 0, 0, 0, 2);  // unknown: no change
  CHECK(board.changeCount() == seen + 3);
}
