// Checkpoint mode end to end through the agent's own pieces, against FIXTURE
// Docker engines (fake_docker_engine.hpp), because CRIU cannot run on the
// project's machines (Debian's CRIU fails `criu check` on their kernel; see
// docs/agent.md, "checkpoints are unavailable"): the source engine's
// "checkpoint create" writes some files into CheckpointDir/ID and stops the
// container; the source packs them (captureCheckpoint); the tar travels (here:
// copied and digested, the transfer itself is the snapshot path's); the
// destination unpacks it and starts the new container from it
// (restoreContainer), and the destination engine's "start from checkpoint"
// checks that the directory arrived intact. Failure paths: the source starts
// its container again (undoCheckpoint) and the destination removes the
// unpacked checkpoint. What a real CRIU does with the files is not tested.

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "agent/daemon/checkpoint_capture.hpp"
#include "agent/daemon/container_restore.hpp"
#include "agent/fake_docker_engine.hpp"
#include "agent/migration/checkpoint_archive.hpp"
#include "agent/migration/image_archive.hpp"
#include "file_text.hpp"
#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace roam::agent;
using roamtest::FakeDockerEngine;
using Request = FakeDockerEngine::Request;
using Response = FakeDockerEngine::Response;

namespace {

// What the fixture's CRIU "dumps": relative path -> content.
const std::map<std::string, std::string> kDumped = {
    {"inventory.img", std::string("\x01\x02\x03\x00inventory", 13)},
    {"pages-1.img", std::string(300000, '\x5a')},
    {"criu/dump.log", "(00.0001) Dumping finished successfully\n"},
    {"empty.img", ""},
};

std::map<std::string, std::string> filesUnder(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file())
      files[e.path().lexically_relative(root).generic_string()] = roamtest::readText(e.path());
  return files;
}

// The source host's engine: one running container "web".
struct SourceEngine {
  std::mutex mutex;
  bool running = true;
  bool failCheckpoint = false;
  nlohmann::json checkpointBody;

  Response handle(const Request& r) {
    std::lock_guard lock(mutex);
    if (r.method == "GET" && r.path == "/containers/web/json")
      return {200, nlohmann::json{{"Id", "web-id"}, {"State", {{"Running", running}}}}.dump()};
    if (r.method == "POST" && r.path == "/containers/web/checkpoints") {
      checkpointBody = nlohmann::json::parse(r.body);
      if (failCheckpoint) {
        running = false;  // CRIU may fail after the processes were frozen and killed
        return {500, R"({"message":"criu failed: type NOTIFY errno 0"})"};
      }
      const fs::path dir = fs::path(checkpointBody.at("CheckpointDir").get<std::string>()) /
                           checkpointBody.at("CheckpointID").get<std::string>();
      for (const auto& [name, content] : kDumped) {
        fs::create_directories((dir / name).parent_path());
        std::ofstream(dir / name, std::ios::binary) << content;
      }
      if (checkpointBody.value("Exit", false)) running = false;
      return {201, ""};
    }
    if (r.method == "POST" && r.path == "/containers/web/start") {
      if (running) return {304, ""};
      running = true;
      return {204, ""};
    }
    if (r.method == "DELETE" && r.path.rfind("/containers/web/checkpoints/", 0) == 0)
      return {204, ""};
    return {404, R"({"message":"fixture: no such route"})"};
  }
};

// The destination host's engine: loads any image, creates "web" as new-id and
// starts it from a checkpoint only when the directory holds what was dumped.
struct DestinationEngine {
  std::mutex mutex;
  bool running = false;
  std::string startedFrom;  // "ID in DIR"
  std::map<std::string, std::string> seen;

  Response handle(const Request& r) {
    std::lock_guard lock(mutex);
    if (r.method == "POST" && r.path == "/images/load")
      return {200, R"({"stream":"Loaded image: roam-migrate:mig-1\n"})"};
    if (r.method == "GET" && r.path == "/images/roam-migrate%3Amig-1/json")
      return {200, R"({"Id":"sha256:ab"})"};
    if (r.method == "POST" && r.path == "/containers/create")
      return {201, R"({"Id":"new-id","Warnings":[]})"};
    if (r.method == "POST" && r.path == "/containers/new-id/start") {
      const auto id = FakeDockerEngine::queryValue(r.query, "checkpoint");
      const auto dir = FakeDockerEngine::queryValue(r.query, "checkpoint-dir");
      if (id.empty() || dir.empty())
        return {500, R"({"message":"fixture: expected a checkpoint"})"};
      if (!fs::is_directory(fs::path(dir) / id))
        return {500, R"({"message":"checkpoint does not exist"})"};
      seen = filesUnder(fs::path(dir) / id);
      if (seen != kDumped) return {500, R"({"message":"fixture: checkpoint files differ"})"};
      startedFrom = id + " in " + dir;
      running = true;
      return {204, ""};
    }
    if (r.method == "GET" && r.path == "/containers/new-id/json")
      return {200, nlohmann::json{{"Id", "new-id"}, {"State", {{"Running", running}}}}.dump()};
    return {404, R"({"message":"fixture: no such route"})"};
  }
};

