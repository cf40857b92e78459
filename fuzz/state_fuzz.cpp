// libFuzzer target: the STATE.json reader behind `roam eval --state` and the
// REPL's state (lang::loadStateJson). Any bytes give either a state or
// diagnostics located inside the text, never both and never neither; a state
// that loads writes back (stateToJson) to a text that loads again with the same
// network; and policies that need paths, latencies and samples evaluate on it to
// a decision or an evaluation error. Crashes, hangs, leaks and exceptions abort.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "lang/checker.hpp"
#include "lang/decision.hpp"
#include "lang/parser.hpp"
#include "lang/state_json.hpp"

namespace {

// Policies touching every kind of data a state has: port and switch samples,
// latencies, topology paths, free hosts, labels, the MTD choice.
constexpr std::string_view kPolicies = R"(policy bandwidth {
  let overloaded = {h in hosts where host_bandwidth(h) > 4Mbps}
  when every 1s { count(overloaded) > 0 for 2s }
  which c in containers {
    require c.host in overloaded
    order by host_rx_bandwidth(c.host) desc
  }
  where h in free_hosts() {
    maximize path_bandwidth(source, h)
    tie random
  }
}
policy nearest {
  when { any(s in switches: flow_count(s) >= 0) for 2 samples }
  which c in containers { order by c.name }
  where h in hosts {
    require available_bandwidth(source, h) >= 0bps and utilization(h.switch, h.port) < 2
    minimize hops(source, h) + avg_over(host_utilization(h), 5s)
  }
}
policy by-latency {
  when { true }
  which c in containers { }
  where h in hosts { sample weighted by 1 / latency(source, h) * 1ms }
}
policy moving {
  when every 30s { count(c in containers where c.labels.role == "server") > 0 }
  which c in containers { require c.labels.role == "server" }
  where h in hosts { mtd shamir(2) }
}
)";

const roam::lang::PolicyFile& policies() {
  static const roam::lang::PolicyFile file = [] {
    auto parsed = roam::lang::parsePolicyFile("fuzz.policy", std::string(kPolicies));
    if (!parsed.diagnostics.empty() || !roam::lang::checkPolicyFile(parsed.file).empty())
      std::abort();  // the fixed policies above must check
    return std::move(parsed.file);
  }();
  return file;
}

[[noreturn]] void fail(const char* what, std::string_view detail = {}) {
  std::fprintf(stderr, "state_fuzz: %s %.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = roam::lang::loadStateJson(text, "fuzz.json");
  if ((loaded.state == nullptr) == loaded.diagnostics.empty())
    fail("a state and diagnostics, or neither");
  for (const auto& d : loaded.diagnostics) {
    if (d.location.line < 1 || d.location.column < 1 || d.location.offset > size)
      fail("a diagnostic outside the text:", d.message);
    if (d.message.empty()) fail("an empty diagnostic");
  }
  if (!loaded.state) return 0;
  const auto& state = *loaded.state;

  // What it writes, it reads back: the same network.
  const std::string written = roam::lang::stateToJson(state).dump();
  auto again = roam::lang::loadStateJson(written, "again.json");
  if (!again.state)
    fail("its own output does not load:",
         again.diagnostics.empty() ? std::string_view() : again.diagnostics[0].message);
  if (again.state->hosts().size() != state.hosts().size() ||
      again.state->switches().size() != state.switches().size() ||
      again.state->links().size() != state.links().size() ||
      again.state->containers().size() != state.containers().size() ||
      again.state->sampleTimes().size() != state.sampleTimes().size())
    fail("the written state differs");

  for (const auto& policy : policies().policies) {
    roam::lang::DecideOptions options;
    auto r = roam::lang::decide(policy, "fuzz.policy", state, options);
    if (r.decision.has_value() == !r.diagnostics.empty()) fail("a decision and an error");
    if (r.decision) (void)roam::lang::decisionToJson(*r.decision).dump();
  }
  return 0;
}
