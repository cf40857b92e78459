#pragma once
// Recreating a migrated container on the destination from the verified files:
// load the snapshot image, create the volumes and the container (same name,
// labelled with the migration id), restore the volumes' contents, start it
// (in checkpoint mode from the transferred checkpoint) and check it runs.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "agent/migration/container_spec.hpp"
#include "agent/migration/journal.hpp"
#include "agent/protocol/messages.hpp"
#include "common/result.hpp"

namespace roam::agent {

// One received, verified file.
struct ReceivedFile {
  FileEntry entry;
  std::filesystem::path path;
};

struct RestoreJob {
  ContainerSpec spec;
  std::vector<ReceivedFile> files;
  std::string migrationId;
  // Checkpoint mode: the checkpoint is unpacked into WORK_DIR/checkpoint/ID
  // and removed again once the container started (or failed to).
  std::filesystem::path workDir;
};

// Checks a RESTART's files against its mode before any byte is received:
// every mode needs one image file; checkpoint mode exactly one checkpoint file
// with a valid id; other modes none.
roam::Status checkRestartFiles(const std::string& mode, const std::vector<FileEntry>& files);

// Blocking. Records what it creates in ENTRY through RECORD before creating
// it, so a crash leaves a trail. CONTAINER_ID is set as soon as the container
// exists.
roam::Status restoreContainer(const std::string& dockerSocket, const RestoreJob& job,
                              JournalEntry& entry,
                              const std::function<void(const JournalEntry&)>& record,
                              std::string& containerId);

}  // namespace roam::agent
