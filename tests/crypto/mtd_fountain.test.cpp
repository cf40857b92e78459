// Fountain droplets over GF(2^8): the decoder completes exactly when the
// droplets' coefficient vectors span GF(2^8)^K, dependent droplets are refused,
// and its rank matches a rank computed separately here.

#include <random>
#include <vector>

#include <catch2/catch.hpp>

#include "crypto/fountain.hpp"
#include "crypto/gf256.hpp"

namespace crypto = roam::crypto;
namespace gf = roam::crypto::gf256;
using crypto::Bytes;
using crypto::Droplet;

namespace {

constexpr int kK = 4;

Bytes asBytes(const crypto::SecretBytes& s) {
  return Bytes(s.view().begin(), s.view().end());
}

// A droplet with chosen COEFFICIENTS, its value computed here from the padded
// blocks of SECRET (independently of fountainEncode).
Droplet dropletWith(const Bytes& secret, int k, const Bytes& coefficients) {
  const std::size_t block = crypto::fountainBlockSize(secret.size(), k);
  Bytes padded = secret;
  padded.resize(block * static_cast<std::size_t>(k), 0);
  Droplet d{coefficients, Bytes(block, 0)};
  for (std::size_t j = 0; j < static_cast<std::size_t>(k); ++j) {
    for (std::size_t i = 0; i < block; ++i) {
      d.value[i] ^= gf::mul(coefficients[j], padded[j * block + i]);
    }
  }
  return d;
}

// a*p + b*q, coefficients and values alike.
Droplet combine(std::uint8_t a, const Droplet& p, std::uint8_t b, const Droplet& q) {
  Droplet d{Bytes(p.coefficients.size()), Bytes(p.value.size())};
  for (std::size_t i = 0; i < d.coefficients.size(); ++i) {
    d.coefficients[i] = gf::add(gf::mul(a, p.coefficients[i]), gf::mul(b, q.coefficients[i]));
  }
  for (std::size_t i = 0; i < d.value.size(); ++i) {
    d.value[i] = gf::add(gf::mul(a, p.value[i]), gf::mul(b, q.value[i]));
  }
  return d;
}

// The rank of the coefficient rows, by plain (non-incremental) elimination.
int referenceRank(std::vector<Bytes> rows, int k) {
  int rank = 0;
  for (int col = 0; col < k && rank < static_cast<int>(rows.size()); ++col) {
    std::size_t pivot = static_cast<std::size_t>(rank);
    while (pivot < rows.size() && rows[pivot][static_cast<std::size_t>(col)] == 0) ++pivot;
    if (pivot == rows.size()) continue;
    std::swap(rows[pivot], rows[static_cast<std::size_t>(rank)]);
    const Bytes& p = rows[static_cast<std::size_t>(rank)];
    const std::uint8_t inv = gf::inv(p[static_cast<std::size_t>(col)]);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (r == static_cast<std::size_t>(rank)) continue;
      const std::uint8_t f = gf::mul(rows[r][static_cast<std::size_t>(col)], inv);
      for (int c = 0; c < k; ++c) {
        rows[r][static_cast<std::size_t>(c)] ^= gf::mul(f, p[static_cast<std::size_t>(c)]);
      }
    }
    ++rank;
  }
  return rank;
}

}  // namespace

TEST_CASE("fountain: random droplets decode the secret", "[mtd]") {
  for (int round = 0; round < 20; ++round) {
    const Bytes secret = crypto::randomBytes(32);
    const std::vector<Droplet> droplets = crypto::fountainEncode(secret, kK, 12);
    REQUIRE(droplets.size() == 12);
    crypto::FountainDecoder decoder(kK, secret.size());
    for (const Droplet& d : droplets) {
      REQUIRE(d.coefficients.size() == kK);
      REQUIRE(d.value.size() == 8);
      CHECK(d == dropletWith(secret, kK, d.coefficients));  // encoder agrees with the definition
      if (decoder.complete()) {
        CHECK_FALSE(decoder.add(d));
        continue;
      }
      decoder.add(d);
    }
    REQUIRE(decoder.complete());
    const auto decoded = decoder.decode();
    REQUIRE(decoded);
    CHECK(asBytes(*decoded) == secret);
  }
}

TEST_CASE("fountain: padding when the secret does not divide into K blocks", "[mtd]") {
  for (std::size_t len : {1u, 3u, 5u, 31u, 33u}) {
    CAPTURE(len);
    const Bytes secret = crypto::randomBytes(len);
    crypto::FountainDecoder decoder(kK, len);
    for (const Droplet& d : crypto::fountainEncode(secret, kK, 40)) {
      decoder.add(d);
      if (decoder.complete()) break;
    }
    REQUIRE(decoder.complete());
    CHECK(asBytes(*decoder.decode()) == secret);
  }
}

