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
#include "common/result.hpp"

namespace roam::agent {

enum class MessageType {
  migrate,
  data,
  success,
  failure,
  done,
  error,
  progress,
  ping,
  pong,
  status,
  statusReply,
  // Moving Target Defense (docs/mtd.md). Appended: the order is the Message
  // variant's, and typeOf relies on it.
  mtdSetup,
  mtdReady,
  mtdMigrate,
  keyRequest,
  keyReply,
  // Latency between agents (docs/protocol.md, "Latency"): the manager's
  // measurement source for the VIB.
  latencyProbe,
  latencyReport,
  // Pre-copy migration (docs/protocol.md, "A migration"). Appended, as above.
  prepare,
  imageNeeded,
  image,
  ready,
  round,
  roundEnd,
  roundDone,
  abort,
  // Checkpoint mode (docs/protocol.md, "Checkpoint mode"). Appended, as above.
  checkpoint
};

// "MIGRATE", "DATA", "SUCCESS", "FAILURE", "DONE", "ERROR", "PROGRESS", "PING",
// "PONG", "STATUS", "STATUS_REPLY", "MTD_SETUP", "MTD_READY", "MTD_MIGRATE",
// "KEY_REQUEST", "KEY_REPLY", "LATENCY_PROBE", "LATENCY_REPORT", "PREPARE",
// "IMAGE_NEEDED", "IMAGE", "READY", "ROUND", "ROUND_END", "ROUND_DONE", "ABORT",
// "CHECKPOINT".
// Version 1's RESTART, LAYERS and LAYERS_HAVE are gone: they decode as unknown
// types.
std::string_view toString(MessageType type);
std::optional<MessageType> messageTypeFromString(std::string_view text);

// Validation limits (see docs/protocol.md, "Field rules").
inline constexpr std::size_t kMaxTextBytes = 4096;
inline constexpr std::size_t kMaxIdBytes = 128;
inline constexpr std::size_t kMaxFiles = 1024;
inline constexpr std::size_t kMaxLayers = 4096;
inline constexpr std::size_t kMaxRounds = 1000;  // pre-copy rounds of one migration
inline constexpr std::size_t kMaxConfigBytes = FrameLimits{}.maxHeaderBytes;
// MTD (docs/mtd.md). Hex limits count hex digits (two per byte).
inline constexpr std::size_t kMaxMtdItems = 255;         // k, entries, share x, peers, droplets
inline constexpr std::size_t kMaxMtdTableHex = 16384;    // the sealed lookup table
inline constexpr std::size_t kMaxMtdSecretBytes = 4096;  // secret_length
inline constexpr std::size_t kMaxMtdKeyHex = 2 * kMaxMtdSecretBytes;  // share y, droplet v, key
inline constexpr std::size_t kMaxMtdTokenHex = 1024;                  // the manager's signature
inline constexpr std::size_t kMtdRHex = 64;                           // R: 32 bytes
inline constexpr std::size_t kMaxPemBytes = kMaxTextBytes;            // manager_key

struct Migrate {
  std::string migrationId, container, destination, mode;  // destination: "HOST:PORT"
  bool operator==(const Migrate&) const = default;
};
struct Data {
  std::string migrationId;
  std::uint32_t file = 0;    // 0 in every stream (the receiver refuses others)
  std::uint64_t offset = 0;  // uncompressed offset of this chunk's first byte
  bool last = false;         // this chunk ends the file
  bool operator==(const Data&) const = default;
};
struct Success {
  std::string migrationId, containerId;
  // How long the destination took to move the service address to itself
  // ("redirect_ms", optional on the wire, written when set): a part of the
  // freeze the source cannot see from its side.
  double redirectMs = 0;
  bool operator==(const Success&) const = default;
};
struct Failure {
  std::string migrationId, error;
  bool operator==(const Failure&) const = default;
};
// One round of a pre-copy migration, as DONE reports it.
struct RoundReport {
  std::uint32_t round = 0;  // 1, 2, ...
  bool frozen = false;      // the final round, sent while the container was frozen
  std::uint64_t bytes = 0;  // uncompressed bytes of the round's tree-sync stream
  double seconds = 0;       // from planning the round to the destination's ROUND_DONE
  bool operator==(const RoundReport&) const = default;
};
// DONE's rounds as `roam migrate --json` and the decision log show them:
// [{round, frozen, bytes, seconds}, ...].
nlohmann::json roundsToJson(const std::vector<RoundReport>& rounds);
struct Done {
  std::string migrationId, container, source, destination, mode, result, note;
  std::uint64_t bytesSent = 0, bytesTotal = 0;
  double seconds = 0;
  // MTD: the key gathering's time ("key_s"). Optional on the wire: absent reads
  // as 0, and 0 is not written, so a DONE without MTD is what older peers send.
  double keySeconds = 0;
  // Pre-copy (optional on the wire, written when set): the freeze, from the
  // source copy frozen until the destination's copy ran ("freeze_ms"); the
  // rounds; the total from MIGRATE until the source copy was gone ("total_s").
  double freezeMs = 0;
  std::vector<RoundReport> rounds;
  double totalSeconds = 0;
  // Checkpoint mode (optional on the wire, written when set): the freeze split
  // into CRIU's dump on the source ("dump_ms"), the transfer of the final
  // file-system delta and the checkpoint images ("transfer_ms") and the
  // destination's restore until its copy ran ("restore_ms"); the bytes of the
  // checkpoint images, i.e. the process memory and state moved ("memory_bytes").
  // Any mode: the destination's move of the service address ("redirect_ms",
  // SUCCESS's number), outside restore_ms.
  double dumpMs = 0, transferMs = 0, restoreMs = 0, redirectMs = 0;
  std::uint64_t memoryBytes = 0;
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

// MTD messages (docs/mtd.md, "Messages"). Binary values are lowercase hex
// strings with an even number of digits, kept as the wire text: the daemon turns
// them into bytes where it uses them.
//
// SECRETS: MtdShare, MtdDroplet and MtdSetup::key carry key material (shares,
// droplets, the master secret). The receiver must copy them into wiped buffers
// (mtd::SecretBytes) and wipe these strings after use (OPENSSL_cleanse); they
// must never be logged. This layer only validates and encodes them.
struct MtdPoint {
  // The host's private point (X, Y). On the wire each is exactly 16 lowercase hex
  // digits (big-endian); here the integers, as agent/mtd's tableIndex takes them.
  std::uint64_t x = 0, y = 0;
  bool operator==(const MtdPoint&) const = default;
};
struct MtdShare {
  std::uint32_t x = 0;  // the Shamir evaluation point, 1..255
  std::string y;        // hex: the share's bytes (secret)
  bool operator==(const MtdShare&) const = default;
};
struct MtdDroplet {
  std::string c;  // hex: K coefficients over GF(2^8) (2*K digits)
  std::string v;  // hex: the combined block (secret)
  bool operator==(const MtdDroplet&) const = default;
};
// Another agent, as MTD_SETUP and LATENCY_PROBE name it.
struct AgentPeer {
  std::string name;     // the agent's name (id)
  std::string address;  // its data address, "HOST:PORT"
  bool operator==(const AgentPeer&) const = default;
};
struct MtdSetup {
  std::string epoch;                 // id
  std::string scheme;                // "shamir", "fountain" or "prf"
  std::uint32_t k = 0, entries = 0;  // 1..255 each
  std::string table;                 // hex: nonce || ciphertext || tag, at most 16384 digits
  MtdPoint point;
  // Per scheme: only the scheme's own part is encoded, and the decoder rejects
  // another scheme's part.
  std::optional<MtdShare> share;     // shamir (required)
  std::vector<MtdDroplet> droplets;  // fountain: 0..255 droplets (c of 2*k digits)
  std::uint32_t secretLength = 0;    // fountain: S's length in bytes, 1..4096
  std::string key;                   // prf: S itself, hex (non-empty)
  std::vector<AgentPeer> peers;      // the other agents, at most 255
  std::string managerKey;            // PEM "-----BEGIN PUBLIC KEY-----...", at most 4096 bytes
  bool operator==(const MtdSetup&) const = default;
};
struct MtdReady {
  std::string epoch;
  bool operator==(const MtdReady&) const = default;
};
struct MtdMigrate {
  std::string migrationId, container, mode, epoch;
  std::string r;      // R: exactly 64 lowercase hex digits
  std::string token;  // hex: the manager's signature, at most 1024 digits
  bool operator==(const MtdMigrate&) const = default;
};
struct KeyRequest {
  std::string migrationId, epoch, source;  // source: the requesting agent's name
  std::string r, token;                    // as in MtdMigrate
  bool operator==(const KeyRequest&) const = default;
};
struct KeyReply {
  std::string migrationId;
  // Exactly one on the wire: "share" (shamir) or "droplet" (fountain).
  std::variant<MtdShare, MtdDroplet> material;
  bool operator==(const KeyReply&) const = default;
};

// LATENCY_PROBE (manager to agent): measure the round trip to each of these
// agents over the data network. LATENCY_REPORT: one entry per peer that
// answered its PING in time, in seconds; a peer that did not is left out.
struct LatencyProbe {
  std::vector<AgentPeer> peers;  // 1..255, names unique
  bool operator==(const LatencyProbe&) const = default;
};
struct RoundTrip {
  std::string name;    // the peer's name, as in the probe
  double seconds = 0;  // PING to PONG on an established connection, >= 0
  bool operator==(const RoundTrip&) const = default;
};
struct LatencyReport {
  std::vector<RoundTrip> roundTrips;  // at most 255, names unique
  bool operator==(const LatencyReport&) const = default;
};

// Pre-copy migration (docs/protocol.md, "A migration"), source S to destination D.
// PREPARE (S->D): create the container (not started) from CONFIG and IMAGE.
struct Prepare {
  std::string migrationId, container, mode;
  nlohmann::json config;            // an object (the container's configuration)
  std::string image;                // the image id, "sha256:<64 hex>"
  std::vector<std::string> layers;  // the image's layer diff ids, bottom first
  std::string compression;          // "zstd" or "none": how DATA payloads are encoded
  bool operator==(const Prepare&) const = default;
};
// IMAGE_NEEDED (D->S): D lacks the image; it has this prefix of its layers.
struct ImageNeeded {
  std::string migrationId;
  std::vector<std::string> have;
  bool operator==(const ImageNeeded&) const = default;
};
// IMAGE (S->D): the image archive (without the layers D has) follows as DATA
// (file 0); D checks SIZE and CHECKSUM, loads it, creates the container.
struct ImageArchive {
  std::string migrationId;
  std::uint64_t size = 0;
  std::string checksum;  // XXH3-128 of the archive, 32 lowercase hex digits
  bool operator==(const ImageArchive&) const = default;
};
// READY (D->S): the container is created (not started); rounds may come.
struct Ready {
  std::string migrationId, containerId;
  bool operator==(const Ready&) const = default;
};
// ROUND (S->D): a tree-sync stream follows as DATA (file 0), then ROUND_END.
// FINAL: the container is frozen; D starts it once the round is applied.
struct Round {
  std::string migrationId;
  std::uint32_t round = 0;
  bool final = false;
  bool operator==(const Round&) const = default;
};
struct RoundEnd {
  std::string migrationId;
  std::uint32_t round = 0;
  std::uint64_t bytes = 0;  // uncompressed bytes of the round's stream
  std::string checksum;     // XXH3-128 of those bytes, 32 lowercase hex digits
  bool operator==(const RoundEnd&) const = default;
};
// ROUND_DONE (D->S): a non-final round is applied.
struct RoundDone {
  std::string migrationId;
  std::uint32_t round = 0;
  std::uint64_t bytes = 0;
  bool operator==(const RoundDone&) const = default;
};
// ABORT (S->D, on the migration's connection or a new one): give the migration
// up unless it is committed; answered with its outcome, FAILURE (nothing of it
// runs on D, nor will) or SUCCESS (it runs on D).
struct Abort {
  std::string migrationId, error;
  bool operator==(const Abort&) const = default;
};

// CHECKPOINT (S->D, checkpoint mode only, after the final round's ROUND_END):
// follows the checkpoint images' tree-sync stream (DATA, file 0: the files of
// the engine's checkpoint directory NAME); BYTES and CHECKSUM are that stream's,
// as in ROUND_END. D places the images as the new container's checkpoint NAME
// and starts it from them; this message, not the final ROUND_END, commits D.
struct Checkpoint {
  std::string migrationId, name;
  std::uint64_t bytes = 0;  // uncompressed bytes of the images' stream
  std::string checksum;     // XXH3-128 of those bytes, 32 lowercase hex digits
  bool operator==(const Checkpoint&) const = default;
};

// The alternatives are in MessageType's order (typeOf uses the index).
using Message = std::variant<Migrate, Data, Success, Failure, Done, Error, Progress, Ping, Pong,
                             Status, StatusReply, MtdSetup, MtdReady, MtdMigrate, KeyRequest,
                             KeyReply, LatencyProbe, LatencyReport, Prepare, ImageNeeded,
                             ImageArchive, Ready, Round, RoundEnd, RoundDone, Abort, Checkpoint>;

MessageType typeOf(const Message& message);

// The frame header of MESSAGE, including "v" and "type". Does not validate.
nlohmann::json toHeader(const Message& message);

// toHeader + encodeFrame. The caller sends a payload only with DATA.
std::vector<std::uint8_t> encodeMessage(const Message& message,
                                        std::span<const std::uint8_t> payload = {});
// toHeader + encodeFrameInto: the payload written in place (DATA).
void encodeMessageInto(std::vector<std::uint8_t>& out, const Message& message,
                       std::size_t maxPayloadBytes,
                       const std::function<std::size_t(std::span<std::uint8_t>)>& writePayload);

// The message, or an error with the code Protocol naming the type and the
// field: "MIGRATE: field 'container': expected a string".
using MessageResult = roam::Result<Message>;

// Validates every field of FRAME's header (and that only DATA has a payload).
// Never throws.
MessageResult decodeMessage(const Frame& frame);

}  // namespace roam::agent
