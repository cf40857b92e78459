// Pre-copy migration end to end without root: two real agents in this process
// (mutual TLS over loopback, certificates made here) move a container between
// two FIXTURE Docker engines (docker_engine_model.hpp behind
// fake_docker_engine.hpp), driven through requestMigration as `roam migrate`
// drives them (migration_harness.hpp). The fixtures stand in for dockerd
// because unit tests need neither root nor Docker; they keep a state model
// (containers, images and their layers, volumes) so that the test can check
// what each engine holds afterwards, and they answer with the real engine's
// codes and archive formats. tests/integration/agent_migration.py runs the
// same on real engines.
//
// Exercised: source_migration (inspect, PREPARE, the image when needed,
// pre-copy rounds, freeze, final round, retire, resume), destination_migration
// (image, create, apply rounds into the new container's layer and volumes,
// start, roll-back), engine_steps, stream_transfer, agent/sync, framed_stream
// and the client call. The fixture engines keep writable layers and volumes
// in real directories, as overlay2 does. The container carries a named volume,
// a file written into its layer and a file deleted from its image (a whiteout).
// Success: the destination runs the container with its configuration, volume
// contents and image; the source no longer has it. Faults: a corrupt chunk,
// the destination engine refusing (name conflict, load error, start error, a
// container that is not running after its start), the destination agent
// refusing (a volume of that name exists there), a destination nobody answers
// at, a container that does not exist. After every failure the source still
// runs the container unchanged and unfrozen, and the destination holds nothing of it.

#include <catch2/catch.hpp>

#include <algorithm>

#include "migration_harness.hpp"
#include "seeded_bytes.hpp"

using roamtest::DockerEngineModel;
using roamtest::MigrationHarness;
using Files = DockerEngineModel::Files;
using Request = roamtest::FakeDockerEngine::Request;
using Response = roamtest::FakeDockerEngine::Response;

namespace {

const std::string kBaseImage = "roam/busybox:1";

// A base image whose one layer does not compress (so that whether it was sent
// shows in the byte count).
std::string addBaseImage(DockerEngineModel& engine) {
  const auto noise = roamtest::seededBytes(120000, 7);
  return engine.addImage(kBaseImage, {{"bin/busybox", std::string(noise.begin(), noise.end())},
                                      {"etc/hostname", "busybox\n"},
                                      {"etc/motd", "welcome\n"}});
}

// The source runs "web": the base image, volume "appdata" at /data, a file
// written into its own layer and one deleted from the image.
void runWeb(DockerEngineModel& engine) {
  addBaseImage(engine);
  engine.addVolume("appdata", {{"counter", "41\n"}, {"logs/today.log", std::string(5000, 'l')}});
  engine.runContainer(
      "web", kBaseImage, {{"appdata", "/data", false}},
      {{"Cmd", {"httpd", "-f", "-p", "8080"}},
       {"Env", {"MODE=test"}},
       {"Labels", {{"app", "web"}}},
       {"HostConfig",
        {{"NetworkMode", "host"},
         {"RestartPolicy", {{"Name", "unless-stopped"}, {"MaximumRetryCount", 0}}}}}});
  engine.writeFile("web", "/srv/state.txt", "committed change\n");
  engine.writeFile("web", "/etc/motd", std::nullopt);
  engine.writeFile("web", "/data/counter", "42\n");
}

std::vector<std::string> imageTags(const DockerEngineModel::State& state) {
  std::vector<std::string> tags;
  for (const auto& [id, image] : state.images)
    tags.insert(tags.end(), image.repoTags.begin(), image.repoTags.end());
  std::sort(tags.begin(), tags.end());
  return tags;
}

// The source after a failure: "web" runs as before, with the same files and
// volume, and the snapshot image is gone.
void checkSourceUntouched(MigrationHarness& h, const Files& before) {
  auto state = h.source.engine.state();
  const auto* web = h.source.engine.containerNamed(state, "web");
  REQUIRE(web);
  CHECK(web->running);
  CHECK_FALSE(web->paused);
  CHECK(h.source.engine.fileSystem("web") == before);
  CHECK(state.volumes.count("appdata") == 1);
  CHECK(imageTags(state) == std::vector<std::string>{kBaseImage});
  CHECK(MigrationHarness::spoolEmpty(h.source));
}

// The destination after a failure: only what it had before.
void checkDestinationClean(MigrationHarness& h, const DockerEngineModel::State& before) {
  auto state = h.destination.engine.state();
  CHECK(state.containers.size() == before.containers.size());
  for (const auto& [id, c] : before.containers) CHECK(state.containers.count(id) == 1);
  std::vector<std::string> volumes, volumesBefore;
  for (const auto& [name, v] : state.volumes) volumes.push_back(name);
  for (const auto& [name, v] : before.volumes) volumesBefore.push_back(name);
  CHECK(volumes == volumesBefore);
  CHECK(imageTags(state) == imageTags(before));
  CHECK(state.layers.size() == before.layers.size());
  CHECK(MigrationHarness::spoolEmpty(h.destination));
}

// Starts the agents, migrates "web" and checks that the migration failed and
// left both hosts as they were; `checkFailure` looks at the failure itself.
template <class CheckFailure>
void migrateWebAndExpectNothingChanged(MigrationHarness& h, CheckFailure checkFailure) {
  h.start();
  const auto filesBefore = h.source.engine.fileSystem("web");
  const auto destinationBefore = h.destination.engine.state();

  auto m = h.migrate("web");
  INFO(m.result() << "\n" << h.logs());
  REQUIRE(m.outcome.ok());
  CHECK_FALSE(m.succeeded());
  checkFailure(m, destinationBefore);
  checkSourceUntouched(h, filesBefore);
  checkDestinationClean(h, destinationBefore);
}

}  // namespace

