#pragma once
// The agents' messages (docs/protocol.md): typed structs, their frame headers and
// a strict validator. JSON keys are snake_case; unknown keys are ignored so a
// newer peer can add fields without breaking an older one. Only DATA carries a
// payload.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/protocol/frame.hpp"

namespace roam::agent {

enum class MessageType {
  migrate,
  restart,
  layers,
  layersHave,
  data,
  success,
  failure,
  done,
  error,
  progress,
  ping,
  pong,
  status,
  statusReply
};

// "MIGRATE", "RESTART", "LAYERS", "LAYERS_HAVE", "DATA", "SUCCESS", "FAILURE",
// "DONE", "ERROR", "PROGRESS", "PING", "PONG", "STATUS", "STATUS_REPLY".
std::string_view toString(MessageType type);
std::optional<MessageType> messageTypeFromString(std::string_view text);

// Validation limits (see docs/protocol.md, "Field rules").
inline constexpr std::size_t kMaxTextBytes = 4096;
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxFiles = 1024;
inline constexpr std::size_t kMaxLayers = 4096;
inline constexpr std::size_t kMaxConfigBytes = FrameLimits{}.maxHeaderBytes;

struct FileEntry {
  std::string name;        // a file name, [A-Za-z0-9._-]{1,128}, unique within RESTART.files
  std::string kind;        // "image", "volume" or "checkpoint"
  std::string target;      // volume: the volume name; checkpoint: the checkpoint id; image: ""
  std::uint64_t size = 0;  // uncompressed bytes
  std::string sha256;      // of the uncompressed bytes, 64 lowercase hex digits
  bool operator==(const FileEntry&) const = default;
};

struct Migrate {
  std::string migrationId, container, destination, mode;  // destination: "HOST:PORT"
  bool operator==(const Migrate&) const = default;
};
struct Restart {
  std::string migrationId, container, mode;
  nlohmann::json config;  // an object (the container's configuration)
  std::vector<FileEntry> files;
  std::string compression;  // "zstd" or "none": how DATA payloads are encoded
  bool operator==(const Restart&) const = default;
};
struct Layers {
  std::string migrationId;
  std::vector<std::string> layers;  // "sha256:<64 hex>"
  bool operator==(const Layers&) const = default;
};
struct LayersHave {
  std::string migrationId;
  std::vector<std::string> have;  // "sha256:<64 hex>"
  bool operator==(const LayersHave&) const = default;
};
struct Data {
  std::string migrationId;
  std::uint32_t file = 0;    // index into Restart.files
  std::uint64_t offset = 0;  // uncompressed offset of this chunk's first byte
  bool last = false;         // this chunk ends the file
  bool operator==(const Data&) const = default;
};
struct Success {
  std::string migrationId, containerId;
  bool operator==(const Success&) const = default;
};
struct Failure {
  std::string migrationId, error;
  bool operator==(const Failure&) const = default;
};
struct Done {
  std::string migrationId, container, source, destination, mode, result, note;
  std::uint64_t bytesSent = 0, bytesTotal = 0;
  double seconds = 0;
  bool operator==(const Done&) const = default;
};
struct Error {
  std::string migrationId, error;  // migrationId may be ""
  bool operator==(const Error&) const = default;
};
struct Progress {
  std::string migrationId, phase;
  std::uint64_t bytesSent = 0, bytesTotal = 0;
  double rateBps = 0;
  bool operator==(const Progress&) const = default;
};
struct Ping {
  std::uint64_t nonce = 0;
  bool operator==(const Ping&) const = default;
};
struct Pong {
  std::uint64_t nonce = 0;
  bool operator==(const Pong&) const = default;
};
struct Status {
  bool operator==(const Status&) const = default;
};
struct StatusReply {
  std::string name;
  nlohmann::json containers = nlohmann::json::array();
  nlohmann::json migrations = nlohmann::json::array();
  nlohmann::json capabilities = nlohmann::json::object();
  bool operator==(const StatusReply&) const = default;
};

using Message = std::variant<Migrate, Restart, Layers, LayersHave, Data, Success, Failure, Done,
                             Error, Progress, Ping, Pong, Status, StatusReply>;

MessageType typeOf(const Message& message);

// The frame header of MESSAGE, including "v" and "type". Does not validate.
nlohmann::json toHeader(const Message& message);

// toHeader + encodeFrame. The caller sends a payload only with DATA.
std::vector<std::uint8_t> encodeMessage(const Message& message,
                                        std::span<const std::uint8_t> payload = {});

struct MessageResult {
  std::optional<Message> message;
  std::string error;  // "MIGRATE: field 'container': expected a string": type and field
};

// Validates every field of FRAME's header (and that only DATA has a payload).
// Never throws.
MessageResult decodeMessage(const Frame& frame);

}  // namespace roam::agent
