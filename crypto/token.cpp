#include "crypto/token.hpp"

#include <cstdio>

#include <openssl/pem.h>

namespace roam::crypto {

namespace {

using crypto::Owned;

struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string tokenMessage(const std::string& epoch, const std::string& migrationId,
                         const std::string& source, const std::string& rHex) {
  return "roam-mtd-v1\n" + epoch + "\n" + migrationId + "\n" + source + "\n" + rHex;
}

roam::Result<Pkey> loadPrivateKey(const std::filesystem::path& pemFile) {
  std::unique_ptr<std::FILE, FileClose> f(std::fopen(pemFile.c_str(), "r"));
  if (!f) return roam::makeError(roam::ErrorCode::Io, "cannot read " + pemFile.string());
  Pkey key(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
  if (!key)
    return roam::makeError(roam::ErrorCode::BadInput, pemFile.string() + ": not a PEM private key");
  return key;
}

std::string publicKeyPem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return "";
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

roam::Result<Pkey> parsePublicKey(const std::string& pem) {
  Owned<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key)
    return roam::makeError(roam::ErrorCode::BadInput,
                           "the manager's public key is not a PEM public key");
  return key;
}

std::string signToken(EVP_PKEY* privateKey, const std::string& message) {
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, privateKey) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    return "";
  Bytes signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
    return "";
  signature.resize(length);
  return toHex(signature);
}

bool verifyToken(EVP_PKEY* publicKey, const std::string& message, const std::string& tokenHex) {
  auto signature = fromHex(tokenHex);
  if (!signature || signature->empty() || !publicKey) return false;
  Owned<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, publicKey) == 1 &&
         EVP_DigestVerify(ctx.get(), signature->data(), signature->size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string toHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::optional<Bytes> fromHex(const std::string& hex) {
  if (hex.size() % 2) return std::nullopt;
  Bytes out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = hexDigit(hex[2 * i]), lo = hexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return out;
}

}  // namespace roam::crypto
