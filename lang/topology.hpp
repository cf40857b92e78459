#pragma once
// The network as a graph: nodes are switches and hosts, edges are
// inter-switch links and host links, each with a capacity. Paths are
// shortest in hops; among equally short paths the one whose sequence of node
// names is lexicographically smallest (byte-wise, from the source) wins, so
// results are reproducible.

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "lang/network_state.hpp"

namespace roam::lang {

// One step of a path, in the direction of travel. A port is -1 on a host's side.
struct Hop {
  int from = -1;  // node ids
  int to = -1;
  int fromPort = -1;
  int toPort = -1;
  double capacityBps = 0;
};

class Topology {
 public:
  // Links and host links naming unknown switches are skipped (validation
  // reports them before a state is built).
  Topology(std::span<const SwitchInfo> switches, std::span<const HostInfo> hosts,
           std::span<const LinkInfo> links);

  // Node ids: switches are [0, switchCount), hosts follow.
  int switchCount() const { return switchCount_; }
  int hostCount() const { return hostCount_; }
  int nodeCount() const { return switchCount_ + hostCount_; }
  int switchNode(int switchIdx) const { return switchIdx; }
  int hostNode(int hostIdx) const { return switchCount_ + hostIdx; }
  bool isSwitch(int node) const { return node >= 0 && node < switchCount_; }
  bool isHost(int node) const { return node >= switchCount_ && node < switchCount_ + hostCount_; }
  int switchIndexOf(int node) const { return node; }
  int hostIndexOf(int node) const { return node - switchCount_; }

  // The switch or host name of a node.
  const std::string& nodeName(int node) const { return names_[static_cast<std::size_t>(node)]; }

  // The hops of a shortest path from `from` to `to` (empty when from == to),
  // or nullopt when `to` is unreachable or either id is out of range.
  // Thread-safe; one BFS tree per source is cached (at most kMaxCachedTrees).
  std::optional<std::vector<Hop>> path(int from, int to) const;

  // Whether path(from, to) has a value, without building it.
  bool reachable(int from, int to) const;

  // Capacity of the direct link between two nodes (either direction), if any.
  // With parallel links, the one path() would use (lowest port numbers).
  std::optional<double> linkCapacity(int a, int b) const;

  // Bounds the cache at kMaxCachedTrees * nodeCount * 8 bytes: callers that
  // query from many sources must not grow memory quadratically.
  static constexpr std::size_t kMaxCachedTrees = 64;

 private:
  struct Edge {
    int to;
    int fromPort;
    int toPort;
    double capacityBps;
  };
  // Predecessor edge of every node on shortest paths from one root (-1: none).
  struct Tree {
    std::vector<int> parent;
    std::vector<int> parentEdge;  // index into adjacency_[parent[v]]
  };
  std::shared_ptr<const Tree> treeFrom(int root) const;
  std::unique_ptr<Tree> bfs(int root) const;

  int switchCount_ = 0;
  int hostCount_ = 0;
  std::vector<std::string> names_;
  // Position of each node in (name, id) order; adjacency lists are sorted by
  // it, which is what makes BFS pick the lexicographically smallest path.
  std::vector<int> rank_;
  std::vector<std::vector<Edge>> adjacency_;
  mutable std::mutex treesMutex_;
  // shared_ptr so that evicting a tree cannot pull it from under a reader.
  mutable std::unordered_map<int, std::shared_ptr<const Tree>> trees_;
  mutable std::deque<int> treeOrder_;  // insertion order, for eviction
};

}  // namespace roam::lang
