#pragma once
// The REPL looking into a running manager: live snapshots, the active policy,
// the VIB's history, manual migration and reload. `roam repl --connect`
// reaches it through the admin socket (runtime/repl/admin_socket.hpp).

#include "runtime/manager/manager.hpp"
#include "runtime/repl/repl_backend.hpp"

namespace roam::runtime {

class ManagerReplBackend final : public ReplBackend {
 public:
  explicit ManagerReplBackend(Manager& manager) : manager_(manager) {}

  std::string describe() const override { return manager_.describe(); }
  StateResult state() override { return manager_.snapshot(); }
  std::shared_ptr<const ActivePolicy> activePolicy() override { return manager_.activePolicy(); }
  nlohmann::json recentDecisions(std::size_t limit) override;
  nlohmann::json recentMigrations(std::size_t limit) override;
  ReplReply migrate(const std::string& container, const std::string& host) override;
  ReplReply reload() override;

 private:
  Manager& manager_;
};

}  // namespace roam::runtime
