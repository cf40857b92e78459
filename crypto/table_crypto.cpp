#include "crypto/table_crypto.hpp"

#include <climits>
#include <memory>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "crypto/openssl_handles.hpp"

namespace roam::crypto {

namespace {

constexpr std::string_view kInfoPrefix = "roam-mtd-table";

using CipherCtx = crypto::Owned<EVP_CIPHER_CTX>;

const unsigned char* asUchar(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

int intLength(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(INT_MAX)) {
    throw std::invalid_argument(std::string("table crypto: ") + what + " is too large");
  }
  return static_cast<int>(n);
}

CipherCtx newGcm(const SecretBytes& key, const std::uint8_t* nonce, bool encrypt) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) throw std::runtime_error("table crypto: EVP_CIPHER_CTX_new failed");
  if (EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, encrypt ? 1 : 0) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kTableNonceSize, nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce, -1) != 1) {
    throw std::runtime_error("table crypto: AES-256-GCM initialisation failed");
  }
  return ctx;
}

}  // namespace

SecretBytes deriveTableKey(std::span<const std::uint8_t> masterSecret, std::string_view epoch) {
  if (masterSecret.empty()) throw std::invalid_argument("table crypto: empty master secret");
  crypto::Owned<EVP_KDF> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr));
  if (!kdf) throw std::runtime_error("table crypto: HKDF is not available");
  crypto::Owned<EVP_KDF_CTX> ctx(EVP_KDF_CTX_new(kdf.get()));
  if (!ctx) throw std::runtime_error("table crypto: EVP_KDF_CTX_new failed");

  std::string info(kInfoPrefix);
  info.append(epoch);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(
          OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(masterSecret.data()), masterSecret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      OSSL_PARAM_construct_end()};
  SecretBytes key(kTableKeySize);
  if (EVP_KDF_derive(ctx.get(), key.data(), key.size(), params) != 1) {
    throw std::runtime_error("table crypto: HKDF derivation failed");
  }
  return key;
}

Bytes sealTable(const SecretBytes& key, std::string_view epoch,
                std::span<const std::uint8_t> plaintext) {
  if (key.size() != kTableKeySize) {
    throw std::invalid_argument("table crypto: the key must be 32 bytes");
  }
  const int plainLen = intLength(plaintext.size(), "the table");
  const int aadLen = intLength(epoch.size(), "the epoch");
  Bytes out(kTableNonceSize + plaintext.size() + kTableTagSize);
  fillRandom(std::span(out).first(kTableNonceSize));
  CipherCtx ctx = newGcm(key, out.data(), true);

  int len = 0;
  if (EVP_EncryptUpdate(ctx.get(), nullptr, &len, asUchar(epoch), aadLen) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data() + kTableNonceSize, &len, plaintext.data(),
                        plainLen) != 1) {
    throw std::runtime_error("table crypto: encryption failed");
  }
  int finalLen = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out.data() + kTableNonceSize + len, &finalLen) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTableTagSize,
                          out.data() + kTableNonceSize + plaintext.size()) != 1) {
    throw std::runtime_error("table crypto: encryption failed");
  }
  return out;
}

OpenResult openTable(const SecretBytes& key, std::string_view epoch,
                     std::span<const std::uint8_t> sealed) {
  using roam::ErrorCode;
  using roam::makeError;
  if (key.size() != kTableKeySize)
    return makeError(ErrorCode::BadInput, "the table key must be 32 bytes");
  if (sealed.size() < kTableNonceSize + kTableTagSize)
    return makeError(ErrorCode::BadInput,
                     "sealed table too short (" + std::to_string(sealed.size()) + " bytes)");
  if (sealed.size() > static_cast<std::size_t>(INT_MAX) ||
      epoch.size() > static_cast<std::size_t>(INT_MAX))
    return makeError(ErrorCode::BadInput, "sealed table too large");
  const std::size_t cipherLen = sealed.size() - kTableNonceSize - kTableTagSize;
  const std::uint8_t* cipher = sealed.data() + kTableNonceSize;
  // The tag is set through a non-const pointer; copy it out of the caller's span.
  Bytes tag(sealed.end() - kTableTagSize, sealed.end());

  CipherCtx ctx = newGcm(key, sealed.data(), false);
  // Decrypt into a wiped buffer; only a verified table leaves this function.
  SecretBytes plain(cipherLen);
  int len = 0;
  if (EVP_DecryptUpdate(ctx.get(), nullptr, &len, asUchar(epoch), static_cast<int>(epoch.size())) !=
          1 ||
      (cipherLen > 0 && EVP_DecryptUpdate(ctx.get(), plain.data(), &len, cipher,
                                          static_cast<int>(cipherLen)) != 1) ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTableTagSize, tag.data()) != 1)
    return makeError(ErrorCode::Checksum, "authentication failed");
  int finalLen = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + len, &finalLen) != 1)
    return makeError(ErrorCode::Checksum, "authentication failed");
  return Bytes(plain.view().begin(), plain.view().end());
}

}  // namespace roam::crypto
