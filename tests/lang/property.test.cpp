// Issue 17, "Beyond the found cases": a property test of the language.
// Policies generated from the grammar (well typed, then slightly mutated:
// characters dropped, duplicated, replaced, tokens inserted) and random
// network states (the paper's and synthetic ones, with links down, latencies
// and samples missing, zero capacities) go through parse, check and eval.
// Every run must end in a decision or in diagnostics located inside the input
// (FILE:LINE:COL with LINE and COL within the text) — never an exception, a
// crash or a decision and an error at once. Seeds are fixed, so a failure
// reproduces (ROAM_PROPERTY_SEED=N runs another seed); the run takes well
// under a second (a few under the sanitizers).

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "lang/checker.hpp"
#include "lang/decision.hpp"
#include "lang/parser.hpp"
#include "lang/state_json.hpp"
#include "lang/synthetic_state.hpp"
#include "test_util.hpp"

namespace {

using roam::lang::Diagnostic;
using roam::lang::Diagnostics;
using roam::lang::NetworkData;

// splitmix64: the same draws with every standard library.
class Draw {
 public:
  explicit Draw(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool chance(int percent) { return below(100) < static_cast<std::size_t>(percent); }
  template <class T>
  T pick(const std::vector<T>& v) {
    return v[below(v.size())];
  }

 private:
  std::uint64_t s_;
};

// Generates well-typed expressions (mostly), by the type wanted.
class ExprGen {
 public:
  ExprGen(Draw& draw, std::vector<std::string> hostNames, std::vector<std::string> switchNames)
      : d_(draw), hosts_(std::move(hostNames)), switches_(std::move(switchNames)) {
    hosts_.push_back("nosuch");  // a name that matches nothing
    switches_.push_back("s99");
  }

  // Host-valued names in scope ("h", "source", "c.host"), innermost last.
  std::vector<std::string> hostVars;
  std::vector<std::string> params;  // rate-valued parameters

  std::string number(int depth) {
    switch (depth <= 0 ? d_.below(3) : d_.below(14)) {
      case 0:
        return d_.pick<std::string>({"0", "1", "2", "3", "0.5", "100", "-1", "1e308", "80%"});
      case 1:
        return "count(" + hostSet(depth - 1) + ")";
      case 2:
        return "hops(" + host(depth - 1) + ", " + host(depth - 1) + ")";
      case 3:
        return number(depth - 1) + d_.pick<std::string>({" + ", " - ", " * ", " / ", " % "}) +
               number(depth - 1);
      case 4:
        return "host_utilization(" + host(depth - 1) + ")";
      case 5:
        return "utilization(" + sw() + ", " + port() + ")";
      case 6:
        return d_.pick<std::string>({"flow_count(", "packet_rate("}) + sw() + ")";
      case 7:
        return "abs(" + number(depth - 1) + ")";
      case 8:
        return rate(depth - 1) + " / " + rate(depth - 1);
      case 9:
        return "if " + boolean(depth - 1) + " then " + number(depth - 1) + " else " +
               number(depth - 1);
      case 10:
        return "count(path(" + host(depth - 1) + ", " + host(depth - 1) + "))";
      case 11:
        return binder("sum", depth, [&](int k) { return number(k); });
      case 12:
        return "1 / latency(" + host(depth - 1) + ", " + host(depth - 1) + ") * 1s";
      default:
        return "(" + number(depth - 1) + ")";
    }
  }

