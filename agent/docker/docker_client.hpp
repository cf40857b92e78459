#pragma once
// A client of the Docker Engine HTTP API v1.41 over the engine's unix socket,
// with libcurl. Never the docker CLI: the agent must not depend on a binary
// whose output format changes between releases, and it must stream images and
// archives without temporary files.
//
// One easy handle per client, reused for every request (keep-alive on the
// socket). A client is used from one thread at a time. Expected failures
// (engine down, no such container, HTTP errors, an error inside a streamed
// answer) come back as DockerResult::error(), never as exceptions.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace roam::agent {

struct DockerResult {
  long status = 0;      // HTTP status, 0 when the request did not complete
  nlohmann::json body;  // parsed JSON body when the answer is JSON, else null; for
                        // JSON-lines answers (load, import): an array of the messages
  // Success, or what failed and why in one line. Codes: NotFound (HTTP 404),
  // Conflict (409), Engine (other HTTP errors, an error inside a stream),
  // Connect, Timeout, Io (the transfer failed), Internal.
  roam::Status outcome;
  bool ok() const { return outcome.ok(); }
  const roam::Error& error() const { return outcome.error(); }
};

// Receives streamed bytes; return false to abort the transfer (the result then has an error).
using ByteSink = std::function<bool(std::span<const std::uint8_t>)>;
// Fills the buffer with up to buffer.size() bytes; returns how many; 0 means end of data;
// std::nullopt means abort with error.
using ByteSource = std::function<std::optional<std::size_t>(std::span<std::uint8_t>)>;

class DockerClient {
 public:
  explicit DockerClient(std::string socketPath);  // e.g. "/run/docker.sock" (no unix:// prefix)
  ~DockerClient();
  DockerClient(const DockerClient&) = delete;
  DockerClient& operator=(const DockerClient&) = delete;
  DockerClient(DockerClient&&) noexcept;
  DockerClient& operator=(DockerClient&&) noexcept;

  // "unix:///path" -> "/path"; anything else -> nullopt
  static std::optional<std::string> socketFromUrl(const std::string& url);
  const std::string& socketPath() const;

  // Bounds every request that is not a stream (0 = no bound, the default:
  // stop waits for the container's own grace period, commit can take long).
  void setRequestTimeoutSeconds(double seconds) { requestTimeoutSeconds_ = seconds; }

  DockerResult version();
  DockerResult info();
  DockerResult inspectContainer(const std::string& nameOrId);
  DockerResult listContainers(bool all);
  // `name` may be empty (the engine picks one). Answers {"Id", "Warnings"}.
  DockerResult createContainer(const std::string& name, const nlohmann::json& body);
  // 304 (already running) counts as success.
  DockerResult startContainer(const std::string& id, const std::string& checkpoint = "",
                              const std::string& checkpointDir = "");
  // 304 (already stopped) counts as success.
  DockerResult stopContainer(const std::string& id, int timeoutSeconds);
  // The cgroup freezer: the container's processes stop where they are (~20 ms
  // here). dockerd 20.10 answers 409 to pause a container that is not running
  // or already paused, and 500 ("... is not paused") to unpause one not paused.
  DockerResult pauseContainer(const std::string& id);
  DockerResult unpauseContainer(const std::string& id);
  // A paused container is removed only with FORCE (it is killed without running again).
  DockerResult removeContainer(const std::string& id, bool force, bool removeVolumes);
  DockerResult renameContainer(const std::string& id, const std::string& newName);
  // [{"Path", "Kind"}] (Kind 0 modified, 1 added, 2 deleted); an empty array when nothing
  // changed (the engine answers null then).
  DockerResult containerChanges(const std::string& id);
  // `repo` may be empty (an untagged image). Answers {"Id": "sha256:..."}.
  DockerResult commitContainer(const std::string& id, const std::string& repo,
                               const std::string& tag, bool pause);
  DockerResult exportContainer(const std::string& id, const ByteSink& sink);
  // A tar of `path` (recursive). The body is the decoded X-Docker-Container-Path-Stat
  // header ({"name","size","mode","mtime","linkTarget"}) when the engine sent one.
  DockerResult getArchive(const std::string& id, const std::string& path, const ByteSink& sink);
  // Extracts a tar into the directory `path`, which must exist in the container.
  DockerResult putArchive(const std::string& id, const std::string& path, const ByteSource& source);
  DockerResult inspectImage(const std::string& nameOrId);
  DockerResult listImages();
  DockerResult saveImage(const std::string& nameOrId, const ByteSink& sink);
  // POST /images/load?quiet=1 ; error if the stream reports an error
  DockerResult loadImage(const ByteSource& source);
  // POST /images/create?fromSrc=- ; error if the stream reports an error
  DockerResult importImage(const std::string& repo, const std::string& tag,
                           const ByteSource& source);
  DockerResult tagImage(const std::string& nameOrId, const std::string& repo,
                        const std::string& tag);
  DockerResult removeImage(const std::string& nameOrId, bool force);
  DockerResult createVolume(const std::string& name, const nlohmann::json& labels);
  DockerResult inspectVolume(const std::string& name);
  DockerResult removeVolume(const std::string& name, bool force);
  // Experimental engine routes (need "experimental": true and a working CRIU): a 404
  // here usually means the engine does not offer checkpoints at all.
  DockerResult createCheckpoint(const std::string& id, const std::string& checkpointId,
                                const std::string& checkpointDir, bool exit);
  DockerResult deleteCheckpoint(const std::string& id, const std::string& checkpointId,
                                const std::string& checkpointDir);
  // Streams /events (JSON lines) until `onEvent` returns false or `until` (unix seconds,
  // 0 = none) passes. `since` 0 means "from now" (no replay of past events). `filters` is a
  // map of string arrays ({"type":["container"]}); null or {} for none. Stopping because
  // `onEvent` returned false is a success.
  DockerResult events(long since, long until, const nlohmann::json& filters,
                      const std::function<bool(const nlohmann::json&)>& onEvent);

  // Percent-encodes everything but RFC 3986 unreserved characters (for paths and queries).
  static std::string escape(const std::string& text);

 private:
  struct Request;
  DockerResult perform(const Request& request);

  struct Handle;  // owns the CURL* (RAII)
  std::string socketPath_;
  double requestTimeoutSeconds_ = 0;
  std::unique_ptr<Handle> handle_;
};

}  // namespace roam::agent
