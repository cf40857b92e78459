// Shamir's scheme over GF(2^8): reconstruction from any k shares, perfect
// secrecy with k-1 (exhaustively for one byte), input validation, and a
// cross-check in both directions with Debian's libgfshare tools (gfsplit and
// gfcombine, package libgfshare-bin), which use the same field (0x11d) and keep
// each share as a file STEM.NNN holding the raw y bytes, NNN being x.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "crypto/gf256.hpp"
#include "crypto/shamir.hpp"
#include "temp_dir.hpp"

namespace crypto = roam::crypto;
namespace gf = roam::crypto::gf256;
using crypto::Bytes;
using crypto::Share;

namespace {

Bytes asBytes(const crypto::SecretBytes& s) {
  return Bytes(s.view().begin(), s.view().end());
}

// Every k-subset of 0..n-1 (as index lists), in lexicographic order.
std::vector<std::vector<int>> subsets(int n, int k) {
  std::vector<std::vector<int>> out;
  std::vector<int> idx(static_cast<std::size_t>(k));
  for (int i = 0; i < k; ++i) idx[static_cast<std::size_t>(i)] = i;
  while (true) {
    out.push_back(idx);
    int i = k - 1;
    while (i >= 0 && idx[static_cast<std::size_t>(i)] == n - k + i) --i;
    if (i < 0) break;
    ++idx[static_cast<std::size_t>(i)];
    for (int j = i + 1; j < k; ++j) {
      idx[static_cast<std::size_t>(j)] = idx[static_cast<std::size_t>(j - 1)] + 1;
    }
  }
  return out;
}

std::vector<Share> pick(const std::vector<Share>& shares, const std::vector<int>& idx) {
  std::vector<Share> out;
  for (int i : idx) out.push_back(shares[static_cast<std::size_t>(i)]);
  return out;
}

Bytes readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void writeFile(const std::filesystem::path& p, const Bytes& bytes) {
  std::ofstream out(p, std::ios::binary);
  REQUIRE(out);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out);
}

