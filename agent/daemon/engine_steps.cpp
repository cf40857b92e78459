#include "agent/daemon/engine_steps.hpp"

#include <chrono>
#include <thread>

#include "agent/docker/docker_client.hpp"
#include "agent/migration/file_handle.hpp"

namespace roam::agent {

namespace {

roam::Error engineError(const std::string& what, const DockerResult& result) {
  return roam::Error{result.error().code, what + ": " + result.error().message};
}

// The host directory of the mount at DESTINATION in an inspect answer.
std::filesystem::path mountSource(const nlohmann::json& inspect, const std::string& destination) {
  for (const auto& mount : inspect.value("Mounts", nlohmann::json::array()))
    if (mount.is_object() && mount.value("Destination", "") == destination)
      return mount.value("Source", "");
  return {};
}

roam::Result<std::filesystem::path> upperDirOf(const nlohmann::json& inspect,
                                               const std::string& name) {
  const auto driver = inspect.value("GraphDriver", nlohmann::json::object());
  const std::string kind = driver.value("Name", inspect.value("Driver", ""));
  if (kind != "overlay2")
    return roam::Error{roam::ErrorCode::Conflict,
                       "the engine stores " + name + " with the '" + kind +
                           "' storage driver; roam reads overlay2 layers only"};
  const std::filesystem::path upper =
      driver.value("Data", nlohmann::json::object()).value("UpperDir", "");
  std::error_code ec;
  if (upper.empty() || !std::filesystem::is_directory(upper, ec))
    return roam::Error{roam::ErrorCode::Io, "the writable layer of " + name + " (" +
                                                upper.string() + ") is not a directory here"};
  return upper;
}

// Starts a container from CHECKPOINT. dockerd 20.10 with containerd 1.6 now
// and then answers "failed to upload checkpoint to containerd: commit failed:
// content sha256:...: already exists" (moby/moby#42900; seen here restoring a
// container that was restored from another checkpoint before): tried again
// after a pause, up to three times.
DockerResult startFromCheckpoint(DockerClient& docker, const std::string& containerId,
                                 const std::string& checkpoint) {
  auto started = docker.startContainer(containerId, checkpoint);
  for (int attempt = 1; attempt < 3 && !started.ok() &&
                        started.error().message.find("already exists") != std::string::npos;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
    started = docker.startContainer(containerId, checkpoint);
  }
  return started;
}

}  // namespace

std::vector<std::filesystem::path> SourceContainer::roots() const {
  std::vector<std::filesystem::path> all{upperDir};
  all.insert(all.end(), volumeDirs.begin(), volumeDirs.end());
  return all;
}

std::vector<std::filesystem::path> DestinationContainer::roots() const {
  std::vector<std::filesystem::path> all{upperDir};
  all.insert(all.end(), volumeDirs.begin(), volumeDirs.end());
  return all;
}

roam::Result<SourceContainer> inspectSource(const std::string& socket,
                                            const std::string& container) {
  DockerClient docker(socket);
  auto inspect = docker.inspectContainer(container);
  if (!inspect.ok()) return inspect.error();
  auto spec = containerSpecFromInspect(inspect.body);
  if (!spec.ok())
    return roam::Error{roam::ErrorCode::BadAnswer, "cannot read the configuration of " + container +
                                                       ": " + spec.error().message};
  SourceContainer source;
  source.spec = *spec;
  source.containerId = inspect.body.value("Id", "");
  const auto state = inspect.body.value("State", nlohmann::json::object());
  if (!source.spec.running || state.value("Paused", false))
    return roam::Error{roam::ErrorCode::Conflict,
                       "container " + container +
                           (state.value("Paused", false) ? " is paused" : " is not running")};
  auto upper = upperDirOf(inspect.body, container);
  if (!upper.ok()) return upper.error();
  source.upperDir = *upper;
  for (const auto& volume : source.spec.volumes) {
    auto dir = mountSource(inspect.body, volume.destination);
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec))
      return roam::Error{roam::ErrorCode::Io, "volume " + volume.name + " of " + container +
                                                  " has no directory on this host (" +
                                                  dir.string() + ")"};
    source.volumeDirs.push_back(dir);
  }
  source.imageId = inspect.body.value("Image", "");
  auto image = docker.inspectImage(source.imageId);
  if (!image.ok()) return engineError("cannot inspect the image of " + container, image);
  for (const auto& layer : image.body.value("RootFS", nlohmann::json::object())
                               .value("Layers", nlohmann::json::array()))
    if (layer.is_string()) source.layers.push_back(layer.get<std::string>());
  return source;
}

roam::Status saveImageToFile(const std::string& socket, const std::string& ref,
                             const std::filesystem::path& file) {
  FilePtr out = openFile(file, "wb");
  if (!out) return roam::Error{roam::ErrorCode::Io, "cannot write " + file.string()};
  auto saved = DockerClient(socket).saveImage(ref, [stream = out.get()](auto bytes) {
    return std::fwrite(bytes.data(), 1, bytes.size(), stream) == bytes.size();
  });
  if (!saved.ok()) return engineError("cannot save image " + ref, saved);
  if (std::fflush(out.get()) != 0)
    return roam::Error{roam::ErrorCode::Io, "cannot write " + file.string()};
  return {};
}

