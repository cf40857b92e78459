#pragma once
// Reproducible test data: the same SEED gives the same bytes on every run,
// so a failing case can be replayed (unlike mtd::randomBytes, which is for
// secrets).

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace roamtest {

inline std::vector<std::uint8_t> seededBytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

}  // namespace roamtest
