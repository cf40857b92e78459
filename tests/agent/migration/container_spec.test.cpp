// containerSpecFromInspect / destinationCreateBody on a hand-written inspect
// answer shaped like Docker Engine API v1.41's ContainerInspect.

#include <algorithm>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "agent/migration/container_spec.hpp"

using namespace roam::agent;
using nlohmann::json;

namespace {

const std::string kAnon = "3f1c0b8a9e2d4c6f8a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f";

json inspectAnswer() {
  return json::parse(R"({
  "Id": "8e3c8a7a5d0b1f3c9d2e6b4a7c1f0e9d8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
  "Created": "2021-08-21T10:00:00.000000000Z",
  "Path": "/docker-entrypoint.sh",
  "Args": ["redis-server", "--appendonly", "yes"],
  "State": {"Status": "running", "Running": true, "Paused": false, "Restarting": false,
            "OOMKilled": false, "Dead": false, "Pid": 4242, "ExitCode": 0, "Error": "",
            "StartedAt": "2021-08-21T10:00:01.000000000Z", "FinishedAt": "0001-01-01T00:00:00Z"},
  "Image": "sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999",
  "ResolvConfPath": "/var/lib/docker/containers/8e3c/resolv.conf",
  "Name": "/cache",
  "RestartCount": 0,
  "Driver": "overlay2",
  "Platform": "linux",
  "MountLabel": "",
  "ProcessLabel": "",
  "AppArmorProfile": "docker-default",
  "HostConfig": {
    "Binds": ["/srv/conf:/etc/redis:ro", "cache-data:/data"],
    "ContainerIDFile": "",
    "LogConfig": {"Type": "json-file", "Config": {}},
    "NetworkMode": "appnet",
    "PortBindings": {"6379/tcp": [{"HostIp": "", "HostPort": "16379"}]},
    "RestartPolicy": {"Name": "unless-stopped", "MaximumRetryCount": 0},
    "AutoRemove": false,
    "VolumeDriver": "",
    "VolumesFrom": null,
    "CapAdd": ["NET_ADMIN"],
    "CapDrop": null,
    "Dns": [],
    "DnsOptions": [],
    "DnsSearch": [],
    "ExtraHosts": null,
    "GroupAdd": null,
    "IpcMode": "private",
    "Links": null,
    "OomScoreAdj": 0,
    "PidMode": "",
    "Privileged": false,
    "PublishAllPorts": false,
    "ReadonlyRootfs": false,
    "SecurityOpt": null,
    "UTSMode": "",
    "UsernsMode": "",
    "ShmSize": 67108864,
    "Runtime": "runc",
    "Isolation": "",
    "CpuShares": 0,
    "Memory": 268435456,
    "NanoCpus": 0,
    "CgroupParent": "",
    "Devices": [],
    "Ulimits": null,
    "Mounts": [{"Type": "tmpfs", "Target": "/run/cache", "TmpfsOptions": {"SizeBytes": 1048576}}],
    "MaskedPaths": ["/proc/asound", "/proc/kcore"],
    "ReadonlyPaths": ["/proc/bus", "/proc/sys"]
  },
  "Mounts": [
    {"Type": "bind", "Source": "/srv/conf", "Destination": "/etc/redis", "Mode": "ro",
     "RW": false, "Propagation": "rprivate"},
    {"Type": "volume", "Name": "cache-data",
     "Source": "/var/lib/docker/volumes/cache-data/_data", "Destination": "/data",
     "Driver": "local", "Mode": "z", "RW": true, "Propagation": ""},
    {"Type": "volume", "Name": ")" +
                     kAnon + R"(",
     "Source": "/var/lib/docker/volumes/)" +
                     kAnon + R"(/_data", "Destination": "/var/log/redis",
     "Driver": "local", "Mode": "", "RW": true, "Propagation": ""},
    {"Type": "tmpfs", "Source": "", "Destination": "/run/cache", "Mode": "", "RW": true,
     "Propagation": ""}
  ],
  "Config": {
    "Hostname": "8e3c8a7a5d0b",
    "Domainname": "",
    "User": "redis",
    "AttachStdin": false,
    "AttachStdout": false,
    "AttachStderr": false,
    "ExposedPorts": {"6379/tcp": {}},
    "Tty": false,
    "OpenStdin": false,
    "StdinOnce": false,
    "Env": ["REDIS_VERSION=6.2.5", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"],
    "Cmd": ["redis-server", "--appendonly", "yes"],
    "Image": "redis:6.2",
    "Volumes": {"/data": {}, "/var/log/redis": {}},
    "WorkingDir": "/data",
    "Entrypoint": ["docker-entrypoint.sh"],
    "OnBuild": null,
    "Labels": {"com.example.tier": "cache"},
    "StopSignal": "SIGTERM"
  },
  "NetworkSettings": {
    "Bridge": "", "SandboxID": "1a2b3c", "Ports": {"6379/tcp": [{"HostIp": "0.0.0.0", "HostPort": "16379"}]},
    "Networks": {"appnet": {"IPAMConfig": null, "Links": null, "Aliases": ["8e3c8a7a5d0b"],
                            "NetworkID": "9f9f", "EndpointID": "7e7e", "Gateway": "172.20.0.1",
                            "IPAddress": "172.20.0.2", "IPPrefixLen": 16,
                            "MacAddress": "02:42:ac:14:00:02"}}
  }
})");
}

}  // namespace