ContainerSpec webSpec() {
  ContainerSpec spec;
  spec.name = "web";
  spec.image = "roam/busybox:1";
  spec.createBody = {{"Image", "roam/busybox:1"}, {"Cmd", {"httpd", "-f"}}};
  spec.running = true;
  return spec;
}

}  // namespace

TEST_CASE("checkRestartFiles matches the files to the mode", "[agent]") {
  const FileEntry image{"image.tar", "image", "", 10, std::string(64, 'a')};
  const FileEntry volume{"volume-0.tar", "volume", "data", 10, std::string(64, 'b')};
  const FileEntry checkpoint{"checkpoint.tar", "checkpoint", "roam-m1", 10, std::string(64, 'c')};
  CHECK(checkRestartFiles("snapshot", {image, volume}) == "");
  CHECK(checkRestartFiles("checkpoint", {image, volume, checkpoint}) == "");
  CHECK_THAT(checkRestartFiles("checkpoint", {image}),
             Catch::Contains("exactly one checkpoint file"));
  CHECK_THAT(checkRestartFiles("checkpoint", {image, checkpoint, checkpoint}),
             Catch::Contains("exactly one checkpoint file"));
  CHECK_THAT(checkRestartFiles("snapshot", {image, checkpoint}),
             Catch::Contains("must not carry a checkpoint"));
  CHECK_THAT(checkRestartFiles("checkpoint", {volume, checkpoint}),
             Catch::Contains("exactly one image file"));
  auto bad = checkpoint;
  bad.target = "..";
  CHECK_THAT(checkRestartFiles("checkpoint", {image, bad}),
             Catch::Contains("invalid checkpoint id"));
}

