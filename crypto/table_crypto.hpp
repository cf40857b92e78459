#pragma once
// The MTD lookup table's encryption (issue 7). The manager seals the table
// (index -> destination host) once per epoch under a key derived from the
// master secret S; a source agent that rebuilt S opens it.
//
//   key    = HKDF-SHA256(ikm = S, salt = none, info = "roam-mtd-table" || epoch), 32 bytes
//   sealed = nonce (12 random bytes) || AES-256-GCM ciphertext || tag (16 bytes),
//            with the epoch as associated data
//
// Binding the epoch both into the key and into the associated data means a table
// or a key of another epoch never opens this one: after a rotation, old shares
// give an old S, whose key fails the tag. A tampered table, a key from a wrong
// share (shamir.hpp) or a wrong epoch all end in "authentication failed".

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "crypto/secure_bytes.hpp"

namespace roam::crypto {

inline constexpr std::size_t kTableKeySize = 32;
inline constexpr std::size_t kTableNonceSize = 12;
inline constexpr std::size_t kTableTagSize = 16;

// Throws std::invalid_argument for an empty master secret, std::runtime_error
// when OpenSSL fails.
SecretBytes deriveTableKey(std::span<const std::uint8_t> masterSecret, std::string_view epoch);

// Throws std::invalid_argument for a key that is not 32 bytes, std::runtime_error
// when OpenSSL fails.
Bytes sealTable(const SecretBytes& key, std::string_view epoch,
                std::span<const std::uint8_t> plaintext);

// The plaintext, or the error.
using OpenResult = roam::Result<Bytes>;

// "authentication failed" (ErrorCode::Checksum) when the tag does not verify;
// ErrorCode::BadInput for a blob too short to be a sealed table or a key of the
// wrong size.
OpenResult openTable(const SecretBytes& key, std::string_view epoch,
                     std::span<const std::uint8_t> sealed);

}  // namespace roam::crypto
