// The fixture engine answers pause, unpause and the writable layer the way
// dockerd 20.10 does: the same checks as tests/integration/agent/
// docker_client.test.cpp ("a container pauses, ...") runs against a real one.

#include <fstream>

#include <catch2/catch.hpp>

#include "agent/docker/docker_client.hpp"
#include "agent/docker_engine_model.hpp"
#include "agent/fake_docker_engine.hpp"
#include "agent/layer_before_start.hpp"
#include "temp_dir.hpp"

using roam::agent::DockerClient;

TEST_CASE("the fixture engine pauses and keeps its layers on disk as dockerd does",
          "[agent][docker]") {
  roamtest::TempDir dir;
  roamtest::DockerEngineModel engine;
  roamtest::FakeDockerEngine socket(
      dir.path / "engine.sock",
      [&engine](const roamtest::FakeDockerEngine::Request& r) { return engine.handle(r); });
  engine.addImage("app:1", {{"etc/motd", "hello\n"}, {"tmp/keep", ""}});
  DockerClient client(socket.socket());

  auto created = client.createContainer(
      "web", {{"Image", "app:1"}, {"HostConfig", {{"Binds", {"appdata:/data"}}}}});
  REQUIRE(created.ok());
  const std::string id = created.body["Id"];
  CHECK(client.pauseContainer(id).status == 409);  // not running

  auto inspected = client.inspectContainer(id);
  REQUIRE(inspected.ok());
  const auto upper = roamtest::writeBeforeStart(inspected.body);
  auto files = engine.fileSystem("web");
  CHECK(files.at("pre-start") == roamtest::kPreStart);
  CHECK(files.count("tmp/keep") == 0);  // the whiteout hides the image's /tmp
  CHECK(files.at("etc/motd") == "hello\n");

  // The volume's Mountpoint is where its files are.
  const std::filesystem::path volume = client.inspectVolume("appdata").body["Mountpoint"];
  CHECK(inspected.body["Mounts"][0]["Source"] == volume.string());
  REQUIRE(engine.writeFile("web", "/data/log", "1\n"));
  std::ifstream log(volume / "log");
  std::string line;
  CHECK((std::getline(log, line) && line == "1"));

  REQUIRE(client.startContainer(id).ok());
  REQUIRE(client.pauseContainer(id).status == 204);
  CHECK(client.inspectContainer(id).body["State"]["Paused"] == true);
  CHECK(client.inspectContainer(id).body["State"]["Status"] == "paused");
  CHECK(client.pauseContainer(id).status == 409);
  CHECK(client.startContainer(id).status == 409);
  CHECK(client.removeContainer(id, false, false).status == 409);
  CHECK_FALSE(engine.writeFile("web", "/data/log", "2\n"));  // frozen: no write happens

  REQUIRE(client.unpauseContainer(id).ok());
  auto notPaused = client.unpauseContainer(id);
  CHECK(notPaused.status == 500);
  CHECK(notPaused.error().message.find("is not paused") != std::string::npos);
  CHECK(engine.writeFile("web", "/data/log", "2\n"));

  REQUIRE(client.pauseContainer(id).ok());
  REQUIRE(client.removeContainer(id, true, false).ok());
  CHECK(client.inspectContainer(id).status == 404);
  CHECK_FALSE(std::filesystem::exists(upper));
}
