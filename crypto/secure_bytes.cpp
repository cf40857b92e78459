#include "crypto/secure_bytes.hpp"

#include <climits>
#include <stdexcept>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace roam::crypto {

SecretBytes::SecretBytes(std::size_t n) : bytes_(n, 0) {}

SecretBytes::SecretBytes(std::span<const std::uint8_t> bytes)
    : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes::SecretBytes(Bytes&& bytes) noexcept : bytes_(std::move(bytes)) {}

SecretBytes::~SecretBytes() {
  clear();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    clear();
    bytes_ = std::move(other.bytes_);
    other.clear();
  }
  return *this;
}

void SecretBytes::clear() noexcept {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
  bytes_.shrink_to_fit();
}

void fillRandom(std::span<std::uint8_t> out) {
  // RAND_bytes takes an int length; feed large requests in pieces.
  while (!out.empty()) {
    const std::size_t n = std::min<std::size_t>(out.size(), INT_MAX);
    if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
      throw std::runtime_error("RAND_bytes failed: the random number generator is not available");
    }
    out = out.subspan(n);
  }
}

Bytes randomBytes(std::size_t n) {
  Bytes out(n);
  fillRandom(out);
  return out;
}

}  // namespace roam::crypto
