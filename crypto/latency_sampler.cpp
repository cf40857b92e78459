#include "crypto/latency_sampler.hpp"

#include <cmath>
#include <stdexcept>

namespace roam::crypto {

namespace {

// 1/latency per host, in map order; validates the input.
std::vector<double> inverseLatencies(const std::map<std::string, double>& latencySeconds) {
  if (latencySeconds.empty()) {
    throw std::invalid_argument("latency sampler: no hosts to sample from");
  }
  std::vector<double> weights;
  weights.reserve(latencySeconds.size());
  for (const auto& [host, latency] : latencySeconds) {
    if (!std::isfinite(latency) || latency <= 0) {
      throw std::invalid_argument("latency sampler: latency to " + host +
                                  " must be a positive number of seconds");
    }
    const double w = 1.0 / latency;
    if (!std::isfinite(w)) {
      throw std::invalid_argument("latency sampler: latency to " + host + " is too small");
    }
    weights.push_back(w);
  }
  return weights;
}

}  // namespace

LatencySampler::LatencySampler(std::map<std::string, double> latencySeconds, std::uint64_t seed)
    : rng_(seed) {
  const std::vector<double> weights = inverseLatencies(latencySeconds);
  for (auto& entry : latencySeconds) hosts_.push_back(entry.first);
  distribution_ = std::discrete_distribution<std::size_t>(weights.begin(), weights.end());
}

std::map<std::string, double> LatencySampler::probabilities(
    const std::map<std::string, double>& latencySeconds) {
  const std::vector<double> weights = inverseLatencies(latencySeconds);
  double sum = 0;
  for (double w : weights) sum += w;
  std::map<std::string, double> out;
  std::size_t i = 0;
  for (const auto& entry : latencySeconds) out[entry.first] = weights[i++] / sum;
  return out;
}

std::string LatencySampler::next() {
  return hosts_[distribution_(rng_)];
}

}  // namespace roam::crypto
