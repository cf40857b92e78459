#pragma once
// The REPL without a manager: a fixed STATE.json, or the newest snapshot of a
// VIB file (taken afresh for every command, so a VIB still being written by
// `roam measure` reads as it grows). The active policy is the one given with
// `--policy FILE [--policy-name NAME]`, or none. Manual migration needs a
// manager; `reload` re-reads the --policy file (and keeps the old policy when
// the new text has errors).

#include <memory>
#include <mutex>
#include <string>

#include "runtime/repl/repl_backend.hpp"

namespace roam::runtime {

// The backend, or the error (ErrorCode::BadInput, or the VIB's code) whose
// message is the rendered diagnostics, one per line.
using OfflineBackendResult = roam::Result<std::unique_ptr<ReplBackend>>;

// `policy` may have an empty file: no active policy.
OfflineBackendResult makeStateBackend(const std::string& statePath, const PolicySource& policy);
// `windowSeconds`: how much history each snapshot holds (for `for 5s`, avg_over).
OfflineBackendResult makeVibBackend(const std::string& vibPath, double windowSeconds,
                                    const PolicySource& policy);

// The answer of an offline backend to migrate and reload-less requests.
inline constexpr const char* kNeedsManager = "needs a running manager (roam repl --connect SOCKET)";

}  // namespace roam::runtime
