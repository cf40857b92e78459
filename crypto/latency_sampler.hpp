#pragma once
// The fountain scheme's choice of the host to ask next for a droplet (issue 7):
// the paper's P(i,k) = (1/latency(i,k)) / sum_{j != i} (1/latency(i,j)), drawn
// with replacement. The sampler belongs to source host i; its map holds the
// round-trip times to every *other* host (i itself must not be in it, which is
// what "j != i" means), as the agents measured them.
//
// Deterministic for a given seed (std::mt19937_64 and libstdc++'s
// std::discrete_distribution), so tests and `--seed` runs repeat.

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace roam::crypto {

class LatencySampler {
 public:
  // Throws std::invalid_argument for an empty map or a latency that is not a
  // finite number > 0.
  explicit LatencySampler(std::map<std::string, double> latencySeconds, std::uint64_t seed);

  // P(k) for every host k of LATENCYSECONDS; same validation as the constructor.
  static std::map<std::string, double> probabilities(
      const std::map<std::string, double>& latencySeconds);

  // The next host, with replacement.
  std::string next();

 private:
  std::vector<std::string> hosts_;
  std::mt19937_64 rng_;
  std::discrete_distribution<std::size_t> distribution_;
};

}  // namespace roam::crypto
