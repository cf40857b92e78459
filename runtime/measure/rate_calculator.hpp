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

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <unordered_map>

namespace roam::runtime {

// Whose counters: a switch port, or a whole switch (port kWholeSwitch). Two
// integers rather than a formatted name, since 48,000 ports are looked up
// every second at scale.
struct RateKey {
  static constexpr std::int64_t kWholeSwitch = -1;
  std::uint64_t dpid = 0;
  std::int64_t port = kWholeSwitch;
  bool operator==(const RateKey&) const = default;
};

struct RateKeyHash {
  std::size_t operator()(const RateKey& k) const noexcept {
    return std::hash<std::uint64_t>{}(k.dpid * 0x9e3779b97f4a7c15ULL ^
                                      static_cast<std::uint64_t>(k.port));
  }
};

class RateCalculator {
 public:
  // Counters per key; more are refused (update returns nullopt).
  static constexpr std::size_t kMaxCounters = 4;

  // One rate per counter given, in the same order (a fixed array: one
  // update per port per second must not allocate).
  struct Rates {
    std::array<double, kMaxCounters> values{};
    std::size_t count = 0;
    double operator[](std::size_t i) const { return values[i]; }
    std::size_t size() const { return count; }
  };

  // `pollTime`: when the counters were read (seconds, any epoch, monotone
  // enough). `duration`: the controller's own "how long this counter has
  // been running", preferred as the time base when given for both readings.
  // Returns one rate per counter (units per second), or nullopt.
  std::optional<Rates> update(RateKey key, double pollTime, std::optional<double> duration,
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
    std::size_t size = 0;
    std::array<std::uint64_t, kMaxCounters> counters{};
  };
  std::unordered_map<RateKey, Baseline, RateKeyHash> baselines_;
};

}  // namespace roam::runtime
