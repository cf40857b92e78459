#include <algorithm>
#include <cmath>
#include <sstream>

#include "lang/checker.hpp"
#include "lang/decision.hpp"
#include "lang/evaluator.hpp"
#include "lang/parser.hpp"
#include "lang/printer.hpp"
#include "lang/topology.hpp"

namespace roam::lang {

namespace {

constexpr double kTimeEpsilon = 1e-6;

bool nearlyEqual(double a, double b) {
  return a == b || std::fabs(a - b) <= 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

std::string seconds(double s) {
  return formatQuantity(s, kDuration);
}

// "count(overloaded) > 0 (1 > 0)": a condition with the values that decided it.
std::string describe(Evaluator& ev, const Expr& e) {
  const NetworkState& state = ev.state();
  if (e.kind == ExprKind::Binary && (e.op == Op::And || e.op == Op::Or)) {
    return "(" + describe(ev, *e.children[0]) + ") " + opSpelling(e.op) + " (" +
           describe(ev, *e.children[1]) + ")";
  }
  std::string text = exprToString(e);
  if (e.kind == ExprKind::Binary && e.op != Op::In && e.op != Op::NotIn) {
    Value a = ev.eval(*e.children[0]);
    Value b = ev.eval(*e.children[1]);
    if (a.kind == ValueKind::Number || a.kind == ValueKind::String)
      return text + " [" + formatValue(a, state) + " " + opSpelling(e.op) + " " +
             formatValue(b, state) + "]";
  }
  return text + " [" + formatValue(ev.eval(e), state) + "]";
}

void bindLets(Evaluator& ev, const std::vector<LetBinding>& lets) {
  for (const auto& let : lets) ev.setSlot(let.slot, ev.eval(*let.value));
}

// Ordering of `which` rows: keys in order, each ascending or descending, then name.
int compareKey(const Value& a, const Value& b) {
  if (a.kind == ValueKind::Number)
    return nearlyEqual(a.number, b.number) ? 0 : (a.number < b.number ? -1 : 1);
  if (a.kind == ValueKind::String) return a.text < b.text ? -1 : (a.text == b.text ? 0 : 1);
  if (a.kind == ValueKind::Bool) return static_cast<int>(a.boolean) - static_cast<int>(b.boolean);
  return 0;
}

class PolicyRun {
 public:
  PolicyRun(const Policy& p, const NetworkState& state, std::uint64_t seed)
      : policy_(p), state_(state), ev_(&p, p.frameSize, state, seed) {}

  Evaluator& evaluator() { return ev_; }

  Decision run() {
    Decision d;
    d.policy = policy_.name;
    d.evaluatedAt = state_.now();
    evaluateWhen(d);
    if (d.triggered) evaluateWhich(d);
    if (d.container) evaluateWhere(d);
    d.explanation = explain(d);
    return d;
  }

 private:
  bool conditionAt(double t) {
    ev_.setAt(t);
    bindLets(ev_, policy_.when->lets);
    return ev_.truth(*policy_.when->condition);
  }

  void evaluateWhen(Decision& d) {
    const WhenClause& w = *policy_.when;
    const double now = state_.now();
    if (w.every) {
      d.intervalSeconds = ev_.numberOf(*w.every);
      if (!(*d.intervalSeconds > 0))
        ev_.fail(*w.every,
                 "the interval after 'every' must be > 0 s, not " + seconds(*d.intervalSeconds));
    }
    if (!w.sustainFor) {
      d.triggered = conditionAt(now);
      d.trigger = describe(ev_, *w.condition);
      return;
    }
    std::vector<double> instants;
    std::string span;
    if (w.sustainInSamples) {
      const auto n = static_cast<std::size_t>(
          ev_.wholeNumberOf(*w.sustainFor, 1, kMaxCount, "the number of samples after 'for'"));
      auto all = ev_.instantsIn(-std::numeric_limits<double>::infinity(), now);
      if (all.size() < n) {
        d.trigger = "not enough history: the condition must hold for " + std::to_string(n) +
                    " samples but the state has " + std::to_string(all.size());
        return;
      }
      instants.assign(all.end() - static_cast<std::ptrdiff_t>(n), all.end());
      span = std::to_string(instants.size()) + " samples";
    } else {
      double window = ev_.numberOf(*w.sustainFor);
      if (!(window >= 0))
        ev_.fail(*w.sustainFor, "the duration after 'for' must be >= 0 s, not " + seconds(window));
      auto times = state_.sampleTimes();
      if (times.empty() || times.front() > now - window + kTimeEpsilon) {
        double have = times.empty() ? 0 : now - times.front();
        d.trigger = "not enough history: the condition must hold for " + seconds(window) +
                    " but measurements cover " + seconds(have);
        return;
      }
      instants = ev_.instantsIn(now - window, now);
      span = std::to_string(instants.size()) + " samples over the last " + seconds(window);
    }
    for (double t : instants) {
      if (!conditionAt(t)) {
        d.trigger = "not sustained: false at " + seconds(t - now) + " (" +
                    describe(ev_, *w.condition) + ")";
        ev_.setAt(now);
        return;
      }
    }
    ev_.setAt(now);
    bindLets(ev_, w.lets);
    d.triggered = true;
    d.trigger = "held at all " + span + "; now " + describe(ev_, *w.condition);
  }

  void evaluateWhich(Decision& d) {
    const WhichClause& w = *policy_.which;
    struct Row {
      Value container;
      std::vector<Value> keys;
      std::string name;
    };
    std::vector<Row> rows;
    const Value from = ev_.eval(*w.from);
    for (const Value& item : from.elements()) {
      Value c = ev_.toEntity(item, ValueKind::Container, *w.from);
      ev_.setSlot(w.varSlot, c);
      bindLets(ev_, w.lets);
      bool keep = true;
      for (const auto& f : w.filters)
        if (!ev_.truth(*f)) {
          keep = false;
          break;
        }
      if (!keep) continue;
      Row row{c, {}, state_.containers()[c.index].name};
      for (const auto& k : w.order) row.keys.push_back(ev_.eval(*k.key));
      rows.push_back(std::move(row));
    }
    std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
      for (std::size_t i = 0; i < w.order.size(); ++i) {
        int c = compareKey(a.keys[i], b.keys[i]);
        if (c != 0) return w.order[i].descending ? c > 0 : c < 0;
      }
      return a.name < b.name;
    });
    std::size_t limit = 1;
    if (w.limit) {
      limit = static_cast<std::size_t>(ev_.wholeNumberOf(*w.limit, 0, kMaxCount, "the limit"));
    }
    whichMatched_ = rows.size();
    if (rows.size() > limit) rows.resize(limit);
    for (const auto& r : rows) d.containers.push_back(r.name);
    if (rows.empty()) return;
    chosen_ = rows.front().container;
    d.container = rows.front().name;
    const ContainerInfo& info = state_.containers()[chosen_.index];
    int h = state_.hostIndex(info.host);
    if (h < 0) ev_.fail(*w.from, "container " + info.name + " runs on unknown host " + info.host);
    source_ = Value::entity(ValueKind::Host, h);
    d.source = info.host;
  }

