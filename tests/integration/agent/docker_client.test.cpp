// DockerClient against a real engine (testbed/engine, busybox image from
// testbed/images/build). Needs root. Names carry the pid so that leftovers of
// a killed run never clash with the next one.

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "agent/docker/docker_client.hpp"
#include "agent/layer_before_start.hpp"
#include "integration/agent/engine_fixture.hpp"

using roam::agent::ByteSink;
using roam::agent::ByteSource;
using roam::agent::DockerClient;
using roam::agent::DockerResult;
using roam::test::TestEngine;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string unique(const std::string& what) {
  return "roam-t-" + std::to_string(::getpid()) + "-" + what;
}

ByteSink sinkInto(Bytes& out) {
  return [&out](std::span<const std::uint8_t> b) {
    out.insert(out.end(), b.begin(), b.end());
    return true;
  };
}

// Hands out `data` in pieces of at most `piece` bytes, to exercise chunking.
ByteSource sourceFrom(const Bytes& data, std::size_t piece = 7000) {
  auto offset = std::make_shared<std::size_t>(0);
  return [&data, offset, piece](std::span<std::uint8_t> buf) -> std::optional<std::size_t> {
    const std::size_t n = std::min({buf.size(), piece, data.size() - *offset});
    std::memcpy(buf.data(), data.data() + *offset, n);
    *offset += n;
    return n;
  };
}

// A ustar archive with regular files (name -> content).
Bytes makeTar(const std::map<std::string, std::string>& files) {
  Bytes out;
  for (const auto& [name, content] : files) {
    std::array<char, 512> h{};
    std::snprintf(h.data(), 100, "%s", name.c_str());
    std::snprintf(h.data() + 100, 8, "%07o", 0644);
    std::snprintf(h.data() + 108, 8, "%07o", 0);
    std::snprintf(h.data() + 116, 8, "%07o", 0);
    std::snprintf(h.data() + 124, 12, "%011zo", content.size());
    std::snprintf(h.data() + 136, 12, "%011o", 0);
    std::memset(h.data() + 148, ' ', 8);
    h[156] = '0';
    std::memcpy(h.data() + 257, "ustar", 6);
    std::memcpy(h.data() + 263, "00", 2);
    unsigned sum = 0;
    for (char c : h) sum += static_cast<unsigned char>(c);
    std::snprintf(h.data() + 148, 8, "%06o", sum);
    h[155] = ' ';
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), content.begin(), content.end());
    out.resize((out.size() + 511) / 512 * 512, 0);
  }
  out.resize(out.size() + 1024, 0);
  return out;
}

// The regular files of a tar archive (name -> content).
std::map<std::string, std::string> readTar(const Bytes& tar) {
  std::map<std::string, std::string> files;
  std::size_t at = 0;
  while (at + 512 <= tar.size() && tar[at] != 0) {
    const char* h = reinterpret_cast<const char*>(tar.data() + at);
    std::string name(h, strnlen(h, 100));
    const std::size_t size = std::strtoull(std::string(h + 124, 12).c_str(), nullptr, 8);
    if (h[156] == '0' || h[156] == '\0')
      files[name] = std::string(h + 512, std::min(size, tar.size() - at - 512));
    at += 512 + (size + 511) / 512 * 512;
  }
  return files;
}

bool looksLikeTar(const Bytes& b) {
  return b.size() >= 512 && std::memcmp(b.data() + 257, "ustar", 5) == 0;
}

nlohmann::json busybox(const std::string& script) {
  return {{"Image", TestEngine::kImage},
          {"Cmd", {"sh", "-c", script}},
          {"HostConfig", {{"NetworkMode", "host"}}}};
}

