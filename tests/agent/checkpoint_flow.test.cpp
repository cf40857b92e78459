// Checkpoint mode end to end without root, with the harness of
// migration_flow.test.cpp: two real agents, two fixture engines in
// experimental mode whose checkpoint routes behave as dockerd 20.10's with
// CRIU (docker_engine_model.hpp: a container's "memory" is dumped into
// DATA_ROOT/containers/ID/checkpoints/NAME and restored from there; a custom
// checkpoint directory is refused). The agents' start-up probe runs
// `true check` instead of `criu check` (options.criu), so the test does not
// depend on this machine's CRIU; tests/integration/checkpoint_migration.py
// runs the same on real engines with real CRIU.
//
// Exercised: the file system pre-copied while the container runs, at the
// freeze CRIU's dump through the engine, the final round, the images and
// CHECKPOINT, the restore on the destination from the checkpoint placed in its
// data root; the freeze split and memory bytes in DONE; `--mode auto`; and the
// faults: the dump fails, the destination's restore fails. After each fault
// the source runs the container again with its memory as it was, and the
// destination holds nothing of it.

#include <catch2/catch.hpp>

#include "agent/daemon/engine_steps.hpp"
#include "agent/docker/docker_client.hpp"
#include "agent/migration/journal.hpp"
#include "migration_harness.hpp"

using roamtest::DockerEngineModel;
using roamtest::MigrationHarness;
using Request = roamtest::FakeDockerEngine::Request;
using Response = roamtest::FakeDockerEngine::Response;

namespace {

const std::string kImage = "roam/busybox:1";
const std::string kMemory = "counter=4711";

// Both engines can checkpoint; the source runs "counter" (memory kMemory, a
// volume and a file in its layer).
void setUp(MigrationHarness& h, bool destinationExperimental = true) {
  for (auto* host : {&h.source, &h.destination}) host->options.criu = "true";
  h.source.engine.setExperimental(true);
  h.destination.engine.setExperimental(destinationExperimental);
  h.source.engine.addImage(kImage, {{"bin/busybox", "busybox"}, {"etc/hostname", "busybox\n"}});
  h.source.engine.addVolume("counts", {{"last", "4700\n"}});
  h.source.engine.runContainer("counter", kImage, {{"counts", "/data", false}},
                               {{"Cmd", {"sh", "-c", "count"}}});
  h.source.engine.setMemory("counter", kMemory);
  h.source.engine.writeFile("counter", "/srv/layer.txt", "in the layer\n");
  h.start();
}

// After a fault: the source runs the container again with its memory, the
// destination has no container.
void checkResumed(MigrationHarness& h) {
  auto state = h.source.engine.state();
  const auto* c = DockerEngineModel::containerNamed(state, "counter");
  REQUIRE(c);
  CHECK(c->running);
  CHECK(h.source.engine.memory("counter") == kMemory);
  CHECK(h.source.engine.fileSystem("counter").at("srv/layer.txt") == "in the layer\n");
  // A destination that had not been handed the container rolls back on its
  // own once the source has gone, not before the source's outcome.
  CHECK(MigrationHarness::eventually([&h] {
    const auto dest = h.destination.engine.state();
    return dest.containers.empty() && dest.volumes.empty();
  }));
  CHECK(MigrationHarness::spoolEmpty(h.source));
}

}  // namespace

TEST_CASE("checkpoint mode moves the processes' memory on top of pre-copy",
          "[agent][migration][checkpoint]") {
  MigrationHarness h;
  setUp(h);
  const std::string mode = GENERATE(std::string("checkpoint"), std::string("auto"));
  auto m = h.migrate("counter", "", mode);
  INFO(m.result() << "\n" << h.logs());
  REQUIRE(m.succeeded());
  const auto& done = m.outcome->done;
  CHECK(done.mode == "checkpoint");
  CHECK(m.phases() == std::vector<std::string>{"connecting", "preparing", "image", "precopy",
                                               "freezing", "dumping", "final-round", "checkpoint",
                                               "serving", "retiring"});
  REQUIRE(done.rounds.size() >= 2);
  CHECK_FALSE(done.rounds.front().frozen);
  CHECK(done.rounds.back().frozen);
  // The freeze, split; the memory moved is the images' bytes.
  CHECK(done.dumpMs > 0);
  CHECK(done.transferMs > 0);
  CHECK(done.restoreMs > 0);
  CHECK(done.redirectMs > 0);  // measured at the destination, carried by SUCCESS
  CHECK(done.dumpMs + done.transferMs + done.restoreMs + done.redirectMs <= done.freezeMs + 1e-6);
  CHECK(done.memoryBytes == kMemory.size() + std::string("criu-fixture").size());

  // The destination runs it from the checkpoint: the memory continues.
  auto state = h.destination.engine.state();
  const auto* c = DockerEngineModel::containerNamed(state, "counter");
  REQUIRE(c);
  CHECK(c->running);
  CHECK(h.destination.engine.memory("counter") == kMemory);
  CHECK(h.destination.engine.fileSystem("counter").at("srv/layer.txt") == "in the layer\n");
  CHECK(h.destination.engine.fileSystem("counter").at("data/last") == "4700\n");
  // Restored from the engine's own checkpoint directory, then deleted.
  CHECK(std::filesystem::is_empty(h.destination.engine.dataRoot() / "containers" / c->id /
                                  "checkpoints"));
  // The source retired its copy.
  CHECK(h.source.engine.state().containers.empty());
}

