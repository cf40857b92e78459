#include "lang/parse_builder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>
#include <utility>

#include "lang/diagnostic_codes.hpp"

namespace roam::lang::parsing {

namespace pegtl = tao::pegtl;

Location toLocation(const Iterator& it) {
  return {static_cast<std::uint32_t>(it.line), static_cast<std::uint32_t>(it.column),
          static_cast<std::uint32_t>(it.byte)};
}

std::string clipped(std::string_view s) {
  constexpr std::size_t kMax = 32;
  if (s.size() <= kMax) return std::string(s);
  return std::string(s.substr(0, kMax)) + "...";
}

namespace {

// A location `n` bytes to the right on the same line.
Location shifted(Location loc, std::size_t n) {
  loc.column += static_cast<std::uint32_t>(n);
  loc.offset += static_cast<std::uint32_t>(n);
  return loc;
}

std::string unescape(std::string_view quoted) {
  // `quoted` includes both quotes; the grammar allowed only the four escapes.
  std::string out;
  if (quoted.size() < 2) return out;
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  out.reserve(body.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\\' && i + 1 < body.size()) {
      const char e = body[++i];
      c = e == 'n' ? '\n' : e == 't' ? '\t' : e;
    }
    out += c;
  }
  return out;
}

const char* choiceSpelling(ChoiceKind k) {
  switch (k) {
    case ChoiceKind::Maximize:
      return "maximize";
    case ChoiceKind::Minimize:
      return "minimize";
    case ChoiceKind::Random:
      return "random";
    case ChoiceKind::Weighted:
      return "sample weighted by";
    case ChoiceKind::Mtd:
      return "mtd";
    case ChoiceKind::None:
      break;
  }
  return "?";
}

ExprPtr makeExpr(ExprKind kind, const Location& loc) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->loc = loc;
  return e;
}

}  // namespace

Builder::Builder(std::string file, Diagnostics& diagnostics, std::vector<Policy>* policies)
    : file_(std::move(file)), diagnostics_(diagnostics), policies_(policies) {}

void Builder::ruleEnded(bool failed) {
  if (starts_.empty()) return;
  if (failed) failedStart_ = starts_.back();
  starts_.pop_back();
}

void Builder::enterNesting(const Iterator& it) {
  if (++nesting_ > kMaxNesting) fail("expression nested too deeply", toLocation(it));
}

void Builder::fail(const std::string& message, const Location& loc) const {
  throw pegtl::parse_error(message, pegtl::position(loc.offset, loc.line, loc.column, file_));
}

// Drops everything half-built after a syntax error.
void Builder::beginStep() {
  values_.clear();
  ops_.clear();
  groups_.clear();
  starts_.clear();
  failedStart_ = Iterator();
  nesting_ = 0;
  inPolicy_ = false;
  block_ = Block::None;
}

ExprPtr Builder::takeExpression() {
  if (values_.size() != 1) return nullptr;
  ExprPtr e = std::move(values_.back().expr);
  values_.clear();
  return e;
}

void Builder::number(std::string_view text, const Location& loc) {
  std::size_t i = 0;
  while (i < text.size() && isDigit(text[i])) ++i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && isDigit(text[i])) ++i;
  }
  std::size_t u = i;
  if (u < text.size() && text[u] == '%') {
    ++u;
  } else {
    while (u < text.size() && isAlpha(text[u])) ++u;
  }
  const std::string_view digits = text.substr(0, i);
  const std::string_view unit = text.substr(i, u - i);
  const std::string_view junk = text.substr(u);

  auto e = makeExpr(ExprKind::Number, loc);
  if (!unit.empty()) {
    const auto found = findUnit(unit);
    if (!found) fail("unknown unit '" + clipped(unit) + "'", shifted(loc, i));
    e->dimension = found->dimension;
  }
  if (!junk.empty())
    fail("unexpected '" + clipped(junk) + "' after the number '" + clipped(text.substr(0, u)) + "'",
         shifted(loc, u));
  double value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc() && !unit.empty()) value *= findUnit(unit)->scale;
  if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(value))
    fail("number '" + clipped(text) + "' is out of range", loc);
  e->number = value;
  push({std::move(e)});
}

void Builder::string(std::string_view quoted, const Location& loc) {
  auto e = makeExpr(ExprKind::String, loc);
  e->text = unescape(quoted);
  push({std::move(e)});
}

void Builder::boolean(bool value, const Location& loc) {
  auto e = makeExpr(ExprKind::Bool, loc);
  e->boolean = value;
  push({std::move(e)});
}

void Builder::name(std::string_view text, const Location& loc) {
  auto e = makeExpr(ExprKind::Name, loc);
  e->text = std::string(text);
  push({std::move(e)});
}

// `f(`: the name just pushed becomes the callee.
void Builder::openCall(const Location& loc) {
  Node& callee = values_.back();
  callee.expr->kind = ExprKind::Call;
  callee.binderHead = false;
  groups_.push_back({values_.size(), loc, callee.expr->text});
}

