// The sealed lookup table: round trip, and every kind of tampering or wrong key
// material ends in "authentication failed".

#include <string>

#include <catch2/catch.hpp>

#include "crypto/shamir.hpp"
#include "crypto/table_crypto.hpp"

namespace crypto = roam::crypto;
using crypto::Bytes;

namespace {
Bytes bytesOf(const std::string& s) {
  return Bytes(s.begin(), s.end());
}
}  // namespace

TEST_CASE("table crypto: a sealed table opens with the same key and epoch", "[mtd]") {
  const Bytes secret = crypto::randomBytes(32);
  const crypto::SecretBytes key = crypto::deriveTableKey(secret, "epoch-7");
  CHECK(key.size() == 32);
  const Bytes table = bytesOf(R"({"0":"10.0.0.3","1":"10.0.0.4","2":"10.0.0.5"})");

  const Bytes sealed = crypto::sealTable(key, "epoch-7", table);
  CHECK(sealed.size() == 12 + table.size() + 16);
  const crypto::OpenResult opened = crypto::openTable(key, "epoch-7", sealed);
  REQUIRE(opened.ok());
  CHECK(*opened == table);

  SECTION("the key is deterministic in (S, epoch) and separates epochs") {
    CHECK(crypto::deriveTableKey(secret, "epoch-7").view().size() == 32);
    const auto again = crypto::deriveTableKey(secret, "epoch-7");
    CHECK(Bytes(again.view().begin(), again.view().end()) ==
          Bytes(key.view().begin(), key.view().end()));
    const auto other = crypto::deriveTableKey(secret, "epoch-8");
    CHECK(Bytes(other.view().begin(), other.view().end()) !=
          Bytes(key.view().begin(), key.view().end()));
  }
  SECTION("fresh nonces: sealing twice gives different blobs") {
    CHECK(crypto::sealTable(key, "epoch-7", table) != sealed);
  }
  SECTION("an empty table round-trips too") {
    const auto r = crypto::openTable(key, "e", crypto::sealTable(key, "e", Bytes{}));
    REQUIRE(r.ok());
    CHECK(r->empty());
  }
}

TEST_CASE("table crypto: tampering, wrong epoch and wrong key are detected", "[mtd]") {
  const Bytes secret = crypto::randomBytes(32);
  const crypto::SecretBytes key = crypto::deriveTableKey(secret, "epoch-1");
  const Bytes table = bytesOf("index table with some destinations");
  const Bytes sealed = crypto::sealTable(key, "epoch-1", table);

  SECTION("a flipped bit in any byte: nonce, ciphertext or tag") {
    int accepted = 0, wrongMessage = 0;
    for (std::size_t i = 0; i < sealed.size(); ++i) {
      Bytes bad = sealed;
      bad[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
      const auto r = crypto::openTable(key, "epoch-1", bad);
      if (r.ok()) ++accepted;
      if (roam::errorText(r) != "authentication failed") ++wrongMessage;
    }
    CHECK(accepted == 0);
    CHECK(wrongMessage == 0);
  }
  SECTION("the wrong epoch") {
    const auto r = crypto::openTable(key, "epoch-2", sealed);
    CHECK_FALSE(r.ok());
    CHECK(roam::errorText(r) == "authentication failed");
    // nor does the key of the right S for the other epoch
    const auto r2 = crypto::openTable(crypto::deriveTableKey(secret, "epoch-2"), "epoch-1", sealed);
    CHECK(roam::errorText(r2) == "authentication failed");
  }
  SECTION("truncated blobs and bad keys") {
    CHECK(crypto::openTable(key, "epoch-1", Bytes(sealed.begin(), sealed.begin() + 27))
              .error()
              .message == "sealed table too short (27 bytes)");
    CHECK(crypto::openTable(key, "epoch-1", Bytes(sealed.begin(), sealed.end() - 1))
              .error()
              .message == "authentication failed");
    CHECK(crypto::openTable(crypto::SecretBytes(16), "epoch-1", sealed).error().message ==
          "the table key must be 32 bytes");
    CHECK_THROWS_AS(crypto::sealTable(crypto::SecretBytes(16), "e", table), std::invalid_argument);
    CHECK_THROWS_AS(crypto::deriveTableKey(Bytes{}, "e"), std::invalid_argument);
  }
}

TEST_CASE("table crypto: a wrong Shamir share is caught by the table's tag", "[mtd]") {
  // Manager side: S, its shares, the sealed table.
  const Bytes secret = crypto::randomBytes(32);
  const Bytes table = bytesOf("0=h3;1=h4;2=h5");
  const Bytes sealed = crypto::sealTable(crypto::deriveTableKey(secret, "e9"), "e9", table);
  std::vector<crypto::Share> shares = crypto::shamirSplit(secret, 5, 3);

  // Source side with honest shares: opens.
  {
    const auto s = crypto::shamirCombine({shares[0], shares[2], shares[4]});
    REQUIRE(s.ok());
    const auto r = crypto::openTable(crypto::deriveTableKey(s->view(), "e9"), "e9", sealed);
    REQUIRE(r.ok());
    CHECK(*r == table);
  }
  // One share altered in one byte: combine cannot tell, the tag can.
  shares[2].y[17] ^= 0x40;
  const auto s = crypto::shamirCombine({shares[0], shares[2], shares[4]});
  REQUIRE(s.ok());
  const auto r = crypto::openTable(crypto::deriveTableKey(s->view(), "e9"), "e9", sealed);
  CHECK_FALSE(r.ok());
  CHECK(roam::errorText(r) == "authentication failed");

  // Old shares after a rotation: a new S and table for the next epoch.
  const Bytes next = crypto::randomBytes(32);
  const Bytes sealedNext = crypto::sealTable(crypto::deriveTableKey(next, "e10"), "e10", table);
  const auto old = crypto::shamirCombine({shares[0], shares[1], shares[3]});
  REQUIRE(old.ok());
  CHECK(crypto::openTable(crypto::deriveTableKey(old->view(), "e10"), "e10", sealedNext)
            .error()
            .message == "authentication failed");
}