  std::string rate(int depth) {
    switch (depth <= 0 ? d_.below(2) : d_.below(12)) {
      case 0:
        return d_.pick<std::string>({"4Mbps", "0bps", "1Gbps", "2.5Mbps", "-1Mbps"});
      case 1:
        return params.empty() ? "1Mbps" : d_.pick(params);
      case 2:
        return d_.pick<std::string>(
                   {"host_bandwidth(", "host_rx_bandwidth(", "host_tx_bandwidth("}) +
               host(depth - 1) + ")";
      case 3:
        return d_.pick<std::string>({"bandwidth(", "rx_bandwidth(", "tx_bandwidth("}) + sw() +
               ", " + port() + ")";
      case 4:
        return d_.pick<std::string>({"path_bandwidth(", "available_bandwidth("}) + host(depth - 1) +
               ", " + host(depth - 1) + ")";
      case 5:
        return "capacity(" + sw() + ", " + sw() + ")";
      case 6:
        return rate(depth - 1) + d_.pick<std::string>({" + ", " - "}) + rate(depth - 1);
      case 7:
        return rate(depth - 1) + " * " + number(depth - 1);
      case 8:
        return d_.pick<std::string>({"avg_over(", "max_over(", "min_over("}) + rate(depth - 1) +
               ", " + duration(0) + ")";
      case 9:
        return binder(d_.pick<std::string>({"max", "min", "avg", "sum"}), depth,
                      [&](int k) { return rate(k); });
      case 10:
        return "byte_rate(" + sw() + ")";
      default:
        return "(" + rate(depth - 1) + ")";
    }
  }

  std::string duration(int depth) {
    switch (depth <= 0 ? 0 : d_.below(4)) {
      case 0:
        return d_.pick<std::string>({"1s", "0s", "2s", "250ms", "5min", "-1s", "0.5s"});
      case 1:
        return "latency(" + host(depth - 1) + ", " + host(depth - 1) + ")";
      case 2:
        return duration(depth - 1) + d_.pick<std::string>({" + ", " - "}) + duration(depth - 1);
      default:
        return "data_age";
    }
  }

  std::string boolean(int depth) {
    switch (depth <= 0 ? d_.below(2) : d_.below(11)) {
      case 0:
        return d_.pick<std::string>({"true", "false"});
      case 1:
        return host(0) + " in free_hosts()";
      case 2:
        return rate(depth - 1) + d_.pick<std::string>({" > ", " < ", " >= ", " <= "}) +
               rate(depth - 1);
      case 3:
        return number(depth - 1) + d_.pick<std::string>({" == ", " != ", " > "}) +
               number(depth - 1);
      case 4:
        return boolean(depth - 1) + d_.pick<std::string>({" and ", " or "}) + boolean(depth - 1);
      case 5:
        return "not " + boolean(depth - 1);
      case 6:
        return binder(d_.pick<std::string>({"any", "all"}), depth,
                      [&](int k) { return boolean(k); });
      case 7:
        return duration(depth - 1) + " < " + duration(depth - 1);
      case 8:
        return host(depth - 1) + d_.pick<std::string>({" in ", " not in "}) + hostSet(depth - 1);
      case 9:
        return "has_label(" + host(depth - 1) + ", \"rack\")";
      default:
        return host(depth - 1) + " == " + host(depth - 1);
    }
  }

  std::string host(int depth) {
    switch (depth <= 0 ? d_.below(2) : d_.below(5)) {
      case 0:
        return hostVars.empty() ? quoted(d_.pick(hosts_)) : hostVars.back();
      case 1:
        return quoted(d_.pick(hosts_));
      case 2:
        return binder(d_.pick<std::string>({"argmax", "argmin"}), depth,
                      [&](int k) { return number(k); });
      case 3:
        return "random(" + hostSet(depth - 1) + ")";
      default:
        return hostVars.empty() ? quoted(d_.pick(hosts_)) : d_.pick(hostVars);
    }
  }

  std::string hostSet(int depth) {
    switch (depth <= 0 ? d_.below(2) : d_.below(6)) {
      case 0:
        return "hosts";
      case 1:
        return "free_hosts()";
      case 2:
        return "{" + host(depth - 1) + ", " + host(depth - 1) + "}";
      case 3:
        return hostSet(depth - 1) + d_.pick<std::string>({" - ", " + "}) + hostSet(depth - 1);
      case 4: {
        std::string set = hostSet(depth - 1);
        hostVars.push_back("x" + std::to_string(hostVars.size()));
        std::string out =
            "{" + hostVars.back() + " in " + set + " where " + boolean(depth - 1) + "}";
        hostVars.pop_back();
        return out;
      }
      default:
        return "hosts - {" + host(depth - 1) + "}";
    }
  }

