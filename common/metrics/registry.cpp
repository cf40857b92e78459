#include "common/metrics/registry.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <stdexcept>

#ifndef ROAM_VERSION
#define ROAM_VERSION "unknown"
#endif

namespace roam::metrics {

const char* buildVersion() {
  return ROAM_VERSION;
}

void Counter::inc(double by) {
  if (by < 0 || std::isnan(by)) return;
  value_.fetch_add(by, std::memory_order_relaxed);
}

void Gauge::inc(double by) {
  value_.fetch_add(by, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i)
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1]))
      throw std::logic_error("histogram bounds must be finite and strictly increasing");
  counts_.assign(bounds_.size() + 1, 0);
}

void Histogram::observe(double value) {
  if (std::isnan(value)) return;
  auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  std::lock_guard lock(mutex_);
  ++counts_[static_cast<std::size_t>(bucket)];
  sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  std::lock_guard lock(mutex_);
  std::uint64_t running = 0;
  for (auto c : counts_) {
    running += c;
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_;
  return s;
}

std::vector<double> secondsBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}

std::vector<double> fastSecondsBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10};
}

std::string formatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Shortest round trip: plain notation for the usual magnitudes (123456789,
  // 0.0005), scientific beyond them (1e+21, 1e-07).
  const double magnitude = std::fabs(value);
  const bool plain = value == 0 || (magnitude >= 1e-4 && magnitude < 1e15);
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value,
                                 plain ? std::chars_format::fixed : std::chars_format::scientific);
  return std::string(buf, end);
}

std::string escapeLabelValue(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escapeHelp(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

namespace {

bool validName(const std::string& name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

const char* typeName(Type type) {
  switch (type) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} (with EXTRA appended, e.g. le="0.5"), or "" without labels.
std::string labelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra = "") {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (out.empty() ? "" : ",") + names[i] + "=\"" + escapeLabelValue(values[i]) + "\"";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? out : "{" + out + "}";
}

void header(std::string& out, const FamilyBase& family) {
  out += "# HELP " + family.name() + " " + escapeHelp(family.help()) + "\n";
  out += "# TYPE " + family.name() + " " + typeName(family.type()) + "\n";
}

}  // namespace

void FamilyBase::checkArity(const std::vector<std::string>& values) const {
  if (values.size() != labelNames_.size())
    throw std::logic_error(name_ + ": expected " + std::to_string(labelNames_.size()) +
                           " label value(s), got " + std::to_string(values.size()));
}

template <>
void Family<Counter>::render(std::string& out, double) const {
  header(out, *this);
  std::lock_guard lock(mutex_);
  for (const auto& [values, series] : series_)
    out += name() + labelText(labelNames(), values) + " " + formatValue(series->value()) + "\n";
}

template <>
void Family<Gauge>::render(std::string& out, double) const {
  header(out, *this);
  std::lock_guard lock(mutex_);
  for (const auto& [values, series] : series_)
    out += name() + labelText(labelNames(), values) + " " + formatValue(series->value()) + "\n";
}

template <>
void Family<Age>::render(std::string& out, double now) const {
  header(out, *this);
  std::lock_guard lock(mutex_);
  for (const auto& [values, series] : series_) {
    double time = series->time();
    if (time < 0) continue;
    out += name() + labelText(labelNames(), values) + " " + formatValue(std::max(0.0, now - time)) +
           "\n";
  }
}

template <>
void Family<Histogram>::render(std::string& out, double) const {
  header(out, *this);
  std::lock_guard lock(mutex_);
  for (const auto& [values, series] : series_) {
    auto s = series->snapshot();
    for (std::size_t i = 0; i <= s.bounds.size(); ++i) {
      std::string le = i < s.bounds.size() ? formatValue(s.bounds[i]) : "+Inf";
      out += name() + "_bucket" + labelText(labelNames(), values, "le=\"" + le + "\"") + " " +
             std::to_string(s.cumulative[i]) + "\n";
    }
    out += name() + "_sum" + labelText(labelNames(), values) + " " + formatValue(s.sum) + "\n";
    out +=
        name() + "_count" + labelText(labelNames(), values) + " " + std::to_string(s.count) + "\n";
  }
}

Registry::Registry(std::function<double()> now) : now_(std::move(now)) {
  if (!now_)
    now_ = [] {
      return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
}

template <class M>
Family<M>& Registry::add(const std::string& name, const std::string& help, Type type,
                         std::vector<std::string> labelNames,
                         std::function<std::unique_ptr<M>()> make,
                         const std::vector<double>& bounds) {
  if (!validName(name, true) || !name.starts_with("roam_"))
    throw std::logic_error("metric name '" + name + "' is not roam_[a-zA-Z0-9_:]*");
  bool total = name.size() > 6 && name.ends_with("_total");
  if (total != (type == Type::counter))
    throw std::logic_error("metric '" + name + "': counters and only counters end in _total");
  for (const auto& label : labelNames)
    if (!validName(label, false) || label.starts_with("__") ||
        (type == Type::histogram && label == "le"))
      throw std::logic_error("metric '" + name + "': bad label name '" + label + "'");
  std::lock_guard lock(mutex_);
  for (const auto& family : families_) {
    if (family->name() != name) continue;
    auto* same = dynamic_cast<Family<M>*>(family.get());
    if (!same || family->type() != type || family->labelNames() != labelNames ||
        (type == Type::histogram && histogramBounds_[name] != bounds))
      throw std::logic_error("metric '" + name + "' registered twice with different shapes");
    return *same;
  }
  auto family =
      std::make_unique<Family<M>>(name, help, type, std::move(labelNames), std::move(make));
  auto& ref = *family;
  families_.push_back(std::move(family));
  if (type == Type::histogram) histogramBounds_[name] = bounds;
  return ref;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> labelNames) {
  return add<Counter>(name, help, Type::counter, std::move(labelNames),
                      [] { return std::make_unique<Counter>(); });
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               std::vector<std::string> labelNames) {
  return add<Gauge>(name, help, Type::gauge, std::move(labelNames),
                    [] { return std::make_unique<Gauge>(); });
}

Family<Age>& Registry::age(const std::string& name, const std::string& help,
                           std::vector<std::string> labelNames) {
  return add<Age>(name, help, Type::gauge, std::move(labelNames),
                  [] { return std::make_unique<Age>(); });
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<std::string> labelNames,
                                       std::vector<double> bounds) {
  Histogram check(bounds);  // throws on bad bounds, at registration
  return add<Histogram>(
      name, help, Type::histogram, std::move(labelNames),
      [bounds] { return std::make_unique<Histogram>(bounds); }, bounds);
}

void Registry::addBuildInfo(const std::string& version) {
  gauge("roam_build_info", "roam's version; the value is always 1", {"version"})
      .labels({version})
      .set(1);
}

std::string Registry::render() const {
  const double now = now_();
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& family : families_) family->render(out, now);
  return out;
}

}  // namespace roam::metrics
