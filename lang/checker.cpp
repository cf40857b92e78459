#include "lang/checker.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "lang/builtins.hpp"
#include "lang/evaluator.hpp"
#include "lang/printer.hpp"

namespace roam::lang {

namespace {

constexpr std::string_view kParamTypes[] = {"number", "rate", "duration", "data", "bool", "string"};

std::optional<Type> paramType(std::string_view name) {
  if (auto d = dimensionOfTypeName(name)) return Type::number(*d);
  if (name == "bool") return Type::boolean();
  if (name == "string") return Type::string();
  return std::nullopt;
}

// Levenshtein distance of a and b, or `limit` when it is at least `limit`.
// The distance is at least the difference in length, and a row whose every
// cell has reached the limit can only grow: either way the rest of the table
// is not worth filling (most candidates lose at once or after a row or two).
std::size_t editDistance(std::string_view a, std::string_view b, std::size_t limit) {
  const std::size_t lengthGap = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (lengthGap >= limit) return limit;
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    std::size_t rowMin = row[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1] ? 1u : 0u)});
      diag = up;
      rowMin = std::min(rowMin, row[j]);
    }
    if (rowMin >= limit) return limit;
  }
  return std::min(row[b.size()], limit);
}

// The value of an expression of number literals, unary minus and arithmetic
// (no names, no calls), or nullopt; a division by zero or an overflow gives
// nullopt too (the checker reports those where they happen).
std::optional<double> constantValue(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Number:
      return std::isfinite(e.number) ? std::optional<double>(e.number) : std::nullopt;
    case ExprKind::Unary: {
      if (e.op == Op::Not) return std::nullopt;
      auto v = constantValue(*e.children[0]);
      return v ? std::optional<double>(-*v) : std::nullopt;
    }
    case ExprKind::Binary: {
      if (e.op != Op::Add && e.op != Op::Sub && e.op != Op::Mul && e.op != Op::Div &&
          e.op != Op::Mod)
        return std::nullopt;
      auto a = constantValue(*e.children[0]);
      auto b = constantValue(*e.children[1]);
      if (!a || !b) return std::nullopt;
      if ((e.op == Op::Div || e.op == Op::Mod) && *b == 0) return std::nullopt;
      double r = e.op == Op::Add   ? *a + *b
                 : e.op == Op::Sub ? *a - *b
                 : e.op == Op::Mul ? *a * *b
                 : e.op == Op::Div ? *a / *b
                                   : std::fmod(*a, *b);
      return std::isfinite(r) ? std::optional<double>(r) : std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

class Checker {
 public:
  Checker(const std::string& file, Diagnostics& out) : file_(file), out_(out) {}

  void checkPolicy(Policy& p);
  Type check(Expr& e);

  // Scope management, public so checkExpression can seed it.
  struct Entry {
    std::string name;
    int slot;
    Type type;
  };
  int declare(const std::string& name, Type t) {
    scope_.push_back({name, nextSlot_, t});
    return nextSlot_++;
  }
  std::size_t scopeMark() const { return scope_.size(); }
  void popScope(std::size_t mark) { scope_.resize(mark); }
  int frameSize() const { return nextSlot_; }
  void setNextSlot(int s) { nextSlot_ = s; }
  void seedPolicyScope(const Policy& p);

 private:
  void error(const Location& loc, std::string msg, std::string code = codes::kTypeError) {
    out_.push_back({std::move(code), std::move(msg), file_, loc, Severity::Error});
  }
  Type checkName(Expr& e);
  Type checkField(Expr& e);
  Type checkCall(Expr& e);
  Type checkBinary(Expr& e);
  // `1 / 0`, `5 % 0` and constants that overflow are value_errors.
  void checkConstantArithmetic(const Expr& e);
  Type checkSetLiteral(Expr& e);
  // Checks a binder's set, declares its variable, checks filter and body.
  ArgInfo checkBinder(Expr& e);
  void expectBool(Expr& e, const char* what);
  void expectDimension(Expr& e, Dimension d, const char* what);
  void checkLets(std::vector<LetBinding>& lets);
  // `VAR in SET { let... require... }` of a `which` or `where` clause.
  void checkSelection(SelectionClause& c, TypeKind elem, const char* clause);
  Type expectCollectionOf(Expr& e, TypeKind elem, const char* clause);
  std::string suggestion(std::string_view name) const;
  // A constant `e` that is not a whole number in [lo, hi] is a value_error.
  void expectWholeConstant(const Expr& e, std::int64_t lo, std::int64_t hi,
                           const std::string& what);
  // A constant `e` below `least` (or at it, when `strict`) is a value_error.
  void expectConstantAtLeast(const Expr& e, double least, bool strict, const std::string& what);
  void checkConstantArgs(const Expr& call, const BuiltinDecl& decl);
  // constantValue(e), or, for a parameter used by name, its constant default
  // (`note` then says so: the policy fails as written unless overridden).
  std::optional<double> constantOrDefault(const Expr& e, std::string* note) const;
  // Whether the unknown KEY ("name bogus", "field container.x") is reported
  // for the first time in this policy: one mistake is one error, however
  // often the misspelt name is used.
  bool firstReport(const std::string& key) { return reported_.insert(key).second; }

  const std::string& file_;
  Diagnostics& out_;
  std::vector<Entry> scope_;
  int nextSlot_ = 0;
  bool inWhere_ = false;
  std::map<int, const ParamDecl*> params_;  // by slot
  std::set<std::string> reported_;
};

std::string Checker::suggestion(std::string_view name) const {
  std::vector<std::string_view> names;
  for (const auto& e : scope_) names.push_back(e.name);
  for (const auto& g : globalTable()) names.push_back(g.name);
  for (const auto& b : builtinTable()) names.push_back(b.name);
  std::string best = closestName(name, names);
  return best.empty() ? std::string() : " (did you mean '" + best + "'?)";
}

std::optional<double> Checker::constantOrDefault(const Expr& e, std::string* note) const {
  if (auto v = constantValue(e)) return v;
  if (e.kind != ExprKind::Name || e.slot < 0) return std::nullopt;
  auto it = params_.find(e.slot);
  if (it == params_.end() || !it->second->defaultValue) return std::nullopt;
  auto v = constantValue(*it->second->defaultValue);
  if (v) *note = " (the default of parameter '" + it->second->name + "')";
  return v;
}

void Checker::expectWholeConstant(const Expr& e, std::int64_t lo, std::int64_t hi,
                                  const std::string& what) {
  if (e.type.isError() || e.type.kind != TypeKind::Number) return;
  std::string note;
  auto v = constantOrDefault(e, &note);
  if (!v) return;
  if (auto problem = wholeNumberProblem(*v, lo, hi, e.type.dim, what); !problem.empty())
    error(e.loc, std::move(problem) + note, codes::kValueError);
}

void Checker::expectConstantAtLeast(const Expr& e, double least, bool strict,
                                    const std::string& what) {
  if (e.type.isError() || e.type.kind != TypeKind::Number) return;
  std::string note;
  auto v = constantOrDefault(e, &note);
  if (!v || (strict ? *v > least : *v >= least)) return;
  error(e.loc,
        what + " must be " + (strict ? "> " : ">= ") + formatQuantity(least, e.type.dim) +
            ", not " + formatQuantity(*v, e.type.dim) + note,
        codes::kValueError);
}

void Checker::checkConstantArgs(const Expr& call, const BuiltinDecl& decl) {
  const auto& args = call.children;
  switch (decl.id) {
    case kBandwidth:
    case kRxBandwidth:
    case kTxBandwidth:
    case kUtilization:
      expectWholeConstant(*args[1], 0, kMaxPort, "a port number");
      break;
    case kWeightedSample:
      if (args[0]->kind == ExprKind::Binder && args[0]->body)
        expectConstantAtLeast(*args[0]->body, 0, false, "a weight");
      expectWholeConstant(*args[1], 0, kMaxCount, "the sample size");
      break;
    case kShamir:
    case kFountain:
      expectWholeConstant(*args[0], 1, kMaxSchemeK, std::string(decl.name) + "'s k");
      break;
    case kAvgOver:
    case kMaxOver:
    case kMinOver:
      expectConstantAtLeast(*args[1], 0, false, "the window");
      break;
    default:
      break;
  }
}

void Checker::expectBool(Expr& e, const char* what) {
  Type t = check(e);
  if (!t.isError() && t.kind != TypeKind::Bool)
    error(e.loc, std::string(what) + " must be a bool but is " + typeName(t));
}

void Checker::expectDimension(Expr& e, Dimension d, const char* what) {
  Type t = check(e);
  if (t.isError()) return;
  if (t.kind != TypeKind::Number)
    error(e.loc, std::string(what) + " must be " + dimensionName(d) + " but is " + typeName(t));
  else if (t.dim != d)
    error(e.loc, std::string(what) + " must be " + dimensionName(d) + " but is " + typeName(t),
          codes::kUnitError);
}

Type Checker::expectCollectionOf(Expr& e, TypeKind elem, const char* clause) {
  Type t = check(e);
  if (t.isError()) return Type{elem};
  bool fits =
      t.isCollection() && (t.elem == elem || t.elem == TypeKind::Any || t.elem == TypeKind::String);
  if (!fits) {
    error(e.loc, std::string("'") + clause + "' must range over a set of " + typeName(Type{elem}) +
                     "s but this is " + typeName(t));
  }
  return Type{elem};
}

void Checker::checkLets(std::vector<LetBinding>& lets) {
  for (auto& let : lets) {
    Type t = check(*let.value);
    let.slot = declare(let.name, t);
  }
}

void Checker::checkSelection(SelectionClause& c, TypeKind elem, const char* clause) {
  c.varSlot = declare(c.var, expectCollectionOf(*c.from, elem, clause));
  checkLets(c.lets);
  for (auto& r : c.filters) expectBool(*r, "a 'require' condition");
}

void Checker::seedPolicyScope(const Policy& p) {
  for (const auto& param : p.params)
    if (param.slot >= 0) {
      scope_.push_back({param.name, param.slot, param.type});
      params_[param.slot] = &param;
    }
  for (const auto& let : p.lets)
    if (let.slot >= 0)
      scope_.push_back({let.name, let.slot, let.value ? let.value->type : Type::error()});
  nextSlot_ = p.frameSize;
}

void Checker::checkPolicy(Policy& p) {
  scope_.clear();
  nextSlot_ = 0;
  params_.clear();
  reported_.clear();
  std::map<std::string, Location> seen;
  auto declareUnique = [&](const std::string& name, const Location& loc, const char* what) {
    auto [it, inserted] = seen.emplace(name, loc);
    if (!inserted)
      error(loc,
            std::string("duplicate ") + what + " '" + name + "' (first declared at line " +
                std::to_string(it->second.line) + ")",
            codes::kNameError);
  };

  for (auto& param : p.params) {
    declareUnique(param.name, param.loc, "parameter");
    Type t = check(*param.defaultValue);
    if (param.typeName) {
      auto declared = paramType(*param.typeName);
      if (!declared) {
        std::string known;
        for (auto n : kParamTypes) known += (known.empty() ? "" : ", ") + std::string(n);
        error(param.typeLoc,
              "unknown parameter type '" + *param.typeName + "' (types: " + known + ")");
      } else {
        if (!assignable(t, *declared)) {
          bool units = t.kind == TypeKind::Number && declared->kind == TypeKind::Number;
          error(param.defaultValue->loc,
                "default of parameter '" + param.name + "' must be " + typeName(*declared) +
                    " but is " + typeName(t),
                units ? codes::kUnitError : codes::kTypeError);
        }
        t = *declared;
      }
    } else if (!t.isError() && t.kind != TypeKind::Number && t.kind != TypeKind::Bool &&
               t.kind != TypeKind::String) {
      error(param.defaultValue->loc, "parameter '" + param.name +
                                         "' must be a number, rate, duration, data, bool or "
                                         "string, not " +
                                         typeName(t));
    }
    param.type = t;
    param.slot = declare(param.name, t);
    params_[param.slot] = &param;
  }

  for (auto& let : p.lets) {
    declareUnique(let.name, let.loc, "name");
    Type t = check(*let.value);
    let.slot = declare(let.name, t);
  }

  if (!p.when) {
    error(p.nameLoc, "policy '" + p.name + "' has no 'when' clause (when to migrate)",
          codes::kPolicyError);
  } else {
    auto mark = scopeMark();
    auto& w = *p.when;
    if (w.every) {
      expectDimension(*w.every, kDuration, "the interval after 'every'");
      expectConstantAtLeast(*w.every, 0, true, "the interval after 'every'");
    }
    checkLets(w.lets);
    expectBool(*w.condition, "the 'when' condition");
    if (w.sustainFor) {
      if (w.sustainInSamples) {
        expectDimension(*w.sustainFor, kNumber, "the number of samples after 'for'");
        expectWholeConstant(*w.sustainFor, 1, kMaxCount, "the number of samples after 'for'");
      } else {
        expectDimension(*w.sustainFor, kDuration, "the duration after 'for'");
        expectConstantAtLeast(*w.sustainFor, 0, false, "the duration after 'for'");
      }
    }
    popScope(mark);
  }

  if (!p.which) {
    error(p.nameLoc, "policy '" + p.name + "' has no 'which' clause (which container to move)",
          codes::kPolicyError);
  } else {
    auto mark = scopeMark();
    auto& w = *p.which;
    checkSelection(w, TypeKind::Container, "which");
    for (auto& k : w.order) {
      Type t = check(*k.key);
      if (!t.isError() && t.kind != TypeKind::Number && t.kind != TypeKind::String &&
          t.kind != TypeKind::Bool)
        error(k.key->loc, "can only order by numbers, strings or bools, not " + typeName(t));
    }
    if (w.limit) {
      expectDimension(*w.limit, kNumber, "the limit");
      expectWholeConstant(*w.limit, 0, kMaxCount, "the limit");
    }
    popScope(mark);
  }

  if (!p.where) {
    error(p.nameLoc, "policy '" + p.name + "' has no 'where' clause (where to move it)",
          codes::kPolicyError);
  } else {
    auto mark = scopeMark();
    auto& w = *p.where;
    w.sourceSlot = declare("source", Type::host());
    w.containerSlot = declare("container", Type::container());
    inWhere_ = true;
    checkSelection(w, TypeKind::Host, "where");
    switch (w.choice) {
      case ChoiceKind::None:
        error(w.loc,
              "'where' needs a choice: maximize E, minimize E, random, sample weighted by E, "
              "or mtd SCHEME",
              codes::kPolicyError);
        break;
      case ChoiceKind::Maximize:
      case ChoiceKind::Minimize:
      case ChoiceKind::Weighted: {
        Type t = check(*w.choiceExpr);
        if (!t.isError() && t.kind != TypeKind::Number)
          error(w.choiceExpr->loc, "the score must be a number but is " + typeName(t));
        if (w.choice == ChoiceKind::Weighted)
          expectConstantAtLeast(*w.choiceExpr, 0, false, "a weight");
        break;
      }
      case ChoiceKind::Mtd: {
        Type t = check(*w.choiceExpr);
        if (!t.isError() && t.kind != TypeKind::Scheme)
          error(w.choiceExpr->loc,
                "'mtd' needs a scheme: shamir(k), fountain(k) or prf(), not " + typeName(t));
        break;
      }
      case ChoiceKind::Random:
        break;
    }
    inWhere_ = false;
    popScope(mark);
  }
  p.frameSize = nextSlot_;
}

Type Checker::check(Expr& e) {
  Type t = Type::error();
  switch (e.kind) {
    case ExprKind::Number:
      t = Type::number(e.dimension);
      break;
    case ExprKind::String:
      t = Type::string();
      break;
    case ExprKind::Bool:
      t = Type::boolean();
      break;
    case ExprKind::Name:
      t = checkName(e);
      break;
    case ExprKind::Field:
      t = checkField(e);
      break;
    case ExprKind::Call:
      t = checkCall(e);
      break;
    case ExprKind::Unary: {
      Type o = check(*e.children[0]);
      if (e.op == Op::Not) {
        if (!o.isError() && o.kind != TypeKind::Bool)
          error(e.loc, "'not' needs a bool but got " + typeName(o));
        t = Type::boolean();
      } else {
        if (!o.isError() && o.kind != TypeKind::Number)
          error(e.loc, "cannot negate " + typeName(o));
        else
          t = o;
      }
      break;
    }
    case ExprKind::Binary:
      t = checkBinary(e);
      if (!t.isError() && t.kind == TypeKind::Number) checkConstantArithmetic(e);
      break;
    case ExprKind::If: {
      expectBool(*e.children[0], "the condition of 'if'");
      Type a = check(*e.children[1]);
      Type b = check(*e.children[2]);
      if (!assignable(a, b) && !assignable(b, a)) {
        bool units = a.kind == TypeKind::Number && b.kind == TypeKind::Number;
        error(e.children[2]->loc,
              "both branches of 'if' must have the same type, but 'then' is " + typeName(a) +
                  " and 'else' is " + typeName(b),
              units ? codes::kUnitError : codes::kTypeError);
      }
      t = a.isError() ? b : a;
      break;
    }
    case ExprKind::SetLiteral:
      t = checkSetLiteral(e);
      break;
    case ExprKind::Binder: {
      auto mark = scopeMark();
      ArgInfo info = checkBinder(e);
      popScope(mark);
      if (e.body)
        t = info.type.isError() ? Type::error() : Type::setOf(info.type);
      else
        t = info.binderSet.isError() ? Type::error() : Type::setOf(info.binderSet.element());
      break;
    }
  }
  e.type = t;
  return t;
}

Type Checker::checkName(Expr& e) {
  for (auto it = scope_.rbegin(); it != scope_.rend(); ++it) {
    if (it->name == e.text) {
      e.slot = it->slot;
      return it->type;
    }
  }
  if (const auto* g = findGlobal(e.text)) {
    e.global = g->id;
    return g->type;
  }
  if (findBuiltin(e.text)) {
    error(e.loc, "'" + e.text + "' is a function: call it as " + e.text + "(...)",
          codes::kNameError);
    return Type::error();
  }
  if (e.text == "source" || e.text == "container") {
    error(e.loc,
          "'" + e.text + "' is only defined inside 'where' (the " +
              (e.text == "source" ? std::string("host of the ") : std::string()) +
              "container chosen by 'which')",
          codes::kNameError);
    return Type::error();
  }
  if (firstReport("name " + e.text))
    error(e.loc, "unknown name '" + e.text + "'" + suggestion(e.text), codes::kNameError);
  return Type::error();
}

Type Checker::checkField(Expr& e) {
  Type obj = check(*e.children[0]);
  if (obj.isError()) return Type::error();
  if (obj.kind == TypeKind::Labels) return Type::string();
  auto fields = fieldsOf(obj.kind);
  for (const auto& f : fields)
    if (f.name == e.text) return f.type;
  if (fields.empty()) {
    std::string hint = obj.kind == TypeKind::String
                           ? " (a name in quotes is only a string here; use a variable)"
                           : std::string();
    error(e.loc, typeName(obj) + " has no fields" + hint);
    return Type::error();
  }
  std::string list;
  for (const auto& f : fields) list += (list.empty() ? "" : ", ") + std::string(f.name);
  if (firstReport("field " + typeName(obj) + "." + e.text))
    error(e.loc, typeName(obj) + " has no field '" + e.text + "' (fields: " + list + ")",
          codes::kNameError);
  return Type::error();
}

ArgInfo Checker::checkBinder(Expr& e) {
  ArgInfo info;
  info.isBinder = true;
  info.loc = e.loc;
  Type set = check(*e.children[0]);
  Type elem = Type::error();
  if (!set.isError()) {
    if (!set.isCollection())
      error(e.children[0]->loc,
            "'" + e.text + " in ...' must range over a set or a list, not " + typeName(set));
    else
      elem = set.element();
  }
  info.binderSet = set.isCollection() ? set : Type::error();
  e.slot = declare(e.text, elem);
  if (e.filter) expectBool(*e.filter, "the condition after 'where'");
  if (e.body) {
    info.type = check(*e.body);
    info.binderHasBody = true;
  } else {
    info.type = elem;
  }
  return info;
}

Type Checker::checkCall(Expr& e) {
  const BuiltinDecl* decl = findBuiltin(e.text);
  if (!decl) {
    std::vector<std::string_view> names;
    for (const auto& b : builtinTable()) names.push_back(b.name);
    std::string best = closestName(e.text, names);
    if (firstReport("function " + e.text))
      error(e.loc,
            "unknown function '" + e.text + "'" +
                (best.empty() ? std::string() : " (did you mean '" + best + "'?)"),
            codes::kNameError);
    for (auto& a : e.children) {
      auto mark = scopeMark();
      if (a->kind == ExprKind::Binder)
        checkBinder(*a);
      else
        check(*a);
      popScope(mark);
    }
    return Type::error();
  }
  e.builtin = decl;
  int n = static_cast<int>(e.children.size());
  std::vector<ArgInfo> args;
  for (int i = 0; i < n; ++i) {
    Expr& a = *e.children[i];
    auto mark = scopeMark();
    if (a.kind == ExprKind::Binder && !a.setBuilder) {
      if (!decl->acceptsBinder || i != 0) {
        error(a.loc,
              std::string(decl->name) + " does not take a binder ('" + a.text + " in ...') here");
      }
      args.push_back(checkBinder(a));
      a.type = args.back().type;
    } else {
      ArgInfo info;
      info.type = check(a);
      info.loc = a.loc;
      args.push_back(info);
    }
    popScope(mark);
  }
  if (n < decl->minArgs || n > decl->maxArgs) {
    std::string want = decl->minArgs == decl->maxArgs
                           ? std::to_string(decl->minArgs)
                           : std::to_string(decl->minArgs) + " or " + std::to_string(decl->maxArgs);
    error(e.loc,
          std::string(decl->name) + " takes " + want + " argument" + (want == "1" ? "" : "s") +
              " but got " + std::to_string(n) + " (usage: " + std::string(decl->signature) + ")",
          codes::kArityError);
    return Type::error();
  }
  TypingResult r = decl->typer(args);
  if (!r.error.empty()) {
    Location loc = r.argIndex >= 0 ? args[r.argIndex].loc : e.loc;
    error(loc, std::string(decl->name) + ": " + r.error, r.code);
    return Type::error();
  }
  checkConstantArgs(e, *decl);
  return r.type;
}

Type Checker::checkSetLiteral(Expr& e) {
  Type elem{TypeKind::Any};
  for (auto& c : e.children) {
    Type t = check(*c);
    if (t.isError()) continue;
    if (t.isCollection()) {
      error(c->loc, "sets cannot contain sets");
      continue;
    }
    if (elem.kind == TypeKind::Any) {
      elem = t;
    } else if (elem.kind == TypeKind::String && t.isEntity()) {
      elem = t;  // {"h3", h} is a set of hosts
    } else if (!assignable(t, elem)) {
      bool units = t.kind == TypeKind::Number && elem.kind == TypeKind::Number;
      error(c->loc, "set elements must all be " + typeName(elem) + ", not " + typeName(t),
            units ? codes::kUnitError : codes::kTypeError);
    }
  }
  return Type::setOf(elem);
}

void Checker::checkConstantArithmetic(const Expr& e) {
  if (e.op != Op::Add && e.op != Op::Sub && e.op != Op::Mul && e.op != Op::Div && e.op != Op::Mod)
    return;
  auto b = constantValue(*e.children[1]);
  if ((e.op == Op::Div || e.op == Op::Mod) && b && *b == 0) {
    error(e.loc,
          std::string(e.op == Op::Div ? "division" : "remainder of a division") + " by zero ('" +
              exprToString(e) + "')",
          codes::kValueError);
    return;
  }
  auto a = constantValue(*e.children[0]);
  if (a && b && !constantValue(e))
    error(e.loc, "'" + exprToString(e) + "' overflows: the result is not a finite number",
          codes::kValueError);
}

Type Checker::checkBinary(Expr& e) {
  Type a = check(*e.children[0]);
  Type b = check(*e.children[1]);
  if (a.isError() || b.isError()) {
    const bool yieldsBool = e.op == Op::And || e.op == Op::Or || isComparison(e.op);
    return yieldsBool ? Type::boolean() : Type::error();
  }
  const std::string op = opSpelling(e.op);
  auto mismatch = [&](const std::string& verb) {
    bool units = a.kind == TypeKind::Number && b.kind == TypeKind::Number;
    error(e.loc,
          "cannot " + verb + " " + typeName(a) + " " + (verb == "compare" ? "with " : "and ") +
              typeName(b) + " ('" + op + "')",
          units ? codes::kUnitError : codes::kTypeError);
  };
  bool numbers = a.kind == TypeKind::Number && b.kind == TypeKind::Number;
  switch (e.op) {
    case Op::Add:
    case Op::Sub:
      if (numbers) {
        if (a.dim != b.dim) {
          mismatch(e.op == Op::Add ? "add" : "subtract");
          return Type::error();
        }
        return a;
      }
      if (a.isCollection() && b.isCollection() && (assignable(b, a) || assignable(a, b))) {
        // The result holds entities when either side does ({"h3"} + hosts is
        // a set of hosts); a difference keeps the left side's elements.
        bool takeRight =
            a.elem == TypeKind::Any || (a.elem == TypeKind::String && b.elem != TypeKind::Any);
        if (e.op == Op::Sub) takeRight = a.elem == TypeKind::Any;
        Type r = takeRight ? b : a;
        r.kind = (a.kind == TypeKind::List && b.kind == TypeKind::List && e.op == Op::Add)
                     ? TypeKind::List
                     : TypeKind::Set;
        return r;
      }
      if (e.op == Op::Add && a.kind == TypeKind::String && b.kind == TypeKind::String) return a;
      mismatch(e.op == Op::Add ? "add" : "subtract");
      return Type::error();
    case Op::Mul:
    case Op::Div:
      if (numbers) return Type::number(e.op == Op::Mul ? a.dim * b.dim : a.dim / b.dim);
      mismatch(e.op == Op::Mul ? "multiply" : "divide");
      return Type::error();
    case Op::Mod:
      if (numbers && a.dim == b.dim) return a;
      mismatch("take the remainder of");
      return Type::error();
    case Op::Eq:
    case Op::Ne:
      if (numbers && a.dim != b.dim) {
        mismatch("compare");
      } else if (!assignable(a, b) && !assignable(b, a)) {
        mismatch("compare");
      }
      return Type::boolean();
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
      if ((numbers && a.dim == b.dim) || (a.kind == TypeKind::String && b.kind == TypeKind::String))
        return Type::boolean();
      mismatch("compare");
      return Type::boolean();
    case Op::In:
    case Op::NotIn:
      if (!b.isCollection()) {
        error(e.loc, "the right side of '" + op + "' must be a set or a list, not " + typeName(b));
      } else if (!assignable(a, b.element()) && !assignable(b.element(), a)) {
        bool units = a.kind == TypeKind::Number && b.elem == TypeKind::Number;
        error(e.loc, "cannot look for " + typeName(a) + " in " + typeName(b),
              units ? codes::kUnitError : codes::kTypeError);
      }
      return Type::boolean();
    case Op::And:
    case Op::Or:
      if (a.kind != TypeKind::Bool)
        error(e.children[0]->loc, "'" + op + "' needs bools but the left side is " + typeName(a));
      if (b.kind != TypeKind::Bool)
        error(e.children[1]->loc, "'" + op + "' needs bools but the right side is " + typeName(b));
      return Type::boolean();
    default:
      break;
  }
  return Type::error();
}

}  // namespace

std::string closestName(std::string_view name, std::span<const std::string_view> candidates) {
  std::string_view best;
  std::size_t bestDistance = std::max<std::size_t>(1, name.size() / 3) + 1;
  for (auto c : candidates) {
    std::size_t d = editDistance(name, c, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return std::string(best);
}

Diagnostics checkPolicyFile(PolicyFile& file) {
  Diagnostics out;
  std::map<std::string, Location> names;
  for (auto& p : file.policies) {
    Checker c(file.path, out);
    c.checkPolicy(p);
    auto [it, inserted] = names.emplace(p.name, p.nameLoc);
    if (!inserted)
      out.push_back({codes::kNameError,
                     "duplicate policy name '" + p.name + "' (first defined at " + file.path + ":" +
                         std::to_string(it->second.line) + ":" + std::to_string(it->second.column) +
                         ")",
                     file.path, p.nameLoc, Severity::Error});
  }
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.location.offset < b.location.offset;
  });
  return out;
}

Diagnostics checkPolicyFiles(std::span<PolicyFile> files) {
  Diagnostics out;
  struct First {
    std::string file;
    Location loc;
  };
  std::map<std::string, First> names;
  for (auto& f : files) {
    auto ds = checkPolicyFile(f);
    out.insert(out.end(), ds.begin(), ds.end());
    std::map<std::string, bool> inThisFile;
    for (const auto& p : f.policies) {
      if (inThisFile[p.name]) continue;  // reported by checkPolicyFile
      inThisFile[p.name] = true;
      auto [it, inserted] = names.emplace(p.name, First{f.path, p.nameLoc});
      if (!inserted)
        out.push_back({codes::kNameError,
                       "duplicate policy name '" + p.name + "' (first defined at " +
                           it->second.file + ":" + std::to_string(it->second.loc.line) + ":" +
                           std::to_string(it->second.loc.column) + ")",
                       f.path, p.nameLoc, Severity::Error});
    }
  }
  return out;
}

ExpressionCheck checkExpression(Expr& expr, const ExpressionScope& scope, const std::string& file) {
  ExpressionCheck result;
  Checker c(file, result.diagnostics);
  if (scope.policy) c.seedPolicyScope(*scope.policy);
  for (const auto& v : scope.variables) result.variableSlots.push_back(c.declare(v.name, v.type));
  c.check(expr);
  result.frameSize = c.frameSize();
  return result;
}

}  // namespace roam::lang
