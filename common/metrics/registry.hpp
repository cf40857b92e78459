#pragma once
// Metrics for Prometheus: counters, gauges, histograms and ages, each in a
// family with a fixed list of label names, rendered in the text exposition
// format 0.0.4 (docs/metrics.md lists roam's metrics).
//
// No global state: a daemon makes one Registry and hands it to what it
// instruments; each component registers the families it needs (registering
// the same family twice gives the same family). Updates are lock-free or
// take a family's own lock; render() may run on any thread at any time.
//
// Naming rules are enforced at registration (a programming error throws
// std::logic_error): names match [a-zA-Z_:][a-zA-Z0-9_:]* and start with
// "roam_", counters end in "_total", label names match [a-zA-Z_][a-zA-Z0-9_]*
// and do not start with "__", a histogram has no label "le". Label values
// must come from small fixed sets (a policy's name, a mode, a result), never
// container or migration ids: every label value set is a series forever.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace roam::metrics {

// What /metrics answers with.
inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

// roam's version, from the build ("0.1.0").
const char* buildVersion();

class Counter {
 public:
  // BY must not be negative (a counter only goes up); negative is ignored.
  void inc(double by = 1);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double by = 1);
  void dec(double by = 1) { inc(-by); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A gauge whose value is the seconds since the time last given to it (the
// age of the newest sample): computed when rendered, so it grows while
// nothing new comes. Not rendered before the first time is set.
class Age {
 public:
  void setTime(double epochSeconds) { time_.store(epochSeconds, std::memory_order_relaxed); }
  // Negative: never set.
  double time() const { return time_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> time_{-1};
};

class Histogram {
 public:
  // BOUNDS: the buckets' upper bounds, strictly increasing and finite; +Inf
  // is implied.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> cumulative;  // per bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative; the last is +Inf
  double sum_ = 0;
};

// Bucket bounds for durations in seconds, 5 ms to 5 min.
std::vector<double> secondsBuckets();
// Bucket bounds for short durations in seconds (decisions), 0.1 ms to 10 s.
std::vector<double> fastSecondsBuckets();

enum class Type { counter, gauge, histogram };

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<std::string> labelNames)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        labelNames_(std::move(labelNames)) {}
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  const std::vector<std::string>& labelNames() const { return labelNames_; }
  // Appends HELP, TYPE and every series' samples.
  virtual void render(std::string& out, double now) const = 0;

 protected:
  void checkArity(const std::vector<std::string>& values) const;

 private:
  std::string name_, help_;
  Type type_;
  std::vector<std::string> labelNames_;
};

// The series of one metric, one per set of label values (in the order of the
// family's label names). A series lives as long as the registry: references
// stay valid.
template <class M>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<std::string> labelNames,
         std::function<std::unique_ptr<M>()> make)
      : FamilyBase(std::move(name), std::move(help), type, std::move(labelNames)),
        make_(std::move(make)) {}

  // The series with these label values, made (at zero) on first use. The
  // number of values must match the label names (std::logic_error).
  M& labels(const std::vector<std::string>& values) {
    checkArity(values);
    std::lock_guard lock(mutex_);
    auto& slot = series_[values];
    if (!slot) slot = make_();
    return *slot;
  }
  // The series of a family without labels.
  M& get() { return labels({}); }

  void render(std::string& out, double now) const override;

 private:
  std::function<std::unique_ptr<M>()> make_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> series_;
};

template <>
void Family<Counter>::render(std::string& out, double now) const;
template <>
void Family<Gauge>::render(std::string& out, double now) const;
template <>
void Family<Age>::render(std::string& out, double now) const;
template <>
void Family<Histogram>::render(std::string& out, double now) const;

class Registry {
 public:
  // NOW: the wall clock in seconds since the epoch (Age); the system's by default.
  explicit Registry(std::function<double()> now = {});
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Family<Counter>& counter(const std::string& name, const std::string& help,
                           std::vector<std::string> labelNames = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help,
                       std::vector<std::string> labelNames = {});
  // Rendered as a gauge (name it ..._age_seconds).
  Family<Age>& age(const std::string& name, const std::string& help,
                   std::vector<std::string> labelNames = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<std::string> labelNames, std::vector<double> bounds);

  // roam_build_info{version="..."} 1.
  void addBuildInfo(const std::string& version = buildVersion());

  // Every family in the order registered, in the text format 0.0.4.
  std::string render() const;

 private:
  template <class M>
  Family<M>& add(const std::string& name, const std::string& help, Type type,
                 std::vector<std::string> labelNames, std::function<std::unique_ptr<M>()> make,
                 const std::vector<double>& bounds = {});

  std::function<double()> now_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<FamilyBase>> families_;
  std::map<std::string, std::vector<double>> histogramBounds_;  // re-registration must match
};

// Text-format helpers (exposed for tests).
std::string formatValue(double value);             // 3, 0.25, +Inf, -Inf, NaN
std::string escapeLabelValue(const std::string&);  // \\ \" \n
std::string escapeHelp(const std::string&);        // \\ \n

}  // namespace roam::metrics