TEST_CASE("a container migrates between two agents", "[agent][migration]") {
  MigrationHarness h;
  runWeb(h.source.engine);
  const bool destinationHasBase = GENERATE(false, true);
  if (destinationHasBase) addBaseImage(h.destination.engine);
  h.source.options.chunkBytes = 16384;  // several DATA frames per file
  h.start();
  const auto filesBefore = h.source.engine.fileSystem("web");
  const auto sourceBefore = h.source.engine.state();
  const auto* webBefore = h.source.engine.containerNamed(sourceBefore, "web");
  REQUIRE(webBefore);

  auto m = h.migrate("web");
  INFO(m.result() << "\n" << h.logs());
  REQUIRE(m.succeeded());
  const auto& done = m.outcome->done;
  CHECK(m.outcome->sourceName == "source");
  CHECK(done.migrationId == m.migrationId);
  CHECK(done.container == "web");
  CHECK(done.mode == "snapshot");
  CHECK(done.bytesSent > 0);
  CHECK(done.bytesTotal > 0);
  // The base layer (120 kB of noise) travels only when the destination lacks it.
  if (destinationHasBase)
    CHECK(done.bytesTotal < 100000);
  else
    CHECK(done.bytesTotal > 120000);
  std::vector<std::string> phases{"connecting", "preparing"};
  if (!destinationHasBase) phases.push_back("image");
  phases.insert(phases.end(), {"precopy", "freezing", "final-round", "serving", "retiring"});
  CHECK(m.phases() == phases);
  // Pre-copy: at least one round while it ran, and the final one while frozen.
  REQUIRE(done.rounds.size() >= 2);
  CHECK_FALSE(done.rounds.front().frozen);
  CHECK(done.rounds.back().frozen);
  CHECK(done.freezeMs > 0);
  CHECK(done.totalSeconds >= done.seconds);

  // The destination runs it: same configuration, files, volume and layers.
  auto state = h.destination.engine.state();
  const auto* web = h.destination.engine.containerNamed(state, "web");
  REQUIRE(web);
  CHECK(web->running);
  CHECK(web->config["Cmd"] == webBefore->config["Cmd"]);
  CHECK(web->config["Env"] == webBefore->config["Env"]);
  CHECK(web->config["Labels"]["app"] == "web");
  CHECK(web->config["Labels"]["roam.migration-id"] == m.migrationId);
  CHECK(web->hostConfig["NetworkMode"] == "host");
  CHECK(web->hostConfig["RestartPolicy"] == webBefore->hostConfig["RestartPolicy"]);
  REQUIRE(web->mounts.size() == 1);
  CHECK(web->mounts[0].volume == "appdata");
  CHECK(web->mounts[0].destination == "/data");
  CHECK(h.destination.engine.fileSystem("web") == filesBefore);
  CHECK(filesBefore.at("data/counter") == "42\n");
  CHECK(filesBefore.at("srv/state.txt") == "committed change\n");
  CHECK(filesBefore.count("etc/motd") == 0);
  CHECK(state.volumes.at("appdata").files == sourceBefore.volumes.at("appdata").files);
  CHECK(state.volumes.at("appdata").labels["roam.migration-id"] == m.migrationId);
  // The same image (by id and tag), and the writable layer as it was: the
  // written file and the whiteout.
  CHECK(web->imageId == webBefore->imageId);
  CHECK(state.images.at(web->imageId).repoTags == std::vector<std::string>{kBaseImage});
  CHECK(web->changes == webBefore->changes);
  CHECK(web->changes.at("etc/motd") == std::nullopt);

  // The source has retired it: container and volume gone, the image kept.
  auto source = h.source.engine.state();
  CHECK(source.containers.empty());
  CHECK(source.volumes.empty());
  CHECK(imageTags(source) == std::vector<std::string>{kBaseImage});
  CHECK(MigrationHarness::spoolEmpty(h.source));
  CHECK(MigrationHarness::spoolEmpty(h.destination));

  SECTION("asking again with the same id replays the outcome") {
    auto again = h.migrate("web", "", "snapshot", m.migrationId);
    INFO(again.result());
    REQUIRE(again.succeeded());
    CHECK(again.outcome->done.bytesSent == done.bytesSent);
    CHECK(h.destination.engine.state().containers.size() == 1);
  }
  SECTION("a new migration of it finds nothing to move") {
    auto second = h.migrate("web");
    CHECK_FALSE(second.succeeded());
    CHECK_THAT(second.result(), Catch::Contains("No such container: web"));
  }
}

