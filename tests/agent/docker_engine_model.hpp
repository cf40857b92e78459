#pragma once
// The state of one fixture Docker engine (containers, images with their
// layers, volumes) and the Engine API v1.41 routes the agent uses, answered
// from that state the way dockerd 20.10 answers them: the same status codes
// and {"message": ...} bodies for unknown containers, images and volumes
// (404), name and in-use conflicts (409), running-container removal (409);
// `docker save` archives with manifest.json, the image config and one
// layer.tar per layer; `docker load` that checks each layer's diff id, accepts
// an archive without the layers it already has and reports errors inside its
// 200 JSON stream; GET/PUT archive as tars relative to the path's parent,
// with the X-Docker-Container-Path-Stat header. The status codes follow
// tests/integration/agent/docker_client.test.cpp (run against real engines);
// the messages follow moby's error strings.
//
// The writable layer (GraphDriver.Data.UpperDir) and each volume's
// Mountpoint are real directories under a temporary root the model owns, as
// overlay2 keeps them: a deletion of an image file is a whiteout (a character
// device 0:0), so the agent reads and writes them as it does on a real engine.
// Pause and unpause answer as dockerd 20.10 does (409 to pause a stopped or
// paused container, 500 to unpause one not paused, 409 to start or remove a
// paused one without force), and a paused container's process writes nothing.
//
// Processes are modelled as one string of "memory" per container (tests set
// and read it): a plain start begins with empty memory; checkpoints (the
// experimental routes, answered only when setExperimental(true), else 501 as
// dockerd without --experimental) work as dockerd 20.10 with CRIU does them,
// checked against a real engine: POST /containers/ID/checkpoints with Exit
// writes the memory as an image file into DATA_ROOT/containers/ID/
// checkpoints/NAME (DATA_ROOT is /info's DockerRootDir) and stops the
// container (a paused one too); start?checkpoint=NAME restores the memory
// from that directory (so a checkpoint copied there from another engine
// restores too), refuses a checkpoint-dir (403 "custom checkpointdir is not
// supported") and a checkpoint that is not there; DELETE removes it.
// Not modelled: networks, image parents and dependent-child conflicts,
// file modes and owners in image layers. Layers are stored by diff id, so "the engine has
// this layer" ignores the chain below it (the agent only skips a common
// prefix anyway).
//
// Tests set up and inspect the state through the methods below; faults are
// injected with setFault (an answer given before the model's own).

#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fake_docker_engine.hpp"
#include "tar_bytes.hpp"

namespace roamtest {

inline std::string sha256Of(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  return hex;
}

class DockerEngineModel {
 public:
  using Request = FakeDockerEngine::Request;
  using Response = FakeDockerEngine::Response;
  using Files = std::map<std::string, std::string>;  // path (no leading '/') -> content

  struct Image {
    std::string id;  // "sha256:<hex of the config>"
    std::vector<std::string> repoTags;
    std::vector<std::string> layers;  // diff ids, bottom first
    nlohmann::json config;            // the container config it starts with (Cmd, Env, ...)
    std::string configJson;           // the image config document (its digest is the id)
  };
  struct Mount {
    std::string volume;
    std::string destination;  // absolute
    bool readOnly = false;
  };
  struct Container {
    std::string id;
    std::string name;  // without '/'
    std::string imageId;
    nlohmann::json config;      // as inspect's Config
    nlohmann::json hostConfig;  // as given at create
    std::vector<Mount> mounts;
    bool running = false;
    bool paused = false;
    bool everStarted = false;
    int exitCode = 0;
    std::string memory;              // its processes' state (see above)
    std::filesystem::path upperDir;  // the writable layer, on disk
    // state() only: the writable layer's regular files (path -> content) and
    // whiteouts (nullopt), read from upperDir.
    std::map<std::string, std::optional<std::string>> changes;
  };
  struct Volume {
    std::string name;
    nlohmann::json labels = nlohmann::json::object();
    std::filesystem::path mountpoint;  // on disk
    Files files;                       // state() only: its regular files, read from mountpoint
  };
  struct State {
    std::map<std::string, Container> containers;  // by id
    std::map<std::string, Image> images;          // by id
    std::map<std::string, std::string> layers;    // diff id -> layer tar
    std::map<std::string, Volume> volumes;        // by name
  };
  // Answers REQUEST instead of the model when it returns a response. Called
  // with the lock held: it may read or change the state.
  using Fault = std::function<std::optional<Response>(const Request&, State&)>;

  DockerEngineModel() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "roam-engine-model-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()));
    root_ = pattern;
  }
  ~DockerEngineModel() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  DockerEngineModel(const DockerEngineModel&) = delete;
  DockerEngineModel& operator=(const DockerEngineModel&) = delete;

  // ---- set-up and inspection (tests) ----

