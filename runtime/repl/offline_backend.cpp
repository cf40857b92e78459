#include "runtime/repl/offline_backend.hpp"

#include <chrono>

#include "lang/state_json.hpp"
#include "runtime/vib/vib.hpp"
#include "runtime/vib/vib_export.hpp"

namespace roam::runtime {

namespace {

double wallClock() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// What both offline backends share: the --policy file and its reload.
class OfflineBackend : public ReplBackend {
 public:
  explicit OfflineBackend(PolicySource source) : source_(std::move(source)) {}

  // Loads the policy, or BadInput with the rendered diagnostics.
  roam::Status loadPolicy() {
    if (source_.file.empty()) return {};
    auto load = loadActivePolicy(source_, wallClock());
    if (!load.policy) return roam::makeError(roam::ErrorCode::BadInput, load.errors);
    std::lock_guard lock(mutex_);
    policy_ = std::move(load.policy);
    return {};
  }

  std::shared_ptr<const ActivePolicy> activePolicy() override {
    std::lock_guard lock(mutex_);
    return policy_;
  }

  ReplReply migrate(const std::string&, const std::string&) override {
    return {false, kNeedsManager, {{"ok", false}, {"error", kNeedsManager}}};
  }

  ReplReply reload() override {
    if (source_.file.empty()) {
      std::string text =
          std::string("no --policy file to reload; a running manager reloads its own ") +
          "(roam repl --connect SOCKET)";
      return {false, text, {{"ok", false}, {"error", text}}};
    }
    if (auto loaded = loadPolicy(); !loaded) {
      std::string error = loaded.error().message;
      while (!error.empty() && error.back() == '\n') error.pop_back();
      return {
          false, error + "\nthe previous policy stays active", {{"ok", false}, {"error", error}}};
    }
    auto p = activePolicy();
    std::string text =
        "reloaded " + p->policy->name + " from " + source_.file + " (" + p->contentHash + ")";
    return {
        true, text, {{"ok", true}, {"policy", p->policy->name}, {"content_hash", p->contentHash}}};
  }

 protected:
  std::string policySuffix() const {
    std::lock_guard lock(mutex_);
    return policy_ ? " (policy " + policy_->policy->name + ")" : "";
  }

  PolicySource source_;
  mutable std::mutex mutex_;
  std::shared_ptr<const ActivePolicy> policy_;
};

class StateBackend final : public OfflineBackend {
 public:
  StateBackend(std::string path, std::shared_ptr<const lang::NetworkState> state,
               PolicySource source)
      : OfflineBackend(std::move(source)), path_(std::move(path)), state_(std::move(state)) {}

  std::string describe() const override { return "state " + path_ + policySuffix(); }
  StateResult state() override { return state_; }
  nlohmann::json recentDecisions(std::size_t) override { return nlohmann::json::array(); }
  nlohmann::json recentMigrations(std::size_t) override { return nlohmann::json::array(); }

 private:
  std::string path_;
  std::shared_ptr<const lang::NetworkState> state_;
};

class VibBackend final : public OfflineBackend {
 public:
  VibBackend(std::string path, double window, PolicySource source)
      : OfflineBackend(std::move(source)), path_(std::move(path)), window_(window) {}

  std::string describe() const override { return "VIB " + path_ + policySuffix(); }

  StateResult state() override {
    auto snap = latestVibSnapshot(path_, window_);
    if (!snap) return snap.error();
    return std::shared_ptr<const lang::NetworkState>(std::move(*snap));
  }

  nlohmann::json recentDecisions(std::size_t limit) override {
    return recentRows(&Vib::recentDecisions, decisionToJson, limit);
  }

  nlohmann::json recentMigrations(std::size_t limit) override {
    return recentRows(&Vib::recentMigrations, migrationToJson, limit);
  }

 private:
  // The newest `limit` rows that `read` gets from the VIB, each as `toJson`
  // makes it; none when the VIB cannot be opened.
  template <class Record>
  nlohmann::json recentRows(roam::Result<std::vector<Record>> (Vib::*read)(std::size_t),
                            nlohmann::json (*toJson)(const Record&), std::size_t limit) const {
    nlohmann::json out = nlohmann::json::array();
    auto vib = Vib::open(path_, Vib::OpenMode::readOnly);
    if (!vib) return out;
    auto rows = ((**vib).*read)(limit);
    if (!rows) return out;
    for (const auto& row : *rows) out.push_back(toJson(row));
    return out;
  }

  std::string path_;
  double window_;
};

}  // namespace

OfflineBackendResult makeStateBackend(const std::string& statePath, const PolicySource& policy) {
  auto loaded = lang::loadStateFile(statePath);
  if (!loaded.state) {
    std::string errors;
    for (const auto& d : loaded.diagnostics) errors += lang::formatHeadline(d) + "\n";
    return roam::makeError(roam::ErrorCode::BadInput, errors);
  }
  auto backend = std::make_unique<StateBackend>(
      statePath, std::shared_ptr<const lang::NetworkState>(std::move(loaded.state)), policy);
  if (auto policyLoaded = backend->loadPolicy(); !policyLoaded) return policyLoaded.error();
  return std::unique_ptr<ReplBackend>(std::move(backend));
}

OfflineBackendResult makeVibBackend(const std::string& vibPath, double windowSeconds,
                                    const PolicySource& policy) {
  // Fail early on a missing or foreign file rather than at the first command.
  auto snap = latestVibSnapshot(vibPath, windowSeconds);
  if (!snap)
    return roam::makeError(snap.error().code,
                           locatedVibError(vibPath, snap.error().message) + "\n");
  auto backend = std::make_unique<VibBackend>(vibPath, windowSeconds, policy);
  if (auto policyLoaded = backend->loadPolicy(); !policyLoaded) return policyLoaded.error();
  return std::unique_ptr<ReplBackend>(std::move(backend));
}

}  // namespace roam::runtime
