// GF(2^8) arithmetic against the field axioms and a textbook reference.

#include <cstdint>

#include <catch2/catch.hpp>

#include "crypto/gf256.hpp"

namespace gf = roam::crypto::gf256;

namespace {

// Schoolbook shift-and-xor multiplication modulo 0x11d, branching freely: the
// obviously-correct version the constant-time one must agree with.
std::uint8_t referenceMul(std::uint8_t a, std::uint8_t b) {
  unsigned r = 0;
  unsigned x = a;
  for (unsigned y = b; y != 0; y >>= 1) {
    if (y & 1) r ^= x;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  return static_cast<std::uint8_t>(r);
}

}  // namespace

TEST_CASE("gf256 mul matches the shift-and-xor reference on every pair", "[mtd]") {
  int mismatches = 0;
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const auto x = static_cast<std::uint8_t>(a), y = static_cast<std::uint8_t>(b);
      if (gf::mul(x, y) != referenceMul(x, y)) ++mismatches;
    }
  }
  CHECK(mismatches == 0);
  // The polynomial itself: x^8 = x^4 + x^3 + x^2 + 1, i.e. 0x80 * 2 = 0x1d.
  CHECK(gf::mul(0x80, 0x02) == 0x1d);
  CHECK(gf::kPolynomialLow == 0x1d);
}

TEST_CASE("gf256 is a field: commutative, associative, distributive, with inverses", "[mtd]") {
  int commutative = 0, identity = 0, zero = 0;
  for (int a = 0; a < 256; ++a) {
    for (int b = 0; b < 256; ++b) {
      const auto x = static_cast<std::uint8_t>(a), y = static_cast<std::uint8_t>(b);
      if (gf::mul(x, y) != gf::mul(y, x)) ++commutative;
    }
    const auto x = static_cast<std::uint8_t>(a);
    if (gf::mul(x, 1) != x) ++identity;
    if (gf::mul(x, 0) != 0) ++zero;
  }
  CHECK(commutative == 0);
  CHECK(identity == 0);
  CHECK(zero == 0);

  SECTION("associative and distributive on all pairs, against a sweep of third operands") {
    // All 256^2 pairs times 16 third operands spread over the field (including
    // 0, 1 and the generator 2): exhaustive in a and b, sampled in c.
    int associative = 0, distributive = 0;
    for (int a = 0; a < 256; ++a) {
      for (int b = 0; b < 256; ++b) {
        for (int c = 0; c < 256; c += 17) {
          const auto x = static_cast<std::uint8_t>(a), y = static_cast<std::uint8_t>(b),
                     z = static_cast<std::uint8_t>(c == 255 ? 2 : c);
          if (gf::mul(gf::mul(x, y), z) != gf::mul(x, gf::mul(y, z))) ++associative;
          if (gf::mul(x, gf::add(y, z)) != gf::add(gf::mul(x, y), gf::mul(x, z))) ++distributive;
        }
      }
    }
    CHECK(associative == 0);
    CHECK(distributive == 0);
  }

  SECTION("every non-zero element has an inverse, and inv is unique") {
    int wrong = 0;
    for (int a = 1; a < 256; ++a) {
      const auto x = static_cast<std::uint8_t>(a);
      if (gf::mul(gf::inv(x), x) != 1) ++wrong;
      if (gf::inv(gf::inv(x)) != x) ++wrong;
      if (gf::div(x, x) != 1) ++wrong;
    }
    CHECK(wrong == 0);
    CHECK(gf::inv(0) == 0);
  }

  SECTION("addition is xor: every element is its own negative") {
    for (int a = 0; a < 256; ++a) {
      const auto x = static_cast<std::uint8_t>(a);
      CHECK(gf::add(x, x) == 0);
    }
  }
}

TEST_CASE("gf256: 2 generates the multiplicative group (0x11d is primitive)", "[mtd]") {
  bool seen[256] = {};
  std::uint8_t p = 1;
  for (int i = 0; i < 255; ++i) {
    seen[p] = true;
    p = gf::mul(p, 2);
  }
  CHECK(p == 1);
  int count = 0;
  for (int v = 1; v < 256; ++v) count += seen[v] ? 1 : 0;
  CHECK(count == 255);
}
