#pragma once
// The policy the manager runs, as one immutable value: the checked files, the
// chosen policy in them, its parameter overrides and the content hash logged
// on every reload. Hot reload builds a new ActivePolicy and swaps a
// shared_ptr, so an evaluation in progress keeps the version it started with.

#include <memory>
#include <string>
#include <vector>

#include "lang/decision.hpp"
#include "runtime/policy_set.hpp"

namespace roam::runtime {

// Where the active policy comes from (configuration file and flags).
struct PolicySource {
  std::string file;  // the .policy file
  std::string name;  // "" = the only policy in the file
  std::vector<lang::ParamOverride> params;
};

struct ActivePolicy {
  PolicySource source;
  std::shared_ptr<const PolicySet> set;
  const lang::Policy* policy = nullptr;  // inside *set
  const lang::PolicyFile* file = nullptr;
  std::string contentHash;  // "sha256:<hex>" of the file's bytes
  double loadedAt = 0;      // seconds since the epoch
};

// Loads and checks `source` (parse, check, find the policy, check the
// parameter overrides' names). On failure `errors` holds the located
// diagnostics rendered as "FILE:LINE:COL: error: MESSAGE" lines with source
// quotes, and `policy` is null. `contentHash` is set whenever the file could be read.
struct PolicyLoad {
  std::shared_ptr<const ActivePolicy> policy;
  std::string errors;
  std::string contentHash;
};
PolicyLoad loadActivePolicy(const PolicySource& source, double now);

// "sha256:<64 hex>" of `bytes`.
std::string contentHash(std::string_view bytes);

}  // namespace roam::runtime