TEST_CASE("fountain: dependent droplets add nothing and rank follows the span", "[mtd]") {
  const Bytes secret = crypto::randomBytes(32);
  crypto::FountainDecoder decoder(kK, secret.size());

  const Droplet a = dropletWith(secret, kK, {1, 2, 3, 4});
  const Droplet b = dropletWith(secret, kK, {0, 7, 0, 9});
  CHECK(decoder.add(a));
  CHECK(decoder.add(b));
  CHECK(decoder.rank() == 2);

  SECTION("combinations of earlier droplets are refused") {
    CHECK_FALSE(decoder.add(a));                          // the same again
    CHECK_FALSE(decoder.add(combine(5, a, 0, b)));        // a multiple
    CHECK_FALSE(decoder.add(combine(0x53, a, 0xca, b)));  // a combination
    CHECK(decoder.rank() == 2);
    CHECK_FALSE(decoder.complete());
    CHECK_FALSE(decoder.decode().has_value());

    const Droplet c = dropletWith(secret, kK, {0, 0, 1, 0});
    CHECK(decoder.add(c));
    CHECK_FALSE(decoder.add(combine(1, combine(3, a, 4, b), 9, c)));
    CHECK(decoder.rank() == 3);
    CHECK_FALSE(decoder.decode().has_value());

    const Droplet e = dropletWith(secret, kK, {0, 0, 0, 1});
    CHECK(decoder.add(e));
    CHECK(decoder.complete());
    CHECK(asBytes(*decoder.decode()) == secret);
    CHECK_FALSE(decoder.add(dropletWith(secret, kK, {9, 9, 9, 9})));  // already complete
  }

  SECTION("malformed droplets are refused") {
    CHECK_FALSE(decoder.add(Droplet{{1, 2, 3}, Bytes(8, 0)}));
    CHECK_FALSE(decoder.add(Droplet{{1, 0, 0, 0}, Bytes(7, 0)}));
    CHECK_FALSE(decoder.add(Droplet{{0, 0, 0, 0}, Bytes(8, 0)}));
    CHECK(decoder.rank() == 2);
  }
}

TEST_CASE("fountain: completes exactly when the droplets span the space", "[mtd]") {
  // Droplets drawn from random subspaces of dimension 1..K: the decoder's rank
  // must equal the reference rank after every droplet, it completes iff that
  // rank is K, and then decodes S.
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int round = 0; round < 200; ++round) {
    const Bytes secret = crypto::randomBytes(32);
    const int dim = 1 + round % kK;
    std::vector<Bytes> basis;
    for (int i = 0; i < dim; ++i) {
      Bytes v(kK);
      for (auto& c : v) c = static_cast<std::uint8_t>(byte(rng));
      basis.push_back(v);
    }
    crypto::FountainDecoder decoder(kK, secret.size());
    std::vector<Bytes> rows;
    const int count = 1 + round % 7;
    for (int n = 0; n < count; ++n) {
      Bytes v(kK, 0);
      for (const Bytes& bv : basis) {
        const auto f = static_cast<std::uint8_t>(byte(rng));
        for (int c = 0; c < kK; ++c) {
          v[static_cast<std::size_t>(c)] ^= gf::mul(f, bv[static_cast<std::size_t>(c)]);
        }
      }
      const int before = referenceRank(rows, kK);
      rows.push_back(v);
      const int after = referenceRank(rows, kK);
      const bool raised = decoder.add(dropletWith(secret, kK, v));
      CHECK(raised == (after > before));
      CHECK(decoder.rank() == after);
    }
    const bool spans = referenceRank(rows, kK) == kK;
    CHECK(decoder.complete() == spans);
    CHECK(decoder.decode().has_value() == spans);
    if (spans) CHECK(asBytes(*decoder.decode()) == secret);
  }
}

TEST_CASE("fountain: no host may hold K droplets; bad parameters are rejected", "[mtd]") {
  CHECK(crypto::maxDropletsPerHost(4) == 3);
  CHECK(crypto::maxDropletsPerHost(1) == 0);
  // k-1 droplets can never complete a decoder, whatever they are.
  const Bytes secret = crypto::randomBytes(32);
  crypto::FountainDecoder decoder(kK, secret.size());
  for (const Droplet& d : crypto::fountainEncode(secret, kK, crypto::maxDropletsPerHost(kK))) {
    decoder.add(d);
  }
  CHECK_FALSE(decoder.complete());
  CHECK_FALSE(decoder.decode().has_value());

  CHECK_THROWS_AS(crypto::fountainEncode(secret, 0, 3), std::invalid_argument);
  CHECK_THROWS_AS(crypto::fountainEncode(secret, 256, 3), std::invalid_argument);
  CHECK_THROWS_AS(crypto::fountainEncode(secret, 4, -1), std::invalid_argument);
  CHECK_THROWS_AS(crypto::fountainEncode(Bytes{}, 4, 3), std::invalid_argument);
  CHECK_THROWS_AS(crypto::FountainDecoder(0, 32), std::invalid_argument);
  CHECK_THROWS_AS(crypto::FountainDecoder(4, 0), std::invalid_argument);
}
