#include "runtime/web/migration_board.hpp"

#include <algorithm>

namespace roam::runtime {

nlohmann::json progressToJson(const MigrationProgress& p) {
  nlohmann::json timeline = nlohmann::json::array();
  for (const auto& s : p.timeline) timeline.push_back({{"phase", s.phase}, {"t", s.t}});
  return {{"migration_id", p.migrationId},
          {"container", p.container},
          {"source", p.source},
          {"destination", p.destination},
          {"policy", p.policy},
          {"state", p.state},
          {"phase", p.phase},
          {"bytes_sent", p.bytesSent},
          {"bytes_total", p.bytesTotal},
          {"rate_bps", p.rateBps},
          {"precopy_rounds", p.precopyRounds},
          {"started_t", p.startedT},
          {"updated_t", p.updatedT},
          {"finished_t", p.finishedT ? nlohmann::json(*p.finishedT) : nlohmann::json(nullptr)},
          {"freeze_ms", p.freezeMs},
          {"timeline", std::move(timeline)},
          {"error", p.error}};
}

MigrationProgress* MigrationBoard::find(const std::string& migrationId) {
  for (auto& m : migrations_)
    if (m.migrationId == migrationId) return &m;
  return nullptr;
}

MigrationProgress& MigrationBoard::entryFor(const MigrationRecord& m) {
  MigrationProgress* p = find(m.migrationId);
  if (!p) p = &migrations_.emplace_back();
  p->migrationId = m.migrationId;
  p->container = m.container;
  p->source = m.source;
  p->destination = m.destination;
  p->policy = m.policy;
  return *p;
}

void MigrationBoard::changed() {
  ++changes_;
  changed_.notify_all();
}

void MigrationBoard::started(const MigrationRecord& m, double now) {
  std::lock_guard lock(mutex_);
  MigrationProgress* p = find(m.migrationId);
  if (p) *p = MigrationProgress{};  // the same id dispatched again starts afresh
  p = &entryFor(m);
  p->state = "dispatched";
  p->phase = "dispatched";
  p->startedT = p->updatedT = now;
  p->timeline.push_back({"dispatched", now});
  changed();
}

void MigrationBoard::progressed(const std::string& migrationId, const std::string& phase,
                                std::uint64_t bytesSent, std::uint64_t bytesTotal, double rateBps,
                                double now) {
  std::lock_guard lock(mutex_);
  MigrationProgress* p = find(migrationId);
  if (!p || p->finishedT) return;
  // The source reports every phase's start with zero bytes, then the bytes
  // as they go; a pre-copy phase that starts again is the next round.
  const bool restart = phase == p->phase && bytesSent == 0 && bytesTotal == 0;
  if (phase != p->phase || restart) {
    p->timeline.push_back({phase, now});
    if (phase == "precopy") ++p->precopyRounds;
  }
  p->state = "transferring";
  p->phase = phase;
  p->bytesSent = bytesSent;
  p->bytesTotal = bytesTotal;
  p->rateBps = rateBps;
  p->updatedT = now;
  changed();
}

void MigrationBoard::finished(const MigrationRecord& m) {
  std::lock_guard lock(mutex_);
  const bool seen = find(m.migrationId) != nullptr;
  MigrationProgress* p = &entryFor(m);
  if (!seen) p->startedT = m.startedT;  // ended before the board heard it start
  const double end = m.finishedT.value_or(m.updatedT);
  p->state = m.state;
  p->phase = m.state;
  p->updatedT = end;
  p->finishedT = end;
  p->freezeMs = m.freezeMs;
  p->error = m.error;
  p->timeline.push_back({m.state, end});
  // Keep every unfinished migration and the newest finished ones.
  std::size_t finishedCount = 0;
  for (const auto& x : migrations_) finishedCount += x.finishedT ? 1 : 0;
  for (auto it = migrations_.begin(); finishedCount > keepFinished_ && it != migrations_.end();) {
    if (it->finishedT) {
      it = migrations_.erase(it);
      --finishedCount;
    } else {
      ++it;
    }
  }
  changed();
}

void MigrationBoard::touch() {
  std::lock_guard lock(mutex_);
  changed();
}

std::vector<MigrationProgress> MigrationBoard::snapshot() const {
  std::lock_guard lock(mutex_);
  std::vector<MigrationProgress> out(migrations_.rbegin(), migrations_.rend());
  return out;
}

std::uint64_t MigrationBoard::changeCount() const {
  std::lock_guard lock(mutex_);
  return changes_;
}

std::uint64_t MigrationBoard::waitForChange(std::uint64_t seen,
                                            std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return changes_ != seen; });
  return changes_;
}

}  // namespace roam::runtime
