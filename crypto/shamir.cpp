#include "crypto/shamir.hpp"

#include <array>
#include <stdexcept>
#include <string>

#include "crypto/gf256.hpp"

namespace roam::crypto {

std::vector<Share> shamirSplit(std::span<const std::uint8_t> secret, int n, int k) {
  if (n < 1 || n > 255) {
    throw std::invalid_argument("shamir: share count must be in 1..255, got " + std::to_string(n));
  }
  if (k < 1 || k > n) {
    throw std::invalid_argument("shamir: threshold must be in 1.." + std::to_string(n) + ", got " +
                                std::to_string(k));
  }
  const std::size_t len = secret.size();
  const std::size_t degree = static_cast<std::size_t>(k - 1);
  // coefficients[i * degree + d] is the coefficient of x^(d+1) for byte i.
  SecretBytes coefficients(len * degree);
  fillRandom(coefficients.mutableView());

  std::vector<Share> shares(static_cast<std::size_t>(n));
  for (int s = 0; s < n; ++s) {
    Share& share = shares[static_cast<std::size_t>(s)];
    share.x = static_cast<std::uint8_t>(s + 1);
    share.y.resize(len);
    for (std::size_t i = 0; i < len; ++i) {
      // Horner from the highest coefficient down to the secret byte.
      std::uint8_t acc = 0;
      for (std::size_t d = degree; d > 0; --d) {
        acc = gf256::add(gf256::mul(acc, share.x), coefficients.data()[i * degree + d - 1]);
      }
      share.y[i] = gf256::add(gf256::mul(acc, share.x), secret[i]);
    }
  }
  return shares;
}

CombineResult shamirCombine(const std::vector<Share>& shares) {
  auto refuse = [](std::string message) {
    return roam::makeError(roam::ErrorCode::BadInput, std::move(message));
  };
  if (shares.empty()) return refuse("no shares to combine");
  std::array<bool, 256> seen{};
  const std::size_t len = shares.front().y.size();
  for (const Share& s : shares) {
    if (s.x == 0) return refuse("share has x-coordinate 0 (it would be the secret itself)");
    if (seen[s.x]) return refuse("duplicate share x-coordinate " + std::to_string(s.x));
    seen[s.x] = true;
    if (s.y.size() != len)
      return refuse("shares have unequal lengths (" + std::to_string(len) + " and " +
                    std::to_string(s.y.size()) + " bytes)");
  }

  // The Lagrange basis at 0 depends only on the (public) x-coordinates:
  // w_j = prod_{m != j} x_m / (x_m - x_j), subtraction being xor.
  std::vector<std::uint8_t> weights(shares.size());
  for (std::size_t j = 0; j < shares.size(); ++j) {
    std::uint8_t num = 1;
    std::uint8_t den = 1;
    for (std::size_t m = 0; m < shares.size(); ++m) {
      if (m == j) continue;
      num = gf256::mul(num, shares[m].x);
      den = gf256::mul(den, gf256::sub(shares[m].x, shares[j].x));
    }
    weights[j] = gf256::div(num, den);
  }

  SecretBytes secret(len);
  for (std::size_t i = 0; i < len; ++i) {
    std::uint8_t acc = 0;
    for (std::size_t j = 0; j < shares.size(); ++j) {
      acc = gf256::add(acc, gf256::mul(shares[j].y[i], weights[j]));
    }
    secret.data()[i] = acc;
  }
  return secret;
}

}  // namespace roam::crypto
