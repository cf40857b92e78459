#include "agent/daemon/checkpoint_capture.hpp"

#include "agent/docker/docker_client.hpp"
#include "agent/migration/checkpoint_archive.hpp"

namespace roam::agent {

std::filesystem::path checkpointDirIn(const std::filesystem::path& spool) {
  return spool / "checkpoint";
}

CheckpointCapture captureCheckpoint(const std::string& dockerSocket, const std::string& container,
                                    const std::string& migrationId,
                                    const std::filesystem::path& spool) {
  CheckpointCapture capture;
  capture.checkpointId = checkpointIdFor(migrationId);
  capture.checkpointDir = checkpointDirIn(spool);
  capture.archive = spool / kCheckpointFileName;
  std::error_code ec;
  std::filesystem::create_directories(capture.checkpointDir, ec);
  if (ec) {
    capture.outcome =
        roam::Error{roam::ErrorCode::Io,
                    "cannot create " + capture.checkpointDir.string() + ": " + ec.message()};
    return capture;
  }
  DockerClient docker(dockerSocket);
  // Only a running container is checkpointed: undoCheckpoint starts it again,
  // which must never happen to one that was stopped on purpose.
  auto inspect = docker.inspectContainer(container);
  if (!inspect.ok()) {
    capture.outcome = inspect.error();
    return capture;
  }
  if (!inspect.body.value("State", nlohmann::json::object()).value("Running", false)) {
    capture.outcome =
        roam::Error{roam::ErrorCode::Conflict, "container " + container + " is not running"};
    return capture;
  }
  capture.stopped = true;
  // Exit: the container stops with the dump, so nothing changes its files
  // between the dump and the file-system snapshot that follows.
  auto created = docker.createCheckpoint(container, capture.checkpointId,
                                         capture.checkpointDir.string(), true);
  if (!created.ok()) {
    capture.outcome = roam::Error{
        roam::ErrorCode::Engine, "cannot checkpoint " + container + ": " + created.error().message};
    return capture;
  }
  if (auto packed =
          writeDirectoryTar(capture.checkpointDir / capture.checkpointId, capture.archive);
      !packed.ok()) {
    capture.outcome =
        roam::Error{roam::ErrorCode::Io,
                    "cannot pack the checkpoint of " + container + ": " + packed.error().message};
    return capture;
  }
  return capture;
}

roam::Status undoCheckpoint(const std::string& dockerSocket, const std::string& container,
                            const std::string& checkpointId,
                            const std::filesystem::path& checkpointDir) {
  DockerClient docker(dockerSocket);
  std::string problems;
  // 304 (still running: the checkpoint never stopped it) counts as success.
  if (auto started = docker.startContainer(container); !started.ok())
    problems = "cannot start " + container + " again: " + started.error().message;
  // The files go with the spool anyway; this tells the engine too.
  docker.deleteCheckpoint(container, checkpointId, checkpointDir.string());
  std::error_code ec;
  std::filesystem::remove_all(checkpointDir, ec);
  return roam::statusOf(roam::ErrorCode::Engine, problems);
}

}  // namespace roam::agent
