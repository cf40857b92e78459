#pragma once
// Evaluating a whole policy once: when -> which -> where, with the reasons.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lang/ast.hpp"
#include "lang/network_state.hpp"
#include "lang/value.hpp"

namespace roam::lang {

struct CandidateScore {
  std::string host;
  std::optional<double> score;  // none for random and MTD choices
  Dimension dimension{};
};

struct ExcludedCandidate {
  std::string host;
  std::string reason;
};

struct MtdChoice {
  std::string scheme;  // shamir, fountain, prf
  int k = 0;
};

struct Decision {
  std::string policy;
  double evaluatedAt = 0;
  std::optional<double> intervalSeconds;
  bool triggered = false;
  std::string trigger;  // why `when` fired or did not
  std::optional<std::string> container;
  std::optional<std::string> source;
  std::optional<std::string> destination;
  std::vector<std::string> containers;     // everything `which` selected, in order
  std::string choice;                      // e.g. "maximize path_bandwidth(source, h)"
  std::vector<CandidateScore> candidates;  // best first
  std::vector<ExcludedCandidate> excluded;
  std::optional<MtdChoice> mtd;  // the destination is chosen by the agents
  std::string explanation;
};

// A parameter value given from outside the policy: `--param name=value`.
struct ParamOverride {
  std::string name;
  std::string value;                      // an expression, e.g. "5Mbps"
  std::string origin = "<command-line>";  // file name used in diagnostics
};

struct DecideOptions {
  std::uint64_t seed = 1;
  std::vector<ParamOverride> params;
  // Refuse to decide when the newest measurement is older than this (seconds).
  std::optional<double> maxDataAge;
};

struct DecideResult {
  std::optional<Decision> decision;  // none when evaluation failed
  Diagnostics diagnostics;
};

// Evaluates a checked policy once against `state`. `file` names the policy's
// file in diagnostics.
DecideResult decide(const Policy& policy, const std::string& file, const NetworkState& state,
                    const DecideOptions& options);

// The values of a policy's parameters after defaults and overrides, one per
// parameter in declaration order, or diagnostics (unknown name, wrong type).
struct ParamValues {
  std::vector<Value> values;
  Diagnostics diagnostics;
};
ParamValues resolveParams(const Policy& policy, std::span<const ParamOverride> overrides,
                          const NetworkState& state);

// The decision as JSON: policy, triggered, container, source, destination,
// candidates [{host, score}], explanation, and the details.
nlohmann::json decisionToJson(const Decision& d);

// A multi-line human report.
std::string decisionToText(const Decision& d);

}  // namespace roam::lang
