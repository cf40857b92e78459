#include "agent/migration/stream_checksum.hpp"

#include <new>

#include <xxhash.h>

namespace roam::agent {

struct StreamChecksum::State {
  XXH3_state_t* xxh = XXH3_createState();
  State() {
    if (!xxh) throw std::bad_alloc();
    XXH3_128bits_reset(xxh);
  }
  ~State() { XXH3_freeState(xxh); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;
};

StreamChecksum::StreamChecksum() : state_(std::make_unique<State>()) {}
StreamChecksum::~StreamChecksum() = default;
StreamChecksum::StreamChecksum(StreamChecksum&&) noexcept = default;
StreamChecksum& StreamChecksum::operator=(StreamChecksum&&) noexcept = default;

void StreamChecksum::update(std::span<const std::uint8_t> bytes) {
  XXH3_128bits_update(state_->xxh, bytes.data(), bytes.size());
}

namespace {

std::string hexOf(XXH128_hash_t hash) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, hash);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * sizeof canonical.digest);
  for (unsigned char byte : canonical.digest) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0xf]);
  }
  return hex;
}

}  // namespace

std::string StreamChecksum::hexDigest() {
  auto hex = hexOf(XXH3_128bits_digest(state_->xxh));
  XXH3_128bits_reset(state_->xxh);
  return hex;
}

std::string streamChecksumHex(std::span<const std::uint8_t> bytes) {
  return hexOf(XXH3_128bits(bytes.data(), bytes.size()));
}

}  // namespace roam::agent
