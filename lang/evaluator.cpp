#include "lang/evaluator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "lang/printer.hpp"
#include "lang/topology.hpp"

namespace roam::lang {

namespace {

constexpr double kTimeEpsilon = 1e-6;

bool isEntityKind(ValueKind k) {
  return k == ValueKind::Host || k == ValueKind::Switch || k == ValueKind::Container ||
         k == ValueKind::Link;
}

ValueKind valueKindOf(TypeKind t) {
  switch (t) {
    case TypeKind::Host:
      return ValueKind::Host;
    case TypeKind::Switch:
      return ValueKind::Switch;
    case TypeKind::Container:
      return ValueKind::Container;
    case TypeKind::Link:
      return ValueKind::Link;
    default:
      return ValueKind::Null;
  }
}

bool nearlyEqual(double a, double b) {
  return a == b || std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

Value indexSet(ValueKind kind, std::size_t n) {
  std::vector<Value> items;
  items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) items.push_back(Value::entity(kind, static_cast<int>(i)));
  Value v;
  v.kind = ValueKind::Set;
  v.items = std::make_shared<const std::vector<Value>>(std::move(items));  // already sorted
  return v;
}

}  // namespace

std::string wholeNumberProblem(double n, std::int64_t lo, std::int64_t hi, Dimension dim,
                               const std::string& what) {
  // Whole plain numbers in full ("2147483648", not "2.14748e+09").
  char whole[32];
  const bool exact = dim == kNumber && n == std::floor(n) && std::fabs(n) <= 1e22;
  if (exact) std::snprintf(whole, sizeof whole, "%.0f", n);
  const std::string shown = exact ? std::string(whole) : formatQuantity(n, dim);
  if (!(n >= static_cast<double>(lo)))
    return what + " must be >= " + std::to_string(lo) + ", not " + shown;
  if (n > static_cast<double>(hi))
    return what + " must be <= " + std::to_string(hi) + ", not " + shown;
  if (n != std::floor(n)) return what + " must be a whole number, not " + shown;
  return {};
}

// splitmix64: tiny, fast, and statistically sound for sampling decisions.
std::uint64_t Rng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Rng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::size_t Rng::below(std::size_t n) {
  if (n == 0) return 0;
  // Modulo bias is below 2^-40 for any set a policy can name.
  return static_cast<std::size_t>(next() % n);
}

const BuiltinRegistry& coreBuiltins() {
  static const BuiltinRegistry registry = [] {
    BuiltinRegistry r;
    registerCoreBuiltins(r);
    return r;
  }();
  return registry;
}

Evaluator::Evaluator(const Policy* policy, int frameSize, const NetworkState& state,
                     std::uint64_t seed, const BuiltinRegistry& builtins)
    : state_(state),
      builtins_(builtins),
      frame_(static_cast<std::size_t>(std::max(frameSize, 0))),
      lazyLets_(frame_.size(), nullptr),
      memoAt_(frame_.size(), std::numeric_limits<double>::quiet_NaN()),
      at_(state.now()),
      rng_(seed) {
  if (policy)
    for (const auto& let : policy->lets)
      if (let.slot >= 0 && static_cast<std::size_t>(let.slot) < lazyLets_.size())
        lazyLets_[let.slot] = &let;
}

void Evaluator::setSlot(int slot, Value v) {
  frame_[slot] = std::move(v);
}

void Evaluator::setAt(double t) {
  at_ = t;
}

void Evaluator::fail(const Expr& where, std::string message) const {
  throw EvalError{where.loc, std::move(message)};
}

void Evaluator::failUnreachable(const Expr& where, int fromNode, int toNode) const {
  const Topology& t = state_.topology();
  throw EvalError{where.loc, "no path from " + t.nodeName(fromNode) + " to " + t.nodeName(toNode),
                  fromNode, toNode};
}

int Evaluator::hostIndexOf(const Value& v) const {
  if (v.kind == ValueKind::Host) return v.index;
  if (v.kind == ValueKind::String) return state_.hostIndex(v.text);
  return -1;
}

bool Evaluator::isUnreachable(const EvalError& e, int hostIdx) const {
  if (e.unreachableFrom < 0) return false;
  const int node = state_.topology().hostNode(hostIdx);
  return e.unreachableFrom == node || e.unreachableTo == node;
}

LeftOutHost Evaluator::leaveOut(int hostIdx, const EvalError& e) {
  const Topology& t = state_.topology();
  const int node = t.hostNode(hostIdx);
  const int other = e.unreachableTo == node ? e.unreachableFrom : e.unreachableTo;
  LeftOutHost l{hostIdx, other == node ? "no path" : "no path from " + t.nodeName(other)};
  // Each (host, reason) once, however many instants and calls left it out.
  const bool known = std::any_of(leftOut_.begin(), leftOut_.end(), [&](const LeftOutHost& x) {
    return x.host == l.host && x.reason == l.reason;
  });
  if (!known) leftOut_.push_back(l);
  return l;
}

Value Evaluator::toEntity(const Value& v, ValueKind kind, const Expr& where) const {
  if (v.kind == kind) return v;
  if (v.kind == ValueKind::String) {
    int idx = -1;
    const char* what = "";
    switch (kind) {
      case ValueKind::Host:
        idx = state_.hostIndex(v.text);
        what = "host";
        break;
      case ValueKind::Switch:
        idx = state_.switchIndex(v.text);
        what = "switch";
        break;
      case ValueKind::Container:
        idx = state_.containerIndex(v.text);
        what = "container";
        break;
      default:
        break;
    }
    if (idx < 0) fail(where, std::string("no ") + what + " named \"" + v.text + "\"");
    return Value::entity(kind, idx);
  }
  fail(where, "expected an entity but got " + formatValue(v, state_));
}

int Evaluator::hostOf(const Value& v, const Expr& where) const {
  return toEntity(v, ValueKind::Host, where).index;
}

int Evaluator::switchOf(const Value& v, const Expr& where) const {
  return toEntity(v, ValueKind::Switch, where).index;
}

int Evaluator::nodeOf(const Value& v, const Expr& where) const {
  const Topology& topo = state_.topology();
  if (v.kind == ValueKind::Host) return topo.hostNode(v.index);
  if (v.kind == ValueKind::Switch) return topo.switchNode(v.index);
  if (v.kind == ValueKind::String) {
    if (int h = state_.hostIndex(v.text); h >= 0) return topo.hostNode(h);
    if (int s = state_.switchIndex(v.text); s >= 0) return topo.switchNode(s);
    fail(where, "no host or switch named \"" + v.text + "\"");
  }
  fail(where, "expected a host or a switch but got " + formatValue(v, state_));
}

int Evaluator::switchOfHost(int hostIdx) {
  if (hostSwitch_.empty()) {
    auto hosts = state_.hosts();
    hostSwitch_.reserve(hosts.size());
    for (const auto& h : hosts) hostSwitch_.push_back(state_.switchIndex(h.switchName));
  }
  return hostSwitch_[hostIdx];
}

int Evaluator::hostOfContainer(int containerIdx) {
  if (containerHost_.empty()) {
    auto containers = state_.containers();
    containerHost_.reserve(containers.size());
    for (const auto& c : containers) containerHost_.push_back(state_.hostIndex(c.host));
  }
  return containerHost_[containerIdx];
}

std::optional<PortSample> Evaluator::portSampleAt(int switchIdx, int port) const {
  auto samples = state_.portSamples(switchIdx, port);
  auto it = std::upper_bound(samples.begin(), samples.end(), at_ + kTimeEpsilon,
                             [](double t, const PortSample& s) { return t < s.t; });
  if (it == samples.begin()) return std::nullopt;
  return *std::prev(it);
}

std::optional<SwitchSample> Evaluator::switchSampleAt(int switchIdx) const {
  auto samples = state_.switchSamples(switchIdx);
  auto it = std::upper_bound(samples.begin(), samples.end(), at_ + kTimeEpsilon,
                             [](double t, const SwitchSample& s) { return t < s.t; });
  if (it == samples.begin()) return std::nullopt;
  return *std::prev(it);
}

std::vector<double> Evaluator::instantsIn(double from, double to) const {
  auto times = state_.sampleTimes();
  auto lo = std::lower_bound(times.begin(), times.end(), from - kTimeEpsilon);
  auto hi = std::upper_bound(times.begin(), times.end(), to + kTimeEpsilon);
  return {lo, hi};
}

bool Evaluator::truth(const Expr& e) {
  Value v = eval(e);
  if (v.kind != ValueKind::Bool) fail(e, "expected a bool");
  return v.boolean;
}

double Evaluator::numberOf(const Expr& e) {
  Value v = eval(e);
  if (v.kind != ValueKind::Number) fail(e, "expected a number");
  return v.number;
}

std::int64_t Evaluator::wholeNumberOf(const Expr& e, std::int64_t lo, std::int64_t hi,
                                      const std::string& what) {
  const double n = numberOf(e);
  if (auto problem = wholeNumberProblem(n, lo, hi, e.type.dim, what); !problem.empty())
    fail(e, std::move(problem));
  return static_cast<std::int64_t>(n);
}

bool Evaluator::equalValues(const Value& a, const Value& b) const {
  if (a.isCollection() && b.isCollection()) {
    // Sets compare as sets (names match entities); lists element by element.
    const auto& x = a.elements();
    const auto& y = b.elements();
    if (x.size() != y.size()) return false;
    if (a.kind == ValueKind::List && b.kind == ValueKind::List) {
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!equalValues(x[i], y[i])) return false;
      return true;
    }
    for (const auto& item : x)
      if (!std::any_of(y.begin(), y.end(), [&](const Value& o) { return equalValues(item, o); }))
        return false;
    return true;
  }
  if (a.kind == b.kind) {
    if (a.kind == ValueKind::Number) return nearlyEqual(a.number, b.number);
    return valueEqual(a, b);
  }
  if (a.kind == ValueKind::String && isEntityKind(b.kind)) return a.text == entityName(b, state_);
  if (b.kind == ValueKind::String && isEntityKind(a.kind)) return b.text == entityName(a, state_);
  return false;
}

