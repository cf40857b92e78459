#include "runtime/manager/manager_repl_backend.hpp"

namespace roam::runtime {

nlohmann::json ManagerReplBackend::recentDecisions(std::size_t limit) {
  nlohmann::json out = nlohmann::json::array();
  if (!manager_.vib()) return out;
  auto rows = manager_.vib()->recentDecisions(limit);
  if (!rows) return out;
  for (const auto& d : *rows) out.push_back(decisionToJson(d));
  return out;
}

nlohmann::json ManagerReplBackend::recentMigrations(std::size_t limit) {
  nlohmann::json out = nlohmann::json::array();
  if (!manager_.vib()) return out;
  auto rows = manager_.vib()->recentMigrations(limit);
  if (!rows) return out;
  for (auto& m : *rows) out.push_back(migrationToJson(m));
  return out;
}

ReplReply ManagerReplBackend::migrate(const std::string& container, const std::string& host) {
  auto result = manager_.migrateManually(container, host);
  ReplReply reply;
  reply.ok = result.ok();
  if (!reply.ok) {
    reply.text = result.error().message;
    reply.json = {{"ok", false}, {"error", result.error().message}};
    return reply;
  }
  reply.text = "migration " + *result + " of " + container + " to " + host +
               " started (follow it with `migrations`)";
  reply.json = {{"ok", true}, {"migration_id", *result}};
  return reply;
}

ReplReply ManagerReplBackend::reload() {
  auto outcome = manager_.reload("REPL reload");
  ReplReply reply;
  reply.ok = outcome.ok;
  reply.text = outcome.message + (outcome.errors.empty() ? "" : "\n" + outcome.errors);
  reply.json = {{"ok", outcome.ok},
                {"changed", outcome.changed},
                {"hash", outcome.hash},
                {"message", outcome.message},
                {"errors", outcome.errors}};
  return reply;
}

}  // namespace roam::runtime
