#include "crypto/fountain.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "crypto/gf256.hpp"

namespace roam::crypto {

namespace {

void checkK(int k) {
  if (k < 1 || k > 255) {
    throw std::invalid_argument("fountain: block count must be in 1..255, got " +
                                std::to_string(k));
  }
}

// dst -= factor * src, element-wise over GF(2^8).
void subtractScaled(std::span<std::uint8_t> dst, std::span<const std::uint8_t> src,
                    std::uint8_t factor) {
  for (std::size_t i = 0; i < dst.size(); ++i) {
    dst[i] = gf256::sub(dst[i], gf256::mul(factor, src[i]));
  }
}

void scale(std::span<std::uint8_t> v, std::uint8_t factor) {
  for (auto& b : v) b = gf256::mul(b, factor);
}

}  // namespace

std::size_t fountainBlockSize(std::size_t secretLength, int k) {
  checkK(k);
  const auto kk = static_cast<std::size_t>(k);
  return (secretLength + kk - 1) / kk;
}

int maxDropletsPerHost(int k) {
  checkK(k);
  return k - 1;
}

std::vector<Droplet> fountainEncode(std::span<const std::uint8_t> secret, int k, int count) {
  checkK(k);
  if (count < 0) throw std::invalid_argument("fountain: droplet count must not be negative");
  if (secret.empty()) throw std::invalid_argument("fountain: the secret is empty");
  const std::size_t blockSize = fountainBlockSize(secret.size(), k);
  const auto kk = static_cast<std::size_t>(k);
  SecretBytes padded(blockSize * kk);
  std::copy(secret.begin(), secret.end(), padded.data());

  std::vector<Droplet> droplets(static_cast<std::size_t>(count));
  for (Droplet& d : droplets) {
    // Coefficients are public (they travel with the droplet), so redrawing on
    // the all-zero vector (probability 256^-k) leaks nothing.
    do {
      d.coefficients = randomBytes(kk);
    } while (std::all_of(d.coefficients.begin(), d.coefficients.end(),
                         [](std::uint8_t c) { return c == 0; }));
    d.value.assign(blockSize, 0);
    for (std::size_t j = 0; j < kk; ++j) {
      const std::uint8_t* block = padded.data() + j * blockSize;
      for (std::size_t i = 0; i < blockSize; ++i) {
        d.value[i] = gf256::add(d.value[i], gf256::mul(d.coefficients[j], block[i]));
      }
    }
  }
  return droplets;
}

FountainDecoder::FountainDecoder(int k, std::size_t secretLength)
    : k_(k), secretLength_(secretLength), blockSize_(0) {
  checkK(k);
  if (secretLength == 0) throw std::invalid_argument("fountain: the secret is empty");
  blockSize_ = fountainBlockSize(secretLength, k);
}

bool FountainDecoder::add(const Droplet& droplet) {
  const auto kk = static_cast<std::size_t>(k_);
  if (complete()) return false;
  if (droplet.coefficients.size() != kk || droplet.value.size() != blockSize_) return false;

  // Branches below look only at coefficients, which are public; the values are
  // combined with the constant-time field operations.
  Bytes coefficients = droplet.coefficients;
  SecretBytes value(std::span<const std::uint8_t>(droplet.value));
  for (const Row& row : rows_) {
    const std::uint8_t factor = coefficients[row.pivot];
    if (factor == 0) continue;
    subtractScaled(coefficients, row.coefficients, factor);
    subtractScaled(value.mutableView(), row.value.view(), factor);
  }
  const auto it =
      std::find_if(coefficients.begin(), coefficients.end(), [](std::uint8_t c) { return c != 0; });
  if (it == coefficients.end()) return false;  // a combination of the rows held

  const auto pivot = static_cast<std::size_t>(it - coefficients.begin());
  const std::uint8_t norm = gf256::inv(coefficients[pivot]);
  scale(coefficients, norm);
  scale(value.mutableView(), norm);
  // Clear the new pivot column from the older rows to stay fully reduced.
  for (Row& row : rows_) {
    const std::uint8_t factor = row.coefficients[pivot];
    if (factor == 0) continue;
    subtractScaled(row.coefficients, coefficients, factor);
    subtractScaled(row.value.mutableView(), value.view(), factor);
  }
  rows_.push_back(Row{pivot, std::move(coefficients), std::move(value)});
  return true;
}

std::optional<SecretBytes> FountainDecoder::decode() const {
  if (!complete()) return std::nullopt;
  // Rank K in reduced form: row with pivot j is exactly e_j, its value block j.
  SecretBytes padded(blockSize_ * static_cast<std::size_t>(k_));
  for (const Row& row : rows_) {
    std::copy(row.value.view().begin(), row.value.view().end(),
              padded.data() + row.pivot * blockSize_);
  }
  return SecretBytes(padded.view().first(secretLength_));
}

}  // namespace roam::crypto