roam::Status freezeSource(const std::string& socket, const std::string& containerId) {
  auto paused = DockerClient(socket).pauseContainer(containerId);
  if (!paused.ok()) return engineError("cannot freeze the container", paused);
  return {};
}

roam::Status resumeSource(const std::string& socket, const std::string& containerId,
                          const std::string& checkpoint) {
  DockerClient docker(socket);
  auto inspect = docker.inspectContainer(containerId);
  if (!inspect.ok()) return engineError("cannot inspect the container", inspect);
  const auto state = inspect.body.value("State", nlohmann::json::object());
  if (state.value("Paused", false)) {
    auto resumed = docker.unpauseContainer(containerId);
    if (!resumed.ok()) return engineError("cannot resume the container", resumed);
    return {};
  }
  if (state.value("Running", false) || checkpoint.empty()) return {};
  // Stopped by the dump: its processes continue from the checkpoint.
  auto restored = startFromCheckpoint(docker, containerId, checkpoint);
  if (restored.ok()) {
    docker.deleteCheckpoint(containerId, checkpoint, "");
    return {};
  }
  auto fresh = docker.startContainer(containerId);
  if (!fresh.ok())
    return roam::Error{fresh.error().code, "cannot restore the container from its checkpoint (" +
                                               restored.error().message + ") nor start it (" +
                                               fresh.error().message + ")"};
  return roam::Error{restored.error().code,
                     "cannot restore the container from its checkpoint (" +
                         restored.error().message +
                         "); it was started afresh, its processes' memory is lost"};
}

std::string checkpointNameFor(const std::string& migrationId) {
  std::string name = "roam-";
  for (char c : migrationId) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-';
    name += keep ? c : '-';
  }
  return name;
}

roam::Result<std::filesystem::path> checkpointDirOf(const std::string& socket,
                                                    const std::string& containerId,
                                                    const std::string& name) {
  auto info = DockerClient(socket).info();
  if (!info.ok()) return engineError("cannot ask the engine for its data root", info);
  const std::string root = info.body.value("DockerRootDir", "");
  if (root.empty())
    return roam::Error{roam::ErrorCode::BadAnswer, "the engine's /info has no DockerRootDir"};
  return std::filesystem::path(root) / "containers" / containerId / "checkpoints" / name;
}

roam::Result<std::filesystem::path> checkpointSource(const std::string& socket,
                                                     const std::string& containerId,
                                                     const std::string& name) {
  auto dir = checkpointDirOf(socket, containerId, name);
  if (!dir.ok()) return dir.error();
  auto dumped = DockerClient(socket).createCheckpoint(containerId, name, "", true);
  if (!dumped.ok()) return engineError("CRIU could not checkpoint the container", dumped);
  std::error_code ec;
  if (!std::filesystem::is_directory(*dir, ec))
    return roam::Error{roam::ErrorCode::Io,
                       "the checkpoint is not where the engine keeps it (" + dir->string() + ")"};
  return *dir;
}

std::string retireSource(const std::string& socket, const std::string& containerId,
                         const std::vector<VolumeMount>& volumes) {
  DockerClient docker(socket);
  std::string problems;
  // Forced: a paused container is killed without running again.
  if (auto removed = docker.removeContainer(containerId, true, true);
      !removed.ok() && removed.status != 404)
    problems = "could not remove the source copy: " + removed.error().message;
  for (const auto& volume : volumes)
    if (!volume.anonymous)
      if (auto gone = docker.removeVolume(volume.name, false); !gone.ok() && gone.status != 404)
        problems += (problems.empty() ? "" : "; ") + std::string("could not remove volume ") +
                    volume.name + ": " + gone.error().message;
  return problems;
}

LocalImage findLocalImage(const std::string& socket, const std::string& imageId,
                          const std::vector<std::string>& layers) {
  DockerClient docker(socket);
  LocalImage found;
  if (docker.inspectImage(imageId).ok()) {
    found.sameLayers = imageId;
    found.prefix = layers;
    return found;
  }
  // One pass over the images here serves both answers.
  auto images = docker.listImages();
  if (!images.ok() || !images.body.is_array()) return found;
  for (const auto& image : images.body) {
    auto inspect = docker.inspectImage(image.value("Id", ""));
    if (!inspect.ok()) continue;
    auto here = inspect.body.value("RootFS", nlohmann::json::object())
                    .value("Layers", nlohmann::json::array());
    if (here == nlohmann::json(layers)) {
      found.sameLayers = inspect.body.value("Id", "");
      found.prefix = layers;
      return found;
    }
    std::size_t common = 0;
    while (common < here.size() && common < layers.size() && here[common].is_string() &&
           here[common].get<std::string>() == layers[common])
      ++common;
    if (common > found.prefix.size())
      found.prefix.assign(layers.begin(), layers.begin() + static_cast<std::ptrdiff_t>(common));
  }
  return found;
}