Value Evaluator::eval(const Expr& e) {
  Value v = evalUnchecked(e);
  // inf and NaN compare silently (NaN > 1Mbps is false, max over NaN picks
  // anything): no evaluation goes on with one.
  if (v.kind == ValueKind::Number && !std::isfinite(v.number)) {
    if (std::isnan(v.number)) fail(e, "'" + exprToString(e) + "' is not a number (NaN)");
    fail(e, "'" + exprToString(e) + "' overflows: the result is not a finite number");
  }
  return v;
}

Value Evaluator::evalUnchecked(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Number:
      return Value::fromNumber(e.number, e.dimension);
    case ExprKind::String:
      return Value::fromString(e.text);
    case ExprKind::Bool:
      return Value::fromBool(e.boolean);
    case ExprKind::Name:
      return evalName(e);
    case ExprKind::Field:
      return evalField(e);
    case ExprKind::Call: {
      if (!e.builtin) fail(e, "call of an unchecked function");
      BuiltinImpl impl = builtins_.get(e.builtin->id);
      if (!impl) fail(e, std::string(e.builtin->name) + " is not available in this context");
      return impl(*this, e);
    }
    case ExprKind::Unary: {
      if (e.op == Op::Not) return Value::fromBool(!truth(*e.children[0]));
      Value v = eval(*e.children[0]);
      v.number = -v.number;
      return v;
    }
    case ExprKind::Binary:
      return evalBinary(e);
    case ExprKind::If:
      return truth(*e.children[0]) ? eval(*e.children[1]) : eval(*e.children[2]);
    case ExprKind::SetLiteral: {
      ValueKind kind = valueKindOf(e.type.elem);
      std::vector<Value> items;
      items.reserve(e.children.size());
      for (const auto& c : e.children) {
        Value v = eval(*c);
        items.push_back(kind != ValueKind::Null ? toEntity(v, kind, *c) : std::move(v));
      }
      return Value::makeSet(std::move(items));
    }
    case ExprKind::Binder: {
      std::vector<Value> items;
      forEachBound(e, [&](const Value&, Value v) { items.push_back(std::move(v)); });
      return Value::makeSet(std::move(items));
    }
  }
  fail(e, "cannot evaluate this expression");
}