  void evaluateWhere(Decision& d) {
    const WhereClause& w = *policy_.where;
    ev_.setSlot(w.sourceSlot, source_);
    ev_.setSlot(w.containerSlot, chosen_);
    struct Candidate {
      int host;                 // index in the state
      const std::string* name;  // the host's name, owned by the state
      double score = 0;
    };
    std::vector<Candidate> eligible;
    bool scored = w.choice == ChoiceKind::Maximize || w.choice == ChoiceKind::Minimize ||
                  w.choice == ChoiceKind::Weighted;
    d.choice = choiceText(w);
    const Topology& topology = state_.topology();
    const int sourceNode = topology.hostNode(source_.index);
    const Value from = ev_.eval(*w.from);
    for (const Value& item : from.elements()) {
      Value h = ev_.toEntity(item, ValueKind::Host, *w.from);
      const std::string& name = state_.hosts()[h.index].name;
      if (h.index == source_.index) {
        d.excluded.push_back({name, "is the source"});
        continue;
      }
      // A host no path leads to is no destination, whatever the choice
      // (random and MTD included): the migration could not reach it.
      if (!topology.reachable(sourceNode, topology.hostNode(h.index))) {
        d.excluded.push_back({name, "no path from " + *d.source});
        unreachable_.push_back(name + ": no path from " + *d.source);
        continue;
      }
      ev_.setSlot(w.varSlot, h);
      bindLets(ev_, w.lets);
      const Expr* failed = nullptr;
      for (const auto& f : w.filters)
        if (!ev_.truth(*f)) {
          failed = f.get();
          break;
        }
      if (failed) {
        d.excluded.push_back({name, "require " + exprToString(*failed) + " is false"});
        continue;
      }
      Candidate c{h.index, &name, 0};
      if (scored) c.score = ev_.numberOf(*w.choiceExpr);
      eligible.push_back(std::move(c));
    }
    std::sort(eligible.begin(), eligible.end(),
              [](const Candidate& a, const Candidate& b) { return *a.name < *b.name; });
    Dimension dim = scored ? w.choiceExpr->type.dim : kNumber;

    if (w.choice == ChoiceKind::Mtd) {
      Value scheme = ev_.eval(*w.choiceExpr);
      if (eligible.empty() && !unreachable_.empty()) return;  // no destination, see explain()
      d.mtd = MtdChoice{scheme.text, static_cast<int>(scheme.number)};
      for (const auto& c : eligible) d.candidates.push_back({*c.name, std::nullopt, kNumber});
      return;
    }
    if (eligible.empty()) return;

    if (w.choice == ChoiceKind::Random) {
      for (const auto& c : eligible) d.candidates.push_back({*c.name, std::nullopt, kNumber});
      d.destination = *eligible[ev_.rng().below(eligible.size())].name;
      return;
    }
    if (w.choice == ChoiceKind::Weighted) {
      double total = 0;
      for (const auto& c : eligible) {
        if (!(c.score >= 0) || !std::isfinite(c.score))
          ev_.fail(*w.choiceExpr, "weight of " + *c.name + " must be finite and not negative");
        total += c.score;
      }
      if (!(total > 0)) ev_.fail(*w.choiceExpr, "every candidate has weight 0");
      double u = ev_.rng().uniform() * total;
      double acc = 0;
      d.destination = *eligible.back().name;
      for (const auto& c : eligible) {
        acc += c.score;
        if (u < acc) {
          d.destination = *c.name;
          break;
        }
      }
      for (const auto& c : eligible) d.candidates.push_back({*c.name, c.score / total, kNumber});
      std::stable_sort(
          d.candidates.begin(), d.candidates.end(),
          [](const CandidateScore& a, const CandidateScore& b) { return *a.score > *b.score; });
      return;
    }
    bool maximize = w.choice == ChoiceKind::Maximize;
    std::stable_sort(eligible.begin(), eligible.end(), [&](const Candidate& a, const Candidate& b) {
      if (nearlyEqual(a.score, b.score)) return false;
      return maximize ? a.score > b.score : a.score < b.score;
    });
    for (const auto& c : eligible) d.candidates.push_back({*c.name, c.score, dim});
    std::size_t ties = 1;
    while (ties < eligible.size() && nearlyEqual(eligible[ties].score, eligible[0].score)) ++ties;
    std::size_t pick = w.tie == TieBreak::Random && ties > 1 ? ev_.rng().below(ties) : 0;
    d.destination = *eligible[pick].name;
    tiedBest_ = ties;
  }

