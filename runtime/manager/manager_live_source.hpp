#pragma once
// The live view (docs/web.md) looking into a running manager: the REPL's
// queries through the manager's REPL backend, the migrations' phases and the
// change counter from its progress board.

#include "runtime/manager/manager.hpp"
#include "runtime/manager/manager_repl_backend.hpp"
#include "runtime/web/live_source.hpp"

namespace roam::runtime {

class ManagerLiveSource final : public LiveSource {
 public:
  explicit ManagerLiveSource(Manager& manager) : manager_(manager), queries_(manager) {}

  ReplBackend& queries() override { return queries_; }
  std::vector<MigrationProgress> migrationProgress() override {
    return manager_.board().snapshot();
  }
  std::uint64_t changeCount() override { return manager_.board().changeCount(); }
  std::uint64_t waitForChange(std::uint64_t seen, std::chrono::milliseconds timeout) override {
    return manager_.board().waitForChange(seen, timeout);
  }

 private:
  Manager& manager_;
  ManagerReplBackend queries_;
};

}  // namespace roam::runtime