void Builder::closeCall() {
  Group group = popGroup();
  Node call = collect(group.base, std::move(values_[group.base - 1].expr));
  values_.pop_back();
  push(std::move(call));
}

void Builder::parenthesized() {
  values_.back().parenthesized = true;
  values_.back().binderHead = false;
}

void Builder::openBraces(const Location& loc) {
  groups_.push_back({values_.size(), loc, {}});
}

void Builder::closeSetLiteral() {
  Group group = popGroup();
  push(collect(group.base, makeExpr(ExprKind::SetLiteral, group.loc)));
}

// `{x in S where C}`: the binder itself is the set; it starts at the brace.
void Builder::closeSetBuilder() {
  Group group = popGroup();
  values_.back().expr->loc = group.loc;
  values_.back().expr->setBuilder = true;
}

// `where` or ':' after `NAME in SET`.
void Builder::startBinder(const char* token, const Location& loc) {
  Node& head = values_.back();
  if (!head.binderHead)
    fail(std::string("expected 'NAME in SET' before '") + token +
             "' (a binder names its variable and set)",
         loc);
  Expr& in = *head.expr;
  auto binder = makeExpr(ExprKind::Binder, in.children[0]->loc);
  binder->text = std::move(in.children[0]->text);
  binder->children.push_back(std::move(in.children[1]));
  head.expr = std::move(binder);
  head.binderHead = false;
}

void Builder::binderFilter() {
  Node filter = pop();
  Node& binder = values_.back();
  binder.expr->filter = std::move(filter.expr);
  deepen(binder, filter.depth);
}

void Builder::binderBody() {
  Node body = pop();
  Node& binder = values_.back();
  binder.expr->body = std::move(body.expr);
  deepen(binder, body.depth);
}

void Builder::field(std::string_view text, const Location&) {
  Node object = pop();
  // The node starts where its object starts (docs/grammar.md).
  auto e = makeExpr(ExprKind::Field, object.expr->loc);
  e->text = std::string(text);
  push(wrap(std::move(e), std::move(object)));
}

void Builder::unary(Op op, const Location& loc) {
  Node operand = pop();
  auto e = makeExpr(ExprKind::Unary, loc);
  e->op = op;
  push(wrap(std::move(e), std::move(operand)));
}

void Builder::binary() {
  const PendingOp op = ops_.back();
  ops_.pop_back();
  Node rhs = pop();
  Node lhs = pop();
  const bool head = op.op == Op::In && lhs.expr->kind == ExprKind::Name && !lhs.parenthesized;
  auto e = makeExpr(ExprKind::Binary, op.loc);
  e->op = op.op;
  Node n{std::move(e), 1 + std::max(lhs.depth, rhs.depth)};
  n.expr->children.push_back(std::move(lhs.expr));
  n.expr->children.push_back(std::move(rhs.expr));
  n.binderHead = head;
  push(std::move(n));
}

void Builder::conditional(const Location& loc) {
  Node otherwise = pop();
  Node then = pop();
  Node cond = pop();
  auto e = makeExpr(ExprKind::If, loc);
  const int depth = 1 + std::max({cond.depth, then.depth, otherwise.depth});
  e->children.push_back(std::move(cond.expr));
  e->children.push_back(std::move(then.expr));
  e->children.push_back(std::move(otherwise.expr));
  push({std::move(e), depth});
}

void Builder::finishLet(const Location& loc) {
  LetBinding let{loc, std::move(letName_), pop().expr};
  switch (block_) {
    case Block::When:
      when_.lets.push_back(std::move(let));
      break;
    case Block::Which:
      which_.lets.push_back(std::move(let));
      break;
    case Block::Where:
      where_.lets.push_back(std::move(let));
      break;
    case Block::Policy:
    case Block::None:
      policy_.lets.push_back(std::move(let));
      break;
  }
}

void Builder::beginParam(const Location& loc) {
  param_ = ParamDecl{};
  param_.loc = loc;
}
void Builder::paramType(std::string_view text, const Location& loc) {
  param_.typeName = std::string(text);
  param_.typeLoc = loc;
}
void Builder::paramDoc(std::string_view quoted) {
  param_.doc = unescape(quoted);
}
void Builder::finishParam() {
  param_.defaultValue = pop().expr;
  policy_.params.push_back(std::move(param_));
}

SelectionClause* Builder::selection() {
  if (block_ == Block::Which) return &which_;
  if (block_ == Block::Where) return &where_;
  return nullptr;
}

void Builder::selectionVar(std::string_view text, const Location& loc) {
  SelectionClause& c = *selection();
  c.var = std::string(text);
  c.varLoc = loc;
}

void Builder::selectionFrom() {
  selection()->from = pop().expr;
}

void Builder::require() {
  ExprPtr condition = pop().expr;
  if (SelectionClause* c = selection()) c->filters.push_back(std::move(condition));
}

