// SecretBytes ownership: moves leave the source empty, clone() is the only copy.

#include <type_traits>

#include <catch2/catch.hpp>

#include "crypto/secure_bytes.hpp"

namespace crypto = roam::crypto;
using crypto::Bytes;
using crypto::SecretBytes;

static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);

TEST_CASE("SecretBytes moves, clones and clears", "[mtd]") {
  const Bytes raw = {1, 2, 3, 4, 5};
  SecretBytes a{std::span<const std::uint8_t>(raw)};
  CHECK(a.size() == 5);
  CHECK(Bytes(a.view().begin(), a.view().end()) == raw);

  SecretBytes c = a.clone();
  CHECK(Bytes(c.view().begin(), c.view().end()) == raw);
  CHECK(c.data() != a.data());

  SecretBytes b = std::move(a);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is specified
  CHECK(b.size() == 5);

  SecretBytes d(3);
  d = std::move(b);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)
  CHECK(Bytes(d.view().begin(), d.view().end()) == raw);

  d.clear();
  CHECK(d.empty());

  SecretBytes owned(Bytes{9, 9});
  CHECK(owned.size() == 2);
}

TEST_CASE("randomBytes returns fresh bytes of the requested length", "[mtd]") {
  CHECK(crypto::randomBytes(0).empty());
  const Bytes x = crypto::randomBytes(32), y = crypto::randomBytes(32);
  CHECK(x.size() == 32);
  CHECK(x != y);
}
