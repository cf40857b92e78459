#pragma once
// The agent's on-disk migration journal: one small JSON file per migration under
// DATA_DIR/journal/, so that after a crash the agent can find migrations that did
// not finish and roll back what they created. Every write is atomic (temp file,
// fsync, rename, fsync of the directory): a file is either the old or the new
// entry, never a torn mix.
//
// Not thread-safe: the caller serialises access.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace roam::agent {

enum class JournalRole { source, destination };

struct JournalEntry {
  std::string migrationId, container, peer, mode;
  // The step the migration is at (docs/agent.md, "The journal"). Source:
  // "inspecting", "preparing", "precopy", "frozen" (the container is paused),
  // "handed-over" (the final round's end is sent: the destination may start
  // it), "retiring", then "done" or "failed". Destination: "preparing",
  // "receiving", "starting" (the final round arrived: it starts whatever the
  // source does next), then "succeeded" or "rolled-back". Entries of older
  // agents may hold "capturing", "checkpointing", "sending", "committed",
  // "restoring".
  std::string state;
  JournalRole role = JournalRole::source;
  std::vector<std::string> images,
      volumes;                   // resources this migration created (removed on roll-back)
  std::string createdContainer;  // a container this migration created (destination)
  std::string containerId;       // the container being moved (source)
  // Source, checkpoint mode: set (and recorded) before the engine is asked to
  // checkpoint, which stops the container. Until "committed", recovery must
  // start the container again.
  std::string checkpointId;
  std::string result;  // "success" or the error, when finished
  std::uint64_t bytesSent = 0;
  double seconds = 0;
  std::string note;
  double updatedAt = 0;  // unix seconds; set by Journal::put
};

class Journal {
 public:
  // Creates DATA_DIR/journal/ (mode 0700) when missing; the error names the path.
  static roam::Result<Journal> open(const std::filesystem::path& dataDir);

  // Writes ENTRY, stamping updatedAt with the current time (so a read-modify-put
  // never keeps a stale time).
  roam::Status put(const JournalEntry& entry);
  std::optional<JournalEntry> get(const std::string& migrationId) const;
  // Every readable entry, oldest updatedAt first (ties by id). Unreadable files are
  // skipped and described in lastWarnings(); temp files of interrupted writes are
  // ignored silently.
  std::vector<JournalEntry> all() const;
  roam::Status remove(const std::string& migrationId);  // absent is not an error
  const std::vector<std::string>& lastWarnings() const { return warnings_; }

  const std::filesystem::path& directory() const { return dir_; }

 private:
  explicit Journal(std::filesystem::path dir) : dir_(std::move(dir)) {}

  std::filesystem::path dir_;
  mutable std::vector<std::string> warnings_;
};

bool isTerminalState(const std::string& state);  // done, failed, rolled-back, succeeded

// What start-up recovery does with an entry.
enum class RecoveryAction {
  none,                 // finished: nothing to do
  rollBackDestination,  // never confirmed: remove the partial container, volumes, image
  finishRetiring,       // the destination confirmed: stop and remove the old copy here
  discardCapture,       // before SUCCESS: remove the snapshot image; the container runs on
  restartSource,        // as discardCapture, and a checkpoint may have stopped the
                        // container: start it again (a plain start, its memory is lost)
  resumeSource,         // frozen before the hand-over: unpause the container here
  askDestination,       // handed over: the destination's answer decides (retire here,
                        // or resume here after its FAILURE)
  finishStarting,       // destination, the final round arrived: start the container
};
RecoveryAction recoveryActionFor(const JournalEntry& entry);

// An id usable as a file name: non-empty, at most 128 characters of
// [A-Za-z0-9._-], and not "." or "..". Others are rejected by put/get/remove.
bool isValidMigrationId(const std::string& migrationId);

}  // namespace roam::agent