template <typename Clause>
void Builder::beginClause(const std::optional<Clause>& done, Clause& open, Block block,
                          const char* keyword, const Location& loc) {
  if (done) duplicate(std::string("duplicate '") + keyword + "' clause", loc);
  open = Clause{};
  open.loc = loc;
  block_ = block;
}

template <typename Clause>
void Builder::finishClause(std::optional<Clause>& done, Clause& open) {
  if (!done) done = std::move(open);
  block_ = Block::Policy;
}

void Builder::beginWhen(const Location& loc) {
  beginClause(policy_.when, when_, Block::When, "when", loc);
}
void Builder::finishWhen() {
  finishClause(policy_.when, when_);
}

void Builder::beginWhich(const Location& loc) {
  beginClause(policy_.which, which_, Block::Which, "which", loc);
}
void Builder::limitKeyword(const Location& loc) {
  extraLimit_ = which_.limit != nullptr;
  if (extraLimit_) duplicate("duplicate 'limit' in the 'which' clause", loc);
}
void Builder::limit() {
  ExprPtr e = pop().expr;
  if (!extraLimit_) which_.limit = std::move(e);
}
void Builder::finishWhich() {
  finishClause(policy_.which, which_);
}

void Builder::beginWhere(const Location& loc) {
  beginClause(policy_.where, where_, Block::Where, "where", loc);
}
void Builder::choice(ChoiceKind kind, const Location& loc) {
  extraChoice_ = where_.choice != ChoiceKind::None;
  if (extraChoice_) {
    duplicate(std::string("second choice '") + choiceSpelling(kind) +
                  "' in the 'where' clause (already '" + choiceSpelling(where_.choice) + "')",
              loc);
    return;
  }
  where_.choice = kind;
  where_.choiceLoc = loc;
}
void Builder::choiceExpression() {
  ExprPtr e = pop().expr;
  if (!extraChoice_) where_.choiceExpr = std::move(e);
}
void Builder::tieKeyword(const Location& loc) {
  extraTie_ = where_.tieDeclared;
  if (extraTie_) duplicate("duplicate 'tie' in the 'where' clause", loc);
}
void Builder::tie(TieBreak t) {
  if (extraTie_) return;
  where_.tie = t;
  where_.tieDeclared = true;
}
void Builder::finishWhere() {
  finishClause(policy_.where, where_);
}

void Builder::beginPolicy(const Location& loc) {
  policy_ = Policy{};
  policy_.loc = loc;
  inPolicy_ = true;
  block_ = Block::Policy;
}
void Builder::policyName(std::string_view text, const Location& loc) {
  policy_.name = std::string(text);
  policy_.nameLoc = loc;
}
void Builder::policyDescription(std::string_view quoted) {
  policy_.description = unescape(quoted);
}
void Builder::finishPolicy() {
  if (policies_ != nullptr) policies_->push_back(std::move(policy_));
  inPolicy_ = false;
  block_ = Block::None;
}

void Builder::push(Node n) {
  if (n.depth > kMaxTreeDepth) fail("expression nested too deeply", n.expr->loc);
  values_.push_back(std::move(n));
}

Node Builder::pop() {
  Node n = std::move(values_.back());
  values_.pop_back();
  return n;
}

Group Builder::popGroup() {
  Group g = std::move(groups_.back());
  groups_.pop_back();
  return g;
}

// `parent` with the values above `base` as its children.
Node Builder::collect(std::size_t base, ExprPtr parent) {
  int depth = 0;
  for (std::size_t i = base; i < values_.size(); ++i) {
    depth = std::max(depth, values_[i].depth);
    parent->children.push_back(std::move(values_[i].expr));
  }
  values_.resize(base);
  return {std::move(parent), depth + 1};
}

Node Builder::wrap(ExprPtr parent, Node child) {
  parent->children.push_back(std::move(child.expr));
  return {std::move(parent), child.depth + 1};
}

void Builder::deepen(Node& n, int childDepth) {
  n.depth = std::max(n.depth, childDepth + 1);
  if (n.depth > kMaxTreeDepth) fail("expression nested too deeply", n.expr->loc);
}

// A clause the policy already has: reported, parsing goes on, the first wins.
void Builder::duplicate(const std::string& what, const Location& loc) {
  diagnostics_.push_back(
      {codes::kParseError, what + " in policy '" + policy_.name + "'", file_, loc});
}

std::string Builder::expand(const char* text, const std::string& found) const {
  std::string out;
  for (const char* p = text; *p != '\0'; ++p) {
    std::string_view rest(p);
    auto replace = [&](std::string_view key, const std::string& value) {
      if (rest.substr(0, key.size()) != key) return false;
      out += value;
      p += key.size() - 1;
      return true;
    };
    if (*p == '{' && (replace("{policy}", policy_.name) ||
                      replace("{op}", ops_.empty() ? "?" : opSpelling(ops_.back().op)) ||
                      replace("{call}", groups_.empty() ? "?" : groups_.back().callee) ||
                      replace("{found}", found)))
      continue;
    out += *p;
  }
  return out;
}

}  // namespace roam::lang::parsing