  std::string sample(int depth) {
    std::string set = hostSet(depth - 1);
    hostVars.push_back("y" + std::to_string(hostVars.size()));
    std::string out = "weighted_sample(" + hostVars.back() + " in " + set + ": " +
                      number(depth - 1) + ", " + d_.pick<std::string>({"0", "1", "3", "20"}) + ")";
    hostVars.pop_back();
    return out;
  }

 private:
  template <class Body>
  std::string binder(const std::string& fn, int depth, Body body) {
    std::string set = hostSet(depth - 1);
    hostVars.push_back("b" + std::to_string(hostVars.size()));
    std::string var = hostVars.back();
    std::string filter = d_.chance(30) ? " where " + boolean(depth - 1) : "";
    std::string out = fn + "(" + var + " in " + set + filter + ": " + body(depth - 1) + ")";
    hostVars.pop_back();
    return out;
  }
  static std::string quoted(const std::string& s) { return "\"" + s + "\""; }
  std::string sw() { return quoted(d_.pick(switches_)); }
  std::string port() { return d_.pick<std::string>({"1", "2", "3", "0", "25", "-1", "1.5"}); }

  Draw& d_;
  std::vector<std::string> hosts_;
  std::vector<std::string> switches_;
};

std::string generatePolicy(Draw& d, ExprGen& g, const std::string& name) {
  const int depth = 1 + static_cast<int>(d.below(3));
  std::string p = "policy " + name + " \"generated\" {\n";
  g.params.clear();
  if (d.chance(60)) {
    p += "  param threshold: rate = " + g.rate(0) + " \"overload\"\n";
    g.params.push_back("threshold");
  }
  if (d.chance(40)) p += "  param n: number = " + d.pick<std::string>({"1", "2", "3"}) + "\n";
  if (d.chance(50)) p += "  let busy = {h in hosts where " + g.rate(depth) + " > 1Mbps}\n";
  p += "  when ";
  if (d.chance(80)) p += "every " + d.pick<std::string>({"1s", "2s", "500ms"}) + " ";
  p += "{\n    " + g.boolean(depth);
  if (d.chance(40))
    p += " for " + d.pick<std::string>({"2s", "1s", "0s", "2 samples", "3 samples", "9 samples"});
  p += "\n  }\n";
  g.hostVars = {"c.host"};
  p += "  which c in " +
       d.pick<std::string>({"containers", "{\"c1\", \"c3\"}", "{\"iperf-server\"}"}) + " {\n";
  if (d.chance(60)) p += "    require " + g.boolean(depth) + "\n";
  if (d.chance(60)) p += "    order by " + g.rate(depth) + (d.chance(50) ? " desc" : "") + "\n";
  if (d.chance(30)) p += "    limit " + d.pick<std::string>({"0", "1", "2"}) + "\n";
  p += "  }\n";
  g.hostVars = {"source", "h"};
  p += "  where h in " + g.hostSet(depth) + " {\n";
  if (d.chance(40)) p += "    let room = " + g.rate(depth) + "\n";
  if (d.chance(50)) p += "    require " + g.boolean(depth) + "\n";
  switch (d.below(7)) {
    case 0:
      p += "    maximize " + g.rate(depth) + "\n";
      break;
    case 1:
      p += "    minimize " + g.number(depth) + "\n";
      break;
    case 2:
      p += "    random\n";
      break;
    case 3:
      p += "    sample weighted by " + g.number(depth) + "\n";
      break;
    case 4:
      p += "    mtd " + d.pick<std::string>({"shamir(3)", "fountain(2)", "prf()", "shamir(n)"}) +
           "\n";
      break;
    case 5:
      p += "    minimize latency(source, h)\n";
      break;
    default:
      p += "    maximize count(" + g.sample(depth) + ")\n";
      break;
  }
  if (d.chance(30)) p += "    tie " + d.pick<std::string>({"random", "by name"}) + "\n";
  p += "  }\n}\n";
  g.hostVars.clear();
  return p;
}

// A slight mutation: what a typo or a bad edit does to a policy.
std::string mutate(Draw& d, std::string text) {
  static const std::vector<std::string> tokens = {"{",      "}",     "(",
                                                  ")",      "\"",    ",",
                                                  ":",      "-",     "/",
                                                  "0",      "1e999", "where",
                                                  "policy", "when",  "let",
                                                  "for",    "in",    "..",
                                                  "#",      "\n",    "\t",
                                                  "@",      "\x01",  "\xe2\x80\xae",
                                                  "\xff",   "5xyz",  "9999999999999999999999"};
  const int edits = 1 + static_cast<int>(d.below(3));
  for (int i = 0; i < edits && !text.empty(); ++i) {
    std::size_t at = d.below(text.size());
    switch (d.below(4)) {
      case 0:
        text.erase(at, 1 + d.below(8));
        break;
      case 1:
        text.insert(at, d.pick(tokens));
        break;
      case 2:
        text[at] = static_cast<char>(32 + d.below(95));
        break;
      default:
        text.insert(at, text.substr(at, d.below(20)));
        break;
    }
  }
  return text;
}

// A state to evaluate on: the paper's or a synthetic network, damaged.
std::unique_ptr<roam::lang::InMemoryState> generateState(Draw& d) {
  NetworkData data;
  if (d.chance(50)) {
    data = roam::test::exampleState(d.chance(50) ? "paper-heterogeneous" : "paper-homogeneous")
               ->data();
  } else {
    data = roam::lang::makeSyntheticNetwork(static_cast<int>(d.below(40)), d.next());
  }
  if (d.chance(50))
    std::erase_if(data.links, [&](const auto&) { return d.chance(35); });  // links down
  if (d.chance(30)) std::erase_if(data.latencies, [&](const auto&) { return d.chance(50); });
  if (d.chance(30)) std::erase_if(data.portSamples, [&](const auto&) { return d.chance(60); });
  if (d.chance(20))
    for (auto& h : data.hosts)
      if (d.chance(30)) h.capacityBps = 0;
  if (d.chance(20))
    for (auto& s : data.portSamples)
      if (d.chance(10)) s.sample.rxBps = 1e300;
  if (d.chance(10)) data.containers.clear();
  if (!roam::lang::validateNetworkData(data, "generated").empty()) return nullptr;
  return std::make_unique<roam::lang::InMemoryState>(std::move(data));
}

// The (line, column) of the end of `text`: a location may point one past the end.
std::vector<std::size_t> lineLengths(const std::string& text) {
  std::vector<std::size_t> lengths{0};
  for (char c : text) {
    if (c == '\n')
      lengths.push_back(0);
    else
      ++lengths.back();
  }
  return lengths;
}

void requireLocatedIn(const Diagnostics& ds, const std::string& file, const std::string& text) {
  const auto lengths = lineLengths(text);
  for (const Diagnostic& diag : ds) {
    INFO(roam::lang::formatHeadline(diag));
    CHECK(diag.file == file);
    REQUIRE(diag.location.line >= 1);
    REQUIRE(diag.location.line <= lengths.size());
    CHECK(diag.location.column >= 1);
    CHECK(diag.location.column <= lengths[diag.location.line - 1] + 1);
    CHECK_FALSE(diag.message.empty());
  }
}

// The fixed seed, or ROAM_PROPERTY_SEED to explore others by hand.
std::uint64_t seedOr(std::uint64_t fixed) {
  const char* s = std::getenv("ROAM_PROPERTY_SEED");
  return s ? std::strtoull(s, nullptr, 10) : fixed;
}

struct Totals {
  int policies = 0, parseOrCheckErrors = 0, decisions = 0, evalErrors = 0;
};

// parse -> check -> decide on each state; every outcome located or a decision.
void runOne(const std::string& text, const std::vector<const roam::lang::NetworkState*>& states,
            std::uint64_t seed, Totals& totals) {
  const std::string file = "gen.policy";
  INFO("policy text:\n" << text);
  ++totals.policies;
  try {
    auto parsed = roam::lang::parsePolicyFile(file, text);
    requireLocatedIn(parsed.diagnostics, file, text);
    auto checked = roam::lang::checkPolicyFile(parsed.file);
    requireLocatedIn(checked, file, text);
    if (!parsed.diagnostics.empty() || !checked.empty()) {
      ++totals.parseOrCheckErrors;
      return;
    }
    for (const auto* state : states) {
      for (const auto& policy : parsed.file.policies) {
        roam::lang::DecideOptions options;
        options.seed = seed;
        auto r = roam::lang::decide(policy, file, *state, options);
        requireLocatedIn(r.diagnostics, file, text);
        REQUIRE(r.decision.has_value() != !r.diagnostics.empty());
        if (r.decision) {
          ++totals.decisions;
          // A destination is a reachable host other than the source.
          if (r.decision->destination) {
            REQUIRE(r.decision->source);
            CHECK(*r.decision->destination != *r.decision->source);
            const auto& t = state->topology();
            CHECK(t.path(t.hostNode(state->hostIndex(*r.decision->source)),
                         t.hostNode(state->hostIndex(*r.decision->destination))));
          }
          CHECK_FALSE(roam::lang::decisionToText(*r.decision).empty());
          CHECK(roam::lang::decisionToJson(*r.decision).is_object());
        } else {
          ++totals.evalErrors;
        }
      }
    }
  } catch (const std::exception& e) {
    FAIL("exception: " << e.what());
  } catch (const roam::lang::EvalError& e) {
    FAIL("an EvalError escaped: " << e.message);
  } catch (...) {
    FAIL("an unknown exception escaped");
  }
}

}  // namespace

TEST_CASE("generated and mutated policies on damaged states: a decision or a located error",
          "[lang][property]") {
  Draw d(seedOr(20261206));
  std::vector<std::unique_ptr<roam::lang::InMemoryState>> owned;
  while (owned.size() < 12)
    if (auto s = generateState(d)) owned.push_back(std::move(s));
  Totals totals;
  for (int round = 0; round < 1500; ++round) {
    // Two states per policy, names taken from the first.
    const auto* a = owned[d.below(owned.size())].get();
    const auto* b = owned[d.below(owned.size())].get();
    std::vector<std::string> hostNames, switchNames;
    for (const auto& h : a->hosts()) hostNames.push_back(h.name);
    for (const auto& s : a->switches()) switchNames.push_back(s.name);
    if (hostNames.empty()) hostNames.push_back("h1");
    if (switchNames.empty()) switchNames.push_back("s1");
    ExprGen gen(d, hostNames, switchNames);
    std::string text = generatePolicy(d, gen, "p" + std::to_string(round));
    if (round % 3 == 2) text += generatePolicy(d, gen, "q" + std::to_string(round));
    runOne(text, {a, b}, d.next(), totals);
    runOne(mutate(d, text), {a}, d.next(), totals);
  }
  INFO("decisions " << totals.decisions << ", eval errors " << totals.evalErrors
                    << ", parse/check errors " << totals.parseOrCheckErrors);
  // The generator must exercise every outcome, or the property says little.
  CHECK(totals.decisions > 200);
  CHECK(totals.evalErrors > 100);
  CHECK(totals.parseOrCheckErrors > 500);
}

TEST_CASE("mutated STATE.json texts load or fail with located diagnostics", "[lang][property]") {
  Draw d(seedOr(17));
  const std::string base =
      roam::lang::stateToJson(*roam::test::exampleState("paper-heterogeneous")).dump(1);
  int loaded = 0;
  for (int round = 0; round < 1000; ++round) {
    const std::string text = mutate(d, base);
    INFO("state text:\n" << text);
    try {
      auto r = roam::lang::loadStateJson(text, "gen.json");
      REQUIRE(r.state.operator bool() == r.diagnostics.empty());
      requireLocatedIn(r.diagnostics, "gen.json", text);
      loaded += r.state ? 1 : 0;
    } catch (const std::exception& e) {
      FAIL("exception: " << e.what());
    }
  }
  CHECK(loaded > 0);
}
