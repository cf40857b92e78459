#include "runtime/measure/rate_calculator.hpp"

#include <algorithm>
#include <cmath>

namespace roam::runtime {

namespace {

// Two time bases that disagree by more than this (relative) mean the
// duration field cannot be trusted for this interval (e.g. a switch that
// reports durations in a different unit); poll times are used instead.
constexpr double kMaxTimeBaseDisagreement = 0.5;

}  // namespace

std::optional<RateCalculator::Rates> RateCalculator::update(
    RateKey key, double pollTime, std::optional<double> duration,
    std::span<const std::uint64_t> counters) {
  if (counters.size() > kMaxCounters) return std::nullopt;
  Baseline next{pollTime, duration, counters.size(), {}};
  std::copy(counters.begin(), counters.end(), next.counters.begin());
  auto it = baselines_.find(key);
  if (it == baselines_.end()) {
    baselines_.emplace(key, next);
    return std::nullopt;
  }
  Baseline& prev = it->second;

  bool reset = prev.size != next.size;
  for (std::size_t i = 0; !reset && i < next.size; ++i) reset = next.counters[i] < prev.counters[i];
  if (prev.duration && next.duration && *next.duration < *prev.duration) reset = true;
  if (reset) {
    prev = next;
    return std::nullopt;
  }

  const double pollElapsed = pollTime - prev.pollTime;
  double elapsed = pollElapsed;
  if (prev.duration && next.duration) {
    const double d = *next.duration - *prev.duration;
    // A duration that did not advance is a switch that does not fill the
    // field in (some report 0 forever); poll times are then the time base.
    if (d > 0 && pollElapsed > 0 &&
        std::fabs(d - pollElapsed) <= kMaxTimeBaseDisagreement * pollElapsed)
      elapsed = d;
  }
  if (!(elapsed > 0) || !std::isfinite(elapsed)) {
    // Keep the old baseline: the next reading then covers the whole time.
    return std::nullopt;
  }

  Rates rates;
  rates.count = next.size;
  for (std::size_t i = 0; i < next.size; ++i)
    rates.values[i] = static_cast<double>(next.counters[i] - prev.counters[i]) / elapsed;
  prev = next;
  return rates;
}

void RateCalculator::forgetOlderThan(double since) {
  std::erase_if(baselines_, [since](const auto& kv) { return kv.second.pollTime < since; });
}

}  // namespace roam::runtime