// Polls until the container's State.Status is `status` (10 s at most).
bool waitForStatus(DockerClient& client, const std::string& id, const std::string& status) {
  for (int i = 0; i < 100; ++i) {
    auto r = client.inspectContainer(id);
    if (r.ok() && r.body["State"]["Status"] == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Removes the container when the test ends, passed or failed.
struct ContainerGuard {
  DockerClient& client;
  std::string id;
  ~ContainerGuard() {
    if (!id.empty()) client.removeContainer(id, true, true);
  }
};

}  // namespace

TEST_CASE("the engine reports API version 1.41", "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  auto v = client.version();
  REQUIRE(v.ok());
  CHECK(v.status == 200);
  CHECK(v.body["ApiVersion"] == "1.41");
  auto i = client.info();
  REQUIRE(i.ok());
  CHECK(i.body.contains("Driver"));
  auto images = client.listImages();
  REQUIRE(images.ok());
  CHECK(images.body.is_array());
  auto image = client.inspectImage(TestEngine::kImage);
  REQUIRE(image.ok());
  CHECK(image.body["Id"] == TestEngine::get().imageId());
}

TEST_CASE("a container is created, started, inspected, stopped and removed",
          "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  const std::string name = unique("web");
  auto created =
      client.createContainer(name, busybox("echo tok > /www/t; exec httpd -f -p 18080 -h /www"));
  INFO(roam::errorText(created));
  REQUIRE(created.ok());
  CHECK(created.status == 201);
  const std::string id = created.body["Id"];
  ContainerGuard guard{client, id};

  auto started = client.startContainer(id);
  INFO(roam::errorText(started));
  REQUIRE(started.ok());
  CHECK(started.status == 204);
  CHECK(client.startContainer(name).status == 304);  // already running: still ok
  CHECK(client.startContainer(name).ok());

  auto inspected = client.inspectContainer(name);
  REQUIRE(inspected.ok());
  CHECK(inspected.body["Id"] == id);
  CHECK(inspected.body["Name"] == "/" + name);
  CHECK(inspected.body["State"]["Running"] == true);
  CHECK(inspected.body["HostConfig"]["NetworkMode"] == "host");

  // The script writes /www/t right after start; give it a moment.
  bool added = false;
  for (int i = 0; i < 50 && !added; ++i) {
    auto changes = client.containerChanges(id);
    REQUIRE(changes.ok());
    REQUIRE(changes.body.is_array());
    for (const auto& c : changes.body)
      if (c["Path"] == "/www/t" && c["Kind"] == 1) added = true;
    if (!added) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(added);

  Bytes tar;
  auto archive = client.getArchive(id, "/www/t", sinkInto(tar));
  REQUIRE(archive.ok());
  CHECK(readTar(tar)["t"] == "tok\n");

  auto listed = client.listContainers(false);
  REQUIRE(listed.ok());
  bool found = false;
  for (const auto& c : listed.body) found = found || c["Id"] == id;
  CHECK(found);

  const std::string renamed = unique("web2");
  REQUIRE(client.renameContainer(id, renamed).ok());
  CHECK(client.inspectContainer(renamed).ok());

  auto stopped = client.stopContainer(id, 2);
  INFO(roam::errorText(stopped));
  REQUIRE(stopped.ok());
  CHECK(stopped.status == 204);
  auto again = client.stopContainer(id, 2);
  CHECK(again.ok());
  CHECK(again.status == 304);
  CHECK(client.inspectContainer(id).body["State"]["Running"] == false);

  auto removed = client.removeContainer(id, false, true);
  INFO(roam::errorText(removed));
  REQUIRE(removed.ok());
  guard.id.clear();
  auto gone = client.inspectContainer(id);
  CHECK_FALSE(gone.ok());
  CHECK(gone.status == 404);
}

// What the pre-copy migration relies on (docs/agent.md): the cgroup freezer
// through pause, the 409s the fixture engine copies, force-removal of a paused
// container, and a created container's UpperDir as a plain directory whose
// files (and overlay whiteouts) the started container sees.
TEST_CASE("a container pauses, refuses what a paused one refuses, and its layer is a directory",
          "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  const std::string name = unique("frozen");
  auto created = client.createContainer(
      name, busybox("i=0; while true; do i=$((i+1)); echo $i > /www/n; sleep 0.02; done"));
  REQUIRE(created.ok());
  const std::string id = created.body["Id"];
  ContainerGuard guard{client, id};

  auto notRunning = client.pauseContainer(id);
  CHECK(notRunning.status == 409);
  CHECK(notRunning.error().code == roam::ErrorCode::Conflict);

  // Written before the start, straight into the layer: the container sees it,
  // and a character device 0:0 hides the image's /tmp (an overlay whiteout).
  auto inspected = client.inspectContainer(id);
  REQUIRE(inspected.ok());
  const auto upper = roamtest::writeBeforeStart(inspected.body);

  REQUIRE(client.startContainer(id).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Bytes tar;
  REQUIRE(client.getArchive(id, "/pre-start", sinkInto(tar)).ok());
  CHECK(readTar(tar)["pre-start"] == roamtest::kPreStart);
  CHECK(client.getArchive(id, "/tmp", [](auto) { return true; }).status == 404);

  auto paused = client.pauseContainer(id);
  INFO(roam::errorText(paused));
  REQUIRE(paused.ok());
  CHECK(paused.status == 204);
  CHECK(client.inspectContainer(id).body["State"]["Paused"] == true);
  CHECK(client.pauseContainer(id).status == 409);  // already paused
  CHECK(client.startContainer(id).status == 409);  // "try unpause instead"
  CHECK(client.removeContainer(id, false, false).status == 409);

  // Frozen: the counter in the layer does not move.
  auto readCounter = [&] {
    std::ifstream in(upper / "www" / "n");
    std::string n;
    in >> n;
    return n;
  };
  const auto frozenAt = readCounter();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(readCounter() == frozenAt);

  REQUIRE(client.unpauseContainer(id).ok());
  // Not paused: dockerd 20.10 answers 500 ("Container ... is not paused"), not 409.
  auto notPaused = client.unpauseContainer(id);
  CHECK(notPaused.status == 500);
  CHECK(notPaused.error().message.find("is not paused") != std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(readCounter() != frozenAt);

  REQUIRE(client.pauseContainer(id).ok());
  auto removed = client.removeContainer(id, true, true);
  INFO(roam::errorText(removed));
  REQUIRE(removed.ok());
  guard.id.clear();
  CHECK(client.inspectContainer(id).status == 404);
}

// What the fixture engine's checkpoint routes (tests/agent/docker_engine_model.hpp)
// copy: this engine runs in experimental mode with CRIU >= 4.2
// (scripts/install-criu), as testbed/engine starts every engine.
TEST_CASE(
    "checkpoints: dump stops the container, a start restores it, a custom directory is refused",
    "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  auto info = client.info();
  REQUIRE(info.ok());
  REQUIRE(info.body.value("ExperimentalBuild", false));
  const std::string name = unique("cp");
  auto created = client.createContainer(
      name, busybox("i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.1; done"));
  REQUIRE(created.ok());
  const std::string id = created.body["Id"];
  ContainerGuard guard{client, id};
  REQUIRE(client.startContainer(id).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  auto dumped = client.createCheckpoint(id, "cp1", "", true);
  INFO(roam::errorText(dumped));
  REQUIRE(dumped.ok());
  CHECK(dumped.status == 201);
  CHECK(waitForStatus(client, id, "exited"));
  // Where the engine keeps it, the only place a start takes it from.
  const std::filesystem::path dir = std::filesystem::path(info.body.value("DockerRootDir", "")) /
                                    "containers" / id / "checkpoints" / "cp1";
  CHECK(std::filesystem::is_regular_file(dir / "inventory.img"));
  auto again = client.createCheckpoint(id, "cp2", "", true);
  CHECK(again.status == 500);
  CHECK_THAT(roam::errorText(again), Catch::Contains("not running"));
  auto custom = client.startContainer(id, "cp1", "/tmp");
  CHECK(custom.status == 403);
  CHECK_THAT(roam::errorText(custom), Catch::Contains("custom checkpointdir is not supported"));
  auto missing = client.startContainer(id, "nope");
  CHECK(missing.status == 500);
  CHECK_THAT(roam::errorText(missing), Catch::Contains("checkpoint nope does not exist"));
  // containerd 1.6 now and then refuses the checkpoint's upload ("commit
  // failed: content sha256:...: already exists", moby/moby#42900); the agent
  // tries such a start up to three times (engine_steps.cpp), and so does this.
  auto restored = client.startContainer(id, "cp1");
  for (int attempt = 1; attempt < 3 && !restored.ok() &&
                        roam::errorText(restored).find("already exists") != std::string::npos;
       ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500 * attempt));
    restored = client.startContainer(id, "cp1");
  }
  INFO(roam::errorText(restored));
  REQUIRE(restored.ok());
  CHECK(waitForStatus(client, id, "running"));
  CHECK(client.deleteCheckpoint(id, "cp1", "").ok());
  CHECK(client.deleteCheckpoint(id, "cp1", "").status == 500);
}

TEST_CASE("a committed image survives save and load", "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  const std::string name = unique("commit");
  auto created = client.createContainer(name, busybox("echo state > /data/s; sleep 60"));
  REQUIRE(created.ok());
  ContainerGuard guard{client, created.body["Id"]};
  REQUIRE(client.startContainer(name).ok());
  REQUIRE(client.stopContainer(name, 0).ok());

  const std::string repo = unique("img");
  auto committed = client.commitContainer(name, repo, "1", false);
  INFO(roam::errorText(committed));
  REQUIRE(committed.ok());
  const std::string imageId = committed.body["Id"];
  CHECK(imageId.rfind("sha256:", 0) == 0);

  REQUIRE(client.tagImage(imageId, repo, "2").ok());
  CHECK(client.inspectImage(repo + ":2").body["Id"] == imageId);

  Bytes saved;
  auto save = client.saveImage(repo + ":1", sinkInto(saved));
  INFO(roam::errorText(save));
  REQUIRE(save.ok());
  CHECK(looksLikeTar(saved));

  guard.client.removeContainer(name, true, true);
  guard.id.clear();
  REQUIRE(client.removeImage(repo + ":2", false).ok());
  auto removed = client.removeImage(repo + ":1", false);
  INFO(roam::errorText(removed));
  REQUIRE(removed.ok());
  CHECK_FALSE(client.inspectImage(repo + ":1").ok());

  auto loaded = client.loadImage(sourceFrom(saved));
  INFO(roam::errorText(loaded));
  REQUIRE(loaded.ok());
  CHECK(loaded.body.is_array());
  auto back = client.inspectImage(repo + ":1");
  REQUIRE(back.ok());
  CHECK(back.body["Id"] == imageId);
  CHECK(client.removeImage(repo + ":1", true).ok());
}

TEST_CASE("an imported root file system becomes an image", "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  const std::string repo = unique("import");
  auto imported = client.importImage(repo, "1", sourceFrom(makeTar({{"hello", "world\n"}})));
  INFO(roam::errorText(imported));
  REQUIRE(imported.ok());
  REQUIRE(imported.body.is_array());
  auto image = client.inspectImage(repo + ":1");
  REQUIRE(image.ok());
  CHECK(client.removeImage(repo + ":1", true).ok());
}

TEST_CASE("files go into a container and come back out", "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  const std::string name = unique("archive");
  // Never started: archives work on created containers too.
  auto created = client.createContainer(name, busybox("true"));
  REQUIRE(created.ok());
  ContainerGuard guard{client, created.body["Id"]};

  std::string big(300000, 'x');  // several upload chunks
  for (std::size_t i = 0; i < big.size(); i += 1000) big[i] = static_cast<char>('a' + i % 26);
  auto put = client.putArchive(
      name, "/data", sourceFrom(makeTar({{"hello.txt", "hi there\n"}, {"big.bin", big}})));
  INFO(roam::errorText(put));
  REQUIRE(put.ok());

  Bytes tar;
  auto got = client.getArchive(name, "/data/hello.txt", sinkInto(tar));
  INFO(roam::errorText(got));
  REQUIRE(got.ok());
  CHECK(got.body["name"] == "hello.txt");
  CHECK(got.body["size"] == 9);
  CHECK(readTar(tar)["hello.txt"] == "hi there\n");

  tar.clear();
  REQUIRE(client.getArchive(name, "/data", sinkInto(tar)).ok());
  auto files = readTar(tar);
  CHECK(files["data/big.bin"] == big);

  auto exported = Bytes();
  REQUIRE(client.exportContainer(name, sinkInto(exported)).ok());
  CHECK(looksLikeTar(exported));

  // A sink that refuses aborts the transfer with an error, not a crash.
  auto refused =
      client.getArchive(name, "/data", [](std::span<const std::uint8_t>) { return false; });
  CHECK_FALSE(refused.ok());
  CHECK_THAT(roam::errorText(refused), Catch::Contains("aborted"));
  // The client is still usable afterwards.
  CHECK(client.inspectContainer(name).ok());

  // A failing source aborts the upload.
  auto failed = client.putArchive(
      name, "/data",
      [](std::span<std::uint8_t>) -> std::optional<std::size_t> { return std::nullopt; });
  CHECK_FALSE(failed.ok());
  CHECK(client.version().ok());

  auto missing = client.getArchive(name, "/no/such/path", sinkInto(tar));
  CHECK_FALSE(missing.ok());
  CHECK(missing.status == 404);
}

TEST_CASE("a volume is created, mounted, inspected and removed", "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  const std::string volume = unique("vol");
  auto created = client.createVolume(volume, {{"roam.test", "yes"}});
  INFO(roam::errorText(created));
  REQUIRE(created.ok());
  auto inspected = client.inspectVolume(volume);
  REQUIRE(inspected.ok());
  CHECK(inspected.body["Name"] == volume);
  CHECK(inspected.body["Labels"]["roam.test"] == "yes");

  const std::string name = unique("volc");
  auto body = busybox("echo kept > /data/x");
  body["HostConfig"]["Binds"] = {volume + ":/data"};
  auto container = client.createContainer(name, body);
  INFO(roam::errorText(container));
  REQUIRE(container.ok());
  ContainerGuard guard{client, container.body["Id"]};
  REQUIRE(client.startContainer(name).ok());
  REQUIRE(waitForStatus(client, name, "exited"));
  auto mounts = client.inspectContainer(name).body["Mounts"];
  REQUIRE(mounts.size() == 1);
  CHECK(mounts[0]["Name"] == volume);
  CHECK(mounts[0]["Destination"] == "/data");

  // In use: removal must fail, cleanly.
  auto busy = client.removeVolume(volume, false);
  CHECK_FALSE(busy.ok());
  CHECK(busy.status == 409);

  Bytes tar;
  REQUIRE(client.getArchive(name, "/data/x", sinkInto(tar)).ok());
  CHECK(readTar(tar)["x"] == "kept\n");

  REQUIRE(client.removeContainer(name, true, false).ok());
  guard.id.clear();
  auto removed = client.removeVolume(volume, false);
  INFO(roam::errorText(removed));
  CHECK(removed.ok());
  CHECK_FALSE(client.inspectVolume(volume).ok());
}

TEST_CASE("engine errors come back as values", "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  const std::string missing = unique("missing");
  auto inspect = client.inspectContainer(missing);
  CHECK_FALSE(inspect.ok());
  CHECK(inspect.status == 404);
  CHECK_THAT(roam::errorText(inspect),
             Catch::Contains("No such container", Catch::CaseSensitive::No));
  CHECK_THAT(roam::errorText(inspect), Catch::Contains(missing));
  CHECK(roam::errorText(inspect).find('\n') == std::string::npos);

  auto bad = client.createContainer(unique("bad"), {{"Image", "roam/no-such-image:1"}});
  CHECK_FALSE(bad.ok());
  CHECK(bad.status == 404);
  CHECK_THAT(roam::errorText(bad), Catch::Contains("roam/no-such-image"));

  CHECK_FALSE(client.startContainer(missing).ok());
  CHECK_FALSE(client.stopContainer(missing, 1).ok());
  CHECK_FALSE(client.removeContainer(missing, true, false).ok());
  CHECK_FALSE(client.inspectImage("roam/no-such-image:1").ok());

  // Garbage instead of an image archive: the engine must say so.
  Bytes garbage(5000, 0x42);
  auto load = client.loadImage(sourceFrom(garbage));
  CHECK_FALSE(load.ok());
  INFO(roam::errorText(load));
  CHECK_FALSE(roam::errorText(load).empty());

  DockerClient nowhere("/run/roam-engines/no-such-engine/docker.sock");
  auto v = nowhere.version();
  CHECK_FALSE(v.ok());
  CHECK(v.status == 0);
  CHECK_THAT(roam::errorText(v), Catch::Contains("no-such-engine"));

  // The checkpoint routes are experimental; on this engine they are absent or fail,
  // but always as an error value.
  auto cp = client.createCheckpoint(missing, "cp1", "", true);
  CHECK_FALSE(cp.ok());
}

TEST_CASE("events report a container's start", "[agent][integration]") {
  DockerClient client(TestEngine::get().socket());
  const long since = static_cast<long>(std::time(nullptr)) - 1;
  const std::string name = unique("ev");
  auto created = client.createContainer(name, busybox("sleep 30"));
  REQUIRE(created.ok());
  ContainerGuard guard{client, created.body["Id"]};
  REQUIRE(client.startContainer(name).ok());

  // The engine replays events since `since`, so the start is already there.
  bool sawStart = false;
  auto r = client.events(
      since, since + 20, {{"type", {"container"}}, {"container", {name}}},
      [&](const nlohmann::json& e) {
        if (e.value("Action", "") == "start" && e["Actor"]["Attributes"].value("name", "") == name)
          sawStart = true;
        return !sawStart;
      });
  INFO(roam::errorText(r));
  CHECK(r.ok());
  CHECK(sawStart);

  // The stream ends by itself once `until` passes (the engine compares whole
  // seconds against event times in nanoseconds, so `until` = now could miss
  // events of this very second).
  int count = 0;
  const auto before = std::chrono::steady_clock::now();
  auto bounded = client.events(since, static_cast<long>(std::time(nullptr)) + 1,
                               {{"container", {name}}}, [&](const nlohmann::json&) {
                                 ++count;
                                 return true;
                               });
  INFO(roam::errorText(bounded));
  CHECK(bounded.ok());
  CHECK(count >= 2);  // create and start
  CHECK(std::chrono::steady_clock::now() - before < std::chrono::seconds(4));
}
