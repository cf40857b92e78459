#include "runtime/manager/agent_latency_source.hpp"

#include <future>
#include <set>

namespace roam::runtime {

namespace {

std::string agentEndpoint(const AgentAddress& agent) {
  return "agent " + agent.name + " (" + agent.address + ")";
}

}  // namespace

LatencyMeasurement AgentLatencySource::measureLatencies() {
  const auto agents = agents_();
  LatencyMeasurement out;
  if (agents.size() < 2) return out;

  std::vector<std::vector<agent::AgentPeer>> peersOf(agents.size());
  std::vector<std::future<agent::LatencyOutcome>> probes;
  for (std::size_t i = 0; i < agents.size(); ++i) {
    for (std::size_t j = 0; j < agents.size(); ++j)
      if (j != i) peersOf[i].push_back({agents[j].name, agents[j].transferAddress()});
    probes.push_back(std::async(std::launch::async, [this, &agents, &peersOf, i] {
      return gateway_.probeLatencies(agents[i].address, peersOf[i]);
    }));
  }

  for (std::size_t i = 0; i < agents.size(); ++i) {
    auto outcome = probes[i].get();
    if (!outcome.ok()) {
      out.errors.push_back(
          {FetchError::Kind::Connect, agentEndpoint(agents[i]), outcome.error().message});
      continue;
    }
    std::set<std::string> answered;
    for (const auto& trip : outcome->roundTrips) {
      out.records.push_back({agents[i].name, trip.name, trip.seconds});
      answered.insert(trip.name);
    }
    for (const auto& peer : peersOf[i])
      if (!answered.count(peer.name))
        out.errors.push_back({FetchError::Kind::Timeout, agentEndpoint(agents[i]),
                              "no PONG from " + peer.name + " at " + peer.address});
  }
  return out;
}

}  // namespace roam::runtime