  // An image of one layer holding FILES, tagged REPO_TAG; returns its id.
  std::string addImage(const std::string& repoTag, const Files& files,
                       const nlohmann::json& config = {{"Cmd", {"sh"}}}) {
    std::lock_guard lock(mutex_);
    std::vector<TarMember> members;
    for (const auto& [path, content] : files) {
      addParents(members, path);
      members.push_back({path, '0', content});
    }
    const std::string tar = writeTar(members);
    const std::string diffId = "sha256:" + sha256Of(tar);
    state_.layers[diffId] = tar;
    return storeImage({diffId}, config, {repoTag});
  }
  void addVolume(const std::string& name, const Files& files) {
    std::lock_guard lock(mutex_);
    Volume& v = newVolume(name, nlohmann::json::object());
    for (const auto& [path, content] : files) writeDiskFile(v.mountpoint / path, content);
  }
  // Creates and starts a container as `docker run -d --name NAME -v VOL:DEST IMAGE`
  // would; the volumes must exist. Returns its id.
  std::string runContainer(const std::string& name, const std::string& image,
                           const std::vector<Mount>& mounts, const nlohmann::json& config = {}) {
    nlohmann::json body = config.is_object() ? config : nlohmann::json::object();
    body["Image"] = image;
    for (const auto& m : mounts)
      body["HostConfig"]["Binds"].push_back(m.volume + ":" + m.destination);
    std::lock_guard lock(mutex_);
    auto created = create(name, body);
    REQUIRE(created.status == 201);
    const std::string id = nlohmann::json::parse(created.body).at("Id");
    state_.containers.at(id).running = true;
    state_.containers.at(id).everStarted = true;
    return id;
  }
  // Writes (or, with nullopt, deletes) PATH in a container, as its process
  // would: into a mounted volume or its writable layer (a deleted image file
  // leaves a whiteout). A paused container's process cannot write: false then.
  bool writeFile(const std::string& container, const std::string& path,
                 const std::optional<std::string>& content) {
    std::lock_guard lock(mutex_);
    Container* c = findContainer(container);
    REQUIRE(c);
    if (c->paused) return false;
    writeInto(*c, relative(path), content);
    return true;
  }
  // The container's whole file system as its process sees it: image layers,
  // writable layer, then volumes at their mount points.
  Files fileSystem(const std::string& container) const {
    std::lock_guard lock(mutex_);
    const Container* c = const_cast<DockerEngineModel*>(this)->findContainer(container);
    REQUIRE(c);
    return view(*c);
  }
  // The files in an image's layers, merged (whiteouts applied).
  Files imageFiles(const std::string& image) const {
    std::lock_guard lock(mutex_);
    const Image* i = const_cast<DockerEngineModel*>(this)->findImage(image);
    REQUIRE(i);
    return merged(*i, {});
  }
  State state() const {
    std::lock_guard lock(mutex_);
    State copy = state_;
    for (auto& [id, c] : copy.containers) c.changes = layerChanges(c.upperDir);
    for (auto& [name, v] : copy.volumes) v.files = readTree(v.mountpoint);
    return copy;
  }
  static const Container* containerNamed(const State& s, const std::string& name) {
    for (const auto& [id, c] : s.containers)
      if (c.name == name) return &c;
    return nullptr;
  }
  void setFault(Fault fault) {
    std::lock_guard lock(mutex_);
    fault_ = std::move(fault);
  }
  // dockerd --experimental: the checkpoint routes answer.
  void setExperimental(bool on) {
    std::lock_guard lock(mutex_);
    experimental_ = on;
  }
  // The memory of a container's processes (see the top of this file).
  void setMemory(const std::string& container, const std::string& memory) {
    std::lock_guard lock(mutex_);
    Container* c = findContainer(container);
    REQUIRE(c);
    c->memory = memory;
  }
  std::string memory(const std::string& container) const {
    std::lock_guard lock(mutex_);
    const Container* c = const_cast<DockerEngineModel*>(this)->findContainer(container);
    REQUIRE(c);
    return c->memory;
  }
  std::filesystem::path dataRoot() const { return root_ / "docker"; }

  // ---- the Engine API ----

