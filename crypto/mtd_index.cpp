#include "crypto/mtd_index.hpp"

#include <array>
#include <memory>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/openssl_handles.hpp"

namespace roam::crypto {

namespace {

void checkEntries(std::uint32_t entries) {
  if (entries == 0) throw std::invalid_argument("mtd index: the table must have an entry");
}

std::uint64_t bigEndian64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

// X*Y as 16 big-endian bytes, from 32-bit halves (portable, no __int128).
std::array<std::uint8_t, 16> product128(std::uint64_t x, std::uint64_t y) {
  const std::uint64_t xl = x & 0xffffffffu, xh = x >> 32;
  const std::uint64_t yl = y & 0xffffffffu, yh = y >> 32;
  const std::uint64_t ll = xl * yl;
  const std::uint64_t lh = xl * yh;
  const std::uint64_t hl = xh * yl;
  const std::uint64_t hh = xh * yh;
  const std::uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
  const std::uint64_t lo = (ll & 0xffffffffu) | (mid << 32);
  const std::uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
  std::array<std::uint8_t, 16> out{};
  for (int i = 0; i < 8; ++i) {
    out[static_cast<std::size_t>(7 - i)] = static_cast<std::uint8_t>(hi >> (8 * i));
    out[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(lo >> (8 * i));
  }
  return out;
}

}  // namespace

std::uint32_t tableIndex(std::span<const std::uint8_t> r, std::uint64_t x, std::uint64_t y,
                         std::uint32_t entries) {
  checkEntries(entries);
  std::array<std::uint8_t, 16> product = product128(x, y);
  crypto::Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digestLen = 0;
  const bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx.get(), r.data(), r.size()) == 1 &&
                  EVP_DigestUpdate(ctx.get(), product.data(), product.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx.get(), digest, &digestLen) == 1;
  OPENSSL_cleanse(product.data(), product.size());  // X*Y is the host's key material
  if (!ok || digestLen < 8) throw std::runtime_error("mtd index: SHA-256 failed");
  return static_cast<std::uint32_t>(bigEndian64(digest) % entries);
}

std::uint32_t prfIndex(std::span<const std::uint8_t> key, std::span<const std::uint8_t> r,
                       std::uint32_t entries) {
  checkEntries(entries);
  if (key.empty()) throw std::invalid_argument("mtd index: the PRF key is empty");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int macLen = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), r.data(), r.size(), mac,
           &macLen) == nullptr ||
      macLen < 8) {
    throw std::runtime_error("mtd index: HMAC-SHA256 failed");
  }
  return static_cast<std::uint32_t>(bigEndian64(mac) % entries);
}

}  // namespace roam::crypto
