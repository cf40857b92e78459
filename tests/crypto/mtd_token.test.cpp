// The manager's MTD token: signed with its real key (made by the same code as
// `roam certs issue DIR manager`), verified with the PEM public key it hands
// out at setup.

#include <catch2/catch.hpp>

#include "agent/tls/certificates.hpp"
#include "crypto/token.hpp"
#include "temp_dir.hpp"

using namespace roam::crypto;

namespace {

Pkey managerKey(const roamtest::TempDir& dir) {
  REQUIRE(roam::agent::initAuthority(dir.path).ok());
  REQUIRE(roam::agent::issueCertificate(dir.path, "manager", {}).ok());
  auto loaded = loadPrivateKey(dir.path / "manager.key");
  if (!loaded) FAIL(loaded.error().message);
  return std::move(*loaded);
}

Pkey publicHalf(EVP_PKEY* key) {
  auto parsed = parsePublicKey(publicKeyPem(key));
  if (!parsed) FAIL(parsed.error().message);
  return std::move(*parsed);
}

}  // namespace

TEST_CASE("mtd token: the manager's signature verifies, and only for what it signed", "[mtd]") {
  roamtest::TempDir dir;
  auto key = managerKey(dir);
  auto pub = publicHalf(key.get());
  CHECK(publicKeyPem(key.get()).rfind("-----BEGIN PUBLIC KEY-----", 0) == 0);

  const std::string r(64, 'a');
  auto message = tokenMessage("e-1-abc", "m-1-def", "h2", r);
  CHECK(message == "roam-mtd-v1\ne-1-abc\nm-1-def\nh2\n" + r);
  auto token = signToken(key.get(), message);
  REQUIRE_FALSE(token.empty());
  CHECK(verifyToken(pub.get(), message, token));

  // Another source, migration, epoch or R: refused.
  CHECK_FALSE(verifyToken(pub.get(), tokenMessage("e-1-abc", "m-1-def", "h3", r), token));
  CHECK_FALSE(verifyToken(pub.get(), tokenMessage("e-1-abc", "m-2-def", "h2", r), token));
  CHECK_FALSE(verifyToken(pub.get(), tokenMessage("e-2-abc", "m-1-def", "h2", r), token));
  CHECK_FALSE(verifyToken(pub.get(), tokenMessage("e-1-abc", "m-1-def", "h2", std::string(64, 'b')),
                          token));
  // A tampered token, garbage, nothing.
  auto tampered = token;
  tampered[10] = tampered[10] == '0' ? '1' : '0';
  CHECK_FALSE(verifyToken(pub.get(), message, tampered));
  CHECK_FALSE(verifyToken(pub.get(), message, "zz"));
  CHECK_FALSE(verifyToken(pub.get(), message, ""));
  CHECK_FALSE(verifyToken(nullptr, message, token));
}

TEST_CASE("mtd token: another key's signature does not verify", "[mtd]") {
  roamtest::TempDir a, b;
  auto key = managerKey(a);
  auto intruder = managerKey(b);
  auto message = tokenMessage("e-1-abc", "m-1-def", "h2", std::string(64, 'c'));
  CHECK_FALSE(
      verifyToken(publicHalf(key.get()).get(), message, signToken(intruder.get(), message)));
}

TEST_CASE("mtd token: bad key files and PEM text are errors", "[mtd]") {
  roamtest::TempDir dir;
  auto missing = loadPrivateKey(dir.path / "none.key");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("cannot read") != std::string::npos);
  auto garbage = parsePublicKey("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n");
  CHECK_FALSE(garbage.ok());
}

TEST_CASE("mtd token: hex both ways", "[mtd]") {
  Bytes b = {0x00, 0x0f, 0xa5, 0xff};
  CHECK(toHex(b) == "000fa5ff");
  CHECK(fromHex("000fa5ff") == b);
  CHECK_FALSE(fromHex("abc"));
  CHECK_FALSE(fromHex("ABCD"));
  CHECK_FALSE(fromHex("0g"));
}