  Response handle(const Request& r) {
    std::lock_guard lock(mutex_);
    if (fault_)
      if (auto answer = fault_(r, state_)) return *answer;
    std::vector<std::string> p;
    for (std::size_t start = 1; start <= r.path.size();) {
      auto end = r.path.find('/', start);
      if (end == std::string::npos) end = r.path.size();
      p.push_back(FakeDockerEngine::percentDecode(r.path.substr(start, end - start)));
      start = end + 1;
    }
    auto q = [&](const std::string& key) { return FakeDockerEngine::queryValue(r.query, key); };
    const std::string& m = r.method;
    const std::size_t n = p.size();
    if (m == "GET" && r.path == "/version")
      return ok(200, {{"ApiVersion", "1.41"}, {"Version", "20.10.24-fixture"}, {"Os", "linux"}});
    if (m == "GET" && r.path == "/info")
      return ok(200, {{"ExperimentalBuild", experimental_},
                      {"Driver", "overlay2"},
                      {"Name", "fixture"},
                      {"DockerRootDir", dataRoot().string()}});
    if (n >= 1 && p[0] == "containers") {
      if (m == "GET" && n == 2 && p[1] == "json") return listContainers();
      if (m == "POST" && n == 2 && p[1] == "create") {
        auto body = nlohmann::json::parse(r.body, nullptr, false);
        if (!body.is_object()) return error(400, "invalid JSON in the create body");
        return create(q("name"), body);
      }
      if (n < 2) return notFound();
      Container* c = findContainer(p[1]);
      if (!c) return error(404, "No such container: " + p[1]);
      if (m == "GET" && n == 3 && p[2] == "json") return ok(200, inspect(*c));
      if (m == "POST" && n == 3 && p[2] == "start") {
        const std::string checkpoint = FakeDockerEngine::percentDecode(q("checkpoint"));
        if (!checkpoint.empty() && !experimental_)
          return error(400, "checkpoint is only supported in experimental mode");
        if (!q("checkpoint-dir").empty())
          return error(403, "custom checkpointdir is not supported");
        if (c->paused) return error(409, "cannot start a paused container, try unpause instead");
        if (c->running) return {304, ""};
        if (!checkpoint.empty()) {
          const auto image = checkpointDir(*c, checkpoint) / kMemoryImage;
          std::error_code ec;
          if (!std::filesystem::is_regular_file(image, ec))
            return error(500,
                         "checkpoint " + checkpoint + " does not exist for container /" + c->name);
          std::ifstream in(image, std::ios::binary);
          c->memory.assign(std::istreambuf_iterator<char>(in), {});
        } else {
          c->memory.clear();  // fresh processes
        }
        c->running = c->everStarted = true;
        return {204, ""};
      }
      if (n >= 3 && p[2] == "checkpoints") {
        if (!experimental_) return notExperimental();
        if (m == "POST" && n == 3) return createCheckpoint(*c, r.body);
        if (m == "DELETE" && n == 4) {
          const auto dir = checkpointDir(*c, p[3]);
          std::error_code ec;
          if (!std::filesystem::is_directory(dir, ec))
            return error(500, "checkpoint " + p[3] + " does not exist for container " + c->name);
          std::filesystem::remove_all(dir, ec);
          return {204, ""};
        }
        return notFound();
      }
      if (m == "POST" && n == 3 && p[2] == "pause") {
        if (!c->running) return error(409, "Container " + c->id + " is not running");
        if (c->paused) return error(409, "Container " + c->id + " is already paused");
        c->paused = true;
        return {204, ""};
      }
      if (m == "POST" && n == 3 && p[2] == "unpause") {
        if (!c->paused) return error(500, "Container " + c->id + " is not paused");
        c->paused = false;
        return {204, ""};
      }
      if (m == "POST" && n == 3 && p[2] == "stop") {
        if (!c->running) return {304, ""};
        c->running = c->paused = false;
        c->exitCode = 137;
        return {204, ""};
      }
      if (m == "DELETE" && n == 2) return remove(*c, q("force") == "1", q("v") == "1");
      if (m == "GET" && n == 3 && p[2] == "archive") return getArchive(*c, q("path"));
      if (m == "PUT" && n == 3 && p[2] == "archive") return putArchive(*c, q("path"), r.body);
      return notFound();
    }
    if (m == "POST" && r.path == "/commit") return commit(q("container"), q("repo"), q("tag"));
    if (n >= 1 && p[0] == "images") {
      if (m == "GET" && n == 2 && p[1] == "json") return listImages();
      if (m == "POST" && n == 2 && p[1] == "load") return load(r.body);
      if (n < 2) return notFound();
      Image* i = findImage(p[1]);
      if (!i) return error(404, "No such image: " + p[1]);
      if (m == "GET" && n == 3 && p[2] == "json") return ok(200, inspectImage(*i));
      if (m == "GET" && n == 3 && p[2] == "get") return save(*i, p[1]);
      if (m == "DELETE" && n == 2) return removeImage(*i, p[1], q("force") == "1");
      if (m == "POST" && n == 3 && p[2] == "tag") {
        const std::string repo = FakeDockerEngine::percentDecode(q("repo"));
        if (repo.empty()) return error(400, "repository name must have at least one component");
        const std::string tag = FakeDockerEngine::percentDecode(q("tag"));
        const std::string ref = repo + ":" + (tag.empty() ? "latest" : tag);
        for (auto& [otherId, other] : state_.images) std::erase(other.repoTags, ref);
        i->repoTags.push_back(ref);
        return {201, ""};
      }
      return notFound();
    }
    if (n >= 1 && p[0] == "volumes") {
      if (m == "POST" && n == 2 && p[1] == "create") {
        auto body = nlohmann::json::parse(r.body, nullptr, false);
        if (!body.is_object() || !body.value("Name", "").size())
          return error(400, "fixture: volume create needs a Name");
        const std::string name = body["Name"];
        // An existing volume of the same driver is answered, not refused.
        if (!state_.volumes.count(name))
          newVolume(name, body.value("Labels", nlohmann::json::object()));
        return ok(201, volumeJson(state_.volumes[name]));
      }
      if (n != 2) return notFound();
      auto it = state_.volumes.find(p[1]);
      if (it == state_.volumes.end()) return error(404, "get " + p[1] + ": no such volume");
      if (m == "GET") return ok(200, volumeJson(it->second));
      if (m == "DELETE") {
        std::vector<std::string> users;
        for (const auto& [id, c] : state_.containers)
          for (const auto& mount : c.mounts)
            if (mount.volume == p[1]) users.push_back(id);
        if (!users.empty())
          return error(409, "remove " + p[1] + ": volume is in use - [" + join(users) + "]");
        eraseVolume(p[1]);
        return {204, ""};
      }
    }
    return notFound();
  }

 private:
  static Response ok(int status, const nlohmann::json& body) { return {status, body.dump()}; }
  static Response error(int status, const std::string& message) {
    return {status, nlohmann::json{{"message", message}}.dump()};
  }
  static Response notFound() { return error(404, "page not found"); }

