#pragma once
// The manager's latency source (docs/measurement.md, "Latency"): each round,
// every agent PINGs every other agent over the data network (LATENCY_PROBE)
// and reports its round trips. They become the VIB's latency samples: src is
// the agent that measured, dst the peer, seconds the round trip. The probes
// to the agents go out at once, so one slow agent delays a round by at most
// its own timeout.

#include <functional>
#include <vector>

#include "runtime/manager/agent_gateway.hpp"
#include "runtime/manager/manager_config.hpp"
#include "runtime/measure/latency_source.hpp"

namespace roam::runtime {

class AgentLatencySource final : public LatencySource {
 public:
  // The agents as configured now (the list may change on a reload).
  using AgentList = std::function<std::vector<AgentAddress>()>;

  AgentLatencySource(AgentGateway& gateway, AgentList agents)
      : gateway_(gateway), agents_(std::move(agents)) {}

  LatencyMeasurement measureLatencies() override;

 private:
  AgentGateway& gateway_;
  AgentList agents_;
};

}  // namespace roam::runtime
