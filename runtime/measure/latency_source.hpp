#pragma once
// Where latency measurements come from. Neither Ryu nor Floodlight measures
// host-to-host latency; the manager's source asks the agents, which PING each
// other over the data network (runtime/manager/agent_latency_source). The
// latency collector runs only when a source is given.

#include <vector>

#include "lang/memory_state.hpp"
#include "runtime/measure/fetch_result.hpp"

namespace roam::runtime {

// One round of measurements: the pairs that were measured, and why others
// were not (one error per part that failed, e.g. per agent that did not
// answer). Records and errors together are a partial success.
struct LatencyMeasurement {
  std::vector<lang::LatencyRecord> records;
  std::vector<FetchError> errors;
};

class LatencySource {
 public:
  virtual ~LatencySource() = default;
  virtual LatencyMeasurement measureLatencies() = 0;
};

}  // namespace roam::runtime
