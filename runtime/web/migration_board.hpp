#pragma once
// The progress of the migrations a manager follows, kept in memory for the
// live view (the VIB keeps each migration's row, written at most once a
// second and without its phases): each PROGRESS phase change with its time,
// the pre-copy rounds begun, the bytes of the phase under way. Thread-safe;
// a change counter lets a reader wait for the next change.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/vib/history.hpp"
#include "runtime/web/live_source.hpp"

namespace roam::runtime {

class MigrationBoard {
 public:
  // How many finished migrations stay on the board (the newest ones).
  explicit MigrationBoard(std::size_t keepFinished = 10) : keepFinished_(keepFinished) {}

  // A migration dispatched (or re-attached after a restart), at `now`.
  void started(const MigrationRecord& m, double now);
  // A PROGRESS from the source agent. A phase that differs from the last one
  // starts a step of the timeline; "precopy" counts a pre-copy round.
  void progressed(const std::string& migrationId, const std::string& phase, std::uint64_t bytesSent,
                  std::uint64_t bytesTotal, double rateBps, double now);
  // The migration ended (m.state done or failed, m.finishedT set); m's
  // destination may be new (MTD) and its freeze is DONE's.
  void finished(const MigrationRecord& m);
  // Something else the page shows changed (a decision, a reload).
  void touch();

  std::vector<MigrationProgress> snapshot() const;
  std::uint64_t changeCount() const;
  std::uint64_t waitForChange(std::uint64_t seen, std::chrono::milliseconds timeout) const;

 private:
  MigrationProgress* find(const std::string& migrationId);  // mutex_ held
  // The migration's entry, added when new, with its names from M; mutex_ held.
  MigrationProgress& entryFor(const MigrationRecord& m);
  void changed();  // mutex_ held

  std::size_t keepFinished_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::deque<MigrationProgress> migrations_;  // oldest first
  std::uint64_t changes_ = 0;
};

}  // namespace roam::runtime
