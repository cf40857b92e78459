#include "lang/builtins.hpp"

#include <array>

namespace roam::lang {

namespace {

bool isError(const Type& t) {
  return t.kind == TypeKind::Error;
}

bool isNode(const Type& t) {
  return t.kind == TypeKind::Host || t.kind == TypeKind::Switch || t.kind == TypeKind::String ||
         isError(t);
}

TypingResult ok(Type t) {
  return {t, {}, -1};
}

TypingResult fail(int arg, std::string msg, std::string code = codes::kTypeError) {
  return {Type::error(), std::move(msg), arg, std::move(code)};
}

std::string ordinal(int i) {
  static constexpr std::array<const char*, 4> names{"first", "second", "third", "fourth"};
  return i < 4 ? names[i] : "argument " + std::to_string(i + 1);
}

// "argument 2 must be a number but got a string": the shared operand check.
TypingResult checkArg(std::span<const ArgInfo> args, int i, const Type& want) {
  if (assignable(args[i].type, want)) return ok(want);
  std::string code = codes::kTypeError;
  if (args[i].type.kind == TypeKind::Number && want.kind == TypeKind::Number)
    code = codes::kUnitError;
  return fail(
      i, ordinal(i) + " argument must be " + typeName(want) + " but got " + typeName(args[i].type),
      code);
}

// A number of any unit.
TypingResult numberArg(std::span<const ArgInfo> args, int i) {
  const Type& t = args[i].type;
  if (isError(t) || t.kind == TypeKind::Number) return ok(t);
  return fail(i, ordinal(i) + " argument must be a number but got " + typeName(t));
}

TypingResult noBinders(std::span<const ArgInfo> args) {
  for (int i = 0; i < static_cast<int>(args.size()); ++i)
    if (args[i].isBinder) return fail(i, "this function does not take a binder (x in S: ...)");
  return ok(Type::error());
}

// (switch, number) -> `result`
template <TypeKind R, int Bits, int Secs>
TypingResult switchPort(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  if (auto r = checkArg(args, 0, Type::switch_()); !r.error.empty()) return r;
  if (auto r = checkArg(args, 1, Type::number()); !r.error.empty()) return r;
  return ok({R, Dimension{Bits, Secs}});
}

template <TypeKind A, TypeKind R, int Bits, int Secs>
TypingResult unaryEntity(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  if (auto r = checkArg(args, 0, Type{A}); !r.error.empty()) return r;
  return ok({R, Dimension{Bits, Secs}});
}

// (node, node) where a node is a host or a switch (or a name of one).
TypingResult nodePairArgs(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  for (int i = 0; i < 2; ++i)
    if (!isNode(args[i].type))
      return fail(
          i, ordinal(i) + " argument must be a host or a switch but got " + typeName(args[i].type));
  return ok(Type::error());
}

template <TypeKind R, int Bits, int Secs>
TypingResult nodePair(std::span<const ArgInfo> args) {
  if (auto r = nodePairArgs(args); !r.error.empty()) return r;
  return ok({R, Dimension{Bits, Secs}});
}

TypingResult pathTyper(std::span<const ArgInfo> args) {
  if (auto r = nodePairArgs(args); !r.error.empty()) return r;
  return ok(Type::listOf(Type::switch_()));
}

TypingResult latencyTyper(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  for (int i = 0; i < 2; ++i)
    if (auto r = checkArg(args, i, Type::host()); !r.error.empty()) return r;
  return ok(Type::number(kDuration));
}

TypingResult freeHostsTyper(std::span<const ArgInfo>) {
  return ok(Type::setOf(Type::host()));
}

TypingResult hasLabelTyper(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  const Type& t = args[0].type;
  if (!isError(t) && t.kind != TypeKind::Host && t.kind != TypeKind::Container)
    return fail(0, "first argument must be a host or a container but got " + typeName(t));
  if (auto r = checkArg(args, 1, Type::string()); !r.error.empty()) return r;
  return ok(Type::boolean());
}

TypingResult collectionArg(std::span<const ArgInfo> args, int i) {
  const Type& t = args[i].type;
  if (isError(t) || t.isCollection()) return ok(t);
  return fail(i, ordinal(i) + " argument must be a set or a list but got " + typeName(t));
}

// The element type an aggregate works on: the binder's body, or the
// collection's element type.
TypingResult aggregateOperand(std::span<const ArgInfo> args) {
  if (args[0].isBinder) return ok(args[0].type);
  if (auto r = collectionArg(args, 0); !r.error.empty()) return r;
  return ok(args[0].type.isError() ? Type::error() : args[0].type.element());
}

TypingResult randomTyper(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  return aggregateOperand(args);
}

// A first argument `x in S: E` with a number E (named `what`); its type is
// that of the set S. `need` is the message when it is not such a binder.
TypingResult scoredBinder(std::span<const ArgInfo> args, const char* need, const char* what) {
  if (!args[0].isBinder || !args[0].binderHasBody) return fail(0, need);
  if (!isError(args[0].type) && args[0].type.kind != TypeKind::Number)
    return fail(0,
                std::string("the ") + what + " must be a number but got " + typeName(args[0].type));
  return ok(args[0].binderSet);
}

TypingResult weightedSampleTyper(std::span<const ArgInfo> args) {
  auto binder = scoredBinder(
      args, "first argument must be a binder with a weight, e.g. h in S: 1 / latency(source, h)",
      "weight");
  if (!binder.error.empty()) return binder;
  if (args.size() > 1 && args[1].isBinder) return fail(1, "the sample size must be a number");
  if (auto r = checkArg(args, 1, Type::number()); !r.error.empty()) return r;
  const Type& set = binder.type;
  return ok(set.isError() ? Type::error() : Type::listOf(set.element()));
}

TypingResult countTyper(std::span<const ArgInfo> args) {
  if (!args[0].isBinder) {
    if (auto r = collectionArg(args, 0); !r.error.empty()) return r;
  }
  return ok(Type::number());
}

TypingResult numericAggregate(std::span<const ArgInfo> args) {
  auto operand = aggregateOperand(args);
  if (!operand.error.empty()) return operand;
  if (operand.type.kind == TypeKind::Any) return ok(Type::number());  // sum({}) is 0
  if (!isError(operand.type) && operand.type.kind != TypeKind::Number)
    return fail(0, "can only aggregate numbers, not " + typeName(operand.type) + "s");
  return ok(Type::number(operand.type.dim));
}

// min/max: an aggregate over one collection, or the smaller/larger of two numbers.
TypingResult minMaxTyper(std::span<const ArgInfo> args) {
  if (args.size() == 1) return numericAggregate(args);
  if (auto r = noBinders(args); !r.error.empty()) return r;
  for (int i = 0; i < 2; ++i)
    if (auto r = numberArg(args, i); !r.error.empty()) return r;
  if (!isError(args[0].type) && !isError(args[1].type) && args[0].type.dim != args[1].type.dim)
    return fail(1, "cannot compare " + typeName(args[0].type) + " with " + typeName(args[1].type),
                codes::kUnitError);
  return ok(isError(args[0].type) ? args[1].type : args[0].type);
}

TypingResult quantifierTyper(std::span<const ArgInfo> args) {
  if (!args[0].isBinder) {
    if (auto r = collectionArg(args, 0); !r.error.empty()) return r;
    const Type& t = args[0].type;
    if (!isError(t) && t.elem != TypeKind::Bool && t.elem != TypeKind::Any)
      return fail(0, "needs a collection of bools or a binder with a condition");
    return ok(Type::boolean());
  }
  const Type& body = args[0].type;
  if (args[0].binderHasBody && !isError(body) && body.kind != TypeKind::Bool)
    return fail(0, "the condition must be a bool but got " + typeName(body));
  return ok(Type::boolean());
}

TypingResult argTyper(std::span<const ArgInfo> args) {
  auto binder = scoredBinder(
      args, "needs a binder with a score, e.g. h in hosts: path_bandwidth(source, h)", "score");
  if (!binder.error.empty()) return binder;
  const Type& set = binder.type;
  return ok(set.isError() ? Type::error() : set.element());
}

// abs(x): a number of any unit, kept.
TypingResult absTyper(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  return numberArg(args, 0);
}

// avg_over(x, window): x of any unit, kept.
TypingResult temporalTyper(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  if (auto r = numberArg(args, 0); !r.error.empty()) return r;
  if (auto r = checkArg(args, 1, Type::number(kDuration)); !r.error.empty()) return r;
  return ok(args[0].type);
}

TypingResult schemeK(std::span<const ArgInfo> args) {
  if (auto r = noBinders(args); !r.error.empty()) return r;
  if (auto r = checkArg(args, 0, Type::number()); !r.error.empty()) return r;
  return ok(Type::scheme());
}

TypingResult schemeNoArgs(std::span<const ArgInfo>) {
  return ok(Type::scheme());
}

using M = BuiltinCategory;
constexpr TypeKind N = TypeKind::Number;

const std::array<BuiltinDecl, kBuiltinCount> kTable{{
    {kBandwidth, "bandwidth", "bandwidth(sw: switch, port: number) -> rate",
     "Current traffic through a switch port, received plus transmitted, in bits/s.",
     "bandwidth(\"s2\", 1) > 8Mbps", M::Measurement, 2, 2, false, switchPort<N, 1, -1>},
    {kRxBandwidth, "rx_bandwidth", "rx_bandwidth(sw: switch, port: number) -> rate",
     "Current traffic received by the switch through the port (from the attached device).",
     "rx_bandwidth(\"s1\", 1)", M::Measurement, 2, 2, false, switchPort<N, 1, -1>},
    {kTxBandwidth, "tx_bandwidth", "tx_bandwidth(sw: switch, port: number) -> rate",
     "Current traffic sent by the switch out of the port (to the attached device).",
     "tx_bandwidth(\"s2\", 1)", M::Measurement, 2, 2, false, switchPort<N, 1, -1>},
    {kUtilization, "utilization", "utilization(sw: switch, port: number) -> number",
     "Busier direction of the port divided by the capacity of its link (0.8 = 80%).",
     "utilization(\"s1\", 2) > 80%", M::Measurement, 2, 2, false, switchPort<N, 0, 0>},
    {kHostBandwidth, "host_bandwidth", "host_bandwidth(h: host) -> rate",
     "Traffic on a host's link, sent plus received.", "host_bandwidth(\"h2\") > threshold",
     M::Measurement, 1, 1, false, unaryEntity<TypeKind::Host, N, 1, -1>},
    {kHostRxBandwidth, "host_rx_bandwidth", "host_rx_bandwidth(h: host) -> rate",
     "Traffic the host receives over its link.", "host_rx_bandwidth(c.host)", M::Measurement, 1, 1,
     false, unaryEntity<TypeKind::Host, N, 1, -1>},
    {kHostTxBandwidth, "host_tx_bandwidth", "host_tx_bandwidth(h: host) -> rate",
     "Traffic the host sends over its link.", "host_tx_bandwidth(\"h1\")", M::Measurement, 1, 1,
     false, unaryEntity<TypeKind::Host, N, 1, -1>},
    {kHostUtilization, "host_utilization", "host_utilization(h: host) -> number",
     "Busier direction of a host's link divided by its capacity.", "host_utilization(h) > 90%",
     M::Measurement, 1, 1, false, unaryEntity<TypeKind::Host, N, 0, 0>},
    {kPacketRate, "packet_rate", "packet_rate(sw: switch) -> number",
     "Packets per second forwarded by a switch (aggregate flow statistics).",
     "packet_rate(\"s1\") > 10000", M::Measurement, 1, 1, false,
     unaryEntity<TypeKind::Switch, N, 0, 0>},
    {kByteRate, "byte_rate", "byte_rate(sw: switch) -> rate",
     "Traffic forwarded by a switch, from its aggregate byte counter, in bits/s.",
     "byte_rate(\"s1\") > 50Mbps", M::Measurement, 1, 1, false,
     unaryEntity<TypeKind::Switch, N, 1, -1>},
    {kFlowCount, "flow_count", "flow_count(sw: switch) -> number",
     "Number of flow entries installed in a switch.", "flow_count(\"s2\") > 100", M::Measurement, 1,
     1, false, unaryEntity<TypeKind::Switch, N, 0, 0>},
    {kCapacity, "capacity", "capacity(a: host|switch, b: host|switch) -> rate",
     "Capacity of the direct link between two nodes.", "capacity(\"s1\", \"s4\")", M::Topology, 2,
     2, false, nodePair<N, 1, -1>},
    {kLatency, "latency", "latency(a: host, b: host) -> duration",
     "Latest measured round-trip latency between two hosts (none when no path joins them).", "latency(source, h) < 2ms",
     M::Measurement, 2, 2, false, latencyTyper},
    {kPath, "path", "path(a: host|switch, b: host|switch) -> list of switches",
     "The switches traffic crosses from a to b, in order: the route with the fewest hops "
     "(ties broken by switch name).",
     "count(path(source, h))", M::Topology, 2, 2, false, pathTyper},
    {kShortestPath, "shortest_path",
     "shortest_path(a: host|switch, b: host|switch) -> list of switches",
     "Same as path: roam routes on shortest paths; this name states the intent.",
     "\"s1\" in shortest_path(source, h)", M::Topology, 2, 2, false, pathTyper},
    {kHops, "hops", "hops(a: host|switch, b: host|switch) -> number",
     "Number of switches on the route from a to b, ends included when they are switches "
     "(h2 to h3 across s2 and s3 is 2).",
     "minimize hops(source, h)", M::Topology, 2, 2, false, nodePair<N, 0, 0>},
    {kPathBandwidth, "path_bandwidth", "path_bandwidth(a: host|switch, b: host|switch) -> rate",
     "Smallest link capacity along the shortest route from a to b (the paper's bandwidth).",
     "maximize path_bandwidth(source, h)", M::Topology, 2, 2, false, nodePair<N, 1, -1>},
    {kAvailableBandwidth, "available_bandwidth",
     "available_bandwidth(a: host|switch, b: host|switch) -> rate",
     "Smallest spare capacity (capacity minus current load, in the direction of travel) "
     "along the route from a to b.",
     "maximize available_bandwidth(source, h)", M::Topology, 2, 2, false, nodePair<N, 1, -1>},
    {kFreeHosts, "free_hosts", "free_hosts() -> set of hosts", "Hosts that run no container.",
     "where h in free_hosts() { random }", M::Topology, 0, 0, false, freeHostsTyper},
    {kHasLabel, "has_label", "has_label(x: host|container, key: string) -> bool",
     "Whether a host or container carries a label.", "has_label(c, \"pinned\")", M::Misc, 2, 2,
     false, hasLabelTyper},
    {kRandom, "random", "random(s: set) -> element", "One element drawn uniformly at random.",
     "random(free_hosts())", M::Selection, 1, 1, false, randomTyper},
    {kWeightedSample, "weighted_sample", "weighted_sample(x in S: weight, k: number) -> list",
     "k draws with replacement, each element with probability weight / (sum of weights).",
     "weighted_sample(h in hosts - {source}: 1 / latency(source, h), 3)", M::Selection, 2, 2, true,
     weightedSampleTyper},
    {kCount, "count", "count(s: set | x in S where cond) -> number",
     "Number of elements (that satisfy the condition).",
     "count(c in containers where c.host == \"h2\")", M::Aggregate, 1, 1, true, countTyper},
    {kSum, "sum", "sum(s: set of numbers | x in S [where cond]: expr) -> number",
     "Sum; 0 for an empty set.", "sum(h in hosts: host_bandwidth(h))", M::Aggregate, 1, 1, true,
     numericAggregate},
    {kAvg, "avg", "avg(s: set of numbers | x in S [where cond]: expr) -> number",
     "Arithmetic mean; an error on an empty set.", "avg(h in hosts: host_utilization(h))",
     M::Aggregate, 1, 1, true, numericAggregate},
    {kMin, "min", "min(a: number, b: number) | min(x in S [where cond]: expr) -> number",
     "Smallest of two numbers or of a set; an error on an empty set.",
     "min(h in hosts - {source}: latency(source, h))", M::Aggregate, 1, 2, true, minMaxTyper},
    {kMax, "max", "max(a: number, b: number) | max(x in S [where cond]: expr) -> number",
     "Largest of two numbers or of a set; an error on an empty set.",
     "max(s in switches: packet_rate(s))", M::Aggregate, 1, 2, true, minMaxTyper},
    {kAny, "any", "any(x in S [where cond]: cond) -> bool",
     "Whether some element satisfies the condition (false for an empty set).",
     "any(h in hosts: host_utilization(h) > 90%)", M::Aggregate, 1, 1, true, quantifierTyper},
    {kAll, "all", "all(x in S [where cond]: cond) -> bool",
     "Whether every element satisfies the condition (true for an empty set).",
     "all(h in hosts - {source}: latency(source, h) < 5ms)", M::Aggregate, 1, 1, true,
     quantifierTyper},
    {kArgmax, "argmax", "argmax(x in S [where cond]: score) -> element",
     "The element with the largest score (ties: smallest name).",
     "argmax(h in hosts: host_bandwidth(h))", M::Aggregate, 1, 1, true, argTyper},
    {kArgmin, "argmin", "argmin(x in S [where cond]: score) -> element",
     "The element with the smallest score (ties: smallest name).",
     "argmin(h in hosts: hops(source, h))", M::Aggregate, 1, 1, true, argTyper},
    {kAbs, "abs", "abs(x: number) -> number", "Absolute value, keeping the unit.",
     "abs(host_bandwidth(\"h1\") - host_bandwidth(\"h2\"))", M::Misc, 1, 1, false, absTyper},
    {kAvgOver, "avg_over", "avg_over(x: number, window: duration) -> number",
     "Mean of x evaluated at every sample instant of the last `window`.",
     "avg_over(host_bandwidth(\"h2\"), 10s) > 5Mbps", M::Temporal, 2, 2, false, temporalTyper},
    {kMaxOver, "max_over", "max_over(x: number, window: duration) -> number",
     "Largest value of x over the sample instants of the last `window`.",
     "max_over(packet_rate(\"s1\"), 30s)", M::Temporal, 2, 2, false, temporalTyper},
    {kMinOver, "min_over", "min_over(x: number, window: duration) -> number",
     "Smallest value of x over the sample instants of the last `window`.",
     "min_over(host_bandwidth(h), 5s) > threshold", M::Temporal, 2, 2, false, temporalTyper},
    {kShamir, "shamir", "shamir(k: number) -> scheme",
     "MTD: the destination table's key is Shamir-shared; the source gathers k shares from k "
     "distinct hosts.",
     "mtd shamir(3)", M::Mtd, 1, 1, false, schemeK},
    {kFountain, "fountain", "fountain(k: number) -> scheme",
     "MTD: the key is fountain-coded; the source samples hosts by inverse latency, with "
     "replacement, until it holds k independent droplets.",
     "mtd fountain(3)", M::Mtd, 1, 1, false, schemeK},
    {kPrf, "prf", "prf() -> scheme",
     "MTD baseline: the destination comes from a pseudo-random function of the source's key "
     "and R, with no key gathering.",
     "mtd prf()", M::Mtd, 0, 0, false, schemeNoArgs},
}};

const std::array<GlobalDecl, kGlobalCount> kGlobals{{
    {kGlobalHosts, "hosts", Type::setOf(Type::host()), "Every host."},
    {kGlobalSwitches, "switches", Type::setOf(Type::switch_()), "Every switch."},
    {kGlobalContainers, "containers", Type::setOf(Type::container()), "Every container."},
    {kGlobalLinks, "links", Type::setOf(Type::link()), "Every inter-switch link."},
    {kGlobalNow, "now", Type::number(kDuration),
     "The evaluation instant, in seconds since the epoch."},
    {kGlobalDataAge, "data_age", Type::number(kDuration),
     "Age of the newest measurement (how stale the state is)."},
}};

const std::array kHostFields{
    FieldDecl{"name", Type::string(), "host name"},
    FieldDecl{"ip", Type::string(), "IPv4 address"},
    FieldDecl{"mac", Type::string(), "MAC address (may be empty)"},
    FieldDecl{"switch", Type::switch_(), "switch the host is attached to"},
    FieldDecl{"port", Type::number(), "port of that switch"},
    FieldDecl{"capacity", Type::number(kRate), "capacity of the host's link"},
    FieldDecl{"containers", Type::setOf(Type::container()), "containers running on the host"},
    FieldDecl{"labels", Type::labels(), "labels: h.labels.zone"},
};
const std::array kSwitchFields{
    FieldDecl{"name", Type::string(), "switch name"},
    FieldDecl{"dpid", Type::string(), "datapath id, 16 hex digits"},
    FieldDecl{"hosts", Type::setOf(Type::host()), "hosts attached to the switch"},
};
const std::array kContainerFields{
    FieldDecl{"name", Type::string(), "container name"},
    FieldDecl{"host", Type::host(), "host the container runs on"},
    FieldDecl{"image", Type::string(), "image name"},
    FieldDecl{"labels", Type::labels(), "labels: c.labels.app"},
};
const std::array kLinkFields{
    FieldDecl{"src", Type::switch_(), "one end"},
    FieldDecl{"src_port", Type::number(), "port at src"},
    FieldDecl{"dst", Type::switch_(), "other end"},
    FieldDecl{"dst_port", Type::number(), "port at dst"},
    FieldDecl{"capacity", Type::number(kRate), "link capacity"},
};

}  // namespace

const char* categoryName(BuiltinCategory c) {
  switch (c) {
    case BuiltinCategory::Measurement:
      return "measurement";
    case BuiltinCategory::Topology:
      return "topology";
    case BuiltinCategory::Selection:
      return "selection";
    case BuiltinCategory::Aggregate:
      return "aggregate";
    case BuiltinCategory::Temporal:
      return "temporal";
    case BuiltinCategory::Mtd:
      return "moving target defense";
    case BuiltinCategory::Misc:
      return "other";
  }
  return "other";
}

std::span<const BuiltinDecl> builtinTable() {
  return kTable;
}

const BuiltinDecl* findBuiltin(std::string_view name) {
  for (const auto& b : kTable)
    if (b.name == name) return &b;
  return nullptr;
}

std::span<const GlobalDecl> globalTable() {
  return kGlobals;
}

const GlobalDecl* findGlobal(std::string_view name) {
  for (const auto& g : kGlobals)
    if (g.name == name) return &g;
  return nullptr;
}

std::span<const FieldDecl> fieldsOf(TypeKind t) {
  switch (t) {
    case TypeKind::Host:
      return kHostFields;
    case TypeKind::Switch:
      return kSwitchFields;
    case TypeKind::Container:
      return kContainerFields;
    case TypeKind::Link:
      return kLinkFields;
    default:
      return {};
  }
}

bool assignable(const Type& from, const Type& to) {
  if (from.isError() || to.isError() || to.kind == TypeKind::Any) return true;
  if (from == to) return true;
  if (from.kind == TypeKind::String && to.isEntity()) return true;
  if (from.isCollection() && to.isCollection() && from.kind == to.kind) {
    if (from.elem == TypeKind::Any || to.elem == TypeKind::Any) return true;  // {} fits all
    return assignable(from.element(), to.element());
  }
  return false;
}

}  // namespace roam::lang
