#include "runtime/manager/policy_reloader.hpp"

#include <sstream>
#include <utility>

namespace roam::runtime {

namespace {

bool sameSource(const PolicySource& a, const PolicySource& b) {
  if (a.file != b.file || a.name != b.name || a.params.size() != b.params.size()) return false;
  for (std::size_t i = 0; i < a.params.size(); ++i)
    if (a.params[i].name != b.params[i].name || a.params[i].value != b.params[i].value)
      return false;
  return true;
}

// " with threshold=8Mbps sustain=3s", or "" without overrides.
std::string describeParams(const PolicySource& source) {
  std::string out;
  for (const auto& p : source.params)
    out += (out.empty() ? " with " : " ") + p.name + "=" + p.value;
  return out;
}

// Each rendered diagnostic starts with a "FILE:LINE:COL: error: " headline;
// the lines under it quote the source.
std::size_t countErrors(const std::string& rendered) {
  std::size_t n = 0;
  std::istringstream in(rendered);
  for (std::string line; std::getline(in, line);)
    if (line.find(": error: ") != std::string::npos && line.rfind(' ', 0) != 0) ++n;
  return n;
}

}  // namespace

PolicyReloader::PolicyReloader(Log log, Now now) : log_(std::move(log)), now_(std::move(now)) {}

ReloadOutcome PolicyReloader::load(const PolicySource& source, const std::string& reason) {
  std::lock_guard attempt(reloadMutex_);
  wanted_ = source;
  haveWanted_ = true;
  return apply(source, "load (" + reason + ")");
}

ReloadOutcome PolicyReloader::reload(const std::string& reason) {
  std::lock_guard attempt(reloadMutex_);
  if (!haveWanted_) {
    ReloadOutcome out;
    out.message = "reload (" + reason + "): no policy configured yet, nothing to reload";
    if (log_) log_(out.message);
    return out;
  }
  return counted(apply(wanted_, "reload (" + reason + ")"));
}

ReloadOutcome PolicyReloader::replaceSource(const PolicySource& source, const std::string& reason) {
  std::lock_guard attempt(reloadMutex_);
  wanted_ = source;
  haveWanted_ = true;
  return counted(apply(source, "reload (" + reason + ")"));
}

ReloadOutcome PolicyReloader::counted(ReloadOutcome outcome) {
  if (metrics_) metrics_->reloads.labels({outcome.ok ? "success" : "failure"}).inc();
  return outcome;
}

std::shared_ptr<const ActivePolicy> PolicyReloader::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

// Called with reloadMutex_ held. The new version is loaded and checked
// without mutex_, so evaluations keep reading the old one meanwhile; only
// the pointer swap takes mutex_.
ReloadOutcome PolicyReloader::apply(const PolicySource& source, const std::string& prefix) {
  auto previous = current();
  auto loaded = loadActivePolicy(source, now_ ? now_() : 0.0);

  ReloadOutcome out;
  out.hash = loaded.contentHash;
  std::string hash = out.hash.empty() ? "" : " " + out.hash;
  if (loaded.policy) {
    out.ok = true;
    out.changed = !previous || previous->contentHash != loaded.policy->contentHash ||
                  !sameSource(previous->source, source);
    const std::string name = loaded.policy->policy->name;  // loaded.policy may move below
    out.message = prefix + ": policy " + name + " from " + source.file + describeParams(source) +
                  hash + (out.changed ? " active" : " unchanged");
    // An unchanged version keeps the pointer (and its loadedAt): nothing to swap.
    if (out.changed) {
      std::lock_guard lock(mutex_);
      current_ = std::move(loaded.policy);
    }
    log_(logging::Event(out.message)
             .with("event", "policy_reload")
             .with("result", out.changed ? "active" : "unchanged")
             .with("policy", name)
             .with("policy_file", source.file)
             .with("policy_hash", out.hash)
             .with("reason", prefix));
    return out;
  }

  out.errors = std::move(loaded.errors);
  std::size_t n = countErrors(out.errors);
  if (n == 0) n = 1;  // the load failed, so at least one thing was wrong
  std::string keeping =
      previous ? "keeping " + previous->contentHash : std::string("no policy active");
  out.message = prefix + ": " + source.file + describeParams(source) + hash + " rejected, " +
                keeping + " (" + std::to_string(n) + (n == 1 ? " error)" : " errors)");
  if (log_) {
    log_(logging::Event(logging::Level::error, out.message)
             .with("event", "policy_reload")
             .with("result", "rejected")
             .with("policy_file", source.file)
             .with("policy_hash", out.hash)
             .with("kept_hash", previous ? previous->contentHash : "")
             .with("reason", prefix)
             .with("errors", static_cast<long long>(n)));
    // One log entry per line, so line-oriented logs keep the located errors
    // and their source quotes together and readable.
    std::istringstream in(out.errors);
    for (std::string line; std::getline(in, line);)
      log_(logging::Event(logging::Level::error, line).with("event", "policy_error"));
  }
  return out;
}

}  // namespace roam::runtime
