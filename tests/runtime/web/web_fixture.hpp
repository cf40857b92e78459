#pragma once
// A LiveSource for the live view's tests: the REPL's offline backend on a
// STATE.json with a policy (as `roam repl --state` sees it), a progress
// board, and a history the test fills in (the offline backend has none).

#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "runtime/repl/offline_backend.hpp"
#include "runtime/web/live_source.hpp"
#include "runtime/web/migration_board.hpp"

namespace roamtest {

inline std::string sourceFile(const std::string& relative) {
  return std::string(ROAM_SOURCE_DIR) + "/" + relative;
}

// The offline backend with a history to show.
class HistoryBackend final : public roam::runtime::ReplBackend {
 public:
  explicit HistoryBackend(std::unique_ptr<ReplBackend> inner) : inner_(std::move(inner)) {}

  nlohmann::json decisions = nlohmann::json::array();   // newest first
  nlohmann::json migrations = nlohmann::json::array();  // newest first
  int mutations = 0;  // migrate() and reload() calls that reached it

  std::string describe() const override { return inner_->describe(); }
  StateResult state() override { return inner_->state(); }
  std::shared_ptr<const roam::runtime::ActivePolicy> activePolicy() override {
    return inner_->activePolicy();
  }
  nlohmann::json recentDecisions(std::size_t limit) override { return first(decisions, limit); }
  nlohmann::json recentMigrations(std::size_t limit) override { return first(migrations, limit); }
  roam::runtime::ReplReply migrate(const std::string& c, const std::string& h) override {
    ++mutations;
    return inner_->migrate(c, h);
  }
  roam::runtime::ReplReply reload() override {
    ++mutations;
    return inner_->reload();
  }

 private:
  static nlohmann::json first(const nlohmann::json& items, std::size_t limit) {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t i = 0; i < items.size() && i < limit; ++i) out.push_back(items[i]);
    return out;
  }
  std::unique_ptr<ReplBackend> inner_;
};

class StateLiveSource final : public roam::runtime::LiveSource {
 public:
  explicit StateLiveSource(const std::string& state = "examples/states/paper-heterogeneous.json",
                           const std::string& policy = "policies/load-balancing/bandwidth.policy") {
    roam::runtime::PolicySource p;
    p.file = sourceFile(policy);
    auto made = roam::runtime::makeStateBackend(sourceFile(state), p);
    INFO(roam::errorText(made));
    REQUIRE(made.ok());
    backend = std::make_unique<HistoryBackend>(std::move(*made));
  }

  std::unique_ptr<HistoryBackend> backend;
  roam::runtime::MigrationBoard board;

  roam::runtime::ReplBackend& queries() override { return *backend; }
  std::vector<roam::runtime::MigrationProgress> migrationProgress() override {
    return board.snapshot();
  }
  std::uint64_t changeCount() override { return board.changeCount(); }
  std::uint64_t waitForChange(std::uint64_t seen, std::chrono::milliseconds timeout) override {
    return board.waitForChange(seen, timeout);
  }
};

// A migration record as the manager starts one.
inline roam::runtime::MigrationRecord migrationRecord(const std::string& id, double startedT) {
  roam::runtime::MigrationRecord m;
  m.migrationId = id;
  m.decisionId = "d-1";
  m.container = "iperf-server";
  m.source = "h2";
  m.destination = "h4";
  m.policy = "bandwidth";
  m.mode = "auto";
  m.state = "dispatched";
  m.startedT = m.updatedT = startedT;
  return m;
}

}  // namespace roamtest