TEST_CASE("a corrupt chunk fails the migration and leaves both hosts as they were",
          "[agent][migration]") {
  MigrationHarness h;
  runWeb(h.source.engine);
  h.source.options.chunkBytes = 16384;
  h.source.options.testCorruptChunk = GENERATE(1, 3);
  migrateWebAndExpectNothingChanged(h, [&](const auto& m, const auto&) {
    // The destination refuses the image (its digest) before loading it; the
    // source hears FAILURE, or finds the connection cut if it was still sending.
    CHECK_THAT(h.logs(), Catch::Contains("checksum mismatch for the image archive"));
    CHECK_THAT(m.result(),
               Catch::Contains("checksum mismatch") || Catch::Contains("lost while sending"));
  });
}

TEST_CASE("a destination that refuses leaves both hosts as they were", "[agent][migration]") {
  MigrationHarness h;
  runWeb(h.source.engine);
  std::string expected;
  SECTION("its engine has a container of that name (409 at create)") {
    h.destination.engine.addImage("other:1", {{"x", "y"}});
    h.destination.engine.runContainer("web", "other:1", {});
    expected = "is already in use by container";
  }
  SECTION("it has a volume of that name") {
    h.destination.engine.addVolume("appdata", {{"theirs", "keep me\n"}});
    expected = "a volume named appdata already exists here";
  }
  SECTION("its engine cannot load the image") {
    h.destination.engine.setFault(
        [](const Request& r, DockerEngineModel::State&) -> std::optional<Response> {
          if (r.line() != "POST /images/load") return std::nullopt;
          return Response{200, R"({"errorDetail":{"message":"no space left on device"},)"
                               R"("error":"no space left on device"})"
                               "\n"};
        });
    expected = "cannot load the image: load image: no space left on device";
  }
  SECTION("its engine cannot start the container") {
    h.destination.engine.setFault(
        [](const Request& r, DockerEngineModel::State&) -> std::optional<Response> {
          if (r.method != "POST" || !r.path.ends_with("/start")) return std::nullopt;
          return Response{500, R"({"message":"OCI runtime create failed: fixture"})"};
        });
    expected = "cannot start web";
  }
  SECTION("the container is not running right after its start") {
    h.destination.engine.setFault(
        [](const Request& r, DockerEngineModel::State& state) -> std::optional<Response> {
          if (r.method != "POST" || !r.path.ends_with("/start")) return std::nullopt;
          for (auto& [id, c] : state.containers) {
            c.everStarted = true;
            c.exitCode = 3;
          }
          return Response{204, ""};
        });
    expected = "web is not running after its start (exit code 3)";
  }
  migrateWebAndExpectNothingChanged(h, [&](const auto& m, const auto& destinationBefore) {
    CHECK_THAT(m.result(),
               Catch::Contains("destination destination failed") && Catch::Contains(expected));
    // What was there before is still there, unchanged.
    auto after = h.destination.engine.state();
    for (const auto& [name, volume] : destinationBefore.volumes)
      CHECK(after.volumes.at(name).files == volume.files);
  });
}