Value Evaluator::evalName(const Expr& e) {
  if (e.slot >= 0) {
    auto slot = static_cast<std::size_t>(e.slot);
    if (const LetBinding* let = lazyLets_[slot]) {
      // Policy-level lets are computed on first use and again whenever the
      // instant changes, so `for 5s` re-reads them at every sample.
      if (!(memoAt_[slot] == at_)) {
        frame_[slot] = eval(*let->value);
        memoAt_[slot] = at_;
      }
    }
    return frame_[slot];
  }
  switch (e.global) {
    case kGlobalHosts:
      return indexSet(ValueKind::Host, state_.hosts().size());
    case kGlobalSwitches:
      return indexSet(ValueKind::Switch, state_.switches().size());
    case kGlobalContainers:
      return indexSet(ValueKind::Container, state_.containers().size());
    case kGlobalLinks:
      return indexSet(ValueKind::Link, state_.links().size());
    case kGlobalNow:
      return Value::fromNumber(at_, kDuration);
    case kGlobalDataAge:
      return Value::fromNumber(state_.dataAgeSeconds(), kDuration);
    default:
      fail(e, "unresolved name '" + e.text + "'");
  }
}

Value Evaluator::evalField(const Expr& e) {
  Value obj = eval(*e.children[0]);
  const std::string& f = e.text;
  if (obj.kind == ValueKind::Labels) {
    auto it = obj.labels->find(f);
    return Value::fromString(it == obj.labels->end() ? std::string() : it->second);
  }
  if (obj.kind == ValueKind::Host) {
    const HostInfo& h = state_.hosts()[obj.index];
    if (f == "name") return Value::fromString(h.name);
    if (f == "ip") return Value::fromString(h.ip);
    if (f == "mac") return Value::fromString(h.mac);
    if (f == "switch") {
      int sw = switchOfHost(obj.index);
      if (sw < 0) fail(e, "host " + h.name + " is on unknown switch " + h.switchName);
      return Value::entity(ValueKind::Switch, sw);
    }
    if (f == "port") return Value::fromNumber(h.port);
    if (f == "capacity") return Value::fromNumber(h.capacityBps, kRate);
    if (f == "labels") return Value::fromLabels(&h.labels);
    if (f == "containers") {
      std::vector<Value> items;
      auto cs = state_.containers();
      for (std::size_t i = 0; i < cs.size(); ++i)
        if (cs[i].host == h.name)
          items.push_back(Value::entity(ValueKind::Container, static_cast<int>(i)));
      return Value::makeSet(std::move(items));
    }
  } else if (obj.kind == ValueKind::Switch) {
    const SwitchInfo& s = state_.switches()[obj.index];
    if (f == "name") return Value::fromString(s.name);
    if (f == "dpid") return Value::fromString(s.dpid);
    if (f == "hosts") {
      std::vector<Value> items;
      auto hs = state_.hosts();
      for (std::size_t i = 0; i < hs.size(); ++i)
        if (hs[i].switchName == s.name)
          items.push_back(Value::entity(ValueKind::Host, static_cast<int>(i)));
      return Value::makeSet(std::move(items));
    }
  } else if (obj.kind == ValueKind::Container) {
    const ContainerInfo& c = state_.containers()[obj.index];
    if (f == "name") return Value::fromString(c.name);
    if (f == "host") {
      int h = hostOfContainer(obj.index);
      if (h < 0) fail(e, "container " + c.name + " is on unknown host " + c.host);
      return Value::entity(ValueKind::Host, h);
    }
    if (f == "image") return Value::fromString(c.image);
    if (f == "labels") return Value::fromLabels(&c.labels);
  } else if (obj.kind == ValueKind::Link) {
    const LinkInfo& l = state_.links()[obj.index];
    if (f == "src") return toEntity(Value::fromString(l.src), ValueKind::Switch, e);
    if (f == "dst") return toEntity(Value::fromString(l.dst), ValueKind::Switch, e);
    if (f == "src_port") return Value::fromNumber(l.srcPort);
    if (f == "dst_port") return Value::fromNumber(l.dstPort);
    if (f == "capacity") return Value::fromNumber(l.capacityBps, kRate);
  }
  fail(e, "no field '" + f + "' on " + formatValue(obj, state_));
}

