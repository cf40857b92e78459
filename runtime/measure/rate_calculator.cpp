#include "runtime/measure/rate_calculator.hpp"

#include <cmath>

namespace roam::runtime {

namespace {

// Two time bases that disagree by more than this (relative) mean the
// duration field cannot be trusted for this interval (e.g. a switch that
// reports durations in a different unit); poll times are used instead.
constexpr double kMaxTimeBaseDisagreement = 0.5;

}  // namespace

std::optional<std::vector<double>> RateCalculator::update(const std::string& key, double pollTime,
                                                          std::optional<double> duration,
                                                          std::span<const std::uint64_t> counters) {
  Baseline next{pollTime, duration, {counters.begin(), counters.end()}};
  auto it = baselines_.find(key);
  if (it == baselines_.end()) {
    baselines_.emplace(key, std::move(next));
    return std::nullopt;
  }
  Baseline& prev = it->second;

  bool reset = prev.counters.size() != next.counters.size();
  for (std::size_t i = 0; !reset && i < next.counters.size(); ++i)
    reset = next.counters[i] < prev.counters[i];
  if (prev.duration && next.duration && *next.duration < *prev.duration) reset = true;
  if (reset) {
    prev = std::move(next);
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

  std::vector<double> rates(next.counters.size());
  for (std::size_t i = 0; i < next.counters.size(); ++i)
    rates[i] = static_cast<double>(next.counters[i] - prev.counters[i]) / elapsed;
  prev = std::move(next);
  return rates;
}

void RateCalculator::forgetOlderThan(double since) {
  std::erase_if(baselines_, [since](const auto& kv) { return kv.second.pollTime < since; });
}

}  // namespace roam::runtime