  static std::string choiceText(const WhereClause& w) {
    switch (w.choice) {
      case ChoiceKind::Maximize:
        return "maximize " + exprToString(*w.choiceExpr);
      case ChoiceKind::Minimize:
        return "minimize " + exprToString(*w.choiceExpr);
      case ChoiceKind::Random:
        return "random";
      case ChoiceKind::Weighted:
        return "sample weighted by " + exprToString(*w.choiceExpr);
      case ChoiceKind::Mtd:
        return "mtd " + exprToString(*w.choiceExpr);
      case ChoiceKind::None:
        return "none";
    }
    return "none";
  }

  // "; left out: h3: no path from h2, ..." for hosts a choice could not reach.
  std::string leftOutText() const {
    std::vector<std::string> all = unreachable_;
    for (const auto& l : ev_.leftOut()) {
      std::string line = state_.hosts()[l.host].name + ": " + l.reason;
      if (std::find(all.begin(), all.end(), line) == all.end()) all.push_back(std::move(line));
    }
    if (all.empty()) return "";
    std::string out = " Left out (unreachable): ";
    for (std::size_t i = 0; i < all.size(); ++i) out += (i ? "; " : "") + all[i];
    return out + ".";
  }

  std::string explain(const Decision& d) const { return explainChoice(d) + leftOutText(); }

