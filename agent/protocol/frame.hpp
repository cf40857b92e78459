#pragma once
// The agents' wire framing (docs/protocol.md):
//   [u32 BE header length][u32 BE payload length][header: compact JSON object][payload]
// The header always carries "v" (the protocol version) and "type". Framing knows
// nothing about individual messages; messages.hpp validates their fields.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace roam::agent {

// 2: the streams' checksum is XXH3-128 (IMAGE and ROUND_END carry `checksum`).
inline constexpr int kProtocolVersion = 2;
inline constexpr std::size_t kFramePrefixBytes = 8;
// Deeper headers are rejected before parsing: copying, comparing and dumping a
// nlohmann::json recurse once per level, so an unbounded depth would let a peer
// overflow our stack with a 64 KiB run of '['.
inline constexpr std::size_t kMaxHeaderDepth = 64;

struct FrameLimits {
  std::size_t maxHeaderBytes = 64 * 1024;
  std::size_t maxPayloadBytes = 4 * 1024 * 1024;
};

struct Frame {
  nlohmann::json header;  // an object with at least "v" and "type"
  std::vector<std::uint8_t> payload;

  std::string type() const;  // header["type"], or "" when absent or not a string
};

// Serialises HEADER compactly (invalid UTF-8 in strings is replaced, not thrown)
// and PAYLOAD. Limits are the receiver's business: the encoder does not check them.
std::vector<std::uint8_t> encodeFrame(const nlohmann::json& header,
                                      std::span<const std::uint8_t> payload = {});

// The same frame built in OUT (its capacity is reused), with the payload written
// in place by WRITE_PAYLOAD into a span of MAX_PAYLOAD_BYTES; it returns how
// many it wrote. A large payload (a compressed chunk) is then produced where
// it is sent from, not copied there.
void encodeFrameInto(std::vector<std::uint8_t>& out, const nlohmann::json& header,
                     std::size_t maxPayloadBytes,
                     const std::function<std::size_t(std::span<std::uint8_t>)>& writePayload);

struct FramePrefix {
  std::uint32_t headerBytes = 0;
  std::uint32_t payloadBytes = 0;
};
// The error of a malformed frame has the code Protocol.
using PrefixResult = roam::Result<FramePrefix>;

// Reads the two lengths and checks them against LIMITS: an empty header is an
// error, an over-limit one is "frame too large: ...".
PrefixResult decodePrefix(std::span<const std::uint8_t, kFramePrefixBytes> bytes,
                          const FrameLimits& limits = {});

using FrameResult = roam::Result<Frame>;

// Parses the header JSON: an object, "v" == kProtocolVersion (other versions:
// "unsupported protocol version N"), "type" a non-empty string. Does not look at
// the payload or at other header keys.
FrameResult decodeFrame(std::span<const std::uint8_t> headerBytes,
                        std::vector<std::uint8_t> payload);

// Incremental decoder for a byte stream: feed bytes, pull frames. A bad prefix is
// reported as soon as its 8 bytes arrive (the peer is not waited for). After the
// first error the decoder stays failed and ignores further input, because the
// stream can no longer be resynchronised.
class FrameDecoder {
 public:
  explicit FrameDecoder(FrameLimits limits = {});

  void feed(std::span<const std::uint8_t> bytes);
  std::optional<Frame> next();  // a complete frame, or nullopt (need more bytes, or failed)

  bool failed() const { return error_.has_value(); }
  const std::optional<roam::Error>& error() const { return error_; }  // set once failed
  std::size_t buffered() const { return buffer_.size() - start_; }  // bytes not yet consumed

 private:
  void fail(roam::Error error);

  FrameLimits limits_;
  std::vector<std::uint8_t> buffer_;
  std::size_t start_ = 0;  // consumed bytes at the front of buffer_, dropped lazily
  std::optional<roam::Error> error_;
};

}  // namespace roam::agent
