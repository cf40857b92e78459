#include "crypto/sha256.hpp"

#include <new>
#include <stdexcept>

#include <openssl/evp.h>

namespace roam::crypto {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  reset();
}

namespace {
// EVP only fails here on allocation failure or a broken OpenSSL set-up, neither
// an expected outcome of hashing bytes; a checksum that silently skipped input
// would be worse than an exception, and the interface has no error channel.
void check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("SHA-256: ") + what + " failed");
}
}  // namespace

void Sha256::reset() {
  if (!ctx_) throw std::bad_alloc();
  check(EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr), "EVP_DigestInit_ex");
}

void Sha256::update(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  check(EVP_DigestUpdate(ctx_.get(), bytes.data(), bytes.size()), "EVP_DigestUpdate");
}

std::string Sha256::hexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx_.get(), md, &len), "EVP_DigestFinal_ex");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  reset();
  return out;
}

std::string sha256Hex(std::span<const std::uint8_t> bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hexDigest();
}

}  // namespace roam::crypto
