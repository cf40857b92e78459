#include "runtime/web/page_model.hpp"

#include <chrono>
#include <map>
#include <set>

#include "runtime/repl/repl_session.hpp"

namespace roam::runtime {

namespace {

// The REPL's backend with one state for every command of a snapshot (a live
// manager takes a fresh one per command) and without the commands that
// change anything: the page is read-only.
class PinnedBackend final : public ReplBackend {
 public:
  PinnedBackend(ReplBackend& inner, StateResult state) : inner_(inner), state_(std::move(state)) {}

  std::string describe() const override { return inner_.describe(); }
  StateResult state() override { return state_; }
  std::shared_ptr<const ActivePolicy> activePolicy() override { return inner_.activePolicy(); }
  nlohmann::json recentDecisions(std::size_t limit) override {
    return inner_.recentDecisions(limit);
  }
  nlohmann::json recentMigrations(std::size_t limit) override {
    return inner_.recentMigrations(limit);
  }
  ReplReply migrate(const std::string&, const std::string&) override { return readOnly(); }
  ReplReply reload() override { return readOnly(); }

 private:
  static ReplReply readOnly() {
    return {false, "the web view is read-only", {{"ok", false}, {"error", "read-only"}}};
  }
  ReplBackend& inner_;
  StateResult state_;
};

// The reply's JSON member `key`, or null when the command failed.
nlohmann::json member(ReplSession& session, const std::string& line, const char* key,
                      std::string* error = nullptr) {
  ReplReply r = session.execute(line);
  if (!r.ok || !r.json.is_object() || !r.json.contains(key)) {
    if (error && error->empty()) *error = r.text;
    return nullptr;
  }
  return r.json[key];
}

nlohmann::json topology(ReplSession& session, const lang::NetworkState* state,
                        const std::string& stateError) {
  nlohmann::json t = {{"switches", nlohmann::json::array()},
                      {"hosts", nlohmann::json::array()},
                      {"links", nlohmann::json::array()},
                      {"error", nullptr}};
  if (!state) {
    t["error"] = stateError;
    return t;
  }
  std::string error;
  auto switches = member(session, "switches", "switches", &error);
  auto hosts = member(session, "hosts", "hosts", &error);
  auto links = member(session, "links", "links", &error);
  auto loads = member(session, "bandwidth", "hosts", &error);
  if (switches.is_array()) t["switches"] = switches;
  if (links.is_array()) t["links"] = links;
  // Each host with its link's load (the `bandwidth` command's row).
  std::map<std::string, nlohmann::json> load;
  if (loads.is_array())
    for (const auto& row : loads) load[row.value("host", "")] = row;
  if (hosts.is_array())
    for (auto h : hosts) {
      const auto it = load.find(h.value("name", ""));
      for (const char* k : {"bandwidth_bps", "rx_bps", "tx_bps", "utilization"})
        h[k] = it != load.end() && it->second.contains(k) ? it->second[k] : nlohmann::json();
      t["hosts"].push_back(std::move(h));
    }
  // The newest sample's time, not its age: the age grows by itself and
  // would change the section (an event) at every rebuild.
  t["measured_t"] = state->now();
  if (!error.empty()) t["error"] = error;
  return t;
}

// The VIB's rows (newest first) with the board's live phases; migrations the
// board knows and the VIB does not yet show come first.
nlohmann::json migrations(const nlohmann::json& rows, const std::vector<MigrationProgress>& live) {
  std::map<std::string, const MigrationProgress*> byId;
  for (const auto& p : live) byId[p.migrationId] = &p;
  std::set<std::string> seen;
  nlohmann::json listed = rows.is_array() ? rows : nlohmann::json::array();
  for (auto& row : listed) {
    const std::string id = row.value("migration_id", "");
    seen.insert(id);
    auto it = byId.find(id);
    if (it == byId.end()) {
      row["phase"] = row.value("state", "");
      row["precopy_rounds"] = nullptr;
      row["rate_bps"] = nullptr;
      row["timeline"] = nlohmann::json::array();
      continue;
    }
    const MigrationProgress& p = *it->second;
    nlohmann::json j = progressToJson(p);
    for (const char* k : {"phase", "precopy_rounds", "rate_bps", "timeline"}) row[k] = j[k];
    // The board is fresher than the VIB's row, which is written at most once
    // a second while the migration runs.
    if (!p.finishedT) {
      for (const char* k : {"state", "bytes_sent", "bytes_total", "updated_t"}) row[k] = j[k];
    }
    if (!p.destination.empty() && row.value("destination", "").empty())
      row["destination"] = p.destination;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : live)
    if (!seen.count(p.migrationId)) out.push_back(progressToJson(p));
  for (auto& row : listed) out.push_back(std::move(row));
  return out;
}

}  // namespace

nlohmann::json PageModel::snapshot() {
  ReplBackend& queries = source_.queries();
  auto read = queries.state();
  const std::string stateError = read.ok() ? "" : read.error().message;
  std::shared_ptr<const lang::NetworkState> state = read.ok() ? *read : nullptr;
  PinnedBackend pinned(queries, read);
  ReplSession session(pinned);
  const auto live = source_.migrationProgress();

  nlohmann::json out;
  out["generated_t"] =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  out["manager"] = {{"describe", queries.describe()}};
  out["topology"] = topology(session, state.get(), stateError);

  nlohmann::json containers = nlohmann::json::array();
  if (state) {
    std::set<std::string> moving;
    for (const auto& p : live)
      if (!p.finishedT) moving.insert(p.container);
    auto rows = member(session, "containers", "containers");
    if (rows.is_array())
      for (auto c : rows) {
        c["migrating"] = moving.count(c.value("name", "")) > 0;
        containers.push_back(std::move(c));
      }
  }
  out["containers"] = std::move(containers);

  // {"policy", "description", "file", "content_hash", "loaded_at", "params",
  // "source"}, or why there is none.
  ReplReply shown = session.execute("policy show");
  if (!pinned.activePolicy())
    out["policy"] = {{"error", "no policy is loaded"}};
  else if (shown.ok && shown.json.is_object())
    out["policy"] = shown.json;
  else
    out["policy"] = {{"error", shown.text}};

  auto decisions = member(session, "decisions " + std::to_string(options_.decisions), "decisions");
  out["decisions"] = decisions.is_array() ? decisions : nlohmann::json::array();
  out["migrations"] = migrations(
      member(session, "migrations " + std::to_string(options_.migrations), "migrations"), live);
  return out;
}

}  // namespace roam::runtime
