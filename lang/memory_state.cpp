#include "lang/memory_state.hpp"

#include <algorithm>
#include <cstdint>

namespace roam::lang {

namespace {

template <typename Items>
void indexByName(const Items& items, auto& map) {
  map.reserve(items.size());
  // emplace keeps the first of duplicate names, like Topology does.
  for (std::size_t i = 0; i < items.size(); ++i) map.emplace(items[i].name, static_cast<int>(i));
}

int lookup(const auto& map, std::string_view name) {
  auto it = map.find(name);
  return it == map.end() ? -1 : it->second;
}

}  // namespace

long long InMemoryState::portKey(int switchIdx, int port) {
  return static_cast<long long>(
      (static_cast<std::uint64_t>(static_cast<std::uint32_t>(switchIdx)) << 32) |
      static_cast<std::uint32_t>(port));
}

long long InMemoryState::latencyKey(std::string_view a, std::string_view b) const {
  const int ia = hostIndex(a);
  const int ib = hostIndex(b);
  if (ia < 0 || ib < 0) return -1;
  return portKey(ia, ib);
}

InMemoryState::InMemoryState(NetworkData data, double dataAgeSeconds)
    : data_(std::move(data)), dataAge_(dataAgeSeconds) {
  indexByName(data_.switches, switchByName_);
  indexByName(data_.hosts, hostByName_);
  indexByName(data_.containers, containerByName_);

  // Records naming unknown switches or hosts are skipped rather than trusted.
  std::vector<double> times;
  times.reserve(data_.portSamples.size() + data_.switchSamples.size());
  for (const auto& r : data_.portSamples) {
    const int s = switchIndex(r.switchName);
    if (s < 0) continue;
    portSamples_[portKey(s, r.port)].push_back(r.sample);
    times.push_back(r.sample.t);
  }
  switchSamples_.resize(data_.switches.size());
  for (const auto& r : data_.switchSamples) {
    const int s = switchIndex(r.switchName);
    if (s < 0) continue;
    switchSamples_[static_cast<std::size_t>(s)].push_back(r.sample);
    times.push_back(r.sample.t);
  }
  // Stable, so samples that share a time keep their listed order.
  auto byTime = [](const auto& x, const auto& y) { return x.t < y.t; };
  for (auto& [key, samples] : portSamples_)
    std::stable_sort(samples.begin(), samples.end(), byTime);
  for (auto& samples : switchSamples_) std::stable_sort(samples.begin(), samples.end(), byTime);

  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  sampleTimes_ = std::move(times);
  now_ = sampleTimes_.empty() ? 0 : sampleTimes_.back();

  latency_.reserve(data_.latencies.size());
  for (const auto& r : data_.latencies) {
    const long long key = latencyKey(r.src, r.dst);
    if (key >= 0) latency_[key] = r.seconds;
  }

  topology_ = std::make_unique<Topology>(data_.switches, data_.hosts, data_.links);
}

int InMemoryState::switchIndex(std::string_view name) const {
  return lookup(switchByName_, name);
}
int InMemoryState::hostIndex(std::string_view name) const {
  return lookup(hostByName_, name);
}
int InMemoryState::containerIndex(std::string_view name) const {
  return lookup(containerByName_, name);
}

std::span<const PortSample> InMemoryState::portSamples(int switchIdx, int port) const {
  auto it = portSamples_.find(portKey(switchIdx, port));
  if (it == portSamples_.end()) return {};
  return it->second;
}

std::span<const SwitchSample> InMemoryState::switchSamples(int switchIdx) const {
  if (switchIdx < 0 || static_cast<std::size_t>(switchIdx) >= switchSamples_.size()) return {};
  return switchSamples_[static_cast<std::size_t>(switchIdx)];
}

std::optional<double> InMemoryState::latencySeconds(std::string_view a, std::string_view b) const {
  const int ia = hostIndex(a);
  const int ib = hostIndex(b);
  if (ia < 0 || ib < 0) return std::nullopt;
  if (auto it = latency_.find(portKey(ia, ib)); it != latency_.end()) return it->second;
  if (auto it = latency_.find(portKey(ib, ia)); it != latency_.end()) return it->second;
  return std::nullopt;
}

}  // namespace roam::lang