roam::Status loadImageFile(const std::string& socket, const std::filesystem::path& file,
                           const std::string& imageId, const std::string& name) {
  FilePtr in = openFile(file, "rb");
  if (!in) return roam::Error{roam::ErrorCode::Io, "cannot read " + file.string()};
  DockerClient docker(socket);
  auto loaded = docker.loadImage(
      [stream = in.get()](std::span<std::uint8_t> buffer) -> std::optional<std::size_t> {
        const auto n = std::fread(buffer.data(), 1, buffer.size(), stream);
        if (n < buffer.size() && std::ferror(stream)) return std::nullopt;
        return n;
      });
  if (!loaded.ok()) return engineError("cannot load the image", loaded);
  if (!docker.inspectImage(imageId).ok())
    return roam::Error{roam::ErrorCode::Engine, "the archive did not hold image " + imageId};
  // The name, when it is a tag nobody here uses (an id or a digest is not one).
  const auto colon = name.rfind(':');
  const auto slash = name.rfind('/');
  if (name.empty() || name.starts_with("sha256:") || name.find('@') != std::string::npos ||
      docker.inspectImage(name).status != 404)
    return {};
  const bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  auto tag = docker.tagImage(imageId, tagged ? name.substr(0, colon) : name,
                             tagged ? name.substr(colon + 1) : "latest");
  if (!tag.ok()) return engineError("cannot tag the image as " + name, tag);
  return {};
}

roam::Result<DestinationContainer> createDestination(
    const std::string& socket, const ContainerSpec& spec, const std::string& imageId,
    const std::string& migrationId, JournalEntry& entry,
    const std::function<void(const JournalEntry&)>& record) {
  DockerClient docker(socket);
  for (const auto& volume : spec.volumes) {
    if (docker.inspectVolume(volume.name).ok())
      return roam::Error{roam::ErrorCode::Conflict,
                         "a volume named " + volume.name + " already exists here"};
    entry.volumes.push_back(volume.name);
    record(entry);
    auto created = docker.createVolume(volume.name, {{kMigrationIdLabel, migrationId}});
    if (!created.ok()) return engineError("cannot create volume " + volume.name, created);
  }
  auto byName = docker.inspectImage(spec.image);
  const std::string image =
      byName.ok() && byName.body.value("Id", "") == imageId ? spec.image : imageId;
  auto created = docker.createContainer(spec.name, destinationCreateBody(spec, image, migrationId));
  if (!created.ok()) return engineError("cannot create " + spec.name, created);
  DestinationContainer destination;
  destination.containerId = created.body.value("Id", "");
  entry.createdContainer = destination.containerId;
  record(entry);

  auto inspect = docker.inspectContainer(destination.containerId);
  if (!inspect.ok()) return engineError("cannot inspect the new " + spec.name, inspect);
  auto upper = upperDirOf(inspect.body, spec.name);
  if (!upper.ok()) return upper.error();
  destination.upperDir = *upper;
  for (const auto& volume : spec.volumes) {
    auto dir = mountSource(inspect.body, volume.destination);
    if (dir.empty()) {
      auto mounted = docker.inspectVolume(volume.name);
      if (mounted.ok()) dir = mounted.body.value("Mountpoint", "");
    }
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec))
      return roam::Error{roam::ErrorCode::Io,
                         "volume " + volume.name + " has no directory here (" + dir.string() + ")"};
    destination.volumeDirs.push_back(dir);
  }
  return destination;
}

roam::Status startDestination(const std::string& socket, const std::string& containerId,
                              const std::string& name, const std::string& checkpoint,
                              const std::function<void()>& onStarted) {
  DockerClient docker(socket);
  auto started = checkpoint.empty() ? docker.startContainer(containerId)
                                    : startFromCheckpoint(docker, containerId, checkpoint);
  if (onStarted) onStarted();
  if (!started.ok())
    return engineError(checkpoint.empty() ? "cannot start " + name
                                          : "cannot restore " + name + " from its checkpoint",
                       started);
  auto state = docker.inspectContainer(containerId);
  if (!state.ok()) return engineError("cannot inspect the started " + name, state);
  const auto& s = state.body.value("State", nlohmann::json::object());
  if (!s.value("Running", false) || s.value("Restarting", false))
    return roam::Error{roam::ErrorCode::Engine,
                       name + " is not running after its start (exit code " +
                           std::to_string(s.value("ExitCode", -1)) +
                           (s.value("Error", "").empty() ? "" : ", " + s.value("Error", "")) + ")"};
  // Restored: the images (as large as the processes' memory) are not needed
  // any more. Best effort; they go with the container anyway.
  if (!checkpoint.empty()) docker.deleteCheckpoint(containerId, checkpoint, "");
  return {};
}

}  // namespace roam::agent
