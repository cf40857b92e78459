#pragma once
// Hot reload of the active policy: a new version is loaded and checked first;
// if it has errors they are logged (located, FILE:LINE:COL) and the previous
// version keeps running; if valid, it replaces the current one for the next
// evaluation. Every attempt, good or bad, is logged with the content hash.
// Thread-safe: the brain reads current() while a watcher thread reloads.

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/log_event.hpp"
#include "runtime/active_policy.hpp"
#include "runtime/manager_metrics.hpp"

namespace roam::runtime {

struct ReloadOutcome {
  bool ok = false;       // the new version is active
  bool changed = false;  // ok, and its hash or source differs from the previous one
  std::string hash;      // of the file read ("" when it could not be read)
  std::string errors;    // rendered diagnostics when !ok
  std::string message;   // the one-line log entry written for this attempt
};

class PolicyReloader {
 public:
  using Log = logging::Logger;
  using Now = std::function<double()>;

  PolicyReloader(Log log, Now now);

  // First load at start-up: same checks; on failure nothing is active.
  ReloadOutcome load(const PolicySource& source, const std::string& reason);
  // Reloads the current source (file changed, SIGHUP, REPL `reload`): the
  // one load()/replaceSource() last asked for, even if that was rejected.
  ReloadOutcome reload(const std::string& reason);
  // Switches to another source (the configuration changed the file, name or
  // parameters); on failure the previous policy stays active.
  ReloadOutcome replaceSource(const PolicySource& source, const std::string& reason);

  // Counts reload() and replaceSource() by result into METRICS (may be null).
  void setMetrics(ManagerMetrics* metrics) { metrics_ = metrics; }

  // The active policy; null only before a first successful load.
  std::shared_ptr<const ActivePolicy> current() const;

 private:
  ReloadOutcome apply(const PolicySource& source, const std::string& reason);
  ReloadOutcome counted(ReloadOutcome outcome);  // a reload's outcome, in the metrics

  Log log_;
  Now now_;
  // Held for a whole attempt, so attempts are applied in the order they ran
  // and a slow parse never blocks current().
  std::mutex reloadMutex_;
  // The source the last load()/replaceSource() asked for, kept even when it
  // was rejected: reload() retries what the configuration says.
  PolicySource wanted_;
  bool haveWanted_ = false;
  mutable std::mutex mutex_;  // guards current_ only
  std::shared_ptr<const ActivePolicy> current_;
  ManagerMetrics* metrics_ = nullptr;
};

}  // namespace roam::runtime
