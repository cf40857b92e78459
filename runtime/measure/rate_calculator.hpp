#pragma once
// Rates from cumulative counters. One baseline per key (a switch port, a
// switch); each update gives per-second rates of every counter since the
// previous update of that key, or nothing when no honest rate exists:
//  - first reading of a key: baseline only;
//  - a counter went down, or the port's duration went down (counter reset,
//    port re-created, switch restarted): no rate, the baseline restarts;
//  - polls that failed in between (a gap): the rate is computed over the real
//    elapsed time, so it is the average over the gap, never a spike;
//  - no time has passed (clock stepped back, same poll twice): no rate, the
//    baseline is kept.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace roam::runtime {

class RateCalculator {
 public:
  // `pollTime`: when the counters were read (seconds, any epoch, monotone
  // enough). `duration`: the controller's own "how long this counter has
  // been running", preferred as the time base when given for both readings.
  // Returns one rate per counter (units per second), or nullopt.
  std::optional<std::vector<double>> update(const std::string& key, double pollTime,
                                            std::optional<double> duration,
                                            std::span<const std::uint64_t> counters);

  // Drops baselines whose keys were not updated at or after `since` (ports
  // or switches that went away), so a returning port starts afresh.
  void forgetOlderThan(double since);
  void clear() { baselines_.clear(); }
  std::size_t size() const { return baselines_.size(); }

 private:
  struct Baseline {
    double pollTime = 0;
    std::optional<double> duration;
    std::vector<std::uint64_t> counters;
  };
  std::unordered_map<std::string, Baseline> baselines_;
};

}  // namespace roam::runtime
