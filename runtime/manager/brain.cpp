#include "runtime/manager/brain.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "lang/memory_state.hpp"

namespace roam::runtime {

const char* actionName(BrainAction action) {
  switch (action) {
    case BrainAction::idle:
      return "idle";
    case BrainAction::dispatch:
      return "dispatch";
    case BrainAction::dryRun:
      return "dry-run";
    case BrainAction::suppressed:
      return "suppressed";
    case BrainAction::error:
      return "error";
  }
  return "?";
}

std::string newDecisionId(double now) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  char buf[48];
  std::snprintf(buf, sizeof buf, "d-%lld-%08x", static_cast<long long>(std::llround(now * 1000)),
                static_cast<unsigned>(rng()));
  return buf;
}

namespace {

// " (left out: h3: no path from h2; h5: ...)" — why no host was chosen, for
// the log line a suppressed decision gets; "" when nothing was left out.
std::string excludedSuffix(const lang::Decision& d) {
  if (d.excluded.empty()) return "";
  std::string text = " (left out: ";
  for (std::size_t i = 0; i < d.excluded.size(); ++i)
    text += (i ? "; " : "") + d.excluded[i].host + ": " + d.excluded[i].reason;
  return text + ")";
}

// The policy's own staleness limit: a duration parameter called max_data_age.
std::optional<double> policyStalenessLimit(const ActivePolicy& policy,
                                           const lang::NetworkState& state) {
  const auto& params = policy.policy->params;
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (params[i].name != "max_data_age") continue;
    auto values = lang::resolveParams(*policy.policy, policy.source.params, state);
    if (values.diagnostics.empty() && i < values.values.size() &&
        values.values[i].kind == lang::ValueKind::Number)
      return values.values[i].number;
  }
  return std::nullopt;
}

std::string renderEvalDiagnostics(const lang::Diagnostics& ds, const ActivePolicy& policy) {
  std::string out;
  for (const auto& d : ds) {
    std::string_view source;
    if (policy.file && d.file == policy.file->path) source = policy.file->source;
    for (const auto& p : policy.source.params)
      if (d.file == p.origin) source = p.value;
    out += lang::formatDiagnostic(d, source);
  }
  return out;
}

}  // namespace

Brain::Brain(BrainOptions options) : options_(std::move(options)) {}

void Brain::setOptions(const BrainOptions& options) {
  std::lock_guard lock(mutex_);
  options_ = options;
}

Brain::Refusal Brain::refusalLocked(const std::string& container, double now) const {
  if (inFlight_.count(container))
    return {"migrating", "container '" + container + "' is already migrating"};
  if (auto it = lastFinished_.find(container); it != lastFinished_.end()) {
    const double left = it->second + options_.cooldownSeconds - now;
    if (left > 0) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "container '%s' moved %.1fs ago; cooldown %.1fs left",
                    container.c_str(), now - it->second, left);
      return {"cooldown", buf};
    }
  }
  std::size_t recent = 0;
  for (double t : recentStarts_)
    if (t > now - options_.rateLimit.perSeconds) ++recent;
  if (recent >= static_cast<std::size_t>(options_.rateLimit.migrations)) {
    char buf[160];
    std::snprintf(buf, sizeof buf,
                  "rate limit: %zu migration(s) started in the last %.1fs (max %d)", recent,
                  options_.rateLimit.perSeconds, options_.rateLimit.migrations);
    return {"rate-limit", buf};
  }
  return {};
}

std::string Brain::refusal(const std::string& container, double now) const {
  std::lock_guard lock(mutex_);
  return refusalLocked(container, now).reason;
}

void Brain::startLocked(const std::string& container, double now) {
  inFlight_[container] = now;
  recentStarts_.push_back(now);
}

bool Brain::migrating(const std::string& container) const {
  std::lock_guard lock(mutex_);
  return inFlight_.count(container) != 0;
}

bool Brain::migrationStarted(const std::string& container, double now) {
  std::lock_guard lock(mutex_);
  if (inFlight_.count(container)) return false;
  startLocked(container, now);
  return true;
}

void Brain::migrationFinished(const std::string& container, bool succeeded, double now) {
  std::lock_guard lock(mutex_);
  inFlight_.erase(container);
  if (succeeded) lastFinished_[container] = now;
}

BrainStep Brain::evaluate(const ActivePolicy& policy, const lang::NetworkState& state, double now) {
  BrainOptions options;
  std::uint64_t evaluation = 0;
  {
    std::lock_guard lock(mutex_);
    options = options_;
    evaluation = evaluations_++;
    while (!recentStarts_.empty() && recentStarts_.front() <= now - options.rateLimit.perSeconds)
      recentStarts_.pop_front();
  }

  BrainStep step;
  lang::DecideOptions decide;
  decide.seed = options.seed + evaluation;
  decide.params = policy.source.params;
  decide.maxDataAge = policyStalenessLimit(policy, state);
  if (!decide.maxDataAge) decide.maxDataAge = options.maxDataAge;

  const auto started = std::chrono::steady_clock::now();
  auto result = lang::decide(*policy.policy, policy.file->path, state, decide);
  step.decisionSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  if (!result.decision) {
    step.action = BrainAction::error;
    step.errors = renderEvalDiagnostics(result.diagnostics, policy);
    return step;
  }
  step.decision = std::move(result.decision);
  const auto& d = *step.decision;
  if (!d.triggered) return step;

  step.decisionId = newDecisionId(now);
  if (!d.container || !d.source) {
    step.action = BrainAction::suppressed;
    step.reason = "the policy fired but `which` selected no container";
    step.reasonKind = "no-container";
  } else if (d.mtd && !options.mtdUnavailable.empty()) {
    step.action = BrainAction::suppressed;
    step.reason = options.mtdUnavailable;
    step.reasonKind = "mtd";
  } else if (d.mtd && d.candidates.empty()) {
    // The lookup table holds the `where` block's candidates: none, no move.
    step.action = BrainAction::suppressed;
    step.reason = "the policy fired but `where` found no candidate host for '" + *d.container +
                  "'" + excludedSuffix(d);
    step.reasonKind = "no-destination";
  } else if (!d.mtd && !d.destination) {
    step.action = BrainAction::suppressed;
    step.reason = "the policy fired but `where` found no destination for '" + *d.container + "'" +
                  excludedSuffix(d);
    step.reasonKind = "no-destination";
  } else {
    std::lock_guard lock(mutex_);
    auto refused = refusalLocked(*d.container, now);
    step.reason = std::move(refused.reason);
    step.reasonKind = std::move(refused.kind);
    if (!step.reason.empty()) {
      step.action = BrainAction::suppressed;
    } else if (options.dryRun) {
      step.action = BrainAction::dryRun;
    } else {
      step.action = BrainAction::dispatch;
      startLocked(*d.container, now);
    }
  }

  step.logLine = lang::decisionToJson(d);
  step.logLine["decision_id"] = step.decisionId;
  step.logLine["time"] = now;
  step.logLine["action"] = actionName(step.action);
  if (!step.reason.empty()) step.logLine["reason"] = step.reason;
  step.logLine["policy_hash"] = policy.contentHash;
  step.logLine["policy_file"] = policy.source.file;
  step.logLine["decision_seconds"] = step.decisionSeconds;
  step.logLine["seed"] = decide.seed;
  return step;
}

}  // namespace roam::runtime
