#pragma once
// Shamir's secret sharing, byte by byte over GF(2^8) (gf256.hpp, the field of
// libgfshare): byte i of the secret is the constant term of its own random
// polynomial of degree k-1, and share x holds every polynomial's value at x.
// Any k shares give the secret back by Lagrange interpolation at 0; k-1 shares
// leave every value of every secret byte equally likely.
//
// What this layer cannot see: a share with the right shape but wrong content
// (corrupted, or sent by a lying host) interpolates to a wrong secret without any
// error here. It is caught one step later: the table key derived from the wrong
// secret fails the lookup table's authentication tag (table_crypto.hpp,
// openTable reports "authentication failed").

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "crypto/secure_bytes.hpp"

namespace roam::crypto {

struct Share {
  std::uint8_t x = 0;  // the evaluation point, 1..255, distinct among the shares
  Bytes y;             // the polynomials' values at x, one per secret byte
};

// N shares of SECRET with threshold K, at x = 1..N; the coefficients come from
// OpenSSL's RNG. Throws std::invalid_argument unless 1 <= K <= N <= 255
// (K = 1 makes every share a copy of the secret).
std::vector<Share> shamirSplit(std::span<const std::uint8_t> secret, int n, int k);

// The secret, or why the shares cannot be combined (ErrorCode::BadInput).
using CombineResult = roam::Result<SecretBytes>;

// Interpolates SHARES at 0. All shares given are used, so pass exactly k of them
// (more is fine, as long as they all lie on the same polynomials; fewer gives a
// wrong secret, which again only the table's tag reveals). Rejects an empty list,
// an x of 0, a repeated x and shares of unequal length.
CombineResult shamirCombine(const std::vector<Share>& shares);

}  // namespace roam::crypto