  // ---- the disk behind layers and volumes ----
  static void writeDiskFile(const std::filesystem::path& path, const std::string& content) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    REQUIRE(out.good());
  }
  static std::string readDiskFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static bool isWhiteout(const std::filesystem::path& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
  }
  // The regular files below DIR, by relative path.
  static Files readTree(const std::filesystem::path& dir) {
    Files files;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file() && !it->is_symlink())
        files[std::filesystem::relative(it->path(), dir).string()] = readDiskFile(it->path());
    return files;
  }
  // An overlay upper directory as changes: regular files and whiteouts.
  static std::map<std::string, std::optional<std::string>> layerChanges(
      const std::filesystem::path& upper) {
    std::map<std::string, std::optional<std::string>> changes;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(upper, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      const std::string rel = std::filesystem::relative(it->path(), upper).string();
      if (isWhiteout(it->path()))
        changes[rel] = std::nullopt;
      else if (it->is_regular_file() && !it->is_symlink())
        changes[rel] = readDiskFile(it->path());
    }
    return changes;
  }
  Volume& newVolume(const std::string& name, const nlohmann::json& labels) {
    Volume v{name, labels, root_ / "volumes" / name / "_data", {}};
    std::filesystem::create_directories(v.mountpoint);
    return state_.volumes[name] = std::move(v);
  }
  void eraseVolume(const std::string& name) {
    std::error_code ec;
    std::filesystem::remove_all(root_ / "volumes" / name, ec);
    state_.volumes.erase(name);
  }
  // Writes (nullopt: deletes) container path REL where the container's process
  // would: its volume, or its writable layer (a whiteout hides an image file).
  void writeInto(Container& c, const std::string& rel, const std::optional<std::string>& content) {
    if (auto v = volumeAt(c, rel)) {
      const auto path = v->first->mountpoint / v->second;
      if (content) {
        writeDiskFile(path, *content);
      } else {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
      }
      return;
    }
    const auto path = c.upperDir / rel;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (content) {
      writeDiskFile(path, *content);
      return;
    }
    const Files below = merged(state_.images.at(c.imageId), {});
    const bool inImage = std::any_of(below.begin(), below.end(), [&](const auto& file) {
      return file.first == rel || file.first.starts_with(rel + "/");
    });
    if (inImage) {
      std::filesystem::create_directories(path.parent_path());
      REQUIRE(::mknod(path.c_str(), S_IFCHR | 0600, makedev(0, 0)) == 0);
    }
  }
  static std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
    return out;
  }
  static std::string relative(std::string path) {
    while (path.starts_with("/")) path.erase(0, 1);
    while (path.ends_with("/")) path.pop_back();
    return path;
  }
  static std::string withTag(const std::string& ref) {
    const auto slash = ref.rfind('/');
    const auto colon = ref.rfind(':');
    return colon == std::string::npos || (slash != std::string::npos && colon < slash)
               ? ref + ":latest"
               : ref;
  }
  static void addParents(std::vector<TarMember>& members, const std::string& path) {
    for (auto slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string dir = path.substr(0, slash);
      if (std::none_of(members.begin(), members.end(),
                       [&](const TarMember& m) { return m.name == dir; }))
        members.push_back({dir, '5', ""});
    }
  }
  std::string newId() {
    return sha256Of("container " + std::to_string(++counter_) + " " +
                    std::to_string(reinterpret_cast<std::uintptr_t>(this)));
  }

  Container* findContainer(const std::string& ref) {
    const std::string name = ref.starts_with("/") ? ref.substr(1) : ref;
    for (auto& [id, c] : state_.containers)
      if (id == ref || c.name == name) return &c;
    Container* found = nullptr;
    for (auto& [id, c] : state_.containers)
      if (!ref.empty() && id.starts_with(ref)) {
        if (found) return nullptr;  // ambiguous
        found = &c;
      }
    return found;
  }
  Image* findImage(const std::string& ref) {
    for (auto& [id, i] : state_.images) {
      if (id == ref || id == "sha256:" + ref) return &i;
      for (const auto& tag : i.repoTags)
        if (tag == withTag(ref)) return &i;
    }
    if (ref.size() >= 12)
      for (auto& [id, i] : state_.images)
        if (id.starts_with(ref) || id.starts_with("sha256:" + ref)) return &i;
    return nullptr;
  }
  // The volume (and the path inside it) that holds container path REL.
  std::optional<std::pair<Volume*, std::string>> volumeAt(Container& c, const std::string& rel) {
    for (const auto& mount : c.mounts) {
      const std::string dest = relative(mount.destination);
      if (rel == dest || rel.starts_with(dest + "/")) {
        auto it = state_.volumes.find(mount.volume);
        if (it == state_.volumes.end()) return std::nullopt;
        return std::make_pair(&it->second, rel == dest ? "" : rel.substr(dest.size() + 1));
      }
    }
    return std::nullopt;
  }
  // Applies one layer tar (files, whiteouts) on top of FILES.
  static void applyLayer(Files& files, const std::string& tar) {
    auto members = readTar(tar);
    if (!members) return;
    for (const auto& m : *members) {
      const auto slash = m.name.rfind('/');
      const std::string dir = slash == std::string::npos ? "" : m.name.substr(0, slash + 1);
      const std::string base = slash == std::string::npos ? m.name : m.name.substr(slash + 1);
      if (base.starts_with(".wh.")) {
        const std::string gone = dir + base.substr(4);
        for (auto it = files.begin(); it != files.end();)
          it = (it->first == gone || it->first.starts_with(gone + "/")) ? files.erase(it)
                                                                        : std::next(it);
      } else if (m.type == '0') {
        files[m.name] = m.content;
      }
    }
  }
  Files merged(const Image& image,
               const std::map<std::string, std::optional<std::string>>& changes) const {
    Files files;
    for (const auto& layer : image.layers)
      if (auto it = state_.layers.find(layer); it != state_.layers.end())
        applyLayer(files, it->second);
    for (const auto& [path, content] : changes) {
      if (content) {
        files[path] = *content;
      } else {
        for (auto it = files.begin(); it != files.end();)
          it = (it->first == path || it->first.starts_with(path + "/")) ? files.erase(it)
                                                                        : std::next(it);
      }
    }
    return files;
  }
  Files view(const Container& c) const {
    Files files;
    if (auto it = state_.images.find(c.imageId); it != state_.images.end())
      files = merged(it->second, layerChanges(c.upperDir));
    for (const auto& mount : c.mounts) {
      const std::string dest = relative(mount.destination);
      for (auto it = files.begin(); it != files.end();)
        it = it->first.starts_with(dest + "/") ? files.erase(it) : std::next(it);
      if (auto v = state_.volumes.find(mount.volume); v != state_.volumes.end())
        for (const auto& [path, content] : readTree(v->second.mountpoint))
          files[dest + "/" + path] = content;
    }
    return files;
  }

  std::string storeImage(const std::vector<std::string>& layers, const nlohmann::json& config,
                         const std::vector<std::string>& tags) {
    nlohmann::json document = {
        {"architecture", "amd64"},
        {"os", "linux"},
        {"config", config},
        {"created", "2026-01-01T00:00:0" + std::to_string(++counter_ % 10) + "Z"},
        {"rootfs", {{"type", "layers"}, {"diff_ids", layers}}}};
    return storeImageDocument(document.dump(), tags);
  }
  std::string storeImageDocument(const std::string& configJson,
                                 const std::vector<std::string>& tags) {
    auto document = nlohmann::json::parse(configJson);
    const std::string id = "sha256:" + sha256Of(configJson);
    for (const auto& tag : tags)  // a tag moves to the new image
      for (auto& [other, image] : state_.images) std::erase(image.repoTags, withTag(tag));
    auto& image = state_.images[id];
    image.id = id;
    image.configJson = configJson;
    image.config = document.value("config", nlohmann::json::object());
    image.layers = document.at("rootfs").at("diff_ids").get<std::vector<std::string>>();
    for (const auto& tag : tags)
      if (std::find(image.repoTags.begin(), image.repoTags.end(), withTag(tag)) ==
          image.repoTags.end())
        image.repoTags.push_back(withTag(tag));
    return id;
  }

  Response create(const std::string& name, const nlohmann::json& body) {
    const std::string ref = body.value("Image", "");
    Image* image = findImage(ref);
    if (!image) return error(404, "No such image: " + withTag(ref));
    if (!name.empty())
      if (Container* other = findContainer(name); other && other->name == name)
        return error(409, "Conflict. The container name \"/" + name +
                              "\" is already in use by container \"" + other->id +
                              "\". You have to remove (or rename) that container to be able to "
                              "reuse that name.");
    Container c;
    c.id = newId();
    c.name = name.empty() ? "fixture_" + c.id.substr(0, 8) : name;
    c.imageId = image->id;
    c.config = image->config;
    for (const auto& [key, value] : body.items())
      if (key != "HostConfig" && key != "Labels" && key != "Env") c.config[key] = value;
    for (const char* key : {"Labels"}) {
      if (!c.config[key].is_object()) c.config[key] = nlohmann::json::object();
      if (body.contains(key) && body[key].is_object()) c.config[key].update(body[key]);
    }
    if (body.contains("Env")) c.config["Env"] = body["Env"];
    c.hostConfig = body.value("HostConfig", nlohmann::json::object());
    if (!c.hostConfig.contains("NetworkMode")) c.hostConfig["NetworkMode"] = "default";
    auto mountVolume = [&](const std::string& volume, const std::string& destination, bool ro) {
      if (!state_.volumes.count(volume)) newVolume(volume, nlohmann::json::object());
      c.mounts.push_back({volume, destination, ro});
    };
    for (const auto& bind : c.hostConfig.value("Binds", nlohmann::json::array())) {
      const std::string text = bind;
      const auto colon = text.find(':');
      mountVolume(text.substr(0, colon), text.substr(colon + 1), false);
    }
    for (const auto& mount : c.hostConfig.value("Mounts", nlohmann::json::array()))
      if (mount.value("Type", "") == "volume")
        mountVolume(mount.value("Source", ""), mount.value("Target", ""),
                    mount.value("ReadOnly", false));
    const std::string id = c.id;
    c.upperDir = root_ / "overlay2" / id / "diff";
    std::filesystem::create_directories(c.upperDir);
    std::filesystem::create_directories(dataRoot() / "containers" / c.id);
    state_.containers[id] = std::move(c);
    return ok(201, {{"Id", id}, {"Warnings", nlohmann::json::array()}});
  }

  nlohmann::json inspect(const Container& c) const {
    nlohmann::json mounts = nlohmann::json::array();
    for (const auto& m : c.mounts)
      mounts.push_back({{"Type", "volume"},
                        {"Name", m.volume},
                        {"Source", volumeSource(m.volume)},
                        {"Destination", m.destination},
                        {"Driver", "local"},
                        {"Mode", "z"},
                        {"RW", !m.readOnly},
                        {"Propagation", ""}});
    const std::string status = c.paused        ? "paused"
                               : c.running     ? "running"
                               : c.everStarted ? "exited"
                                               : "created";
    return {{"Id", c.id},
            {"Name", "/" + c.name},
            {"Image", c.imageId},
            {"State",
             {{"Status", status},
              {"Running", c.running},
              {"Paused", c.paused},
              {"Restarting", false},
              {"OOMKilled", false},
              {"Dead", false},
              {"Pid", c.running ? 4242 : 0},
              {"ExitCode", c.running ? 0 : c.exitCode},
              {"Error", ""}}},
            {"Config", c.config},
            {"HostConfig", c.hostConfig},
            {"Mounts", mounts},
            {"Driver", "overlay2"},
            {"GraphDriver",
             {{"Name", "overlay2"},
              {"Data",
               {{"UpperDir", c.upperDir.string()},
                {"WorkDir", (c.upperDir.parent_path() / "work").string()},
                {"MergedDir", (c.upperDir.parent_path() / "merged").string()},
                {"LowerDir", (c.upperDir.parent_path() / "lower").string()}}}}}};
  }
  std::string volumeSource(const std::string& name) const {
    auto it = state_.volumes.find(name);
    return it == state_.volumes.end() ? "" : it->second.mountpoint.string();
  }

  Response listContainers() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, c] : state_.containers) {
      auto image = state_.images.find(c.imageId);
      list.push_back({{"Id", id},
                      {"Names", {"/" + c.name}},
                      {"Image", c.config.value("Image", "")},
                      {"ImageID", image == state_.images.end() ? "" : image->first},
                      {"State", c.running ? "running" : "exited"},
                      {"Labels", c.config.value("Labels", nlohmann::json::object())}});
    }
    return ok(200, list);
  }

  static constexpr const char* kMemoryImage = "pages-1.img";

  std::filesystem::path checkpointDir(const Container& c, const std::string& name) const {
    return dataRoot() / "containers" / c.id / "checkpoints" / name;
  }

  static Response notExperimental() {
    return error(501,
                 "This experimental feature is disabled by default. Start the Docker daemon in "
                 "experimental mode in order to enable it.");
  }

  Response createCheckpoint(Container& c, const std::string& body) {
    auto request = nlohmann::json::parse(body, nullptr, false);
    if (!request.is_object()) return error(400, "invalid JSON in the checkpoint body");
    const std::string name = request.value("CheckpointID", "");
    if (!c.running) return error(500, "Container " + c.name + " not running");
    const auto dir = request.value("CheckpointDir", "").empty()
                         ? checkpointDir(c, name)
                         : std::filesystem::path(request.value("CheckpointDir", "")) / name;
    std::error_code ec;
    if (std::filesystem::exists(dir, ec))
      return error(500, "checkpoint with name " + name + " already exists for container " + c.name);
    writeDiskFile(dir / kMemoryImage, c.memory);
    writeDiskFile(dir / "inventory.img", "criu-fixture");
    if (request.value("Exit", true)) {
      c.running = c.paused = false;
      c.exitCode = 137;
    }
    return {201, ""};
  }

  Response remove(Container& c, bool force, bool volumes) {
    if (c.paused && !force)
      return error(409, "You cannot remove a paused container " + c.id +
                            ". Unpause and then stop the container before attempting removal "
                            "or force remove");
    if (c.running && !force)
      return error(409, "You cannot remove a running container " + c.id +
                            ". Stop the container before attempting removal or force remove");
    const auto mounts = c.mounts;
    const std::string id = c.id;  // not a reference into the node being erased
    std::error_code ec;
    std::filesystem::remove_all(c.upperDir.parent_path(), ec);
    std::filesystem::remove_all(dataRoot() / "containers" / id, ec);
    state_.containers.erase(id);
    if (volumes)  // only anonymous volumes go with the container
      for (const auto& m : mounts)
        if (m.volume.size() == 64) eraseVolume(m.volume);
    return {204, ""};
  }

  Response commit(const std::string& ref, const std::string& repo, const std::string& tag) {
    Container* c = findContainer(ref);
    if (!c) return error(404, "No such container: " + ref);
    // The writable layer as a diff: changed files, whiteouts for deletions.
    std::vector<TarMember> members;
    for (const auto& [path, content] : layerChanges(c->upperDir)) {
      addParents(members, path);
      if (content) {
        members.push_back({path, '0', *content});
      } else {
        const auto slash = path.rfind('/');
        members.push_back({slash == std::string::npos
                               ? ".wh." + path
                               : path.substr(0, slash + 1) + ".wh." + path.substr(slash + 1),
                           '0', ""});
      }
    }
    const std::string tar = writeTar(members);
    const std::string diffId = "sha256:" + sha256Of(tar);
    state_.layers[diffId] = tar;
    auto layers = state_.images.at(c->imageId).layers;
    layers.push_back(diffId);
    nlohmann::json config = c->config;
    std::vector<std::string> tags;
    if (!repo.empty()) tags.push_back(repo + ":" + (tag.empty() ? "latest" : tag));
    return ok(201, {{"Id", storeImage(layers, config, tags)}});
  }

  Response getArchive(Container& c, const std::string& path) {
    const std::string rel = relative(path);
    const Files files = view(c);
    const bool isFile = files.count(rel) > 0;
    bool isDir = rel.empty() || volumeAt(c, rel).has_value();
    for (const auto& [p, content] : files) isDir = isDir || p.starts_with(rel + "/");
    if (!isFile && !isDir)
      return error(404, "Could not find the file " + path + " in container " + c.name);
    const auto slash = rel.rfind('/');
    const std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
    std::vector<TarMember> members;
    if (isFile) {
      members.push_back({base, '0', files.at(rel)});
    } else {
      members.push_back({base, '5', ""});
      for (const auto& [p, content] : files) {
        if (!p.starts_with(rel + "/")) continue;
        const std::string inside = base + "/" + p.substr(rel.size() + 1);
        addParents(members, inside);
        members.push_back({inside, '0', content});
      }
    }
    nlohmann::json stat = {{"name", base},
                           {"size", isFile ? files.at(rel).size() : 4096},
                           {"mode", isFile ? 0644 : 2147484141u},
                           {"mtime", "2026-01-01T00:00:00Z"},
                           {"linkTarget", ""}};
    return {200,
            writeTar(members),
            "application/x-tar",
            {{"X-Docker-Container-Path-Stat", base64(stat.dump())}}};
  }

  Response putArchive(Container& c, const std::string& path, const std::string& body) {
    const std::string rel = relative(path);
    bool isDir = rel.empty() || volumeAt(c, rel).has_value();
    for (const auto& [p, content] : view(c)) isDir = isDir || p.starts_with(rel + "/");
    if (!isDir) return error(404, "Could not find the file " + path + " in container " + c.name);
    auto members = readTar(body);
    if (!members) return error(400, "unexpected EOF");  // what Go's archive/tar says
    for (const auto& m : *members) {
      if (m.type != '0') continue;
      writeInto(c, rel.empty() ? m.name : rel + "/" + m.name, m.content);
    }
    return {200, ""};
  }

  nlohmann::json inspectImage(const Image& i) const {
    return {{"Id", i.id},
            {"RepoTags", i.repoTags},
            {"Config", i.config},
            {"RootFS", {{"Type", "layers"}, {"Layers", i.layers}}}};
  }
  Response listImages() const {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& [id, i] : state_.images)
      list.push_back({{"Id", id}, {"RepoTags", i.repoTags}, {"ParentId", ""}});
    return ok(200, list);
  }

  // `docker save`: entries in the lexical order of the directory Go tars.
  Response save(const Image& i, const std::string& ref) const {
    const std::string configFile = i.id.substr(7) + ".json";
    std::map<std::string, TarMember> entries;
    entries[configFile] = {configFile, '0', i.configJson};
    nlohmann::json layerFiles = nlohmann::json::array();
    std::string parent;
    for (const auto& diffId : i.layers) {
      const std::string v1 = sha256Of(parent + " " + diffId);
      entries[v1] = {v1, '5', ""};
      entries[v1 + "/VERSION"] = {v1 + "/VERSION", '0', "1.0"};
      nlohmann::json v1json = {{"id", v1}};
      if (!parent.empty()) v1json["parent"] = parent;
      entries[v1 + "/json"] = {v1 + "/json", '0', v1json.dump()};
      entries[v1 + "/layer.tar"] = {v1 + "/layer.tar", '0', state_.layers.at(diffId)};
      layerFiles.push_back(v1 + "/layer.tar");
      parent = v1;
    }
    const bool byTag = !ref.starts_with("sha256:") && i.id.find(ref) == std::string::npos;
    nlohmann::json tags = byTag ? nlohmann::json::array({withTag(ref)}) : nlohmann::json();
    nlohmann::json manifest = {
        {{"Config", configFile}, {"RepoTags", tags}, {"Layers", layerFiles}}};
    entries["manifest.json"] = {"manifest.json", '0', manifest.dump()};
    if (byTag) {
      const auto colon = withTag(ref).rfind(':');
      entries["repositories"] = {"repositories", '0',
                                 nlohmann::json{{withTag(ref).substr(0, colon),
                                                 {{withTag(ref).substr(colon + 1), parent}}}}
                                     .dump()};
    }
    std::vector<TarMember> members;
    for (auto& [name, member] : entries) members.push_back(member);
    return {200, writeTar(members), "application/x-tar"};
  }

  // `docker load`: 200 and a JSON stream; failures are a line in it.
  Response load(const std::string& body) {
    auto fail = [](const std::string& message) -> Response {
      return {200,
              nlohmann::json{{"errorDetail", {{"message", message}}}, {"error", message}}.dump() +
                  "\n"};
    };
    const std::string tmp = "/var/lib/docker/tmp/docker-import-" + std::to_string(++counter_);
    auto members = readTar(body);
    if (!members) return fail("archive/tar: invalid tar header");
    std::map<std::string, std::string> files;
    for (const auto& m : *members)
      if (m.type == '0') files[m.name] = m.content;
    if (!files.count("manifest.json"))
      return fail("open " + tmp + "/repositories: no such file or directory");
    auto manifest = nlohmann::json::parse(files["manifest.json"], nullptr, false);
    if (!manifest.is_array()) return fail("invalid manifest.json");
    std::string out;
    for (const auto& entry : manifest) {
      if (!entry.is_object()) return fail("invalid manifest.json");
      const std::string configFile = entry.value("Config", "");
      if (!files.count(configFile))
        return fail("open " + tmp + "/" + configFile + ": no such file or directory");
      auto config = nlohmann::json::parse(files[configFile], nullptr, false);
      if (!config.is_object() || !config.contains("rootfs") || !config["rootfs"].is_object())
        return fail("invalid image config " + configFile);
      const auto diffIds = config["rootfs"].value("diff_ids", std::vector<std::string>{});
      const auto layerFiles = entry.value("Layers", std::vector<std::string>{});
      if (diffIds.size() != layerFiles.size())
        return fail("invalid manifest, layers length mismatch: expected " +
                    std::to_string(diffIds.size()) + ", got " + std::to_string(layerFiles.size()));
      std::map<std::string, std::string> fresh;
      for (std::size_t k = 0; k < diffIds.size(); ++k) {
        auto file = files.find(layerFiles[k]);
        if (file == files.end()) {
          // Only a layer the engine has may be left out of the archive.
          if (state_.layers.count(diffIds[k]) || fresh.count(diffIds[k])) continue;
          return fail("open " + tmp + "/" + layerFiles[k] + ": no such file or directory");
        }
        const std::string actual = "sha256:" + sha256Of(file->second);
        if (actual != diffIds[k])
          return fail("invalid diffID for layer " + std::to_string(k) + ": expected \"" +
                      diffIds[k] + "\", got \"" + actual + "\"");
        fresh[actual] = file->second;
      }
      state_.layers.insert(fresh.begin(), fresh.end());
      const auto tags = entry.value("RepoTags", nlohmann::json::array());
      const auto id = storeImageDocument(
          files[configFile],
          tags.is_array() ? tags.get<std::vector<std::string>>() : std::vector<std::string>{});
      if (tags.is_array() && !tags.empty())
        for (const auto& tag : tags)
          out +=
              nlohmann::json{{"stream", "Loaded image: " + tag.get<std::string>() + "\n"}}.dump() +
              "\n";
      else
        out += nlohmann::json{{"stream", "Loaded image ID: " + id + "\n"}}.dump() + "\n";
    }
    return {200, out};
  }

  Response removeImage(Image& i, const std::string& ref, bool force) {
    std::vector<std::string> users;
    bool running = false;
    for (const auto& [id, c] : state_.containers)
      if (c.imageId == i.id) {
        users.push_back(id);
        running = running || c.running;
      }
    const bool byTag =
        std::find(i.repoTags.begin(), i.repoTags.end(), withTag(ref)) != i.repoTags.end();
    nlohmann::json records = nlohmann::json::array();
    if (byTag) {
      if (!force && i.repoTags.size() == 1 && !users.empty())
        return error(409, "conflict: unable to remove repository reference \"" + ref +
                              "\" (must force) - container " + users[0].substr(0, 12) +
                              " is using its referenced image " + i.id.substr(7, 12));
      std::erase(i.repoTags, withTag(ref));
      records.push_back({{"Untagged", withTag(ref)}});
      // Still tagged, or in use by a running container: only untagged. (A
      // stopped user does not keep it: the engine deletes under force.)
      if (!i.repoTags.empty() || running || (!force && !users.empty())) return ok(200, records);
    } else {
      if (running || (!force && !users.empty()))
        return error(409, "conflict: unable to delete " + i.id.substr(7, 12) + " (" +
                              (running ? "cannot be forced" : "must be forced") +
                              ") - image is being used by " + (running ? "running " : "stopped ") +
                              "container " + users[0].substr(0, 12));
    }
    records.push_back({{"Deleted", i.id}});
    const auto layers = i.layers;
    const std::string id = i.id;  // not a reference into the node being erased
    state_.images.erase(id);
    for (const auto& layer : layers) {  // a layer goes with the last image using it
      bool used = false;
      for (const auto& [otherId, other] : state_.images)
        used = used || std::count(other.layers.begin(), other.layers.end(), layer) > 0;
      if (!used) state_.layers.erase(layer);
    }
    return ok(200, records);
  }

  static nlohmann::json volumeJson(const Volume& v) {
    return {{"Name", v.name},     {"Driver", "local"}, {"Mountpoint", v.mountpoint.string()},
            {"Labels", v.labels}, {"Scope", "local"},  {"Options", nlohmann::json::object()}};
  }

  static std::string base64(const std::string& in) {
    static constexpr char k[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
      const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                         (static_cast<unsigned char>(in[i + 1]) << 8) |
                         static_cast<unsigned char>(in[i + 2]);
      out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
    }
    if (i + 1 == in.size()) {
      const unsigned v = static_cast<unsigned char>(in[i]) << 16;
      out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
      const unsigned v =
          (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
      out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
    }
    return out;
  }

  mutable std::mutex mutex_;
  std::filesystem::path root_;  // the layers' and volumes' directories
  bool experimental_ = false;
  State state_;
  Fault fault_;
  int counter_ = 0;
};

}  // namespace roamtest
