#pragma once
// The receiving half of the tree sync: applies a TreeSender's round streams to
// directory trees (a created container's writable layer, its volumes). The
// stream comes from another host: every path is checked, parents are opened
// beneath the root without following symlinks, every length is bounded.
// It removes only what a stream tells it to: the roots should start empty.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "common/result.hpp"

namespace roam::agent::sync {

struct ApplyStats {
  std::uint64_t entries = 0, removals = 0, contentBytes = 0;
};

class TreeApplier {
 public:
  explicit TreeApplier(std::vector<std::filesystem::path> roots);  // same order as the sender's
  ~TreeApplier();
  TreeApplier(TreeApplier&&) noexcept;
  TreeApplier& operator=(TreeApplier&&) noexcept;

  // Feeds the next bytes of a round's stream (any split: records may span calls);
  // applies every record as soon as it is complete. The first error sticks.
  roam::Status consume(std::span<const std::uint8_t> bytes);
  // The round's stream ended: refuses a stream cut inside a record (or without
  // its end-of-round record), applies pending directory times, resets for the next round.
  roam::Status finishRound();
  ApplyStats stats() const;  // of the current/last round

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace roam::agent::sync