TEST_CASE("auto mode uses snapshot when the destination cannot checkpoint, and says so",
          "[agent][migration][checkpoint]") {
  MigrationHarness h;
  setUp(h, false);
  auto m = h.migrate("counter", "", "auto");
  INFO(m.result() << "\n" << h.logs());
  REQUIRE(m.succeeded());
  CHECK(m.outcome->done.mode == "snapshot");
  CHECK_THAT(m.outcome->done.note, Catch::Contains("experimental"));
  CHECK(m.outcome->done.memoryBytes == 0);
  // Snapshot mode starts fresh processes.
  CHECK(h.destination.engine.memory("counter").empty());

  SECTION("checkpoint mode is refused before anything changes") {
    h.source.engine.runContainer("other", kImage, {}, {{"Cmd", {"sh"}}});
    auto refused = h.migrate("other", "", "checkpoint");
    CHECK_FALSE(refused.succeeded());
    CHECK_THAT(refused.result(), Catch::Contains("experimental"));
    const auto state = h.source.engine.state();  // a copy: keep it while `other` points into it
    const auto* other = DockerEngineModel::containerNamed(state, "other");
    REQUIRE(other);
    CHECK(other->running);
  }
}

TEST_CASE("a failed checkpoint migration resumes the source's processes where they were",
          "[agent][migration][checkpoint]") {
  MigrationHarness h;
  SECTION("CRIU's dump fails") {
    setUp(h);
    h.source.engine.setFault(
        [](const Request& r, DockerEngineModel::State&) -> std::optional<Response> {
          if (r.method == "POST" && r.path.ends_with("/checkpoints"))
            return Response{500, R"({"message":"criu failed: type NOTIFY errno 0"})"};
          return std::nullopt;
        });
    auto m = h.migrate("counter", "", "checkpoint");
    INFO(m.result() << "\n" << h.logs());
    CHECK_FALSE(m.succeeded());
    CHECK_THAT(m.result(), Catch::Contains("CRIU could not checkpoint"));
    checkResumed(h);
  }
  SECTION("the destination's restore fails") {
    setUp(h);
    h.destination.engine.setFault(
        [](const Request& r, DockerEngineModel::State&) -> std::optional<Response> {
          if (r.method == "POST" && r.path.ends_with("/start") &&
              r.query.find("checkpoint=") != std::string::npos)
            return Response{500, R"({"message":"criu restore failed"})"};
          return std::nullopt;
        });
    auto m = h.migrate("counter", "", "checkpoint");
    INFO(m.result() << "\n" << h.logs());
    CHECK_FALSE(m.succeeded());
    CHECK_THAT(m.result(), Catch::Contains("cannot restore counter from its checkpoint"));
    checkResumed(h);
    // Restored from its own checkpoint, which is then deleted.
    CHECK(std::filesystem::is_empty(
        h.source.engine.dataRoot() / "containers" /
        DockerEngineModel::containerNamed(h.source.engine.state(), "counter")->id / "checkpoints"));
  }
  SECTION("the source's own restore fails too: started afresh, and the error says so") {
    setUp(h);
    h.destination.engine.setFault(
        [](const Request& r, DockerEngineModel::State&) -> std::optional<Response> {
          if (r.method == "POST" && r.path.ends_with("/start"))
            return Response{500, R"({"message":"criu restore failed"})"};
          return std::nullopt;
        });
    h.source.engine.setFault(
        [](const Request& r, DockerEngineModel::State&) -> std::optional<Response> {
          if (r.method == "POST" && r.path.ends_with("/start") &&
              r.query.find("checkpoint=") != std::string::npos)
            return Response{500, R"({"message":"criu restore failed here too"})"};
          return std::nullopt;
        });
    auto m = h.migrate("counter", "", "checkpoint");
    INFO(m.result() << "\n" << h.logs());
    CHECK_FALSE(m.succeeded());
    CHECK_THAT(m.outcome->done.note, Catch::Contains("started afresh"));
    const auto state = h.source.engine.state();  // a copy: keep it while `c` points into it
    const auto* c = DockerEngineModel::containerNamed(state, "counter");
    REQUIRE(c);
    CHECK(c->running);
    CHECK(h.source.engine.memory("counter").empty());
    CHECK(h.destination.engine.state().containers.empty());
  }
}

