#include "agent/daemon/snapshot_capture.hpp"

#include <cstdio>
#include <memory>

#include "agent/docker/docker_client.hpp"
#include "agent/migration/file_handle.hpp"

namespace roam::agent {

namespace {

// Streams an engine download into `path`; "" or the error.
std::string download(const std::filesystem::path& path,
                     const std::function<DockerResult(const ByteSink&)>& request) {
  FilePtr file = openFile(path, "wb");
  if (!file) return "cannot write " + path.string();
  bool writeFailed = false;
  auto result = request([&](std::span<const std::uint8_t> bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
      writeFailed = true;
      return false;
    }
    return true;
  });
  if (writeFailed) return "cannot write " + path.string() + " (disk full?)";
  if (!result.ok()) return result.error().message;
  if (std::fflush(file.get()) != 0) return "cannot write " + path.string() + " (disk full?)";
  return "";
}

}  // namespace

std::string snapshotImageFor(const std::string& migrationId) {
  std::string tag;
  for (char c : migrationId)
    tag +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') ? c : '-';
  return "roam-migrate:" + tag;
}

Capture captureSnapshot(const std::string& dockerSocket, const std::string& container,
                        const std::string& migrationId, const std::filesystem::path& spool,
                        bool checkpointed) {
  Capture capture;
  DockerClient docker(dockerSocket);
  auto inspect = docker.inspectContainer(container);
  if (!inspect.ok()) {
    capture.outcome = inspect.error();
    return capture;
  }
  auto spec = containerSpecFromInspect(inspect.body);
  if (!spec.ok()) {
    capture.outcome =
        roam::Error{roam::ErrorCode::BadAnswer,
                    "cannot read the configuration of " + container + ": " + spec.error().message};
    return capture;
  }
  capture.spec = *spec;
  capture.containerId = inspect.body.value("Id", "");
  if (!capture.spec.running && !checkpointed) {
    capture.outcome =
        roam::Error{roam::ErrorCode::Conflict, "container " + container + " is not running"};
    return capture;
  }
  std::error_code ec;
  std::filesystem::create_directories(spool, ec);
  if (ec) {
    capture.outcome =
        roam::Error{roam::ErrorCode::Io, "cannot create " + spool.string() + ": " + ec.message()};
    return capture;
  }

  // The file-system changes: committed on top of the container's image, so
  // deletions travel as whiteouts and the destination reuses the image layers.
  capture.snapshotImage = snapshotImageFor(migrationId);
  auto colon = capture.snapshotImage.find(':');
  auto commit = docker.commitContainer(capture.containerId, capture.snapshotImage.substr(0, colon),
                                       capture.snapshotImage.substr(colon + 1), !checkpointed);
  if (!commit.ok()) {
    capture.outcome = roam::Error{roam::ErrorCode::Engine,
                                  "cannot commit " + container + ": " + commit.error().message};
    return capture;
  }
  capture.imageArchive = spool / "image.tar";
  if (auto error = download(
          capture.imageArchive,
          [&](const ByteSink& sink) { return docker.saveImage(capture.snapshotImage, sink); });
      !error.empty()) {
    capture.outcome =
        roam::Error{roam::ErrorCode::Io, "cannot save the snapshot of " + container + ": " + error};
    return capture;
  }
  auto index = indexImageArchive(capture.imageArchive);
  if (!index.ok()) {
    capture.outcome = index.error();
    return capture;
  }
  capture.index = *index;

  int n = 0;
  for (const auto& mount : capture.spec.volumes) {
    CapturedVolume volume{mount, spool / ("volume-" + std::to_string(n++) + ".tar")};
    if (auto error = download(volume.archive,
                              [&](const ByteSink& sink) {
                                return docker.getArchive(capture.containerId, mount.destination,
                                                         sink);
                              });
        !error.empty()) {
      capture.outcome =
          roam::Error{roam::ErrorCode::Engine, "cannot archive volume " + mount.name + " at " +
                                                   mount.destination + ": " + error};
      return capture;
    }
    capture.volumes.push_back(volume);
  }
  return capture;
}

}  // namespace roam::agent
