#pragma once
// How a checkpoint migration's freeze splits, in the one JSON shape that
// `roam migrate --json`, the VIB's migrations (REPL `migrations --json`) and
// the manager's decision log share (docs/agent.md, "Checkpoint mode"):
//
//   "freeze_split_ms": {"dump": D, "transfer": T, "restore": R, "redirect": A},
//   "memory_bytes": N
//
// Header-only: the CLI (above the agent's libraries) and the VIB (in the
// runtime, which does not link them) both use it.

#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

namespace roam {

// DONE's numbers (docs/protocol.md): the mode the migration ran in, its
// freeze, and the checkpoint mode's split of that freeze.
struct FreezeSplit {
  std::string_view mode;          // auto, snapshot or checkpoint, as the source reported it
  double freezeMs = 0;            // source frozen until the destination's copy ran
  double dumpMs = 0;              // CRIU's dump on the source
  double transferMs = 0;          // the final file-system delta and the checkpoint images
  double restoreMs = 0;           // the destination's restore until its copy ran
  double redirectMs = 0;          // the destination's move of the service address
  std::uint64_t memoryBytes = 0;  // the checkpoint images' bytes
};

// Adds `freeze_split_ms` and `memory_bytes` to `out` for a checkpoint
// migration that froze; leaves `out` as it is for any other (a snapshot
// migration has no split, and zeros would read as measured).
inline void addFreezeSplitJson(nlohmann::json& out, const FreezeSplit& s) {
  if (s.mode != "checkpoint" || s.freezeMs <= 0) return;
  out["freeze_split_ms"] = {{"dump", s.dumpMs},
                            {"transfer", s.transferMs},
                            {"restore", s.restoreMs},
                            {"redirect", s.redirectMs}};
  out["memory_bytes"] = s.memoryBytes;
}

}  // namespace roam
