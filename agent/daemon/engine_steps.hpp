#pragma once
// The Docker Engine's part of a pre-copy migration, one blocking function per
// step (they run on the worker pool), so each step can be tested on its own
// with the fixture engine. The file system itself moves through
// agent/sync (the writable layer's and the volumes' directories on the host).

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "agent/migration/container_spec.hpp"
#include "agent/migration/journal.hpp"
#include "common/result.hpp"

namespace roam::agent {

// ---- source ----

// What the source moves: the container's configuration, its image, and the
// directories on this host that hold its state.
struct SourceContainer {
  ContainerSpec spec;
  std::string containerId;
  std::string imageId;                            // "sha256:..."
  std::vector<std::string> layers;                // the image's diff ids, bottom first
  std::filesystem::path upperDir;                 // overlay2's writable layer
  std::vector<std::filesystem::path> volumeDirs;  // each of spec.volumes' Mountpoint, same order
  // The tree-sync roots, in the order both ends use: the layer, then the volumes.
  std::vector<std::filesystem::path> roots() const;
};
// Refuses a container that is not running, a storage driver other than overlay2,
// and volumes whose directory is not on this host.
roam::Result<SourceContainer> inspectSource(const std::string& dockerSocket,
                                            const std::string& container);
// `docker save` of REF into FILE.
roam::Status saveImageToFile(const std::string& dockerSocket, const std::string& ref,
                             const std::filesystem::path& file);
// The cgroup freezer (POST /pause): the processes stop where they are.
roam::Status freezeSource(const std::string& dockerSocket, const std::string& containerId);
// Undoes freezeSource: a paused container is unpaused. In checkpoint mode
// (CHECKPOINT not empty) a container stopped by checkpointSource starts again
// from that checkpoint, so its processes continue where they were; when that
// fails it is started afresh and the error says so (its memory is then lost).
// A running container is left as it is.
roam::Status resumeSource(const std::string& dockerSocket, const std::string& containerId,
                          const std::string& checkpoint = "");

// ---- checkpoint mode (both ends) ----

// The engine checkpoint name a migration uses ("roam-" + its id, made of the
// characters dockerd accepts).
std::string checkpointNameFor(const std::string& migrationId);
// Where the engine keeps checkpoint NAME of a container:
// DATA_ROOT/containers/ID/checkpoints/NAME, DATA_ROOT being /info's
// DockerRootDir. dockerd 20.10 starts a container only from there (it refuses
// a custom checkpoint directory).
roam::Result<std::filesystem::path> checkpointDirOf(const std::string& dockerSocket,
                                                    const std::string& containerId,
                                                    const std::string& name);
// CRIU dumps the container's processes through the engine (POST
// /containers/ID/checkpoints, Exit): the container stops, its memory and
// process state are in checkpoint NAME. Returns the checkpoint's directory.
roam::Result<std::filesystem::path> checkpointSource(const std::string& dockerSocket,
                                                     const std::string& containerId,
                                                     const std::string& name);
// Removes the (frozen) source copy and the named volumes it used. Returns what
// could not be removed ("" when everything went).
std::string retireSource(const std::string& dockerSocket, const std::string& containerId,
                         const std::vector<VolumeMount>& volumes);

// ---- destination ----

// What this engine has of an image with LAYERS (its diff ids, bottom first):
// SAME_LAYERS is IMAGE_ID itself when it is here, else any image with exactly
// those layers (two engines that import the same tarball get the same layers
// under different image ids; the container's configuration travels in
// PREPARE, so the file system is what matters), "" when there is none; PREFIX
// is the longest prefix of LAYERS some image here has (all of them when
// SAME_LAYERS is set).
struct LocalImage {
  std::string sameLayers;
  std::vector<std::string> prefix;
};
LocalImage findLocalImage(const std::string& dockerSocket, const std::string& imageId,
                          const std::vector<std::string>& layers);
// `docker load` of an archive file (saved by id: it loads untagged), then
// IMAGE_ID gets the tag NAME unless NAME already names an image here (a tag
// is never moved away from another image).
roam::Status loadImageFile(const std::string& dockerSocket, const std::filesystem::path& file,
                           const std::string& imageId, const std::string& name);

struct DestinationContainer {
  std::string containerId;
  std::filesystem::path upperDir;
  std::vector<std::filesystem::path> volumeDirs;  // in spec.volumes' order
  std::vector<std::filesystem::path> roots() const;
};
// Creates the volumes (labelled with the migration id; one that exists is
// refused) and the container, not started, from IMAGE_ID (by SPEC's image
// name when that is the same image here). Records each thing in ENTRY through
// RECORD before creating it, so a crash leaves a trail for roll-back.
// IMAGE_ID is the image here (findLocalImage or loaded).
roam::Result<DestinationContainer> createDestination(
    const std::string& dockerSocket, const ContainerSpec& spec, const std::string& imageId,
    const std::string& migrationId, JournalEntry& entry,
    const std::function<void(const JournalEntry&)>& record);
// Starts the created container (from its checkpoint CHECKPOINT, placed in
// checkpointDirOf, when not empty) and checks that the engine reports it
// running; a checkpoint it was restored from is then deleted. STARTED, when
// given, runs as soon as the engine answered the start (before the checks),
// whatever it answered.
roam::Status startDestination(const std::string& dockerSocket, const std::string& containerId,
                              const std::string& name, const std::string& checkpoint = "",
                              const std::function<void()>& started = {});

}  // namespace roam::agent
