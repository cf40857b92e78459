#pragma once
// Capturing a running container for snapshot migration, on the source: its
// configuration, its file-system changes (committed into an image and saved
// to the spool as a `docker save` tar) and its volumes' contents (tars). The
// container keeps running; the engine pauses it only for the commit. (In
// checkpoint mode the checkpoint has stopped it already.)

#include <filesystem>
#include <string>
#include <vector>

#include "agent/migration/container_spec.hpp"
#include "agent/migration/image_archive.hpp"
#include "common/result.hpp"

namespace roam::agent {

struct CapturedVolume {
  VolumeMount mount;
  std::filesystem::path archive;  // tar of the mount point, rooted at its base name
};

struct Capture {
  ContainerSpec spec;
  std::string containerId;
  std::string snapshotImage;  // "roam-migrate:<tag>", to remove when done
  std::filesystem::path imageArchive;
  ImageArchiveIndex index;
  std::vector<CapturedVolume> volumes;
  roam::Status outcome;  // the fields above stay valid as far as the capture got
  bool ok() const { return outcome.ok(); }
  const roam::Error& error() const { return outcome.error(); }
};

// The snapshot image's reference for a migration id (repository names are
// lowercase; tags allow [A-Za-z0-9_.-]).
std::string snapshotImageFor(const std::string& migrationId);

// Blocking: runs on the worker pool. CHECKPOINTED: a checkpoint (Exit) has
// just stopped the container, so it is captured stopped, without a pause.
Capture captureSnapshot(const std::string& dockerSocket, const std::string& container,
                        const std::string& migrationId, const std::filesystem::path& spool,
                        bool checkpointed = false);

}  // namespace roam::agent