  std::string explainChoice(const Decision& d) const {
    std::ostringstream out;
    out << "when " << (d.triggered ? "fired" : "did not fire") << ": " << d.trigger << ".";
    if (!d.triggered) return out.str();
    if (!d.container) {
      if (whichMatched_ > 0)
        out << " which: " << whichMatched_
            << " matched but the limit selects none, so nothing moves.";
      else
        out << " which: no container matched, so nothing moves.";
      return out.str();
    }
    out << " which: " << *d.container << " on " << *d.source << " (first of " << whichMatched_
        << " matching container" << (whichMatched_ == 1 ? "" : "s") << ").";
    out << " where: " << d.choice << " over " << d.candidates.size() << " candidate"
        << (d.candidates.size() == 1 ? "" : "s");
    if (d.mtd) {
      out << "; the destination is hidden: the source agent reads it from the encrypted table "
             "(scheme "
          << d.mtd->scheme;
      if (d.mtd->scheme != "prf") out << ", k=" << d.mtd->k;
      out << ").";
      return out.str();
    }
    if (!d.destination) {
      if (d.candidates.empty() && !unreachable_.empty())
        out << ": no destination: no candidate is reachable from " << *d.source
            << ", so nothing moves.";
      else
        out << ": no eligible destination, so nothing moves.";
      return out.str();
    }
    if (!d.candidates.empty() && d.candidates.front().score && d.choice.rfind("sample", 0) != 0) {
      out << " (";
      for (std::size_t i = 0; i < d.candidates.size() && i < 5; ++i)
        out << (i ? ", " : "") << d.candidates[i].host << " = "
            << formatQuantity(*d.candidates[i].score, d.candidates[i].dimension);
      if (d.candidates.size() > 5) out << ", ...";
      out << ")";
    }
    out << " -> " << *d.destination;
    if (tiedBest_ > 1)
      out << " (" << tiedBest_ << " tied for best; tie broken "
          << (policy_.where->tie == TieBreak::Random ? "at random" : "by name") << ")";
    out << ".";
    return out.str();
  }

  const Policy& policy_;
  const NetworkState& state_;
  Evaluator ev_;
  Value chosen_;
  Value source_;
  std::size_t whichMatched_ = 0;
  std::size_t tiedBest_ = 1;
  std::vector<std::string> unreachable_;  // "h3: no path from h2", candidates left out
};

}  // namespace

