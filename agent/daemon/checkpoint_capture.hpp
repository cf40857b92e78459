#pragma once
// Checkpoint mode on the source: the Docker Engine dumps the container's
// processes with CRIU into a directory under this migration's spool and stops
// it (Exit), so the file-system snapshot taken next matches the processes'
// state exactly; the checkpoint directory is then packed into one tar file to
// travel as the RESTART file of kind "checkpoint". If the migration fails
// before SUCCESS, undoCheckpoint starts the container again.

#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace roam::agent {

struct CheckpointCapture {
  std::string checkpointId;
  std::filesystem::path checkpointDir;  // the CheckpointDir given to the engine
  std::filesystem::path archive;        // tar of checkpointDir/checkpointId
  bool stopped = false;                 // the engine may have stopped the container
  roam::Status outcome;                 // `stopped` is valid on failure too
  bool ok() const { return outcome.ok(); }
  const roam::Error& error() const { return outcome.error(); }
};

// Where the engine writes a migration's checkpoint: SPOOL/checkpoint/ID.
std::filesystem::path checkpointDirIn(const std::filesystem::path& spool);

// Blocking: runs on the worker pool. `stopped` is set as soon as the engine
// was asked, since a failed checkpoint may still have stopped the container.
CheckpointCapture captureCheckpoint(const std::string& dockerSocket, const std::string& container,
                                    const std::string& migrationId,
                                    const std::filesystem::path& spool);

// Blocking. After a failure: starts CONTAINER again (a plain start: its
// processes begin anew; nothing on disk is lost) and deletes the checkpoint.
// The error says what could not be done.
roam::Status undoCheckpoint(const std::string& dockerSocket, const std::string& container,
                            const std::string& checkpointId,
                            const std::filesystem::path& checkpointDir);

}  // namespace roam::agent
