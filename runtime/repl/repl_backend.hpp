#pragma once
// What the REPL looks into. Offline, a STATE.json or a VIB file
// (offline_backend.hpp); connected, the running manager, which implements
// this interface and runs the REPL session inside itself, answering the
// `roam repl --connect` client over its admin socket.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "lang/network_state.hpp"
#include "runtime/active_policy.hpp"

namespace roam::runtime {

// A command's answer: the text to print, the same as JSON (for --json), and
// whether it succeeded (errors are "<repl>:1:COL: error: ..." in `text`).
struct ReplReply {
  bool ok = true;
  std::string text;
  nlohmann::json json;
};

class ReplBackend {
 public:
  virtual ~ReplBackend() = default;

  // One line saying what is being looked at ("state examples/x.json",
  // "VIB /var/lib/roam/vib.sqlite", "manager (policy bandwidth)").
  virtual std::string describe() const = 0;

  // A consistent state to evaluate on (a fresh snapshot per command when live),
  // never null, or why there is none.
  using StateResult = roam::Result<std::shared_ptr<const lang::NetworkState>>;
  virtual StateResult state() = 0;

  // The policy `explain` uses by default and `policy show` prints; null when none.
  virtual std::shared_ptr<const ActivePolicy> activePolicy() = 0;

  // Newest first, at most `limit`, each as JSON (decision-log lines;
  // runtime/vib/history.hpp migrationToJson). Empty when there is no history.
  virtual nlohmann::json recentDecisions(std::size_t limit) = 0;
  virtual nlohmann::json recentMigrations(std::size_t limit) = 0;

  // Manual migration and reload: only a live manager can; offline backends
  // answer ok=false with a clear message.
  virtual ReplReply migrate(const std::string& container, const std::string& host) = 0;
  virtual ReplReply reload() = 0;
};

}  // namespace roam::runtime
