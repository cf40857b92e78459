#include "lang/topology.hpp"

#include <algorithm>
#include <numeric>
#include <string_view>

namespace roam::lang {

Topology::Topology(std::span<const SwitchInfo> switches, std::span<const HostInfo> hosts,
                   std::span<const LinkInfo> links)
    : switchCount_(static_cast<int>(switches.size())), hostCount_(static_cast<int>(hosts.size())) {
  const auto n = static_cast<std::size_t>(nodeCount());
  names_.reserve(n);
  for (const auto& s : switches) names_.push_back(s.name);
  for (const auto& h : hosts) names_.push_back(h.name);

  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    const auto& na = names_[static_cast<std::size_t>(a)];
    const auto& nb = names_[static_cast<std::size_t>(b)];
    return na != nb ? na < nb : a < b;
  });
  rank_.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    rank_[static_cast<std::size_t>(order[i])] = static_cast<int>(i);

  // Views into names_, which no longer changes. The first of duplicate names wins.
  std::unordered_map<std::string_view, int> switchByName;
  switchByName.reserve(switches.size());
  for (int i = 0; i < switchCount_; ++i)
    switchByName.emplace(names_[static_cast<std::size_t>(i)], i);
  auto findSwitch = [&](const std::string& name) {
    auto it = switchByName.find(name);
    return it == switchByName.end() ? -1 : it->second;
  };

  adjacency_.resize(n);
  auto connect = [&](int a, int aPort, int b, int bPort, double capacity) {
    adjacency_[static_cast<std::size_t>(a)].push_back({b, aPort, bPort, capacity});
    adjacency_[static_cast<std::size_t>(b)].push_back({a, bPort, aPort, capacity});
  };
  for (int i = 0; i < hostCount_; ++i) {
    const auto& h = hosts[static_cast<std::size_t>(i)];
    const int s = findSwitch(h.switchName);
    if (s >= 0) connect(hostNode(i), -1, s, h.port, h.capacityBps);
  }
  for (const auto& l : links) {
    const int a = findSwitch(l.src);
    const int b = findSwitch(l.dst);
    if (a >= 0 && b >= 0) connect(a, l.srcPort, b, l.dstPort, l.capacityBps);
  }
  for (auto& edges : adjacency_) {
    std::sort(edges.begin(), edges.end(), [&](const Edge& x, const Edge& y) {
      const int rx = rank_[static_cast<std::size_t>(x.to)];
      const int ry = rank_[static_cast<std::size_t>(y.to)];
      if (rx != ry) return rx < ry;
      if (x.fromPort != y.fromPort) return x.fromPort < y.fromPort;
      return x.toPort < y.toPort;
    });
  }
}

std::unique_ptr<Topology::Tree> Topology::bfs(int root) const {
  const auto n = static_cast<std::size_t>(nodeCount());
  auto tree = std::make_unique<Tree>();
  tree->parent.assign(n, -1);
  tree->parentEdge.assign(n, -1);
  tree->parent[static_cast<std::size_t>(root)] = root;
  // Visiting neighbours in name order makes each level's queue order the
  // lexicographic order of the paths reaching it, so the first parent found
  // lies on the lexicographically smallest shortest path.
  std::vector<int> queue;
  queue.reserve(n);
  queue.push_back(root);
  for (std::size_t head = 0; head < queue.size(); ++head) {
    const int u = queue[head];
    const auto& edges = adjacency_[static_cast<std::size_t>(u)];
    for (std::size_t e = 0; e < edges.size(); ++e) {
      const auto v = static_cast<std::size_t>(edges[e].to);
      if (tree->parent[v] != -1) continue;
      tree->parent[v] = u;
      tree->parentEdge[v] = static_cast<int>(e);
      queue.push_back(edges[e].to);
    }
  }
  return tree;
}

std::shared_ptr<const Topology::Tree> Topology::treeFrom(int root) const {
  {
    std::lock_guard lock(treesMutex_);
    if (auto it = trees_.find(root); it != trees_.end()) return it->second;
  }
  // Built outside the lock so that evaluations from different sources proceed
  // in parallel; a racing builder of the same root simply loses.
  std::shared_ptr<const Tree> built = bfs(root);
  std::lock_guard lock(treesMutex_);
  auto [it, inserted] = trees_.emplace(root, std::move(built));
  if (inserted) {
    treeOrder_.push_back(root);
    while (trees_.size() > kMaxCachedTrees) {
      trees_.erase(treeOrder_.front());
      treeOrder_.pop_front();
    }
  }
  return it->second;
}

std::optional<std::vector<Hop>> Topology::path(int from, int to) const {
  const int n = nodeCount();
  if (from < 0 || from >= n || to < 0 || to >= n) return std::nullopt;
  std::vector<Hop> hops;
  if (from == to) return hops;
  const auto tree = treeFrom(from);
  if (tree->parent[static_cast<std::size_t>(to)] == -1) return std::nullopt;
  for (int v = to; v != from;) {
    const int u = tree->parent[static_cast<std::size_t>(v)];
    const auto& e =
        adjacency_[static_cast<std::size_t>(u)]
                  [static_cast<std::size_t>(tree->parentEdge[static_cast<std::size_t>(v)])];
    hops.push_back({u, v, e.fromPort, e.toPort, e.capacityBps});
    v = u;
  }
  std::reverse(hops.begin(), hops.end());
  return hops;
}

bool Topology::reachable(int from, int to) const {
  const int n = nodeCount();
  if (from < 0 || from >= n || to < 0 || to >= n) return false;
  return from == to || treeFrom(from)->parent[static_cast<std::size_t>(to)] != -1;
}

std::optional<double> Topology::linkCapacity(int a, int b) const {
  const int n = nodeCount();
  if (a < 0 || a >= n || b < 0 || b >= n) return std::nullopt;
  const auto& edges = adjacency_[static_cast<std::size_t>(a)];
  const int rank = rank_[static_cast<std::size_t>(b)];
  auto it = std::lower_bound(edges.begin(), edges.end(), rank, [&](const Edge& e, int r) {
    return rank_[static_cast<std::size_t>(e.to)] < r;
  });
  if (it == edges.end() || it->to != b) return std::nullopt;
  return it->capacityBps;
}

}  // namespace roam::lang