TEST_CASE("checkpoint flow against fixture engines (no CRIU here)", "[agent]") {
  roamtest::TempDir tmp("roam-ckpt-flow");
  SourceEngine sourceState;
  DestinationEngine destinationState;
  FakeDockerEngine source(tmp.path / "source.sock",
                          [&](const Request& r) { return sourceState.handle(r); });
  FakeDockerEngine destination(tmp.path / "destination.sock",
                               [&](const Request& r) { return destinationState.handle(r); });
  const auto sourceSpool = tmp.path / "source-data" / "spool" / "mig:1";
  const auto destinationSpool = tmp.path / "destination-data" / "spool" / "mig:1";

  // Source: checkpoint into the spool (the container stops), pack it.
  auto captured = captureCheckpoint(source.socket(), "web", "mig:1", sourceSpool);
  REQUIRE(captured.error == "");
  CHECK(captured.stopped);
  CHECK(captured.checkpointId == "roam-mig-1");
  CHECK(captured.checkpointDir == sourceSpool / "checkpoint");
  CHECK(captured.archive == sourceSpool / "checkpoint.tar");
  CHECK(sourceState.checkpointBody ==
        nlohmann::json{{"CheckpointID", "roam-mig-1"},
                       {"CheckpointDir", (sourceSpool / "checkpoint").string()},
                       {"Exit", true}});
  CHECK_FALSE(sourceState.running);

  // The transfer: the destination gets the same bytes in its spool.
  fs::create_directories(destinationSpool);
  fs::copy_file(captured.archive, destinationSpool / kCheckpointFileName);
  std::ofstream(destinationSpool / "image.tar") << "a docker save archive";
  auto digest = digestFile(destinationSpool / kCheckpointFileName);
  REQUIRE(digest.error == "");
  CHECK(digest.sha256 == digestFile(captured.archive).sha256);

  RestoreJob job{
      webSpec(),
      {{{"image.tar", "image", "", 21, ""}, destinationSpool / "image.tar"},
       {{kCheckpointFileName, "checkpoint", captured.checkpointId, digest.size, digest.sha256},
        destinationSpool / kCheckpointFileName}},
      "mig-1",
      destinationSpool};
  REQUIRE(checkRestartFiles("checkpoint", {job.files[0].entry, job.files[1].entry}) == "");
  JournalEntry entry;
  entry.migrationId = "mig-1";
  int records = 0;
  std::string containerId;

  SECTION("the destination starts the container from the intact checkpoint") {
    auto error = restoreContainer(
        destination.socket(), job, entry, [&](const JournalEntry&) { ++records; }, containerId);
    REQUIRE(error == "");
    CHECK(containerId == "new-id");
    CHECK(entry.createdContainer == "new-id");
    CHECK(records >= 1);
    CHECK(destinationState.startedFrom ==
          "roam-mig-1 in " + (destinationSpool / "checkpoint").string());
    CHECK(destinationState.seen == kDumped);
    // Unpacked for the engine only: gone once the container runs.
    CHECK_FALSE(fs::exists(destinationSpool / "checkpoint"));
    auto lines = destination.requestLines();
    CHECK(lines ==
          std::vector<std::string>{"POST /images/load", "GET /images/roam-migrate%3Amig-1/json",
                                   "POST /containers/create", "POST /containers/new-id/start",
                                   "GET /containers/new-id/json"});
  }

  SECTION("a checkpoint damaged on the way is refused and cleaned up") {
    fs::resize_file(destinationSpool / kCheckpointFileName, 1000);
    auto error = restoreContainer(
        destination.socket(), job, entry, [&](const JournalEntry&) { ++records; }, containerId);
    CHECK_THAT(error, Catch::Contains("cannot unpack the checkpoint"));
    CHECK(containerId.empty());  // refused before anything was created
    CHECK_FALSE(fs::exists(destinationSpool / "checkpoint"));
  }

  SECTION("a start from checkpoint that fails is reported and cleaned up") {
    // The engine sees other files than the source dumped.
    job.files[1].path = tmp.path / "other.tar";
    fs::create_directories(tmp.path / "other");
    std::ofstream(tmp.path / "other" / "inventory.img") << "not the dump";
    REQUIRE(writeDirectoryTar(tmp.path / "other", job.files[1].path) == "");
    auto error = restoreContainer(
        destination.socket(), job, entry, [&](const JournalEntry&) { ++records; }, containerId);
    CHECK_THAT(error, Catch::Contains("cannot start web") && Catch::Contains("files differ"));
    CHECK(entry.createdContainer == "new-id");  // recorded: the caller's roll-back removes it
    CHECK_FALSE(fs::exists(destinationSpool / "checkpoint"));
  }

  SECTION("the source undoes its checkpoint: the container runs again") {
    CHECK(undoCheckpoint(source.socket(), "web", captured.checkpointId, captured.checkpointDir) ==
          "");
    CHECK(sourceState.running);
    CHECK_FALSE(fs::exists(captured.checkpointDir));
    auto lines = source.requestLines();
    CHECK(std::count(lines.begin(), lines.end(), "POST /containers/web/start") == 1);
    CHECK(std::count(lines.begin(), lines.end(), "DELETE /containers/web/checkpoints/roam-mig-1") ==
          1);
  }
}

TEST_CASE("a failed checkpoint still counts as stopping the container", "[agent]") {
  roamtest::TempDir tmp("roam-ckpt-flow");
  SourceEngine state;
  state.failCheckpoint = true;
  FakeDockerEngine engine(tmp.path / "source.sock",
                          [&](const Request& r) { return state.handle(r); });
  auto captured = captureCheckpoint(engine.socket(), "web", "mig-2", tmp.path / "spool");
  CHECK_THAT(captured.error,
             Catch::Contains("cannot checkpoint web") && Catch::Contains("criu failed"));
  CHECK(captured.stopped);  // so the migration's failure path starts it again
  CHECK_FALSE(state.running);
  CHECK(undoCheckpoint(engine.socket(), "web", captured.checkpointId, captured.checkpointDir) ==
        "");
  CHECK(state.running);

  SECTION("a container that is not running is not checkpointed (nor started later)") {
    state.running = false;
    auto again = captureCheckpoint(engine.socket(), "web", "mig-3", tmp.path / "spool3");
    CHECK_THAT(again.error, Catch::Contains("is not running"));
    CHECK_FALSE(again.stopped);
  }
}