TEST_CASE("containerSpecFromInspect carries the portable configuration", "[agent]") {
  const auto result = containerSpecFromInspect(inspectAnswer());
  INFO(roam::errorText(result));
  REQUIRE(result.ok());
  const ContainerSpec& spec = *result;
  CHECK(spec.name == "cache");
  CHECK(spec.image == "redis:6.2");
  CHECK(spec.running);

  const json& body = spec.createBody;
  CHECK(body["Image"] == "redis:6.2");
  CHECK(body["Cmd"] == json({"redis-server", "--appendonly", "yes"}));
  CHECK(body["Entrypoint"] == json({"docker-entrypoint.sh"}));
  CHECK(body["Env"].size() == 2);
  CHECK(body["Labels"] == json({{"com.example.tier", "cache"}}));
  CHECK(body["WorkingDir"] == "/data");
  CHECK(body["User"] == "redis");
  CHECK(body["ExposedPorts"] == json({{"6379/tcp", json::object()}}));
  CHECK(body["Hostname"] == "8e3c8a7a5d0b");
  CHECK(body["Tty"] == false);
  CHECK(body["OpenStdin"] == false);
  CHECK(body["StopSignal"] == "SIGTERM");
  CHECK(!body.contains("OnBuild"));  // null in the inspect
  CHECK(!body.contains("Volumes"));  // the image carries them
  CHECK(!body.contains("Id"));
  CHECK(!body.contains("NetworkSettings"));

  const json& hc = body["HostConfig"];
  CHECK(hc["NetworkMode"] == "appnet");
  CHECK(hc["RestartPolicy"]["Name"] == "unless-stopped");
  CHECK(hc["PortBindings"]["6379/tcp"][0]["HostPort"] == "16379");
  CHECK(hc["Privileged"] == false);
  CHECK(hc["CapAdd"] == json({"NET_ADMIN"}));
  CHECK(!hc.contains("CapDrop"));      // null
  CHECK(!hc.contains("Binds"));        // replaced by Mounts
  CHECK(!hc.contains("VolumesFrom"));  // names containers on the source host
  CHECK(!hc.contains("ContainerIDFile"));
  CHECK(hc["Memory"] == 268435456);

  const json expectedMounts = json::parse(R"([
    {"Type": "bind", "Source": "/srv/conf", "Target": "/etc/redis", "ReadOnly": true,
     "BindOptions": {"Propagation": "rprivate"}},
    {"Type": "volume", "Source": "cache-data", "Target": "/data", "ReadOnly": false},
    {"Type": "volume", "Source": ")" + kAnon +
                                          R"(", "Target": "/var/log/redis", "ReadOnly": false},
    {"Type": "tmpfs", "Target": "/run/cache", "TmpfsOptions": {"SizeBytes": 1048576}}
  ])");
  CHECK(hc["Mounts"] == expectedMounts);

  REQUIRE(spec.volumes.size() == 2);
  CHECK(spec.volumes[0].name == "cache-data");
  CHECK(spec.volumes[0].destination == "/data");
  CHECK(!spec.volumes[0].anonymous);
  CHECK(spec.volumes[1].name == kAnon);
  CHECK(spec.volumes[1].destination == "/var/log/redis");
  CHECK(spec.volumes[1].anonymous);
}

