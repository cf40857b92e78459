#pragma once
// Which lookup-table entry an MTD migration uses (issue 7).
//
// tableIndex is the paper's Hash(R + X*Y) mod (N+1), made exact:
//   product = X * Y as an unsigned 128-bit integer (no overflow, no wrap),
//   digest  = SHA-256( R bytes || product as 16 bytes big-endian ),
//   index   = (first 8 bytes of digest as a big-endian uint64) mod entries.
// "+" in the paper is concatenation here: R is an opaque byte string (the random
// number the manager sends), so it is hashed as is, followed by the fixed-width
// product; the fixed width makes the encoding unambiguous. entries is N+1.
// The reduction of a 64-bit value mod entries (< 2^32) has a bias of at most
// entries / 2^64, negligible.
//
// prfIndex is the paper's PRF baseline: the host's key material keys
// HMAC-SHA256 over R, reduced the same way:
//   index = (first 8 bytes of HMAC-SHA256(key, R) as big-endian uint64) mod entries.
//
// What happens when the index names the source itself is the caller's policy
// (documented in docs/mtd.md with the runtime), not this function's.

#include <cstdint>
#include <span>

namespace roam::crypto {

// Throws std::invalid_argument when entries is 0.
std::uint32_t tableIndex(std::span<const std::uint8_t> r, std::uint64_t x, std::uint64_t y,
                         std::uint32_t entries);

// Throws std::invalid_argument when entries is 0 or the key is empty.
std::uint32_t prfIndex(std::span<const std::uint8_t> key, std::span<const std::uint8_t> r,
                       std::uint32_t entries);

}  // namespace roam::crypto
