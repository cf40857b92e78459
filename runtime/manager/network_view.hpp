#pragma once
// Where the brain's snapshots come from: the live VIB (collectors write it)
// or a fixed STATE.json (`--state`). In both cases the containers can come
// from the agents' STATUS instead, since only the engines know where a
// container runs after it has moved.

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "lang/memory_state.hpp"
#include "runtime/vib/vib.hpp"

namespace roam::runtime {

class NetworkView {
 public:
  // Live: snapshots of `vib` over the last `windowSeconds`.
  NetworkView(Vib& vib, double windowSeconds);
  // Fixed: always `state` (with containers replaced once agents report them).
  explicit NetworkView(std::unique_ptr<lang::InMemoryState> state);

  // A consistent state as of `now` (live) or the fixed one, or the VIB's error.
  roam::Result<std::shared_ptr<const lang::NetworkState>> snapshot(double now);

  // The containers the agents report. Live, they are written to the VIB;
  // fixed, they replace the state file's containers.
  void setContainers(std::vector<lang::ContainerInfo> containers);

  bool live() const { return vib_ != nullptr; }

 private:
  Vib* vib_ = nullptr;
  double window_ = 10;
  std::mutex mutex_;
  std::shared_ptr<const lang::InMemoryState> fixed_;
};

}  // namespace roam::runtime