TEST_CASE("destinationCreateBody swaps the image and labels the migration", "[agent]") {
  const auto result = containerSpecFromInspect(inspectAnswer());
  REQUIRE(result.ok());
  const json body = destinationCreateBody(*result, "roam/cache:mig-42", "mig-42");
  CHECK(body["Image"] == "roam/cache:mig-42");
  CHECK(body["Labels"]["roam.migration-id"] == "mig-42");
  CHECK(body["Labels"]["com.example.tier"] == "cache");
  // The same mounts, each volume with NoCopy: its contents come with the
  // migration, not from the image.
  const json& given = result->createBody["HostConfig"]["Mounts"];
  const json& mounted = body["HostConfig"]["Mounts"];
  REQUIRE(mounted.size() == given.size());
  for (std::size_t i = 0; i < given.size(); ++i) {
    json expected = given[i];
    if (expected["Type"] == "volume") expected["VolumeOptions"]["NoCopy"] = true;
    CHECK(mounted[i] == expected);
  }
  CHECK(result->createBody["Image"] == "redis:6.2");  // the spec is untouched

  // A body without mounts or labels still gets every volume, by name.
  ContainerSpec bare = *result;
  bare.createBody = {{"Image", "redis:6.2"}};
  const json rebuilt = destinationCreateBody(bare, "snap", "m1");
  CHECK(rebuilt["Labels"] == json({{"roam.migration-id", "m1"}}));
  const json& mounts = rebuilt["HostConfig"]["Mounts"];
  REQUIRE(mounts.size() == 2);
  CHECK(mounts[1]["Source"] == kAnon);
  CHECK(mounts[1]["Target"] == "/var/log/redis");
}

TEST_CASE("containerSpecFromInspect copes with minimal and broken answers", "[agent]") {
  const auto minimal =
      containerSpecFromInspect(json::parse(R"({"Name": "/m", "Config": {"Image": "alpine"}})"));
  REQUIRE(minimal.ok());
  CHECK(!minimal->running);
  CHECK(minimal->volumes.empty());
  CHECK(minimal->createBody == json::parse(R"({"Image": "alpine", "HostConfig": {}})"));

  CHECK_THAT(roam::errorText(containerSpecFromInspect(json::array())),
             Catch::Contains("not a JSON object"));
  CHECK_THAT(
      roam::errorText(containerSpecFromInspect(json::parse(R"({"Config": {"Image": "a"}})"))),
      Catch::Contains("no Name"));
  CHECK_THAT(roam::errorText(containerSpecFromInspect(json::parse(R"({"Name": "/x"})"))),
             Catch::Contains("no Config"));
  CHECK_THAT(
      roam::errorText(containerSpecFromInspect(json::parse(R"({"Name": "/x", "Config": {}})"))),
      Catch::Contains("Config.Image"));
  CHECK_THAT(
      roam::errorText(containerSpecFromInspect(json::parse(
          R"({"Name": "/x", "Config": {"Image": "a"}, "Mounts": [{"Type": "volume", "Destination": "/d"}]})"))),
      Catch::Contains("no Name"));
  CHECK_THAT(roam::errorText(containerSpecFromInspect(
                 json::parse(R"({"Name": "/x", "Config": {"Image": "a"}, "Mounts": {}})"))),
             Catch::Contains("not an array"));
}
