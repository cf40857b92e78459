// StreamChecksum: XXH3-128 in its canonical hex form, the same incrementally
// as in one call, and starting over after each digest.

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "seeded_bytes.hpp"

#include "agent/migration/stream_checksum.hpp"

using roam::agent::StreamChecksum;
using roam::agent::streamChecksumHex;

namespace {

std::span<const std::uint8_t> bytesOf(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("the stream checksum is XXH3-128 in canonical hex", "[agent]") {
  // xxHash's published value for the empty input, and libxxhash's XXH3_128bits of "abc".
  CHECK(streamChecksumHex({}) == "99aa06d3014798d86001c324468d497f");
  CHECK(streamChecksumHex(bytesOf("abc")) == "06b05ab6733a618578af5f94892f3950");
}

TEST_CASE("the stream checksum is the same fed in pieces, and starts over", "[agent]") {
  const auto bytes = roamtest::seededBytes(1 << 20, 3);
  StreamChecksum checksum;
  for (std::size_t at = 0; at < bytes.size(); at += 77777)
    checksum.update(std::span(bytes).subspan(at, std::min<std::size_t>(77777, bytes.size() - at)));
  CHECK(checksum.hexDigest() == streamChecksumHex(bytes));
  checksum.update(bytesOf("abc"));
  CHECK(checksum.hexDigest() == "06b05ab6733a618578af5f94892f3950");
  CHECK(checksum.hexDigest() == "99aa06d3014798d86001c324468d497f");
}
