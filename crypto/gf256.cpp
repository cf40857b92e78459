#include "crypto/gf256.hpp"

namespace roam::crypto::gf256 {

std::uint8_t mul(std::uint8_t a, std::uint8_t b) {
  unsigned x = a;
  unsigned y = b;
  unsigned r = 0;
  for (int i = 0; i < 8; ++i) {
    r ^= x & (0u - (y & 1u));              // add x when the low bit of y is set
    const unsigned carry = 0u - (x >> 7);  // all ones when x * t overflows
    x = ((x << 1) ^ (kPolynomialLow & carry)) & 0xffu;
    y >>= 1;
  }
  return static_cast<std::uint8_t>(r);
}

std::uint8_t inv(std::uint8_t a) {
  // a^254 = a^-1 in the multiplicative group of order 255. 254 = 0b11111110:
  // the exponent is public and fixed, so the chain is the same for every a.
  std::uint8_t a2 = mul(a, a);        // a^2
  std::uint8_t a3 = mul(a2, a);       // a^3
  std::uint8_t a6 = mul(a3, a3);      // a^6
  std::uint8_t a7 = mul(a6, a);       // a^7
  std::uint8_t a14 = mul(a7, a7);     // a^14
  std::uint8_t a15 = mul(a14, a);     // a^15
  std::uint8_t a30 = mul(a15, a15);   // a^30
  std::uint8_t a31 = mul(a30, a);     // a^31
  std::uint8_t a62 = mul(a31, a31);   // a^62
  std::uint8_t a63 = mul(a62, a);     // a^63
  std::uint8_t a126 = mul(a63, a63);  // a^126
  std::uint8_t a127 = mul(a126, a);   // a^127
  return mul(a127, a127);             // a^254
}

}  // namespace roam::crypto::gf256
