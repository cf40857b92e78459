#pragma once
// A container checkpoint (CRIU's image files, as the Docker Engine writes them
// into CheckpointDir/CheckpointID) travels as one tar file: the source packs
// the checkpoint's directory, the destination unpacks it under its own spool
// and starts the new container from it.
//
// The tar is plain ustar with regular files and directories only: that is all
// a checkpoint holds, and refusing everything else (links, devices, absolute
// or ".." paths) means extraction can never write outside its directory.

#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace roam::agent {

// The RESTART file name of a checkpoint.
inline constexpr const char* kCheckpointFileName = "checkpoint.tar";

// The checkpoint id for a migration: "roam-" + the id with every character
// Docker refuses in checkpoint names ([a-zA-Z0-9][a-zA-Z0-9_.-]+) made '-'.
std::string checkpointIdFor(const std::string& migrationId);

// Docker's rule for checkpoint names, at most 128 bytes, not "." or "..":
// the destination uses the id as a directory name and in a query.
bool isValidCheckpointId(const std::string& id);

// Packs the contents of DIRECTORY (not the directory itself: entries are
// relative to it) into TAR_FILE, in a stable (sorted) order.
roam::Status writeDirectoryTar(const std::filesystem::path& directory,
                               const std::filesystem::path& tarFile);

// Unpacks TAR_FILE into DIRECTORY, which must not exist yet (it is created).
// On error, what was extracted stays for the caller to remove.
roam::Status extractDirectoryTar(const std::filesystem::path& tarFile,
                                 const std::filesystem::path& directory);

}  // namespace roam::agent
