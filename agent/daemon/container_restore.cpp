#include "agent/daemon/container_restore.hpp"

#include <thread>

#include "agent/daemon/snapshot_capture.hpp"
#include "agent/docker/docker_client.hpp"
#include "agent/migration/checkpoint_archive.hpp"
#include "agent/migration/file_handle.hpp"

namespace roam::agent {

namespace {

// A ByteSource reading a spool file.
ByteSource fileSource(std::FILE* file) {
  return [file](std::span<std::uint8_t> out) -> std::optional<std::size_t> {
    auto n = std::fread(out.data(), 1, out.size(), file);
    if (n == 0 && std::ferror(file)) return std::nullopt;
    return n;
  };
}

std::string parentOf(const std::string& path) {
  auto parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "/" : parent;
}

// Removes a directory when the restore is over, however it ended: the engine
// has read the checkpoint by then, and nothing else needs it.
struct RemoveDirectory {
  std::filesystem::path path;
  ~RemoveDirectory() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

roam::Status checkRestartFiles(const std::string& mode, const std::vector<FileEntry>& files) {
  int images = 0, checkpoints = 0;
  for (const auto& file : files) {
    if (file.kind == "image") ++images;
    if (file.kind != "checkpoint") continue;
    ++checkpoints;
    if (!isValidCheckpointId(file.target))
      return roam::Error{
          roam::ErrorCode::BadInput,
          "file " + file.name + " names an invalid checkpoint id \"" + file.target + "\""};
  }
  if (images != 1)
    return roam::Error{roam::ErrorCode::BadInput,
                       "RESTART must list exactly one image file, not " + std::to_string(images)};
  if (mode == "checkpoint" && checkpoints != 1)
    return roam::Error{roam::ErrorCode::BadInput,
                       "a checkpoint-mode RESTART must list exactly one checkpoint file, not " +
                           std::to_string(checkpoints)};
  if (mode != "checkpoint" && checkpoints != 0)
    return roam::Error{roam::ErrorCode::BadInput,
                       "a " + mode + "-mode RESTART must not carry a checkpoint file"};
  return {};
}

roam::Status restoreContainer(const std::string& socket, const RestoreJob& job, JournalEntry& entry,
                              const std::function<void(const JournalEntry&)>& record,
                              std::string& containerId) {
  DockerClient docker(socket);
  const auto& spec = job.spec;
  // A container of the same name here is the engine's to refuse (409) at create.

  // The source committed the container as snapshotImageFor(id); loading the
  // archive recreates that tag here, reusing the layers this host had.
  const std::string image = snapshotImageFor(job.migrationId);
  bool loadedImage = false;
  for (const auto& file : job.files) {
    if (file.entry.kind != "image") continue;
    FilePtr in = openFile(file.path, "rb");
    if (!in) return roam::Error{roam::ErrorCode::Io, "cannot read " + file.path.string()};
    auto loaded = docker.loadImage(fileSource(in.get()));
    if (!loaded.ok())
      return roam::Error{roam::ErrorCode::Engine,
                         "cannot load the snapshot image: " + loaded.error().message};
    loadedImage = true;
  }
  if (!loadedImage) return roam::Error{roam::ErrorCode::Engine, "RESTART lists no image file"};
  if (auto inspect = docker.inspectImage(image); !inspect.ok())
    return roam::Error{roam::ErrorCode::Engine,
                       "the transferred archive does not contain " + image};

  // Checkpoint mode: unpack before anything is created, so a broken archive
  // costs nothing to undo.
  RemoveDirectory checkpointCleanup;
  std::string checkpointId;
  const std::filesystem::path checkpointDir = job.workDir / "checkpoint";
  for (const auto& file : job.files) {
    if (file.entry.kind != "checkpoint") continue;
    checkpointId = file.entry.target;
    checkpointCleanup.path = checkpointDir;
    if (auto unpacked = extractDirectoryTar(file.path, checkpointDir / checkpointId);
        !unpacked.ok())
      return roam::Error{roam::ErrorCode::Engine,
                         "cannot unpack the checkpoint: " + unpacked.error().message};
  }

  for (const auto& volume : spec.volumes) {
    if (docker.inspectVolume(volume.name).ok())
      return roam::Error{roam::ErrorCode::Engine,
                         "a volume named " + volume.name + " already exists here"};
    entry.volumes.push_back(volume.name);
    record(entry);
    auto created = docker.createVolume(volume.name, {{kMigrationIdLabel, job.migrationId}});
    if (!created.ok())
      return roam::Error{roam::ErrorCode::Engine,
                         "cannot create volume " + volume.name + ": " + created.error().message};
  }

  auto body = destinationCreateBody(spec, image, job.migrationId);
  auto created = docker.createContainer(spec.name, body);
  if (!created.ok())
    return roam::Error{roam::ErrorCode::Engine,
                       "cannot create " + spec.name + ": " + created.error().message};
  containerId = created.body.value("Id", "");
  entry.createdContainer = containerId;
  record(entry);

  for (const auto& file : job.files) {
    if (file.entry.kind != "volume") continue;
    const VolumeMount* mount = nullptr;
    for (const auto& volume : spec.volumes)
      if (volume.name == file.entry.target) mount = &volume;
    if (!mount)
      return roam::Error{roam::ErrorCode::Engine,
                         "file " + file.entry.name + " names unknown volume " + file.entry.target};
    FilePtr in = openFile(file.path, "rb");
    if (!in) return roam::Error{roam::ErrorCode::Io, "cannot read " + file.path.string()};
    auto put = docker.putArchive(containerId, parentOf(mount->destination), fileSource(in.get()));
    if (!put.ok())
      return roam::Error{roam::ErrorCode::Engine,
                         "cannot restore volume " + mount->name + ": " + put.error().message};
  }

  // Checkpoint mode: the engine restores the processes with CRIU from
  // checkpointDir/checkpointId instead of starting the command afresh.
  auto started = checkpointId.empty()
                     ? docker.startContainer(containerId)
                     : docker.startContainer(containerId, checkpointId, checkpointDir.string());
  if (!started.ok())
    return roam::Error{roam::ErrorCode::Engine,
                       "cannot start " + spec.name + ": " + started.error().message};
  // A container that dies at once has not been restored: give it a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  auto state = docker.inspectContainer(containerId);
  if (!state.ok())
    return roam::Error{roam::ErrorCode::Engine,
                       "cannot inspect the restored container: " + state.error().message};
  const auto& s = state.body.value("State", nlohmann::json::object());
  if (!s.value("Running", false) || s.value("Restarting", false))
    return roam::Error{roam::ErrorCode::Engine,
                       spec.name + " does not stay running after restore (exit code " +
                           std::to_string(s.value("ExitCode", -1)) +
                           (s.value("Error", "").empty() ? "" : ", " + s.value("Error", "")) + ")"};
  return {};
}

}  // namespace roam::agent
