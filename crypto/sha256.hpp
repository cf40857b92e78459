#pragma once
// Incremental SHA-256 over a byte stream (OpenSSL EVP), used to checksum
// transferred images and volume archives without holding them in memory.

#include <cstdint>
#include <span>
#include <string>

#include "crypto/openssl_handles.hpp"

namespace roam::crypto {

class Sha256 {
 public:
  Sha256();

  void update(std::span<const std::uint8_t> bytes);
  // Lowercase 64-hex digest of everything fed since construction or the last
  // call; the hash then starts over, so one object can checksum several streams.
  std::string hexDigest();

 private:
  void reset();

  crypto::Owned<EVP_MD_CTX> ctx_;
};

// The digest of BYTES in one call.
std::string sha256Hex(std::span<const std::uint8_t> bytes);

}  // namespace roam::crypto
