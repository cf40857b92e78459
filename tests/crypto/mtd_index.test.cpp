// tableIndex and prfIndex against vectors computed independently with Python's
// hashlib/hmac (the expressions are in the comments), and their range.

#include <numeric>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "crypto/mtd_index.hpp"
#include "crypto/secure_bytes.hpp"

namespace crypto = roam::crypto;
using crypto::Bytes;

namespace {
Bytes r0to15() {
  Bytes r(16);
  std::iota(r.begin(), r.end(), 0);
  return r;
}
}  // namespace

TEST_CASE("tableIndex is SHA-256(R || X*Y as 16 big-endian bytes), first 8 bytes mod N+1",
          "[mtd]") {
  // Computed once with Python 3:
  //   R = bytes(range(16)); p = (X*Y).to_bytes(16, "big")
  //   v = int.from_bytes(hashlib.sha256(R + p).digest()[:8], "big"); v % entries
  const Bytes r = r0to15();
  SECTION("a product that needs all 128 bits (X*Y = 0xfffffffffffffffd0000000000000002)") {
    // digest ded99ed153322183f859..., v = 0xded99ed153322183
    const std::uint64_t x = 0xffffffffffffffffULL, y = 0xfffffffffffffffeULL;
    CHECK(crypto::tableIndex(r, x, y, 7) == 1);
    CHECK(crypto::tableIndex(r, x, y, 1000003) == 179113);
    CHECK(crypto::tableIndex(r, x, y, 0xffffffffu) == 839630933);
    CHECK(crypto::tableIndex(r, y, x, 0xffffffffu) == 839630933);  // X*Y = Y*X
  }
  SECTION("small numbers (X = 123456789, Y = 987654321)") {
    // v = 0x98e911f5bafbd7e6
    CHECK(crypto::tableIndex(r, 123456789, 987654321, 7) == 0);
    CHECK(crypto::tableIndex(r, 123456789, 987654321, 1000003) == 389416);
    CHECK(crypto::tableIndex(r, 123456789, 987654321, 0xffffffffu) == 1407511004);
  }
  SECTION("a zero product (X = 0, Y = 5)") {
    // v = 0x809a4c1bad269d7b
    CHECK(crypto::tableIndex(r, 0, 5, 1000003) == 839766);
    CHECK(crypto::tableIndex(r, 0, 5, 0xffffffffu) == 767617431);
  }
  CHECK(crypto::tableIndex(r, 1, 2, 1) == 0);
  CHECK_THROWS_AS(crypto::tableIndex(r, 1, 2, 0), std::invalid_argument);
}

TEST_CASE("prfIndex is HMAC-SHA256(key, R), first 8 bytes mod N+1", "[mtd]") {
  // Python 3: v = int.from_bytes(hmac.new(b"host-key-material", bytes(range(16)),
  //                                       hashlib.sha256).digest()[:8], "big")
  // HMAC 6ef62c3136ca6c3ff094..., v = 0x6ef62c3136ca6c3f
  const std::string k = "host-key-material";
  const Bytes key(k.begin(), k.end());
  const Bytes r = r0to15();
  CHECK(crypto::prfIndex(key, r, 7) == 5);
  CHECK(crypto::prfIndex(key, r, 1000003) == 775077);
  CHECK(crypto::prfIndex(key, r, 0xffffffffu) == 2780862576u);
  CHECK_THROWS_AS(crypto::prfIndex(key, r, 0), std::invalid_argument);
  CHECK_THROWS_AS(crypto::prfIndex(Bytes{}, r, 7), std::invalid_argument);
}

TEST_CASE("tableIndex and prfIndex stay below the entry count", "[mtd]") {
  int outOfRange = 0;
  std::vector<int> hits(5, 0);
  for (std::uint32_t entries : {1u, 2u, 3u, 5u, 17u, 255u, 65536u}) {
    for (int i = 0; i < 300; ++i) {
      const Bytes r = crypto::randomBytes(16);
      const Bytes key = crypto::randomBytes(32);
      const auto a = crypto::tableIndex(r, 0x1234u + static_cast<std::uint64_t>(i), 77, entries);
      const auto b = crypto::prfIndex(key, r, entries);
      if (a >= entries || b >= entries) ++outOfRange;
      if (entries == 5) ++hits[a];
    }
  }
  CHECK(outOfRange == 0);
  for (int h : hits) CHECK(h > 20);  // every entry is reachable (expected 60 each)
}
