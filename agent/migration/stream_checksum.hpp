#pragma once
// The end-to-end checksum of a migration's byte streams (pre-copy rounds and
// image archives): XXH3-128 of the plain bytes, which both ends compute and
// compare at the stream's end (docs/protocol.md). It guards against what TLS
// cannot see, a byte read or written wrongly on either host; TLS already
// authenticates every byte on the wire, so the check needs no cryptographic
// hash. SHA-256 cost each end ~0.7 s of CPU per GiB on these cores, more
// than the transfer itself.

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace roam::agent {

class StreamChecksum {
 public:
  StreamChecksum();
  ~StreamChecksum();
  StreamChecksum(StreamChecksum&&) noexcept;
  StreamChecksum& operator=(StreamChecksum&&) noexcept;

  void update(std::span<const std::uint8_t> bytes);
  // 32 lowercase hex digits (the canonical, big-endian form) of everything fed
  // since construction or the last call; the checksum then starts over.
  std::string hexDigest();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The checksum of BYTES in one call.
std::string streamChecksumHex(std::span<const std::uint8_t> bytes);

}  // namespace roam::agent
