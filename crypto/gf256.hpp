#pragma once
// Arithmetic in GF(2^8) = GF(2)[x] / (x^8 + x^4 + x^3 + x^2 + 1), the reducing
// polynomial 0x11d. This is the field of libgfshare (Debian's gfsplit/gfcombine),
// so shares made here and there are interchangeable: checked empirically by
// recombining gfsplit's shares under both candidate polynomials (only 0x11d gives
// the secret back), and by tests/agent/mtd_shamir.test.cpp against the tools.
//
// Constant time: no table indexed by data and no branch on data, so the time
// taken does not depend on secret bytes (shares, the master secret).

#include <cstdint>

namespace roam::crypto::gf256 {

// The low byte of the reducing polynomial (the x^8 term is implicit).
inline constexpr std::uint8_t kPolynomialLow = 0x1d;

inline std::uint8_t add(std::uint8_t a, std::uint8_t b) {
  return a ^ b;
}
inline std::uint8_t sub(std::uint8_t a, std::uint8_t b) {
  return a ^ b;
}

// Carry-less multiply and reduce, eight fixed rounds with masks, no branches.
std::uint8_t mul(std::uint8_t a, std::uint8_t b);
// The multiplicative inverse, a^254 by a fixed square-and-multiply chain;
// inv(0) is 0 (callers never divide by zero: x-coordinates are distinct and
// non-zero, pivots are chosen non-zero).
std::uint8_t inv(std::uint8_t a);
inline std::uint8_t div(std::uint8_t a, std::uint8_t b) {
  return mul(a, inv(b));
}

}  // namespace roam::crypto::gf256