bool Evaluator::contains(const Value& collection, const Value& v, const Expr& where) const {
  const auto& items = collection.elements();
  if (items.empty()) return false;
  Value needle = v;
  if (v.kind == ValueKind::String && isEntityKind(items.front().kind)) {
    int idx = -1;
    switch (items.front().kind) {
      case ValueKind::Host:
        idx = state_.hostIndex(v.text);
        break;
      case ValueKind::Switch:
        idx = state_.switchIndex(v.text);
        break;
      case ValueKind::Container:
        idx = state_.containerIndex(v.text);
        break;
      default:
        break;
    }
    if (idx < 0) return false;
    needle = Value::entity(items.front().kind, idx);
  }
  (void)where;
  bool sameKind = needle.kind == items.front().kind;
  if (collection.kind == ValueKind::Set && sameKind && needle.kind != ValueKind::Number)
    return std::binary_search(items.begin(), items.end(), needle, valueLess);
  // Mixed kinds (a host looked up among names) or numbers: compare one by one.
  for (const auto& item : items)
    if (equalValues(item, needle)) return true;
  return false;
}

Value Evaluator::evalSetOp(const Expr& e, const Value& a, const Value& b) {
  // Align strings with the entity kind of the other side before combining.
  ValueKind kind = valueKindOf(e.type.elem);
  auto normalise = [&](const Value& set, const Expr& origin) {
    if (kind == ValueKind::Null) return set.elements();
    std::vector<Value> out;
    out.reserve(set.elements().size());
    for (const auto& item : set.elements()) out.push_back(toEntity(item, kind, origin));
    return out;
  };
  std::vector<Value> left = normalise(a, *e.children[0]);
  if (e.op == Op::Add) {
    std::vector<Value> right = normalise(b, *e.children[1]);
    if (left.size() + right.size() > static_cast<std::size_t>(kMaxCount))
      fail(e, "the result would have " + std::to_string(left.size() + right.size()) +
                  " elements, more than " + std::to_string(kMaxCount));
    left.insert(left.end(), right.begin(), right.end());
    if (e.type.kind == TypeKind::List) return Value::makeList(std::move(left));
    return Value::makeSet(std::move(left));
  }
  std::vector<Value> right;
  for (const auto& item : b.elements()) {
    if (kind != ValueKind::Null && item.kind == ValueKind::String) {
      // Removing a name that names nothing removes nothing.
      int idx = kind == ValueKind::Host        ? state_.hostIndex(item.text)
                : kind == ValueKind::Switch    ? state_.switchIndex(item.text)
                : kind == ValueKind::Container ? state_.containerIndex(item.text)
                                               : -1;
      if (idx >= 0) right.push_back(Value::entity(kind, idx));
    } else {
      right.push_back(item);
    }
  }
  std::sort(right.begin(), right.end(), valueLess);
  std::vector<Value> out;
  for (auto& item : left)
    if (!std::binary_search(right.begin(), right.end(), item, valueLess)) out.push_back(item);
  return Value::makeSet(std::move(out));
}

