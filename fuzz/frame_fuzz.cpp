// libFuzzer target: the agents' frame decoder and message validator face bytes
// from the network. They must never crash, hang, leak or throw; a stream must
// decode the same however it is split into reads; and every message they accept
// must survive encode -> decode unchanged (and re-encode to the same bytes).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "agent/protocol/frame.hpp"
#include "agent/protocol/messages.hpp"

namespace {

using roam::agent::Frame;
using roam::agent::FrameDecoder;
using roam::agent::FrameLimits;

// Small limits so the fuzzer reaches the "too large" paths with short inputs.
constexpr FrameLimits kLimits{16 * 1024, 4 * 1024};

struct Outcome {
  std::vector<Frame> frames;
  bool failed = false;
  std::string error;
};

// Feeds DATA in chunks whose sizes cycle through CHUNKS, pulling frames after each.
Outcome decodeSplit(std::span<const std::uint8_t> data, std::span<const std::size_t> chunks) {
  FrameDecoder decoder(kLimits);
  Outcome out;
  std::size_t at = 0, i = 0;
  while (at < data.size()) {
    const std::size_t n = std::min(chunks[i++ % chunks.size()], data.size() - at);
    decoder.feed(data.subspan(at, n));
    at += n;
    while (auto frame = decoder.next()) out.frames.push_back(std::move(*frame));
    if (decoder.failed()) break;
  }
  out.failed = decoder.failed();
  if (decoder.error()) out.error = decoder.error()->message;
  if (out.failed == out.error.empty()) __builtin_trap();
  return out;
}

bool sameOutcome(const Outcome& a, const Outcome& b) {
  if (a.failed != b.failed || a.error != b.error || a.frames.size() != b.frames.size())
    return false;
  for (std::size_t i = 0; i < a.frames.size(); ++i)
    if (a.frames[i].header != b.frames[i].header || a.frames[i].payload != b.frames[i].payload)
      return false;
  return true;
}

void checkRoundTrip(const Frame& frame) {
  auto decoded = roam::agent::decodeMessage(frame);
  if (!decoded.ok() && decoded.error().message.empty()) __builtin_trap();
  if (!decoded.ok()) return;

  const auto bytes = roam::agent::encodeMessage(*decoded, frame.payload);
  FrameDecoder decoder;  // default limits: what we encode must fit what we accept
  decoder.feed(bytes);
  auto again = decoder.next();
  if (!again || decoder.buffered() != 0) __builtin_trap();
  if (again->payload != frame.payload) __builtin_trap();
  auto redecoded = roam::agent::decodeMessage(*again);
  if (!redecoded.ok() || !(*redecoded == *decoded)) __builtin_trap();
  if (roam::agent::encodeMessage(*redecoded, again->payload) != bytes) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);

  const std::size_t whole[] = {size == 0 ? 1 : size};
  const Outcome reference = decodeSplit(input, whole);
  for (const auto& frame : reference.frames) checkRoundTrip(frame);

  // The same stream in other read sizes: halves at a point the input chooses,
  // and uneven small reads that cut prefixes and headers everywhere.
  const std::size_t cut = size == 0 ? 1 : 1 + data[0] % size;
  const std::size_t halves[] = {cut, size};
  const std::size_t small[] = {1, 3, 8, 2, 13, 5};
  if (!sameOutcome(reference, decodeSplit(input, halves))) __builtin_trap();
  if (!sameOutcome(reference, decodeSplit(input, small))) __builtin_trap();
  return 0;
}
