#pragma once
// Evaluates checked expressions against a NetworkState. One Evaluator serves
// one evaluation (a decision, or a REPL query): it owns the frame of local
// slots, the time instant measurements are read at, and the seeded random
// generator, so every result is reproducible from (policy, state, seed).

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lang/ast.hpp"
#include "lang/builtins.hpp"
#include "lang/network_state.hpp"
#include "lang/value.hpp"

namespace roam::lang {

// Raised inside evaluation, caught at the public entry points and turned into
// a Diagnostic (codes::kEvalError): an unknown host named in a string, missing
// latency data, an aggregate over an empty set.
struct EvalError {
  Location loc;
  std::string message;
  // Set when the error is "no path from A to B" (topology node ids of A and
  // B): choices among hosts leave such a host out instead of failing.
  int unreachableFrom = -1;
  int unreachableTo = -1;
};

// A host a choice left out because no path leads to it, and why
// ("no path from h2"): `explain` lists them.
struct LeftOutHost {
  int host = -1;  // index in the state
  std::string reason;
};

// A portable generator: the same seed gives the same draws with any standard
// library (std::*_distribution is implementation-defined, so it is not used).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  double uniform();                  // [0, 1)
  std::size_t below(std::size_t n);  // [0, n)

 private:
  std::uint64_t state_;
};

class Evaluator;
using BuiltinImpl = Value (*)(Evaluator& ev, const Expr& call);

class BuiltinRegistry {
 public:
  void add(BuiltinId id, BuiltinImpl impl) { impls_[id] = impl; }
  BuiltinImpl get(int id) const { return impls_[id]; }

 private:
  std::array<BuiltinImpl, kBuiltinCount> impls_{};
};

void registerCoreBuiltins(BuiltinRegistry& registry);

// The registry with every core built-in (built once, immutable).
const BuiltinRegistry& coreBuiltins();

// Bounds on what a policy may ask of the evaluator (docs/language.md, "Limits").
// A larger request is an EvalError at the expression that made it.
inline constexpr std::int64_t kMaxCount = 1'000'000;     // weighted_sample's k, `limit`,
                                                         // `for N samples`
inline constexpr std::int64_t kMaxPort = 2'147'483'647;  // switch port numbers
inline constexpr std::int64_t kMaxSchemeK = 255;         // shamir(k), fountain(k): MTD_SETUP's k

// What is wrong with `n` as a whole number in [lo, hi] ("WHAT must be >= 1, not
// 0", "... a whole number, not 2.5"), or "" when nothing is. `dim` shows n.
// The checker says the same of constants as the evaluator of computed values.
std::string wholeNumberProblem(double n, std::int64_t lo, std::int64_t hi, Dimension dim,
                               const std::string& what);

class Evaluator {
 public:
  // `policy` (optional) supplies the lazily evaluated policy-level lets.
  Evaluator(const Policy* policy, int frameSize, const NetworkState& state, std::uint64_t seed,
            const BuiltinRegistry& builtins = coreBuiltins());

  // Evaluates `e`; a number that is not finite (an overflow, 0 * inf, a NaN
  // from a built-in) is an EvalError at `e`, never a value.
  Value eval(const Expr& e);
  void setSlot(int slot, Value v);

  // Measurements are read as of this instant (default: state.now()).
  double at() const { return at_; }
  void setAt(double t);

  // --- for built-in implementations ---
  const NetworkState& state() const { return state_; }
  Rng& rng() { return rng_; }
  [[noreturn]] void fail(const Expr& where, std::string message) const;
  // "no path from A to B" at `where`, for nodes A and B of the topology.
  [[noreturn]] void failUnreachable(const Expr& where, int fromNode, int toNode) const;

  // Coercions: a string names a host/switch/container; throws EvalError when unknown.
  int hostOf(const Value& v, const Expr& where) const;
  int switchOf(const Value& v, const Expr& where) const;
  int nodeOf(const Value& v, const Expr& where) const;  // topology node of a host or switch
  Value toEntity(const Value& v, ValueKind kind, const Expr& where) const;

  // Index maps resolved once per evaluation instead of hashing names per use:
  // the switch a host hangs off, the host a container runs on (-1: unknown).
  int switchOfHost(int hostIdx);
  int hostOfContainer(int containerIdx);

  // Latest sample at or before at().
  std::optional<PortSample> portSampleAt(int switchIdx, int port) const;
  std::optional<SwitchSample> switchSampleAt(int switchIdx) const;
  // Sample instants in [from, to], ascending.
  std::vector<double> instantsIn(double from, double to) const;

  // Calls f(element, value) for every element of the binder's set that passes
  // its filter; value is the body's result (or the element without a body).
  // With `skipped` (choices among hosts: argmax, argmin, weighted_sample), a
  // host element whose filter or body needs a path that does not exist is
  // left out instead of failing, added to *skipped and recorded in leftOut().
  template <class F>
  void forEachBound(const Expr& binder, F&& f, std::vector<LeftOutHost>* skipped = nullptr) {
    Value set = eval(*binder.children[0]);
    for (const Value& element : set.elements()) {
      setSlot(binder.slot, element);
      const int host = skipped ? hostIndexOf(element) : -1;
      if (host < 0) {
        if (binder.filter && !truth(*binder.filter)) continue;
        f(element, binder.body ? eval(*binder.body) : element);
        continue;
      }
      Value v;
      try {
        if (binder.filter && !truth(*binder.filter)) continue;
        v = binder.body ? eval(*binder.body) : element;
      } catch (const EvalError& e) {
        if (!isUnreachable(e, host)) throw;
        skipped->push_back(leaveOut(host, e));
        continue;
      }
      f(element, v);
    }
  }

  // The host a value is or names ("h3"), or -1.
  int hostIndexOf(const Value& v) const;
  // Whether `e` says that host `hostIdx` cannot be reached (or reach).
  bool isUnreachable(const EvalError& e, int hostIdx) const;
  // Records that host `hostIdx` was left out of a choice because of `e`.
  LeftOutHost leaveOut(int hostIdx, const EvalError& e);
  // Hosts left out of choices so far, in order, each once.
  const std::vector<LeftOutHost>& leftOut() const { return leftOut_; }

  bool truth(const Expr& e);
  double numberOf(const Expr& e);
  // `e` as a whole number in [lo, hi]; otherwise an EvalError at `e`:
  // "WHAT must be >= LO, not X", "... <= HI ...", "... a whole number, not X".
  std::int64_t wholeNumberOf(const Expr& e, std::int64_t lo, std::int64_t hi,
                             const std::string& what);

  // Compares with the language's rules (names match entities of the same name).
  bool equalValues(const Value& a, const Value& b) const;

 private:
  Value evalUnchecked(const Expr& e);
  Value evalName(const Expr& e);
  Value evalField(const Expr& e);
  Value evalBinary(const Expr& e);
  Value evalSetOp(const Expr& e, const Value& a, const Value& b);
  bool contains(const Value& collection, const Value& v, const Expr& where) const;

  const NetworkState& state_;
  const BuiltinRegistry& builtins_;
  std::vector<Value> frame_;
  std::vector<const LetBinding*> lazyLets_;  // policy-level lets by slot
  std::vector<double> memoAt_;               // instant a lazy let was computed at (NaN: never)
  double at_;
  Rng rng_;
  std::vector<int> hostSwitch_;     // built on first use
  std::vector<int> containerHost_;  // built on first use
  std::vector<LeftOutHost> leftOut_;
};

}  // namespace roam::lang