Value Evaluator::evalBinary(const Expr& e) {
  if (e.op == Op::And) return Value::fromBool(truth(*e.children[0]) && truth(*e.children[1]));
  if (e.op == Op::Or) return Value::fromBool(truth(*e.children[0]) || truth(*e.children[1]));
  Value a = eval(*e.children[0]);
  Value b = eval(*e.children[1]);
  switch (e.op) {
    case Op::Add:
    case Op::Sub:
      if (a.isCollection()) return evalSetOp(e, a, b);
      if (a.kind == ValueKind::String) return Value::fromString(a.text + b.text);
      return Value::fromNumber(e.op == Op::Add ? a.number + b.number : a.number - b.number,
                               e.type.dim);
    case Op::Mul:
      return Value::fromNumber(a.number * b.number, e.type.dim);
    case Op::Div:
      if (b.number == 0) fail(e, "division by zero (" + formatValue(a, state_) + " / 0)");
      return Value::fromNumber(a.number / b.number, e.type.dim);
    case Op::Mod:
      if (b.number == 0) fail(e, "remainder of a division by zero");
      return Value::fromNumber(std::fmod(a.number, b.number), e.type.dim);
    case Op::Eq:
      return Value::fromBool(equalValues(a, b));
    case Op::Ne:
      return Value::fromBool(!equalValues(a, b));
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: {
      int c;
      if (a.kind == ValueKind::String)
        c = a.text < b.text ? -1 : (a.text == b.text ? 0 : 1);
      else
        c = nearlyEqual(a.number, b.number) ? 0 : (a.number < b.number ? -1 : 1);
      bool r = e.op == Op::Lt ? c < 0 : e.op == Op::Le ? c <= 0 : e.op == Op::Gt ? c > 0 : c >= 0;
      return Value::fromBool(r);
    }
    case Op::In:
      return Value::fromBool(contains(b, a, e));
    case Op::NotIn:
      return Value::fromBool(!contains(b, a, e));
    default:
      break;
  }
  fail(e, std::string("cannot evaluate operator ") + opSpelling(e.op));
}

}  // namespace roam::lang