TEST_CASE("a migration that cannot start changes nothing", "[agent][migration]") {
  MigrationHarness h;
  runWeb(h.source.engine);
  h.start();
  const auto filesBefore = h.source.engine.fileSystem("web");
  const auto destinationBefore = h.destination.engine.state();

  SECTION("nobody answers at the destination address") {
    auto m = h.migrate("web", MigrationHarness::deadAddress());
    INFO(m.result() << "\n" << h.logs());
    REQUIRE(m.outcome.ok());
    CHECK_FALSE(m.succeeded());
    CHECK(m.phases() == std::vector<std::string>{"connecting"});
    auto lines = h.source.socket->requestLines();
    CHECK(std::none_of(lines.begin(), lines.end(),
                       [](const std::string& l) { return l.ends_with("/pause"); }));
  }
  SECTION("the container does not exist on the source") {
    auto m = h.migrate("nope");
    INFO(m.result() << "\n" << h.logs());
    REQUIRE(m.outcome.ok());
    CHECK_THAT(m.result(), Catch::Contains("No such container: nope"));
  }
  checkSourceUntouched(h, filesBefore);
  checkDestinationClean(h, destinationBefore);
}

// A destination that has restored migration ID answers a later PREPARE with
// the same ID with SUCCESS at once (a source retrying after a lost
// connection), but only to the same source for the same container: ids can be
// chosen by hand (`roam migrate --id`), and a second source told SUCCESS would
// retire its container, lost then on both hosts.
TEST_CASE("a reused migration id from another source does not lose its container",
          "[agent][migration]") {
  MigrationHarness h;
  runWeb(h.source.engine);
  h.other.engine.addImage("other:1", {{"srv/other", "another service\n"}});
  h.other.engine.runContainer("api", "other:1", {});
  h.start();
  h.startOther();

  auto first = h.migrate("web");
  INFO(first.result() << "\n" << h.logs());
  REQUIRE(first.succeeded());
  auto second = h.migrateFrom(h.other, "api", h.destination.address, "snapshot", first.migrationId);
  INFO(second.result());
  CHECK_FALSE(second.succeeded());
  CHECK_THAT(second.result(), Catch::Contains("is already succeeded here"));
  CHECK(DockerEngineModel::containerNamed(h.other.engine.state(), "api"));
  CHECK_FALSE(DockerEngineModel::containerNamed(h.destination.engine.state(), "api"));
  CHECK(DockerEngineModel::containerNamed(h.destination.engine.state(), "web"));
}
