#pragma once
// The sending half of the tree sync: scans directory trees (a container's
// writable layer, its volumes) while they change and turns each round into
// one byte stream (stream_format.hpp) for a TreeApplier on another host. The
// first round carries everything, each later one only what changed since the
// previous round's scan. docs/agent.md, "Tree sync", says what survives.
//
// The sender remembers what it sent (per path: lstat and block hashes) and
// assumes the destination holds exactly that: one TreeSender per destination,
// every round's stream applied in full by one TreeApplier, in order, onto roots
// that start empty. After an error on either side, start over with new ones.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace roam::agent::sync {

struct SenderOptions {
  std::size_t blockBytes = 64 * 1024;  // change-detection block size (at most 1 MiB)
  // An entry whose mtime or ctime is this close to (or after) the start of the
  // scan that saw it is checked again in the next round whatever its lstat
  // says: timestamps come from a coarse clock, so a write in the same tick
  // right after the scan leaves them unchanged.
  std::chrono::milliseconds racyWindow{1000};
};

struct RoundPlan {            // what planRound found
  std::uint64_t entries = 0;  // entries (files, dirs, links...) to send
  std::uint64_t removals = 0;
  std::uint64_t contentBytesAtMost = 0;  // bytes of file content the round may send
                                         // (whole changed files; blocks found
                                         // unchanged while reading are skipped)
};

struct RoundStats {  // after the round's stream was read to its end
  std::uint64_t entries = 0, removals = 0;
  std::uint64_t contentBytes = 0;  // file content bytes actually put in the stream
  std::uint64_t streamBytes = 0;   // all bytes of the stream (records + content)
};

class TreeSender {
 public:
  TreeSender(std::vector<std::filesystem::path> roots, SenderOptions options = {});
  ~TreeSender();
  TreeSender(TreeSender&&) noexcept;
  TreeSender& operator=(TreeSender&&) noexcept;

  // Scans every root (lstat, never following symlinks, not crossing into other
  // file systems) and plans the next round: the first round everything, each
  // later one only what changed since the previous round's scan, plus removals.
  // The unread rest of a previous round is dropped (and planned again).
  roam::Result<RoundPlan> planRound();
  // Fills OUT with the next bytes of the planned round's record stream, reading
  // file contents lazily (never a whole file in memory). Returns the number of
  // bytes written; 0 means the round's stream is complete. Errors name the path.
  roam::Result<std::size_t> read(std::span<std::uint8_t> out);
  RoundStats stats() const;  // of the current/last round

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace roam::agent::sync
