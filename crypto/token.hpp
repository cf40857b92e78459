#pragma once
// The manager's authorisation of one MTD migration (docs/mtd.md): a signature
// with the manager's private key over the epoch, the migration id, the source
// and R. A host serves key material only against a token that verifies with
// the public key the manager distributed at setup, so no agent (nor anyone
// else) can make one, and a token is good for one migration of one source.

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <openssl/evp.h>

#include "common/result.hpp"
#include "crypto/openssl_handles.hpp"
#include "crypto/secure_bytes.hpp"

namespace roam::crypto {

using Pkey = crypto::Owned<EVP_PKEY>;

// "roam-mtd-v1\n" epoch "\n" migration id "\n" source "\n" hex(R): what is signed.
std::string tokenMessage(const std::string& epoch, const std::string& migrationId,
                         const std::string& source, const std::string& rHex);

// The manager's key pair, from its PEM private key file (roam certs issue DIR manager).
// ErrorCode::Io when the file cannot be read, BadInput when it is not a key.
roam::Result<Pkey> loadPrivateKey(const std::filesystem::path& pemFile);
// Its public half as PEM ("-----BEGIN PUBLIC KEY-----..."), for MTD_SETUP.
std::string publicKeyPem(EVP_PKEY* key);
// ErrorCode::BadInput when PEM is not a public key.
roam::Result<Pkey> parsePublicKey(const std::string& pem);

// The token as lowercase hex; "" if signing failed.
std::string signToken(EVP_PKEY* privateKey, const std::string& message);
bool verifyToken(EVP_PKEY* publicKey, const std::string& message, const std::string& tokenHex);

// Lowercase hex and back (nullopt for odd length or a non-hex digit).
std::string toHex(std::span<const std::uint8_t> bytes);
std::optional<Bytes> fromHex(const std::string& hex);

}  // namespace roam::crypto