bool haveTool(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace

TEST_CASE("shamir: any k of n shares reconstruct the secret, k-1 do not", "[mtd]") {
  std::mt19937 rng(7);
  const std::vector<std::pair<int, int>> params = {{1, 1}, {2, 1}, {2, 2},  {3, 2},   {5, 3},
                                                   {6, 6}, {8, 4}, {10, 5}, {255, 3}, {255, 255}};
  for (const auto& [n, k] : params) {
    CAPTURE(n, k);
    for (int round = 0; round < 4; ++round) {
      const Bytes secret = crypto::randomBytes(32);
      const std::vector<Share> shares = crypto::shamirSplit(secret, n, k);
      REQUIRE(shares.size() == static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) {
        CHECK(shares[static_cast<std::size_t>(i)].x == i + 1);
        CHECK(shares[static_cast<std::size_t>(i)].y.size() == secret.size());
      }

      std::vector<std::vector<int>> chosen;
      if (n <= 10) {
        chosen = subsets(n, k);  // every k-subset
      } else {
        std::vector<int> all(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) all[static_cast<std::size_t>(i)] = i;
        for (int s = 0; s < 20; ++s) {  // a random sample of k-subsets
          std::shuffle(all.begin(), all.end(), rng);
          chosen.emplace_back(all.begin(), all.begin() + k);
        }
      }
      int wrong = 0;
      for (const auto& idx : chosen) {
        const crypto::CombineResult r = crypto::shamirCombine(pick(shares, idx));
        if (!r.ok() || asBytes(*r) != secret) ++wrong;
      }
      CHECK(wrong == 0);

      if (k >= 2) {
        // k-1 shares interpolate a lower-degree polynomial: a valid combine,
        // but of another value (equal with probability 2^-256).
        std::vector<int> fewer(static_cast<std::size_t>(k - 1));
        for (int i = 0; i < k - 1; ++i) fewer[static_cast<std::size_t>(i)] = i;
        const crypto::CombineResult r = crypto::shamirCombine(pick(shares, fewer));
        REQUIRE(r.ok());
        CHECK(asBytes(*r) != secret);
      }
    }
  }
}

TEST_CASE("shamir: two shares of a 3-threshold leave every one-byte secret equally possible",
          "[mtd]") {
  // For fixed shares (x1,y1), (x2,y2) of a degree-2 polynomial, count for every
  // candidate secret s the polynomials a(x) = s + a1 x + a2 x^2 through both
  // shares, over all 65536 (a1, a2). Perfect secrecy means the count is the same
  // for every s; here it is exactly 1. For each (s, a1) the first share fixes
  // a2 = (y1 - s - a1 x1) / x1^2, so walking (s, a1) walks every polynomial
  // through (x1,y1) once, and we count those that also pass through (x2,y2).
  for (int round = 0; round < 8; ++round) {
    const Bytes secret = crypto::randomBytes(1);
    const std::vector<Share> shares = crypto::shamirSplit(secret, 5, 3);
    const Share& s1 = shares[static_cast<std::size_t>(round % 5)];
    const Share& s2 = shares[static_cast<std::size_t>((round + 1 + round / 5) % 5)];
    REQUIRE(s1.x != s2.x);
    const std::uint8_t x1 = s1.x, y1 = s1.y[0], x2 = s2.x, y2 = s2.y[0];
    const std::uint8_t x1sq = gf::mul(x1, x1), x2sq = gf::mul(x2, x2);

    std::vector<int> count(256, 0);
    std::vector<int> lagrangeOk(256, 0);
    std::vector<std::uint8_t> thirdValues(256, 0);
    for (int s = 0; s < 256; ++s) {
      const auto sv = static_cast<std::uint8_t>(s);
      for (int a1 = 0; a1 < 256; ++a1) {
        const auto av = static_cast<std::uint8_t>(a1);
        const std::uint8_t a2 = gf::div(gf::add(gf::add(y1, sv), gf::mul(av, x1)), x1sq);
        const std::uint8_t at2 = gf::add(gf::add(sv, gf::mul(av, x2)), gf::mul(a2, x2sq));
        if (at2 == y2) ++count[static_cast<std::size_t>(s)];
      }
      // The same through interpolation: the unique degree-2 polynomial through
      // (0,s), (x1,y1), (x2,y2) exists for every s; it is represented by its
      // value y3 at a third point x3 (with the two fixed shares, y3 determines
      // it), and combining the three shares (x1,y1), (x2,y2), (x3,y3) gives s.
      std::vector<Share> three = {s1, s2};
      std::uint8_t x3 = 1;
      while (x3 == x1 || x3 == x2) ++x3;
      const auto basis = [&](std::uint8_t at, std::uint8_t xi, std::uint8_t xj, std::uint8_t xk) {
        return gf::div(gf::mul(gf::sub(at, xj), gf::sub(at, xk)),
                       gf::mul(gf::sub(xi, xj), gf::sub(xi, xk)));
      };
      const std::uint8_t y3 =
          gf::add(gf::add(gf::mul(sv, basis(x3, 0, x1, x2)), gf::mul(y1, basis(x3, x1, 0, x2))),
                  gf::mul(y2, basis(x3, x2, 0, x1)));
      three.push_back(Share{x3, {y3}});
      thirdValues[static_cast<std::size_t>(s)] = y3;
      const crypto::CombineResult back = crypto::shamirCombine(three);
      if (back.ok() && back->size() == 1 && back->data()[0] == sv) {
        ++lagrangeOk[static_cast<std::size_t>(s)];
      }
    }
    CHECK(std::all_of(count.begin(), count.end(), [](int c) { return c == 1; }));
    CHECK(std::all_of(lagrangeOk.begin(), lagrangeOk.end(), [](int c) { return c == 1; }));
    // 256 different secrets, 256 different polynomials: a bijection.
    std::sort(thirdValues.begin(), thirdValues.end());
    CHECK(std::adjacent_find(thirdValues.begin(), thirdValues.end()) == thirdValues.end());
  }
}

TEST_CASE("shamir: malformed share sets are rejected with their reason", "[mtd]") {
  const Bytes secret = crypto::randomBytes(16);
  std::vector<Share> shares = crypto::shamirSplit(secret, 4, 3);

  SECTION("empty") {
    const auto r = crypto::shamirCombine({});
    CHECK_FALSE(r.ok());
    CHECK(roam::errorText(r) == "no shares to combine");
  }
  SECTION("x = 0") {
    shares[1].x = 0;
    const auto r = crypto::shamirCombine({shares[0], shares[1], shares[2]});
    CHECK_FALSE(r.ok());
    CHECK(roam::errorText(r) == "share has x-coordinate 0 (it would be the secret itself)");
  }
  SECTION("duplicate x") {
    const auto r = crypto::shamirCombine({shares[0], shares[1], shares[1]});
    CHECK_FALSE(r.ok());
    CHECK(roam::errorText(r) == "duplicate share x-coordinate 2");
  }
  SECTION("unequal lengths") {
    shares[2].y.pop_back();
    const auto r = crypto::shamirCombine({shares[0], shares[1], shares[2]});
    CHECK_FALSE(r.ok());
    CHECK(roam::errorText(r) == "shares have unequal lengths (16 and 15 bytes)");
  }
  SECTION("bad parameters to split") {
    CHECK_THROWS_AS(crypto::shamirSplit(secret, 0, 1), std::invalid_argument);
    CHECK_THROWS_AS(crypto::shamirSplit(secret, 256, 3), std::invalid_argument);
    CHECK_THROWS_AS(crypto::shamirSplit(secret, 5, 0), std::invalid_argument);
    CHECK_THROWS_AS(crypto::shamirSplit(secret, 5, 6), std::invalid_argument);
  }
}

TEST_CASE("shamir: interoperates with libgfshare's gfsplit and gfcombine", "[mtd]") {
  INFO("gfsplit/gfcombine come from libgfshare-bin (scripts/install-deps)");
  REQUIRE(haveTool("gfsplit"));
  REQUIRE(haveTool("gfcombine"));
  roamtest::TempDir dir("roam-mtd-gfshare");
  const auto& d = dir.path;

  SECTION("shares made by gfsplit combine here") {
    const Bytes secret = crypto::randomBytes(48);
    writeFile(d / "secret.bin", secret);
    // -n threshold, -m share count; files share.NNN, NNN the (random) x.
    const std::string cmd = "gfsplit -n 3 -m 5 '" + (d / "secret.bin").string() + "' '" +
                            (d / "share").string() + "' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);

    std::vector<Share> shares;
    for (const auto& entry : std::filesystem::directory_iterator(d)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("share.", 0) != 0) continue;
      const int x = std::stoi(name.substr(6));
      REQUIRE(x >= 1);
      REQUIRE(x <= 255);
      shares.push_back(Share{static_cast<std::uint8_t>(x), readFile(entry.path())});
    }
    REQUIRE(shares.size() == 5);
    std::sort(shares.begin(), shares.end(),
              [](const Share& a, const Share& b) { return a.x < b.x; });
    for (const auto& idx : subsets(5, 3)) {
      const crypto::CombineResult r = crypto::shamirCombine(pick(shares, idx));
      REQUIRE(r.ok());
      CHECK(asBytes(*r) == secret);
    }
  }

  SECTION("shares made here combine with gfcombine") {
    const Bytes secret = crypto::randomBytes(48);
    const std::vector<Share> shares = crypto::shamirSplit(secret, 6, 4);
    for (const auto& idx : {std::vector<int>{0, 1, 2, 3}, std::vector<int>{1, 3, 4, 5},
                            std::vector<int>{0, 2, 4, 5}}) {
      std::string files;
      for (int i : idx) {
        const Share& s = shares[static_cast<std::size_t>(i)];
        char suffix[8];
        std::snprintf(suffix, sizeof suffix, ".%03d", s.x);
        const auto path = d / ("ours" + std::string(suffix));
        writeFile(path, s.y);
        files += " '" + path.string() + "'";
      }
      const auto out = d / "combined.bin";
      const std::string cmd = "gfcombine -o '" + out.string() + "'" + files + " >/dev/null 2>&1";
      REQUIRE(std::system(cmd.c_str()) == 0);
      CHECK(readFile(out) == secret);
      for (const auto& entry : std::filesystem::directory_iterator(d)) {
        std::filesystem::remove(entry.path());
      }
    }
  }
}
