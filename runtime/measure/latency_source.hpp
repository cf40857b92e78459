#pragma once
// Where latency measurements would come from. Neither Ryu nor Floodlight
// measures host-to-host latency, so no implementation ships yet; the
// latency collector runs only when one is given (e.g. a future agent that
// pings between hosts).

#include <vector>

#include "lang/memory_state.hpp"
#include "runtime/measure/fetch_result.hpp"

namespace roam::runtime {

class LatencySource {
 public:
  virtual ~LatencySource() = default;
  virtual Result<std::vector<lang::LatencyRecord>> measureLatencies() = 0;
};

}  // namespace roam::runtime
