#include "agent/migration/container_spec.hpp"

#include <algorithm>
#include <array>

namespace roam::agent {

namespace {

using nlohmann::json;

// Config keys that describe the process and are portable. Config.Volumes is left
// out on purpose: the committed image carries it, and every volume is mounted
// explicitly anyway.
constexpr std::array kConfigKeys = {
    "Cmd",          "Entrypoint",  "Env",         "Labels", "WorkingDir", "User",
    "ExposedPorts", "Hostname",    "Domainname",  "Tty",    "OpenStdin",  "StdinOnce",
    "StopSignal",   "StopTimeout", "Healthcheck", "Shell",  "ArgsEscaped"};

// HostConfig keys worth carrying. Left out: Binds and Mounts (rebuilt from the
// inspect's Mounts), Links and VolumesFrom (name other containers on the source
// host), ContainerIDFile, and cgroup paths.
constexpr std::array kHostConfigKeys = {"NetworkMode",
                                        "RestartPolicy",
                                        "PortBindings",
                                        "PublishAllPorts",
                                        "Privileged",
                                        "CapAdd",
                                        "CapDrop",
                                        "Dns",
                                        "DnsOptions",
                                        "DnsSearch",
                                        "ExtraHosts",
                                        "GroupAdd",
                                        "IpcMode",
                                        "PidMode",
                                        "UTSMode",
                                        "UsernsMode",
                                        "SecurityOpt",
                                        "ReadonlyRootfs",
                                        "Tmpfs",
                                        "Sysctls",
                                        "ShmSize",
                                        "Init",
                                        "AutoRemove",
                                        "LogConfig",
                                        "Devices",
                                        "DeviceCgroupRules",
                                        "Ulimits",
                                        "Memory",
                                        "MemoryReservation",
                                        "MemorySwap",
                                        "MemorySwappiness",
                                        "NanoCpus",
                                        "CpuShares",
                                        "CpuPeriod",
                                        "CpuQuota",
                                        "CpusetCpus",
                                        "CpusetMems",
                                        "PidsLimit",
                                        "OomKillDisable",
                                        "OomScoreAdj",
                                        "BlkioWeight",
                                        "Runtime",
                                        "Isolation",
                                        "MaskedPaths",
                                        "ReadonlyPaths"};

void copyPresent(const json& from, json& to, const auto& keys) {
  for (const char* key : keys) {
    auto it = from.find(key);
    if (it != from.end() && !it->is_null()) to[key] = *it;
  }
}

bool isGeneratedVolumeName(const std::string& name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string stringAt(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool readOnly(const json& mount) {
  auto it = mount.find("RW");
  return it != mount.end() && it->is_boolean() && !it->get<bool>();
}

}  // namespace

roam::Result<ContainerSpec> containerSpecFromInspect(const json& inspect) {
  if (!inspect.is_object())
    return roam::Error{roam::ErrorCode::BadAnswer, "inspect answer is not a JSON object"};
  ContainerSpec spec;
  spec.name = stringAt(inspect, "Name");
  if (spec.name.starts_with("/")) spec.name.erase(0, 1);
  if (spec.name.empty())
    return roam::Error{roam::ErrorCode::BadAnswer, "inspect answer has no Name"};
  const std::string where = "container " + spec.name + ": ";

  auto config = inspect.find("Config");
  if (config == inspect.end() || !config->is_object())
    return roam::Error{roam::ErrorCode::BadAnswer, where + "inspect answer has no Config object"};
  spec.image = stringAt(*config, "Image");
  if (spec.image.empty())
    return roam::Error{roam::ErrorCode::BadAnswer, where + "inspect answer has no Config.Image"};

  if (auto state = inspect.find("State"); state != inspect.end() && state->is_object()) {
    auto running = state->find("Running");
    spec.running = running != state->end() && running->is_boolean() && running->get<bool>();
  }

  json body = json::object();
  body["Image"] = spec.image;
  copyPresent(*config, body, kConfigKeys);

  json hostConfig = json::object();
  const json* originalHost = nullptr;
  if (auto hc = inspect.find("HostConfig"); hc != inspect.end() && hc->is_object()) {
    originalHost = &*hc;
    copyPresent(*hc, hostConfig, kHostConfigKeys);
  }

  json mounts = json::array();
  if (auto list = inspect.find("Mounts"); list != inspect.end() && !list->is_null()) {
    if (!list->is_array())
      return roam::Error{roam::ErrorCode::BadAnswer,
                         where + "inspect answer's Mounts is not an array"};
    for (const auto& m : *list) {
      if (!m.is_object())
        return roam::Error{roam::ErrorCode::BadAnswer, where + "a Mounts entry is not an object"};
      const std::string type = stringAt(m, "Type");
      const std::string destination = stringAt(m, "Destination");
      if (type != "volume" && type != "bind") continue;  // tmpfs etc. come from HostConfig.Mounts
      if (destination.empty())
        return roam::Error{roam::ErrorCode::BadAnswer,
                           where + "a " + type + " mount has no Destination"};
      if (type == "volume") {
        const std::string name = stringAt(m, "Name");
        if (name.empty())
          return roam::Error{roam::ErrorCode::BadAnswer,
                             where + "the volume mounted at " + destination + " has no Name"};
        spec.volumes.push_back({name, destination, isGeneratedVolumeName(name)});
        json mount = {{"Type", "volume"},
                      {"Source", name},
                      {"Target", destination},
                      {"ReadOnly", readOnly(m)}};
        // A volume from a non-default driver must be created by that driver again.
        const std::string driver = stringAt(m, "Driver");
        if (!driver.empty() && driver != "local")
          mount["VolumeOptions"] = {{"DriverConfig", {{"Name", driver}}}};
        mounts.push_back(std::move(mount));
      } else {
        const std::string source = stringAt(m, "Source");
        if (source.empty())
          return roam::Error{roam::ErrorCode::BadAnswer,
                             where + "the bind mount at " + destination + " has no Source"};
        json mount = {{"Type", "bind"},
                      {"Source", source},
                      {"Target", destination},
                      {"ReadOnly", readOnly(m)}};
        if (auto p = stringAt(m, "Propagation"); !p.empty())
          mount["BindOptions"] = {{"Propagation", p}};
        mounts.push_back(std::move(mount));
      }
    }
  }
  // Mounts that the inspect's Mounts list does not describe fully (tmpfs, npipe)
  // are carried over from the original HostConfig.Mounts as they were given.
  if (originalHost) {
    if (auto given = originalHost->find("Mounts");
        given != originalHost->end() && given->is_array())
      for (const auto& m : *given) {
        const std::string type = m.is_object() ? stringAt(m, "Type") : "";
        if (!type.empty() && type != "volume" && type != "bind") mounts.push_back(m);
      }
  }
  if (!mounts.empty()) hostConfig["Mounts"] = std::move(mounts);
  body["HostConfig"] = std::move(hostConfig);

  spec.createBody = std::move(body);
  return spec;
}

json destinationCreateBody(const ContainerSpec& spec, const std::string& image,
                           const std::string& migrationId) {
  json body = spec.createBody.is_object() ? spec.createBody : json::object();
  body["Image"] = image;
  if (!body.contains("Labels") || !body["Labels"].is_object()) body["Labels"] = json::object();
  body["Labels"][kMigrationIdLabel] = migrationId;

  if (!body.contains("HostConfig") || !body["HostConfig"].is_object())
    body["HostConfig"] = json::object();
  json& hostConfig = body["HostConfig"];
  if (!hostConfig.contains("Mounts") || !hostConfig["Mounts"].is_array())
    hostConfig["Mounts"] = json::array();
  json& mounts = hostConfig["Mounts"];
  // The body from containerSpecFromInspect already mounts every volume by name;
  // this makes the promise hold for a body built or edited elsewhere too.
  for (const auto& v : spec.volumes) {
    const bool present = std::any_of(mounts.begin(), mounts.end(), [&](const json& m) {
      return m.is_object() && stringAt(m, "Target") == v.destination;
    });
    if (!present)
      mounts.push_back(
          {{"Type", "volume"}, {"Source", v.name}, {"Target", v.destination}, {"ReadOnly", false}});
  }
  // The volumes arrive with the migration: the engine must not fill them
  // with what the image holds at their mount points (its copy at create),
  // or files the container had deleted there would come back.
  for (auto& m : mounts)
    if (m.is_object() && stringAt(m, "Type") == "volume") {
      if (!m.contains("VolumeOptions") || !m["VolumeOptions"].is_object())
        m["VolumeOptions"] = json::object();
      m["VolumeOptions"]["NoCopy"] = true;
    }
  if (mounts.empty()) hostConfig.erase("Mounts");
  return body;
}

json containerSpecToJson(const ContainerSpec& spec) {
  json volumes = json::array();
  for (const auto& v : spec.volumes)
    volumes.push_back(
        {{"name", v.name}, {"destination", v.destination}, {"anonymous", v.anonymous}});
  return {{"name", spec.name},
          {"image", spec.image},
          {"create_body", spec.createBody},
          {"volumes", volumes},
          {"running", spec.running}};
}

roam::Result<ContainerSpec> containerSpecFromJson(const json& config) {
  try {
    ContainerSpec spec;
    spec.name = config.at("name").get<std::string>();
    spec.image = config.at("image").get<std::string>();
    spec.createBody = config.at("create_body");
    if (!spec.createBody.is_object()) throw std::runtime_error("create_body must be an object");
    for (const auto& v : config.at("volumes"))
      spec.volumes.push_back(VolumeMount{v.at("name").get<std::string>(),
                                         v.at("destination").get<std::string>(),
                                         v.at("anonymous").get<bool>()});
    spec.running = config.value("running", true);
    return spec;
  } catch (const std::exception& e) {
    return roam::Error{roam::ErrorCode::BadInput,
                       std::string("invalid container configuration: ") + e.what()};
  }
}

}  // namespace roam::agent
