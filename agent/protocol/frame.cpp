#include "agent/protocol/frame.hpp"

#include <algorithm>
#include <utility>

namespace roam::agent {

namespace {

using nlohmann::json;

void putU32At(std::uint8_t* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

std::uint32_t getU32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// The deepest nesting of arrays/objects in a JSON text, counting brackets outside
// strings. Malformed text gives some number; the parser reports the real error.
std::size_t nestingDepth(std::span<const std::uint8_t> text) {
  std::size_t depth = 0, deepest = 0;
  bool inString = false, escaped = false;
  for (std::uint8_t c : text) {
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the tag
// means nothing to a peer reading our ERROR reply.
std::string withoutExceptionTag(const std::string& what) {
  if (!what.empty() && what.front() == '[') {
    auto close = what.find("] ");
    if (close != std::string::npos) return what.substr(close + 2);
  }
  return what;
}

roam::Error malformed(std::string message) {
  return roam::makeError(roam::ErrorCode::Protocol, std::move(message));
}

}  // namespace

std::string Frame::type() const {
  if (!header.is_object()) return "";
  auto it = header.find("type");
  if (it == header.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

void encodeFrameInto(std::vector<std::uint8_t>& out, const json& header,
                     std::size_t maxPayloadBytes,
                     const std::function<std::size_t(std::span<std::uint8_t>)>& writePayload) {
  const std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::size_t start = kFramePrefixBytes + text.size();
  // Grown, never cleared: a recycled buffer of the right size is not zeroed
  // again (a 1 MiB memset per chunk showed in the sender's profile).
  if (out.size() < start + maxPayloadBytes) out.resize(start + maxPayloadBytes);
  const std::size_t written = writePayload(std::span(out).subspan(start, maxPayloadBytes));
  out.resize(start + written);
  putU32At(out.data(), static_cast<std::uint32_t>(text.size()));
  putU32At(out.data() + 4, static_cast<std::uint32_t>(written));
  std::copy(text.begin(), text.end(), out.begin() + kFramePrefixBytes);
}

std::vector<std::uint8_t> encodeFrame(const json& header, std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out;
  encodeFrameInto(out, header, payload.size(), [&](std::span<std::uint8_t> room) {
    std::copy(payload.begin(), payload.end(), room.begin());
    return payload.size();
  });
  return out;
}

PrefixResult decodePrefix(std::span<const std::uint8_t, kFramePrefixBytes> bytes,
                          const FrameLimits& limits) {
  FramePrefix prefix{getU32(bytes.data()), getU32(bytes.data() + 4)};
  if (prefix.headerBytes == 0) return malformed("empty frame header");
  if (prefix.headerBytes > limits.maxHeaderBytes)
    return malformed("frame too large: header of " + std::to_string(prefix.headerBytes) +
                     " bytes exceeds the limit of " + std::to_string(limits.maxHeaderBytes));
  if (prefix.payloadBytes > limits.maxPayloadBytes)
    return malformed("frame too large: payload of " + std::to_string(prefix.payloadBytes) +
                     " bytes exceeds the limit of " + std::to_string(limits.maxPayloadBytes));
  return prefix;
}

FrameResult decodeFrame(std::span<const std::uint8_t> headerBytes,
                        std::vector<std::uint8_t> payload) {
  if (nestingDepth(headerBytes) > kMaxHeaderDepth)
    return malformed("frame header nested deeper than " + std::to_string(kMaxHeaderDepth) +
                     " levels");
  Frame frame;
  try {
    frame.header = json::parse(headerBytes.begin(), headerBytes.end());
  } catch (const json::exception& e) {
    return malformed("frame header is not valid JSON: " + withoutExceptionTag(e.what()));
  }
  if (!frame.header.is_object()) return malformed("frame header is not a JSON object");

  auto v = frame.header.find("v");
  if (v == frame.header.end()) return malformed("frame header: missing 'v'");
  // is_number_integer() covers both of nlohmann's integer kinds; a float such as
  // 1.0 is refused so that versions stay exact.
  if (!v->is_number_integer()) return malformed("frame header: 'v' must be an integer");
  const bool isUnsigned = v->is_number_unsigned();
  if (isUnsigned ? v->get<std::uint64_t>() != kProtocolVersion
                 : v->get<std::int64_t>() != kProtocolVersion) {
    const std::string n = isUnsigned ? std::to_string(v->get<std::uint64_t>())
                                     : std::to_string(v->get<std::int64_t>());
    return malformed("unsupported protocol version " + n);
  }

  auto type = frame.header.find("type");
  if (type == frame.header.end()) return malformed("frame header: missing 'type'");
  if (!type->is_string() || type->get_ref<const std::string&>().empty())
    return malformed("frame header: 'type' must be a non-empty string");

  frame.payload = std::move(payload);
  return frame;
}

FrameDecoder::FrameDecoder(FrameLimits limits) : limits_(limits) {}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (failed()) return;
  // Drop consumed bytes once they dominate, so feeding is amortised O(n).
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

std::optional<Frame> FrameDecoder::next() {
  if (failed() || buffered() < kFramePrefixBytes) return std::nullopt;
  const std::uint8_t* at = buffer_.data() + start_;
  auto prefix = decodePrefix(
      std::span<const std::uint8_t, kFramePrefixBytes>(at, kFramePrefixBytes), limits_);
  if (!prefix.ok()) {
    fail(std::move(prefix.error()));
    return std::nullopt;
  }
  const std::size_t headerBytes = prefix->headerBytes;
  const std::size_t payloadBytes = prefix->payloadBytes;
  if (buffered() < kFramePrefixBytes + headerBytes + payloadBytes) return std::nullopt;

  const std::uint8_t* header = at + kFramePrefixBytes;
  std::vector<std::uint8_t> payload(header + headerBytes, header + headerBytes + payloadBytes);
  auto decoded =
      decodeFrame(std::span<const std::uint8_t>(header, headerBytes), std::move(payload));
  if (!decoded.ok()) {
    fail(std::move(decoded.error()));
    return std::nullopt;
  }
  start_ += kFramePrefixBytes + headerBytes + payloadBytes;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  }
  return std::move(decoded.value());
}

void FrameDecoder::fail(roam::Error error) {
  error_ = std::move(error);
  buffer_.clear();
  buffer_.shrink_to_fit();
  start_ = 0;
}

}  // namespace roam::agent