TEST_CASE("the fixture engine's checkpoint routes answer as dockerd 20.10's",
          "[agent][docker][checkpoint]") {
  DockerEngineModel engine;
  roamtest::FakeDockerEngine socket(
      std::filesystem::temp_directory_path() / ("roam-cp-" + std::to_string(::getpid()) + ".sock"),
      [&engine](const Request& r) { return engine.handle(r); });
  roam::agent::DockerClient docker(socket.socket());
  engine.addImage(kImage, {{"bin/busybox", "busybox"}});
  const auto id = engine.runContainer("c", kImage, {}, {{"Cmd", {"sh"}}});
  engine.setMemory("c", "i=7");

  // Without --experimental the routes are off.
  auto off = docker.createCheckpoint("c", "cp1", "", true);
  CHECK(off.status == 501);
  CHECK_THAT(roam::errorText(off), Catch::Contains("experimental mode"));
  auto offStart = docker.startContainer("c", "cp1");
  CHECK(offStart.status == 400);
  CHECK_THAT(roam::errorText(offStart),
             Catch::Contains("checkpoint is only supported in experimental mode"));
  engine.setExperimental(true);
  REQUIRE(docker.createCheckpoint("c", "cp1", "", true).ok());
  CHECK_FALSE(engine.state().containers.at(id).running);
  // A stopped container cannot be checkpointed.
  auto stopped = docker.createCheckpoint("c", "cp2", "", true);
  CHECK(stopped.status == 500);
  CHECK_THAT(roam::errorText(stopped), Catch::Contains("not running"));
  // dockerd 20.10 refuses a custom checkpoint directory at start.
  auto custom = docker.startContainer("c", "cp1", "/tmp");
  CHECK(custom.status == 403);
  CHECK_THAT(roam::errorText(custom), Catch::Contains("custom checkpointdir is not supported"));
  auto missing = docker.startContainer("c", "nope");
  CHECK(missing.status == 500);
  CHECK_THAT(roam::errorText(missing), Catch::Contains("checkpoint nope does not exist"));
  engine.setMemory("c", "");
  REQUIRE(docker.startContainer("c", "cp1").ok());
  CHECK(engine.memory("c") == "i=7");
  REQUIRE(docker.deleteCheckpoint("c", "cp1", "").ok());
  CHECK(docker.deleteCheckpoint("c", "cp1", "").status == 500);
}

TEST_CASE("a source that crashed while checkpointed restarts its container from the checkpoint",
          "[agent][migration][checkpoint]") {
  MigrationHarness h;
  h.source.options.criu = "true";
  h.source.engine.setExperimental(true);
  h.source.engine.addImage(kImage, {{"bin/busybox", "busybox"}});
  const auto id = h.source.engine.runContainer("counter", kImage, {}, {{"Cmd", {"sh"}}});
  h.source.engine.setMemory("counter", kMemory);
  // The agent died after CRIU's dump, before the hand-over: the container is
  // stopped, its processes are only in the checkpoint.
  const std::string migrationId = "m-crashed-1";
  const auto name = roam::agent::checkpointNameFor(migrationId);
  auto dumped =
      h.source.engine.handle({"POST", "/containers/counter/checkpoints", "",
                              nlohmann::json{{"CheckpointID", name}, {"Exit", true}}.dump()});
  REQUIRE(dumped.status == 201);
  h.source.engine.setMemory("counter", "");
  REQUIRE_FALSE(h.source.engine.state().containers.at(id).running);
  roam::agent::JournalEntry entry;
  entry.migrationId = migrationId;
  entry.container = "counter";
  entry.containerId = id;
  entry.peer = MigrationHarness::deadAddress();
  entry.mode = "checkpoint";
  entry.state = "frozen";
  entry.role = roam::agent::JournalRole::source;
  auto journal = roam::agent::Journal::open(h.source.options.dataDir);
  REQUIRE(journal.ok());
  REQUIRE(journal->put(entry).ok());

  h.start();  // start-up recovery
  INFO(h.logs());
  CHECK(h.source.engine.state().containers.at(id).running);
  CHECK(h.source.engine.memory("counter") == kMemory);
  auto recovered = journal->get(migrationId);
  REQUIRE(recovered);
  CHECK(recovered->state == "failed");
  CHECK_THAT(recovered->result, Catch::Contains("resumed here"));
}
