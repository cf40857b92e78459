// Implementations of the built-ins declared in builtins.cpp, registered by id.

#include <algorithm>
#include <cmath>
#include <limits>

#include "lang/evaluator.hpp"
#include "lang/topology.hpp"

namespace roam::lang {

namespace {

const Expr& arg(const Expr& call, int i) {
  return *call.children[i];
}

// `sum(h in S: e)` binds h; `sum({h in S: e})` is a set argument like any other.
bool isBinderArg(const Expr& a) {
  return a.kind == ExprKind::Binder && !a.setBuilder;
}

int portArg(Evaluator& ev, const Expr& call, int i) {
  return static_cast<int>(ev.wholeNumberOf(arg(call, i), 0, kMaxPort, "a port number"));
}

struct PortLoad {
  double rx = 0;
  double tx = 0;
};

// Traffic of a port as of the evaluator's instant; a port never measured reads 0.
PortLoad portLoad(Evaluator& ev, int sw, int port) {
  auto s = ev.portSampleAt(sw, port);
  return s ? PortLoad{s->rxBps, s->txBps} : PortLoad{};
}

PortLoad switchPortLoad(Evaluator& ev, const Expr& call) {
  int sw = ev.switchOf(ev.eval(arg(call, 0)), arg(call, 0));
  return portLoad(ev, sw, portArg(ev, call, 1));
}

const HostInfo& hostArg(Evaluator& ev, const Expr& call, int i, int* switchIdx) {
  int h = ev.hostOf(ev.eval(arg(call, i)), arg(call, i));
  *switchIdx = ev.switchOfHost(h);
  return ev.state().hosts()[h];
}

struct HostLink {
  PortLoad load;  // seen from the host: it receives what its switch port transmits
  double capacityBps = 0;
};

HostLink hostLink(Evaluator& ev, const Expr& call) {
  int sw = -1;
  const HostInfo& h = hostArg(ev, call, 0, &sw);
  if (sw < 0) return {{}, h.capacityBps};
  const PortLoad port = portLoad(ev, sw, h.port);
  return {{port.tx, port.rx}, h.capacityBps};
}

PortLoad hostLoad(Evaluator& ev, const Expr& call) {
  return hostLink(ev, call).load;
}

Value rate(double bps) {
  return Value::fromNumber(bps, kRate);
}

enum class Traffic { Both, Received, Sent };

// bandwidth, rx_bandwidth, ... : one direction (or both) of the load `Load` reads.
template <PortLoad (*Load)(Evaluator&, const Expr&), Traffic T>
Value bandwidthOf(Evaluator& ev, const Expr& call) {
  const PortLoad l = Load(ev, call);
  return rate(T == Traffic::Both ? l.rx + l.tx : T == Traffic::Received ? l.rx : l.tx);
}

// Capacity of whatever is attached to (switch, port): a link or a host.
std::optional<double> portCapacity(const NetworkState& state, const std::string& sw, int port) {
  for (const auto& l : state.links())
    if ((l.src == sw && l.srcPort == port) || (l.dst == sw && l.dstPort == port))
      return l.capacityBps;
  for (const auto& h : state.hosts())
    if (h.switchName == sw && h.port == port) return h.capacityBps;
  return std::nullopt;
}

Value utilization(Evaluator& ev, const Expr& call) {
  int sw = ev.switchOf(ev.eval(arg(call, 0)), arg(call, 0));
  int port = portArg(ev, call, 1);
  auto cap = portCapacity(ev.state(), ev.state().switches()[sw].name, port);
  if (!cap || *cap <= 0)
    ev.fail(call, "no link with a known capacity at " + ev.state().switches()[sw].name + " port " +
                      std::to_string(port));
  auto l = portLoad(ev, sw, port);
  return Value::fromNumber(std::max(l.rx, l.tx) / *cap);
}

Value hostUtilization(Evaluator& ev, const Expr& call) {
  const HostLink link = hostLink(ev, call);
  if (link.capacityBps <= 0) ev.fail(call, "the host's link has no known capacity");
  return Value::fromNumber(std::max(link.load.rx, link.load.tx) / link.capacityBps);
}

std::optional<SwitchSample> switchSample(Evaluator& ev, const Expr& call) {
  int sw = ev.switchOf(ev.eval(arg(call, 0)), arg(call, 0));
  return ev.switchSampleAt(sw);
}

Value packetRate(Evaluator& ev, const Expr& call) {
  auto s = switchSample(ev, call);
  return Value::fromNumber(s ? s->packetsPerS : 0);
}
Value byteRate(Evaluator& ev, const Expr& call) {
  auto s = switchSample(ev, call);
  return rate(s ? s->bytesPerS * 8 : 0);
}
Value flowCount(Evaluator& ev, const Expr& call) {
  auto s = switchSample(ev, call);
  return Value::fromNumber(s ? s->flows : 0);
}

const std::string& nodeName(const NetworkState& state, int node) {
  return state.topology().nodeName(node);
}

std::pair<int, int> nodePair(Evaluator& ev, const Expr& call) {
  return {ev.nodeOf(ev.eval(arg(call, 0)), arg(call, 0)),
          ev.nodeOf(ev.eval(arg(call, 1)), arg(call, 1))};
}

Value capacity(Evaluator& ev, const Expr& call) {
  auto [a, b] = nodePair(ev, call);
  auto cap = ev.state().topology().linkCapacity(a, b);
  if (!cap)
    ev.fail(call, "no link between " + nodeName(ev.state(), a) + " and " + nodeName(ev.state(), b));
  return rate(*cap);
}

Value latency(Evaluator& ev, const Expr& call) {
  int a = ev.hostOf(ev.eval(arg(call, 0)), arg(call, 0));
  int b = ev.hostOf(ev.eval(arg(call, 1)), arg(call, 1));
  const auto& hosts = ev.state().hosts();
  // A latency measured before a link went down says nothing about a host
  // that can no longer be reached.
  const Topology& t = ev.state().topology();
  if (a != b && !t.reachable(t.hostNode(a), t.hostNode(b)))
    ev.failUnreachable(call, t.hostNode(a), t.hostNode(b));
  auto s = ev.state().latencySeconds(hosts[a].name, hosts[b].name);
  if (!s) ev.fail(call, "no latency measured between " + hosts[a].name + " and " + hosts[b].name);
  return Value::fromNumber(*s, kDuration);
}

std::vector<Hop> route(Evaluator& ev, const Expr& call, int a, int b) {
  auto hops = ev.state().topology().path(a, b);
  if (!hops) ev.failUnreachable(call, a, b);
  return *hops;
}

std::vector<Value> switchesOn(Evaluator& ev, const Expr& call) {
  auto [a, b] = nodePair(ev, call);
  const Topology& t = ev.state().topology();
  std::vector<Value> out;
  if (t.isSwitch(a)) out.push_back(Value::entity(ValueKind::Switch, t.switchIndexOf(a)));
  for (const Hop& h : route(ev, call, a, b))
    if (t.isSwitch(h.to)) out.push_back(Value::entity(ValueKind::Switch, t.switchIndexOf(h.to)));
  return out;
}

Value path(Evaluator& ev, const Expr& call) {
  return Value::makeList(switchesOn(ev, call));
}
Value hops(Evaluator& ev, const Expr& call) {
  // Counted without building the list: minimize hops(source, h) runs per candidate.
  auto [a, b] = nodePair(ev, call);
  const Topology& t = ev.state().topology();
  int switches = t.isSwitch(a) ? 1 : 0;
  for (const Hop& h : route(ev, call, a, b)) switches += t.isSwitch(h.to) ? 1 : 0;
  return Value::fromNumber(switches);
}

std::vector<Hop> distinctRoute(Evaluator& ev, const Expr& call) {
  auto [a, b] = nodePair(ev, call);
  if (a == b)
    ev.fail(call, "both ends are " + nodeName(ev.state(), a) + ": a path needs two nodes");
  return route(ev, call, a, b);
}

Value pathBandwidth(Evaluator& ev, const Expr& call) {
  double least = std::numeric_limits<double>::infinity();
  for (const Hop& h : distinctRoute(ev, call)) least = std::min(least, h.capacityBps);
  return rate(least);
}

Value availableBandwidth(Evaluator& ev, const Expr& call) {
  const Topology& t = ev.state().topology();
  double least = std::numeric_limits<double>::infinity();
  for (const Hop& h : distinctRoute(ev, call)) {
    // Traffic in the direction of travel: leaving a switch port (tx), or,
    // from a host, entering its switch's port (rx).
    double load = 0;
    if (t.isSwitch(h.from))
      load = portLoad(ev, t.switchIndexOf(h.from), h.fromPort).tx;
    else if (t.isSwitch(h.to))
      load = portLoad(ev, t.switchIndexOf(h.to), h.toPort).rx;
    least = std::min(least, std::max(0.0, h.capacityBps - load));
  }
  return rate(least);
}

Value freeHosts(Evaluator& ev, const Expr&) {
  const auto& state = ev.state();
  std::vector<bool> busy(state.hosts().size(), false);
  for (std::size_t c = 0; c < state.containers().size(); ++c)
    if (int h = ev.hostOfContainer(static_cast<int>(c)); h >= 0) busy[h] = true;
  std::vector<Value> out;
  for (std::size_t i = 0; i < busy.size(); ++i)
    if (!busy[i]) out.push_back(Value::entity(ValueKind::Host, static_cast<int>(i)));
  return Value::makeSet(std::move(out));
}

Value hasLabel(Evaluator& ev, const Expr& call) {
  Value x = ev.eval(arg(call, 0));
  std::string key = ev.eval(arg(call, 1)).text;
  const Labels* labels = nullptr;
  if (x.kind == ValueKind::Host) labels = &ev.state().hosts()[x.index].labels;
  if (x.kind == ValueKind::Container) labels = &ev.state().containers()[x.index].labels;
  if (!labels) ev.fail(arg(call, 0), "expected a host or a container");
  return Value::fromBool(labels->count(key) > 0);
}

Value randomChoice(Evaluator& ev, const Expr& call) {
  Value s = ev.eval(arg(call, 0));
  const auto& items = s.elements();
  if (items.empty()) ev.fail(call, "random() of an empty set");
  return items[ev.rng().below(items.size())];
}

// " (left out as unreachable: h3: no path from h2; ...)": why a choice has
// nothing left to choose from.
std::string leftOutText(const Evaluator& ev, const std::vector<LeftOutHost>& skipped) {
  if (skipped.empty()) return "";
  std::string out = " (left out as unreachable: ";
  for (std::size_t i = 0; i < skipped.size(); ++i)
    out += (i ? "; " : "") + ev.state().hosts()[skipped[i].host].name + ": " + skipped[i].reason;
  return out + ")";
}

Value weightedSample(Evaluator& ev, const Expr& call) {
  std::vector<LeftOutHost> skipped;
  std::vector<Value> elements;
  std::vector<double> cumulative;
  double total = 0;
  ev.forEachBound(
      arg(call, 0),
      [&](const Value& element, const Value& weight) {
        if (!(weight.number >= 0) || !std::isfinite(weight.number))
          ev.fail(arg(call, 0), "weight of " + entityName(element, ev.state()) +
                                    " must be finite and not negative, but is " +
                                    formatValue(weight, ev.state()));
        total += weight.number;
        elements.push_back(element);
        cumulative.push_back(total);
      },
      &skipped);
  const std::int64_t k = ev.wholeNumberOf(arg(call, 1), 0, kMaxCount, "the sample size");
  if (k > 0 && !(total > 0))
    ev.fail(call, "weighted_sample needs at least one positive weight" + leftOutText(ev, skipped));
  std::vector<Value> out;
  out.reserve(static_cast<std::size_t>(k));
  for (std::int64_t i = 0; i < k; ++i) {
    double u = ev.rng().uniform() * total;
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    if (it == cumulative.end()) --it;
    out.push_back(elements[static_cast<std::size_t>(it - cumulative.begin())]);
  }
  return Value::makeList(std::move(out));
}

// The numbers an aggregate works on: a binder's results, or a collection.
std::vector<Value> operands(Evaluator& ev, const Expr& call) {
  const Expr& a = arg(call, 0);
  if (isBinderArg(a)) {
    std::vector<Value> out;
    ev.forEachBound(a, [&](const Value&, const Value& v) { out.push_back(v); });
    return out;
  }
  return ev.eval(a).elements();
}

Value count(Evaluator& ev, const Expr& call) {
  return Value::fromNumber(static_cast<double>(operands(ev, call).size()));
}

Value sum(Evaluator& ev, const Expr& call) {
  double total = 0;
  for (const auto& v : operands(ev, call)) total += v.number;
  return Value::fromNumber(total, call.type.dim);
}

Value avg(Evaluator& ev, const Expr& call) {
  auto vs = operands(ev, call);
  if (vs.empty()) ev.fail(call, "avg() of an empty set");
  double total = 0;
  for (const auto& v : vs) total += v.number;
  return Value::fromNumber(total / static_cast<double>(vs.size()), call.type.dim);
}

template <bool Larger>
Value extreme(Evaluator& ev, const Expr& call) {
  std::vector<Value> vs;
  if (call.children.size() == 2) {
    vs = {ev.eval(arg(call, 0)), ev.eval(arg(call, 1))};
  } else {
    vs = operands(ev, call);
  }
  if (vs.empty()) ev.fail(call, std::string(Larger ? "max" : "min") + "() of an empty set");
  double best = vs.front().number;
  for (const auto& v : vs) best = Larger ? std::max(best, v.number) : std::min(best, v.number);
  return Value::fromNumber(best, call.type.dim);
}

template <bool All>
Value quantifier(Evaluator& ev, const Expr& call) {
  const Expr& a = arg(call, 0);
  if (!isBinderArg(a)) {
    const Value collection = ev.eval(a);
    for (const auto& v : collection.elements())
      if (v.boolean != All) return Value::fromBool(!All);
    return Value::fromBool(All);
  }
  if (a.body) {
    bool result = All;
    ev.forEachBound(a, [&](const Value&, const Value& v) {
      if (v.boolean != All) result = !All;
    });
    return Value::fromBool(result);
  }
  // Without a body the `where` condition is the predicate itself.
  std::size_t total = ev.eval(*a.children[0]).elements().size();
  std::size_t passing = 0;
  ev.forEachBound(a, [&](const Value&, const Value&) { ++passing; });
  return Value::fromBool(All ? passing == total : passing > 0);
}

template <bool Larger>
Value argExtreme(Evaluator& ev, const Expr& call) {
  std::vector<LeftOutHost> skipped;
  Value best;
  double bestScore = 0;
  std::string bestName;
  ev.forEachBound(
      arg(call, 0),
      [&](const Value& element, const Value& score) {
        std::string name = entityName(element, ev.state());
        bool better = best.kind == ValueKind::Null ||
                      (Larger ? score.number > bestScore : score.number < bestScore) ||
                      (score.number == bestScore && name < bestName);
        if (better) {
          best = element;
          bestScore = score.number;
          bestName = std::move(name);
        }
      },
      &skipped);
  if (best.kind == ValueKind::Null)
    ev.fail(call, std::string(Larger ? "argmax" : "argmin") + "() of an empty set" +
                      leftOutText(ev, skipped));
  return best;
}

Value absValue(Evaluator& ev, const Expr& call) {
  Value v = ev.eval(arg(call, 0));
  v.number = std::fabs(v.number);
  return v;
}

// Evaluates `x` at every sample instant of the window ending now.
template <int Mode>  // 0 avg, 1 max, 2 min
Value overWindow(Evaluator& ev, const Expr& call) {
  double window = ev.numberOf(arg(call, 1));
  if (window < 0)
    ev.fail(arg(call, 1), "the window must be >= 0 s, not " + formatQuantity(window, kDuration));
  double now = ev.at();
  auto instants = ev.instantsIn(now - window, now);
  if (instants.empty()) instants.push_back(now);
  struct Restore {
    Evaluator& ev;
    double t;
    ~Restore() { ev.setAt(t); }
  } restore{ev, now};
  double acc = Mode == 0   ? 0
               : Mode == 1 ? -std::numeric_limits<double>::infinity()
                           : std::numeric_limits<double>::infinity();
  for (double t : instants) {
    ev.setAt(t);
    double v = ev.numberOf(arg(call, 0));
    acc = Mode == 0 ? acc + v : Mode == 1 ? std::max(acc, v) : std::min(acc, v);
  }
  if (Mode == 0) acc /= static_cast<double>(instants.size());
  return Value::fromNumber(acc, call.type.dim);
}

Value schemeWithK(Evaluator& ev, const Expr& call, const char* name) {
  const std::int64_t k = ev.wholeNumberOf(arg(call, 0), 1, kMaxSchemeK, std::string(name) + "'s k");
  return Value::scheme(name, static_cast<double>(k));
}
Value shamir(Evaluator& ev, const Expr& call) {
  return schemeWithK(ev, call, "shamir");
}
Value fountain(Evaluator& ev, const Expr& call) {
  return schemeWithK(ev, call, "fountain");
}
Value prf(Evaluator&, const Expr&) {
  return Value::scheme("prf", 0);
}

}  // namespace

void registerCoreBuiltins(BuiltinRegistry& r) {
  r.add(kBandwidth, bandwidthOf<switchPortLoad, Traffic::Both>);
  r.add(kRxBandwidth, bandwidthOf<switchPortLoad, Traffic::Received>);
  r.add(kTxBandwidth, bandwidthOf<switchPortLoad, Traffic::Sent>);
  r.add(kUtilization, utilization);
  r.add(kHostBandwidth, bandwidthOf<hostLoad, Traffic::Both>);
  r.add(kHostRxBandwidth, bandwidthOf<hostLoad, Traffic::Received>);
  r.add(kHostTxBandwidth, bandwidthOf<hostLoad, Traffic::Sent>);
  r.add(kHostUtilization, hostUtilization);
  r.add(kPacketRate, packetRate);
  r.add(kByteRate, byteRate);
  r.add(kFlowCount, flowCount);
  r.add(kCapacity, capacity);
  r.add(kLatency, latency);
  r.add(kPath, path);
  r.add(kShortestPath, path);
  r.add(kHops, hops);
  r.add(kPathBandwidth, pathBandwidth);
  r.add(kAvailableBandwidth, availableBandwidth);
  r.add(kFreeHosts, freeHosts);
  r.add(kHasLabel, hasLabel);
  r.add(kRandom, randomChoice);
  r.add(kWeightedSample, weightedSample);
  r.add(kCount, count);
  r.add(kSum, sum);
  r.add(kAvg, avg);
  r.add(kMin, extreme<false>);
  r.add(kMax, extreme<true>);
  r.add(kAny, quantifier<false>);
  r.add(kAll, quantifier<true>);
  r.add(kArgmax, argExtreme<true>);
  r.add(kArgmin, argExtreme<false>);
  r.add(kAbs, absValue);
  r.add(kAvgOver, overWindow<0>);
  r.add(kMaxOver, overWindow<1>);
  r.add(kMinOver, overWindow<2>);
  r.add(kShamir, shamir);
  r.add(kFountain, fountain);
  r.add(kPrf, prf);
}

}  // namespace roam::lang