ParamValues resolveParams(const Policy& policy, std::span<const ParamOverride> overrides,
                          const NetworkState& state) {
  ParamValues out;
  for (const auto& o : overrides) {
    bool known = std::any_of(policy.params.begin(), policy.params.end(),
                             [&](const ParamDecl& p) { return p.name == o.name; });
    if (!known) {
      std::string names;
      for (const auto& p : policy.params) names += (names.empty() ? "" : ", ") + p.name;
      out.diagnostics.push_back(
          {codes::kParamError,
           "policy '" + policy.name + "' has no parameter '" + o.name + "'" +
               (names.empty() ? " (it has none)" : " (parameters: " + names + ")"),
           o.origin,
           {},
           Severity::Error});
    }
  }
  if (!out.diagnostics.empty()) return out;
  Evaluator defaults(&policy, policy.frameSize, state, 0);
  for (const auto& p : policy.params) {
    const ParamOverride* given = nullptr;
    for (const auto& o : overrides)
      if (o.name == p.name) given = &o;  // the last one wins
    try {
      if (!given) {
        Value v = defaults.eval(*p.defaultValue);
        defaults.setSlot(p.slot, v);
        out.values.push_back(std::move(v));
        continue;
      }
      auto parsed = parseExpression(given->value, given->origin);
      if (!parsed.expr) {
        out.diagnostics.insert(out.diagnostics.end(), parsed.diagnostics.begin(),
                               parsed.diagnostics.end());
        out.values.emplace_back();
        continue;
      }
      auto checked = checkExpression(*parsed.expr, {}, given->origin);
      if (!checked.diagnostics.empty()) {
        out.diagnostics.insert(out.diagnostics.end(), checked.diagnostics.begin(),
                               checked.diagnostics.end());
        out.values.emplace_back();
        continue;
      }
      const Type& t = parsed.expr->type;
      if (!assignable(t, p.type) || (t.kind == TypeKind::Number && t.dim != p.type.dim)) {
        bool units = t.kind == TypeKind::Number && p.type.kind == TypeKind::Number;
        out.diagnostics.push_back({units ? codes::kUnitError : codes::kTypeError,
                                   "parameter '" + p.name + "' is " + typeName(p.type) + ", but '" +
                                       given->value + "' is " + typeName(t),
                                   given->origin, parsed.expr->loc, Severity::Error});
        out.values.emplace_back();
        continue;
      }
      Evaluator once(nullptr, checked.frameSize, state, 0);
      Value v = once.eval(*parsed.expr);
      defaults.setSlot(p.slot, v);
      out.values.push_back(std::move(v));
    } catch (const EvalError& e) {
      out.diagnostics.push_back({codes::kEvalError, e.message,
                                 given ? given->origin : std::string(), e.loc, Severity::Error});
      out.values.emplace_back();
    }
  }
  return out;
}

DecideResult decide(const Policy& policy, const std::string& file, const NetworkState& state,
                    const DecideOptions& options) {
  DecideResult result;
  ParamValues params = resolveParams(policy, options.params, state);
  if (!params.diagnostics.empty()) {
    result.diagnostics = std::move(params.diagnostics);
    return result;
  }
  if (!policy.when || !policy.which || !policy.where) {
    result.diagnostics.push_back({codes::kPolicyError, "policy '" + policy.name + "' is incomplete",
                                  file, policy.nameLoc, Severity::Error});
    return result;
  }
  PolicyRun run(policy, state, options.seed);
  for (std::size_t i = 0; i < policy.params.size(); ++i)
    run.evaluator().setSlot(policy.params[i].slot, params.values[i]);
  try {
    if (options.maxDataAge && state.dataAgeSeconds() > *options.maxDataAge) {
      Decision d;
      d.policy = policy.name;
      d.evaluatedAt = state.now();
      d.trigger = "measurements are " + seconds(state.dataAgeSeconds()) + " old, more than the " +
                  seconds(*options.maxDataAge) + " allowed";
      d.explanation = "when not evaluated: " + d.trigger + ".";
      result.decision = std::move(d);
      return result;
    }
    result.decision = run.run();
  } catch (const EvalError& e) {
    result.diagnostics.push_back({codes::kEvalError, e.message, file, e.loc, Severity::Error});
  }
  return result;
}

}  // namespace roam::lang
