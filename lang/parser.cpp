#include "lang/parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>
#include <optional>
#include <system_error>
#include <utility>

#include <tao/pegtl.hpp>

#include "lang/grammar.hpp"

namespace roam::lang {

namespace {

namespace g = grammar;
namespace pegtl = tao::pegtl;

// Nested parentheses, braces, calls, binders, `if`, `not` and unary '-' recurse
// in the parser; this bounds its stack use on hostile input.
constexpr int kMaxNesting = 200;
// Later phases walk the tree recursively too; long operator chains
// (a + a + ... ) build deep trees without nesting in the source.
constexpr int kMaxTreeDepth = 1000;
// A garbage file would otherwise yield one diagnostic per line.
constexpr std::size_t kMaxDiagnostics = 100;
// Locations hold 32-bit offsets; recovery relies on them being exact.
constexpr std::size_t kMaxSourceSize = UINT32_MAX;

constexpr const char* kCode = "parse_error";

using Iterator = pegtl::internal::iterator;

Location toLocation(const Iterator& it) {
  return {static_cast<std::uint32_t>(it.line), static_cast<std::uint32_t>(it.column),
          static_cast<std::uint32_t>(it.byte)};
}

template <typename ActionInput>
Location locationOf(const ActionInput& in) {
  return toLocation(in.iterator());
}

// A location `n` bytes to the right on the same line.
Location shifted(Location loc, std::size_t n) {
  loc.column += static_cast<std::uint32_t>(n);
  loc.offset += static_cast<std::uint32_t>(n);
  return loc;
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool isIdentChar(char c) {
  return isAlpha(c) || isDigit(c) || c == '_';
}

// Long tokens are cut in messages so a diagnostic stays one readable line.
std::string clipped(std::string_view s) {
  constexpr std::size_t kMax = 32;
  if (s.size() <= kMax) return std::string(s);
  return std::string(s.substr(0, kMax)) + "...";
}

bool isReservedWord(std::string_view w) {
  pegtl::memory_input<> in(w.data(), w.data() + w.size(), "");
  return pegtl::parse<pegtl::seq<g::reserved, pegtl::eof>>(in);
}

// The word starting at `p` (identifier rules, including inner dashes).
std::string_view wordAt(const char* p, const char* end) {
  const char* q = p;
  if (q == end || !(isAlpha(*q) || *q == '_')) return {};
  ++q;
  while (q != end) {
    if (isIdentChar(*q)) {
      ++q;
    } else if (*q == '-' && q + 1 != end && (isAlpha(q[1]) || isDigit(q[1]))) {
      q += 2;
    } else {
      break;
    }
  }
  return {p, static_cast<std::size_t>(q - p)};
}

// What the parser found where it expected something else, for messages.
std::string describeToken(const char* p, const char* end) {
  if (p == nullptr || p >= end) return "end of file";
  const char c = *p;
  if (std::string_view w = wordAt(p, end); !w.empty())
    return (isReservedWord(w) ? "reserved word '" : "'") + clipped(w) + "'";
  if (isDigit(c)) {
    const char* q = p;
    while (q != end && (isIdentChar(*q) || *q == '.' || *q == '%')) ++q;
    return "'" + clipped({p, static_cast<std::size_t>(q - p)}) + "'";
  }
  if (c == '"') return "a string";
  if (c > ' ' && c < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

bool startsWithPolicyWord(const char* p, const char* end) {
  return wordAt(p, end) == "policy";
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

// An expression under construction, with what the parser needs to know
// about how it was written.
struct Node {
  ExprPtr expr;
  int depth = 1;
  bool parenthesized = false;
  // Written as `NAME in SET`: a following `where` or ':' makes it a binder.
  bool binderHead = false;
};

struct PendingOp {
  Op op = Op::None;
  Location loc;
};

// An open call or brace: its elements are the values above `base`.
struct Group {
  std::size_t base = 0;
  Location loc;
  std::string callee;
};

enum class Block { None, Policy, When, Which, Where };

// One entry of the error table: `text` is the message; when `unexpected` is
// set it replaces `text` unless the parser stands at the end of the input or
// at the next `policy` (where "expected '}'" is the helpful message).
// Placeholders: {policy} {op} {call} {found}. `back` moves the location left
// (a string error points at its opening quote).
struct ErrorText {
  const char* text = nullptr;
  const char* unexpected = nullptr;
  std::uint32_t back = 0;
};

// Collects the AST while PEGTL runs the actions. Also the state the control
// class needs for messages, nesting limits and error positions.
class Builder {
 public:
  Builder(std::string file, Diagnostics& diagnostics, std::vector<Policy>* policies)
      : file_(std::move(file)), diagnostics_(diagnostics), policies_(policies) {}

  // --- bookkeeping for the control class

  void ruleStarted(const Iterator& it) { starts_.push_back(it); }
  void ruleEnded(bool failed) {
    if (starts_.empty()) return;
    if (failed) failedStart_ = starts_.back();
    starts_.pop_back();
  }
  const Iterator& failedStart() const { return failedStart_; }

  void enterNesting(const Iterator& it) {
    if (++nesting_ > kMaxNesting) fail("expression nested too deeply", toLocation(it));
  }
  void leaveNesting() { --nesting_; }

  [[noreturn]] void raise(const ErrorText& e, const char* end) const {
    const char* at = failedStart_.data;
    const bool atBoundary = at == nullptr || at >= end || startsWithPolicyWord(at, end);
    const char* text = e.unexpected != nullptr && !atBoundary ? e.unexpected : e.text;
    Location loc = toLocation(failedStart_);
    if (e.back != 0 && loc.column > e.back) {
      loc.column -= e.back;
      loc.offset -= e.back;
    }
    fail(expand(text, describeToken(at, end)), loc);
  }

  [[noreturn]] void fail(const std::string& message, const Location& loc) const {
    throw pegtl::parse_error(message, pegtl::position(loc.offset, loc.line, loc.column, file_));
  }

  // Drops everything half-built after a syntax error.
  void beginStep() {
    values_.clear();
    ops_.clear();
    groups_.clear();
    starts_.clear();
    failedStart_ = Iterator();
    nesting_ = 0;
    inPolicy_ = false;
    block_ = Block::None;
  }

  bool inPolicy() const { return inPolicy_; }
  std::uint32_t policyOffset() const { return policy_.loc.offset; }

  ExprPtr takeExpression() {
    if (values_.size() != 1) return nullptr;
    ExprPtr e = std::move(values_.back().expr);
    values_.clear();
    return e;
  }

  // --- expressions

  void number(std::string_view text, const Location& loc) {
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
      fail("unexpected '" + clipped(junk) + "' after the number '" + clipped(text.substr(0, u)) +
               "'",
           shifted(loc, u));
    double value = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && !unit.empty()) value *= findUnit(unit)->scale;
    if (ec != std::errc() || ptr != digits.data() + digits.size() || !std::isfinite(value))
      fail("number '" + clipped(text) + "' is out of range", loc);
    e->number = value;
    push({std::move(e)});
  }

  void string(std::string_view quoted, const Location& loc) {
    auto e = makeExpr(ExprKind::String, loc);
    e->text = unescape(quoted);
    push({std::move(e)});
  }

  void boolean(bool value, const Location& loc) {
    auto e = makeExpr(ExprKind::Bool, loc);
    e->boolean = value;
    push({std::move(e)});
  }

  void name(std::string_view text, const Location& loc) {
    auto e = makeExpr(ExprKind::Name, loc);
    e->text = std::string(text);
    push({std::move(e)});
  }

  // `f(`: the name just pushed becomes the callee.
  void openCall(const Location& loc) {
    Node& callee = values_.back();
    callee.expr->kind = ExprKind::Call;
    callee.binderHead = false;
    groups_.push_back({values_.size(), loc, callee.expr->text});
  }

  void closeCall() {
    Group group = popGroup();
    Node call = collect(group.base, std::move(values_[group.base - 1].expr));
    values_.pop_back();
    push(std::move(call));
  }

  void parenthesized() {
    values_.back().parenthesized = true;
    values_.back().binderHead = false;
  }

  void openBraces(const Location& loc) { groups_.push_back({values_.size(), loc, {}}); }

  void closeSetLiteral() {
    Group group = popGroup();
    push(collect(group.base, makeExpr(ExprKind::SetLiteral, group.loc)));
  }

  // `{x in S where C}`: the binder itself is the set; it starts at the brace.
  void closeSetBuilder() {
    Group group = popGroup();
    values_.back().expr->loc = group.loc;
    values_.back().expr->setBuilder = true;
  }

  // `where` or ':' after `NAME in SET`.
  void startBinder(const Location& loc, const char* token) {
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

  void binderFilter() {
    Node filter = pop();
    Node& binder = values_.back();
    binder.expr->filter = std::move(filter.expr);
    deepen(binder, filter.depth);
  }

  void binderBody() {
    Node body = pop();
    Node& binder = values_.back();
    binder.expr->body = std::move(body.expr);
    deepen(binder, body.depth);
  }

  void field(std::string_view text, const Location&) {
    Node object = pop();
    // The node starts where its object starts (docs/grammar.md).
    auto e = makeExpr(ExprKind::Field, object.expr->loc);
    e->text = std::string(text);
    push(wrap(std::move(e), std::move(object)));
  }

  void unary(Op op, const Location& loc) {
    Node operand = pop();
    auto e = makeExpr(ExprKind::Unary, loc);
    e->op = op;
    push(wrap(std::move(e), std::move(operand)));
  }

  void pendingOp(Op op, const Location& loc) { ops_.push_back({op, loc}); }

  void binary() {
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

  void conditional(const Location& loc) {
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

  // --- items

  void letName(std::string_view text) { letName_ = std::string(text); }

  void finishLet(const Location& loc) {
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

  void beginParam(const Location& loc) {
    param_ = ParamDecl{};
    param_.loc = loc;
  }
  void paramName(std::string_view text) { param_.name = std::string(text); }
  void paramType(std::string_view text, const Location& loc) {
    param_.typeName = std::string(text);
    param_.typeLoc = loc;
  }
  void paramDoc(std::string_view quoted) { param_.doc = unescape(quoted); }
  void finishParam() {
    param_.defaultValue = pop().expr;
    policy_.params.push_back(std::move(param_));
  }

  void require() {
    ExprPtr condition = pop().expr;
    if (block_ == Block::Which) which_.filters.push_back(std::move(condition));
    if (block_ == Block::Where) where_.filters.push_back(std::move(condition));
  }

  void beginWhen(const Location& loc) {
    if (policy_.when) duplicate("duplicate 'when' clause", loc);
    when_ = WhenClause{};
    when_.loc = loc;
    block_ = Block::When;
  }
  void whenEvery() { when_.every = pop().expr; }
  void whenCondition() { when_.condition = pop().expr; }
  void whenFor() { when_.sustainFor = pop().expr; }
  void whenSamples() { when_.sustainInSamples = true; }
  void finishWhen() {
    if (!policy_.when) policy_.when = std::move(when_);
    block_ = Block::Policy;
  }

  void beginWhich(const Location& loc) {
    if (policy_.which) duplicate("duplicate 'which' clause", loc);
    which_ = WhichClause{};
    which_.loc = loc;
    block_ = Block::Which;
  }
  void whichVar(std::string_view text, const Location& loc) {
    which_.var = std::string(text);
    which_.varLoc = loc;
  }
  void whichFrom() { which_.from = pop().expr; }
  void orderKey() { which_.order.push_back({pop().expr, false}); }
  void orderDescending() { which_.order.back().descending = true; }
  void limitKeyword(const Location& loc) {
    extraLimit_ = which_.limit != nullptr;
    if (extraLimit_) duplicate("duplicate 'limit' in the 'which' clause", loc);
  }
  void limit() {
    ExprPtr e = pop().expr;
    if (!extraLimit_) which_.limit = std::move(e);
  }
  void finishWhich() {
    if (!policy_.which) policy_.which = std::move(which_);
    block_ = Block::Policy;
  }

  void beginWhere(const Location& loc) {
    if (policy_.where) duplicate("duplicate 'where' clause", loc);
    where_ = WhereClause{};
    where_.loc = loc;
    block_ = Block::Where;
  }
  void whereVar(std::string_view text, const Location& loc) {
    where_.var = std::string(text);
    where_.varLoc = loc;
  }
  void whereFrom() { where_.from = pop().expr; }
  void choice(ChoiceKind kind, const Location& loc) {
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
  void choiceExpression() {
    ExprPtr e = pop().expr;
    if (!extraChoice_) where_.choiceExpr = std::move(e);
  }
  void tieKeyword(const Location& loc) {
    extraTie_ = where_.tieDeclared;
    if (extraTie_) duplicate("duplicate 'tie' in the 'where' clause", loc);
  }
  void tie(TieBreak t) {
    if (extraTie_) return;
    where_.tie = t;
    where_.tieDeclared = true;
  }
  void finishWhere() {
    if (!policy_.where) policy_.where = std::move(where_);
    block_ = Block::Policy;
  }

  void beginPolicy(const Location& loc) {
    policy_ = Policy{};
    policy_.loc = loc;
    inPolicy_ = true;
    block_ = Block::Policy;
  }
  void policyName(std::string_view text, const Location& loc) {
    policy_.name = std::string(text);
    policy_.nameLoc = loc;
  }
  void policyDescription(std::string_view quoted) { policy_.description = unescape(quoted); }
  void finishPolicy() {
    if (policies_ != nullptr) policies_->push_back(std::move(policy_));
    inPolicy_ = false;
    block_ = Block::None;
  }

 private:
  ExprPtr makeExpr(ExprKind kind, const Location& loc) const {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->loc = loc;
    return e;
  }

  void push(Node n) {
    if (n.depth > kMaxTreeDepth) fail("expression nested too deeply", n.expr->loc);
    values_.push_back(std::move(n));
  }

  Node pop() {
    Node n = std::move(values_.back());
    values_.pop_back();
    return n;
  }

  Group popGroup() {
    Group g = std::move(groups_.back());
    groups_.pop_back();
    return g;
  }

  // `parent` with the values above `base` as its children.
  Node collect(std::size_t base, ExprPtr parent) {
    int depth = 0;
    for (std::size_t i = base; i < values_.size(); ++i) {
      depth = std::max(depth, values_[i].depth);
      parent->children.push_back(std::move(values_[i].expr));
    }
    values_.resize(base);
    return {std::move(parent), depth + 1};
  }

  Node wrap(ExprPtr parent, Node child) {
    parent->children.push_back(std::move(child.expr));
    return {std::move(parent), child.depth + 1};
  }

  void deepen(Node& n, int childDepth) {
    n.depth = std::max(n.depth, childDepth + 1);
    if (n.depth > kMaxTreeDepth) fail("expression nested too deeply", n.expr->loc);
  }

  // A clause the policy already has: reported, parsing goes on, the first wins.
  void duplicate(const std::string& what, const Location& loc) {
    diagnostics_.push_back({kCode, what + " in policy '" + policy_.name + "'", file_, loc});
  }

  std::string expand(const char* text, const std::string& found) const {
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

  std::string file_;
  Diagnostics& diagnostics_;
  std::vector<Policy>* policies_;

  std::vector<Node> values_;
  std::vector<PendingOp> ops_;
  std::vector<Group> groups_;
  std::vector<Iterator> starts_;
  Iterator failedStart_;
  int nesting_ = 0;

  bool inPolicy_ = false;
  Block block_ = Block::None;
  Policy policy_;
  ParamDecl param_;
  std::string letName_;
  WhenClause when_;
  WhichClause which_;
  WhereClause where_;
  bool extraLimit_ = false;
  bool extraChoice_ = false;
  bool extraTie_ = false;
};

// ------------------------------------------------------------ error table

template <typename Rule>
inline constexpr ErrorText kError{};

template <>
inline constexpr ErrorText kError<g::escape_char>{
    "invalid escape sequence in string (use \\\", \\\\, \\n or \\t)", nullptr, 1};
template <>
inline constexpr ErrorText kError<g::string_body>{"unterminated string", nullptr, 1};

template <>
inline constexpr ErrorText kError<g::binder_filter>{"expected a condition after 'where'"};
template <>
inline constexpr ErrorText kError<g::binder_body>{"expected an expression after ':'"};
template <>
inline constexpr ErrorText kError<g::next_arg>{"expected an argument after ','"};
template <>
inline constexpr ErrorText kError<g::call_close>{
    "expected ',' or ')' in the call of '{call}', found {found}"};
template <>
inline constexpr ErrorText kError<g::paren_inner>{"expected an expression after '('"};
template <>
inline constexpr ErrorText kError<g::paren_close>{"expected ')' to close '(', found {found}"};
template <>
inline constexpr ErrorText kError<g::first_element>{"expected an expression or '}' after '{'"};
template <>
inline constexpr ErrorText kError<g::builder_close>{
    "expected '}' to close the set builder, found {found}"};
template <>
inline constexpr ErrorText kError<g::next_element>{"expected an expression after ','"};
template <>
inline constexpr ErrorText kError<g::set_close>{
    "expected ',' or '}' in the set literal, found {found}"};
template <>
inline constexpr ErrorText kError<g::field_name>{"expected a field name after '.', found {found}"};
template <>
inline constexpr ErrorText kError<g::neg_operand>{"expected an expression after '-'"};
template <>
inline constexpr ErrorText kError<g::mul_rhs>{"expected an expression after '{op}'"};
template <>
inline constexpr ErrorText kError<g::add_rhs>{"expected an expression after '{op}'"};
template <>
inline constexpr ErrorText kError<g::cmp_rhs>{"expected an expression after '{op}'"};
template <>
inline constexpr ErrorText kError<g::cmp_unchained>{
    "comparisons cannot be chained; combine them with 'and'"};
template <>
inline constexpr ErrorText kError<g::not_operand>{"expected an expression after 'not'"};
template <>
inline constexpr ErrorText kError<g::and_rhs>{"expected an expression after 'and'"};
template <>
inline constexpr ErrorText kError<g::or_rhs>{"expected an expression after 'or'"};
template <>
inline constexpr ErrorText kError<g::if_cond>{"expected a condition after 'if'"};
template <>
inline constexpr ErrorText kError<g::if_then>{
    "expected 'then' after the condition of 'if', found {found}"};
template <>
inline constexpr ErrorText kError<g::then_branch>{"expected an expression after 'then'"};
template <>
inline constexpr ErrorText kError<g::if_else>{
    "expected 'else' after the 'then' branch (every 'if' needs an 'else'), found {found}"};
template <>
inline constexpr ErrorText kError<g::else_branch>{"expected an expression after 'else'"};
template <>
inline constexpr ErrorText kError<g::whole_expr>{"expected an expression, found {found}"};
template <>
inline constexpr ErrorText kError<g::expression_end>{"unexpected {found} after the expression"};

template <>
inline constexpr ErrorText kError<g::let_name>{"expected a name after 'let', found {found}"};
template <>
inline constexpr ErrorText kError<g::let_eq>{"expected '=' after the name in 'let', found {found}"};
template <>
inline constexpr ErrorText kError<g::let_value>{"expected an expression after '='"};
template <>
inline constexpr ErrorText kError<g::param_name>{
    "expected a parameter name after 'param', found {found}"};
template <>
inline constexpr ErrorText kError<g::param_type>{
    "expected a type after ':' (number, rate, duration, data, bool or string), found {found}"};
template <>
inline constexpr ErrorText kError<g::param_eq>{
    "expected '=' and a default value in 'param', found {found}"};
template <>
inline constexpr ErrorText kError<g::param_default>{"expected a default value after '='"};
template <>
inline constexpr ErrorText kError<g::require_expr>{"expected a condition after 'require'"};

template <>
inline constexpr ErrorText kError<g::every_expr>{"expected an interval after 'every'"};
template <>
inline constexpr ErrorText kError<g::when_open>{
    "expected '{' to open the 'when' clause, found {found}"};
template <>
inline constexpr ErrorText kError<g::when_condition>{"expected a condition in the 'when' clause"};
template <>
inline constexpr ErrorText kError<g::for_expr>{"expected a duration or a sample count after 'for'"};
template <>
inline constexpr ErrorText kError<g::when_close>{
    "expected '}' to close the 'when' clause of policy '{policy}'",
    "unexpected {found} in the 'when' clause; expected 'for' or '}'"};

template <>
inline constexpr ErrorText kError<g::which_var>{
    "expected a variable name after 'which', found {found}"};
template <>
inline constexpr ErrorText kError<g::which_in>{
    "expected 'in' after the variable of 'which', found {found}"};
template <>
inline constexpr ErrorText kError<g::which_from>{"expected a set expression after 'in'"};
template <>
inline constexpr ErrorText kError<g::which_open>{
    "expected '{' to open the 'which' clause, found {found}"};
template <>
inline constexpr ErrorText kError<g::order_by>{"expected 'by' after 'order', found {found}"};
template <>
inline constexpr ErrorText kError<g::order_key>{"expected a sort key after 'order by'"};
template <>
inline constexpr ErrorText kError<g::next_order_key>{"expected a sort key after ','"};
template <>
inline constexpr ErrorText kError<g::limit_expr>{"expected an expression after 'limit'"};
template <>
inline constexpr ErrorText kError<g::which_close>{
    "expected '}' to close the 'which' clause of policy '{policy}'",
    "unexpected {found} in the 'which' clause; expected let, require, order by, limit or '}'"};

template <>
inline constexpr ErrorText kError<g::where_var>{
    "expected a variable name after 'where', found {found}"};
template <>
inline constexpr ErrorText kError<g::where_in>{
    "expected 'in' after the variable of 'where', found {found}"};
template <>
inline constexpr ErrorText kError<g::where_from>{"expected a set expression after 'in'"};
template <>
inline constexpr ErrorText kError<g::where_open>{
    "expected '{' to open the 'where' clause, found {found}"};
template <>
inline constexpr ErrorText kError<g::maximize_expr>{"expected an expression after 'maximize'"};
template <>
inline constexpr ErrorText kError<g::minimize_expr>{"expected an expression after 'minimize'"};
template <>
inline constexpr ErrorText kError<g::sample_weighted>{
    "expected 'weighted' after 'sample', found {found}"};
template <>
inline constexpr ErrorText kError<g::sample_by>{
    "expected 'by' after 'sample weighted', found {found}"};
template <>
inline constexpr ErrorText kError<g::weight_expr>{
    "expected an expression after 'sample weighted by'"};
template <>
inline constexpr ErrorText kError<g::mtd_expr>{"expected a scheme after 'mtd' (such as shamir(3))"};
template <>
inline constexpr ErrorText kError<g::tie_kind>{
    "expected 'random' or 'by name' after 'tie', found {found}"};
template <>
inline constexpr ErrorText kError<g::tie_name>{"expected 'name' after 'tie by', found {found}"};
template <>
inline constexpr ErrorText kError<g::where_close>{
    "expected '}' to close the 'where' clause of policy '{policy}'",
    "unexpected {found} in the 'where' clause; expected let, require, maximize, minimize, "
    "random, sample, mtd, tie or '}'"};

template <>
inline constexpr ErrorText kError<g::policy_name>{
    "expected a policy name after 'policy', found {found}"};
template <>
inline constexpr ErrorText kError<g::policy_open>{
    "expected '{' after the name of policy '{policy}', found {found}"};
template <>
inline constexpr ErrorText kError<g::policy_close>{
    "expected '}' to close policy '{policy}'",
    "unexpected {found} in policy '{policy}'; expected param, let, when, which, where or '}'"};
template <>
inline constexpr ErrorText kError<g::policy>{"expected 'policy', found {found}"};

// The operands of nesting constructs: entering one is one level deeper
// (counted only once the opening token has matched, so `x` at the limit is
// not rejected just because `not` or '-' might have started there).
template <typename Rule>
inline constexpr bool kNests = false;
template <>
inline constexpr bool kNests<g::paren_inner> = true;
template <>
inline constexpr bool kNests<g::arg> = true;
template <>
inline constexpr bool kNests<g::first_element> = true;
template <>
inline constexpr bool kNests<g::next_element> = true;
template <>
inline constexpr bool kNests<g::binder_filter> = true;
template <>
inline constexpr bool kNests<g::binder_body> = true;
template <>
inline constexpr bool kNests<g::if_cond> = true;
template <>
inline constexpr bool kNests<g::then_branch> = true;
template <>
inline constexpr bool kNests<g::else_branch> = true;
template <>
inline constexpr bool kNests<g::not_operand> = true;
template <>
inline constexpr bool kNests<g::neg_operand> = true;

template <typename Rule>
struct Control : pegtl::normal<Rule> {
  // must<> does not rewind a rule that failed part-way, so the start of every
  // rule with a message is remembered: errors point at the offending token.
  static constexpr bool kHasMessage = kError<Rule>.text != nullptr;

  template <typename Input>
  static void start(const Input& in, Builder& b) {
    if constexpr (kHasMessage) b.ruleStarted(in.iterator());
    if constexpr (kNests<Rule>) b.enterNesting(in.iterator());
  }

  template <typename Input>
  static void success(const Input&, Builder& b) {
    if constexpr (kHasMessage) b.ruleEnded(false);
    if constexpr (kNests<Rule>) b.leaveNesting();
  }

  template <typename Input>
  static void failure(const Input&, Builder& b) {
    if constexpr (kHasMessage) b.ruleEnded(true);
    if constexpr (kNests<Rule>) b.leaveNesting();
  }

  template <typename Input>
  [[noreturn]] static void raise(const Input& in, Builder& b) {
    static_assert(kHasMessage, "every must<> point of the grammar needs an error message");
    b.raise(kError<Rule>, in.end());
  }
};

// ---------------------------------------------------------------- actions

template <typename Rule>
struct Action : pegtl::nothing<Rule> {};

// Actions that only need the position of their rule.
template <auto Method>
struct AtLocation {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    (b.*Method)(locationOf(in));
  }
};

// Actions that need the matched text and its position.
template <auto Method>
struct WithText {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    (b.*Method)(in.string_view(), locationOf(in));
  }
};

// Actions that need nothing from the input.
template <auto Method>
struct Plain {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    (b.*Method)();
  }
};

template <Op O>
struct PushOp {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.pendingOp(O, locationOf(in));
  }
};

template <>
struct Action<g::number> : WithText<&Builder::number> {};
template <>
struct Action<g::string_lit> : WithText<&Builder::string> {};
template <>
struct Action<g::lit_true> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.boolean(true, locationOf(in));
  }
};
template <>
struct Action<g::lit_false> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.boolean(false, locationOf(in));
  }
};
template <>
struct Action<g::name_ref> : WithText<&Builder::name> {};
template <>
struct Action<g::call_open> : AtLocation<&Builder::openCall> {};
template <>
struct Action<g::call_args> : Plain<&Builder::closeCall> {};
template <>
struct Action<g::paren> : Plain<&Builder::parenthesized> {};
template <>
struct Action<g::brace_open> : AtLocation<&Builder::openBraces> {};
template <>
struct Action<g::empty_set> : Plain<&Builder::closeSetLiteral> {};
template <>
struct Action<g::set_elements> : Plain<&Builder::closeSetLiteral> {};
template <>
struct Action<g::set_builder> : Plain<&Builder::closeSetBuilder> {};
template <>
struct Action<g::binder_where> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.startBinder(locationOf(in), "where");
  }
};
template <>
struct Action<g::binder_colon> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.startBinder(locationOf(in), ":");
  }
};
template <>
struct Action<g::binder_filter> : Plain<&Builder::binderFilter> {};
template <>
struct Action<g::binder_body> : Plain<&Builder::binderBody> {};
template <>
struct Action<g::field_name> : WithText<&Builder::field> {};
template <>
struct Action<g::neg> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.unary(Op::Neg, locationOf(in));
  }
};
template <>
struct Action<g::not_prefix> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.unary(Op::Not, locationOf(in));
  }
};

template <>
struct Action<g::op_or> : PushOp<Op::Or> {};
template <>
struct Action<g::op_and> : PushOp<Op::And> {};
template <>
struct Action<g::op_eq> : PushOp<Op::Eq> {};
template <>
struct Action<g::op_ne> : PushOp<Op::Ne> {};
template <>
struct Action<g::op_le> : PushOp<Op::Le> {};
template <>
struct Action<g::op_ge> : PushOp<Op::Ge> {};
template <>
struct Action<g::op_lt> : PushOp<Op::Lt> {};
template <>
struct Action<g::op_gt> : PushOp<Op::Gt> {};
template <>
struct Action<g::op_in> : PushOp<Op::In> {};
template <>
struct Action<g::op_not_in> : PushOp<Op::NotIn> {};
template <>
struct Action<g::op_add> : PushOp<Op::Add> {};
template <>
struct Action<g::op_sub> : PushOp<Op::Sub> {};
template <>
struct Action<g::op_mul> : PushOp<Op::Mul> {};
template <>
struct Action<g::op_div> : PushOp<Op::Div> {};
template <>
struct Action<g::op_mod> : PushOp<Op::Mod> {};

template <>
struct Action<g::mul_tail> : Plain<&Builder::binary> {};
template <>
struct Action<g::add_tail> : Plain<&Builder::binary> {};
template <>
struct Action<g::cmp_tail> : Plain<&Builder::binary> {};
template <>
struct Action<g::and_tail> : Plain<&Builder::binary> {};
template <>
struct Action<g::or_tail> : Plain<&Builder::binary> {};
template <>
struct Action<g::if_expr> : AtLocation<&Builder::conditional> {};

template <>
struct Action<g::let_name> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.letName(in.string_view());
  }
};
template <>
struct Action<g::let_item> : AtLocation<&Builder::finishLet> {};

template <>
struct Action<g::param_kw> : AtLocation<&Builder::beginParam> {};
template <>
struct Action<g::param_name> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.paramName(in.string_view());
  }
};
template <>
struct Action<g::param_type> : WithText<&Builder::paramType> {};
template <>
struct Action<g::param_doc> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.paramDoc(in.string_view());
  }
};
template <>
struct Action<g::param_item> : Plain<&Builder::finishParam> {};
template <>
struct Action<g::require_item> : Plain<&Builder::require> {};

template <>
struct Action<g::when_kw> : AtLocation<&Builder::beginWhen> {};
template <>
struct Action<g::every_expr> : Plain<&Builder::whenEvery> {};
template <>
struct Action<g::when_condition> : Plain<&Builder::whenCondition> {};
template <>
struct Action<g::for_expr> : Plain<&Builder::whenFor> {};
template <>
struct Action<g::samples_kw> : Plain<&Builder::whenSamples> {};
template <>
struct Action<g::when_clause> : Plain<&Builder::finishWhen> {};

template <>
struct Action<g::which_kw> : AtLocation<&Builder::beginWhich> {};
template <>
struct Action<g::which_var> : WithText<&Builder::whichVar> {};
template <>
struct Action<g::which_from> : Plain<&Builder::whichFrom> {};
template <>
struct Action<g::order_expr> : Plain<&Builder::orderKey> {};
template <>
struct Action<g::order_desc> : Plain<&Builder::orderDescending> {};
template <>
struct Action<g::limit_kw> : AtLocation<&Builder::limitKeyword> {};
template <>
struct Action<g::limit_expr> : Plain<&Builder::limit> {};
template <>
struct Action<g::which_clause> : Plain<&Builder::finishWhich> {};

template <ChoiceKind K>
struct Choice {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.choice(K, locationOf(in));
  }
};

template <>
struct Action<g::where_kw> : AtLocation<&Builder::beginWhere> {};
template <>
struct Action<g::where_var> : WithText<&Builder::whereVar> {};
template <>
struct Action<g::where_from> : Plain<&Builder::whereFrom> {};
template <>
struct Action<g::maximize_kw> : Choice<ChoiceKind::Maximize> {};
template <>
struct Action<g::minimize_kw> : Choice<ChoiceKind::Minimize> {};
template <>
struct Action<g::random_choice> : Choice<ChoiceKind::Random> {};
template <>
struct Action<g::sample_kw> : Choice<ChoiceKind::Weighted> {};
template <>
struct Action<g::mtd_kw> : Choice<ChoiceKind::Mtd> {};
template <>
struct Action<g::maximize_expr> : Plain<&Builder::choiceExpression> {};
template <>
struct Action<g::minimize_expr> : Plain<&Builder::choiceExpression> {};
template <>
struct Action<g::weight_expr> : Plain<&Builder::choiceExpression> {};
template <>
struct Action<g::mtd_expr> : Plain<&Builder::choiceExpression> {};
template <>
struct Action<g::tie_kw> : AtLocation<&Builder::tieKeyword> {};
template <>
struct Action<g::tie_random> {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    b.tie(TieBreak::Random);
  }
};
template <>
struct Action<g::tie_name> {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    b.tie(TieBreak::ByName);
  }
};
template <>
struct Action<g::where_clause> : Plain<&Builder::finishWhere> {};

template <>
struct Action<g::policy_kw> : AtLocation<&Builder::beginPolicy> {};
template <>
struct Action<g::policy_name> : WithText<&Builder::policyName> {};
template <>
struct Action<g::policy_desc> {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    b.policyDescription(in.string_view());
  }
};
template <>
struct Action<g::policy> : Plain<&Builder::finishPolicy> {};

// ------------------------------------------------------------- recovery

Diagnostic diagnosticFrom(const pegtl::parse_error& e, const std::string& file) {
  Diagnostic d{kCode, std::string(e.message()), file, {}};
  if (!e.positions().empty()) {
    const auto& p = e.positions().front();
    d.location = {static_cast<std::uint32_t>(p.line), static_cast<std::uint32_t>(p.column),
                  static_cast<std::uint32_t>(p.byte)};
  }
  return d;
}

std::size_t lineStart(std::string_view src, std::size_t offset) {
  offset = std::min(offset, src.size());
  if (offset == 0) return 0;
  const std::size_t nl = src.rfind('\n', offset - 1);
  return nl == std::string_view::npos ? 0 : nl + 1;
}

// Where parsing resumes after an error: the first line after the line of the
// failed policy's keyword (and not before the error's line) that starts, after
// blanks, with the word `policy`. npos when there is none.
std::size_t resumeOffset(std::string_view src, std::size_t attemptStart, std::size_t errorOffset) {
  const std::size_t nl = src.find('\n', std::min(attemptStart, src.size()));
  if (nl == std::string_view::npos) return std::string_view::npos;
  std::size_t line = std::max(nl + 1, lineStart(src, errorOffset));
  const char* end = src.data() + src.size();
  while (line < src.size()) {
    std::size_t p = line;
    while (p < src.size() && (src[p] == ' ' || src[p] == '\t')) ++p;
    if (startsWithPolicyWord(src.data() + p, end)) return line;
    const std::size_t next = src.find('\n', p);
    if (next == std::string_view::npos) break;
    line = next + 1;
  }
  return std::string_view::npos;
}

Diagnostic internalError(const std::string& file, const char* what) {
  return {kCode, std::string("internal parser error: ") + what, file, {}};
}

}  // namespace

ParseResult parsePolicyFile(std::string path, std::string source) {
  ParseResult result;
  result.file.path = std::move(path);
  result.file.source = std::move(source);
  const std::string& file = result.file.path;
  const std::string_view src = result.file.source;
  Diagnostics& diags = result.diagnostics;

  if (src.size() > kMaxSourceSize) {
    diags.push_back({kCode, "file too large to parse (4 GiB or more)", file, {}});
    return result;
  }
  try {
    Builder builder(file, diags, &result.file.policies);
    std::size_t offset = 0;
    std::size_t line = 1;
    for (;;) {
      pegtl::memory_input<> in(src.data() + offset, src.data() + src.size(), file, offset, line, 1);
      try {
        for (;;) {
          builder.beginStep();
          if (!pegtl::parse<g::file_step, Action, Control>(in, builder) || in.empty()) break;
        }
        break;
      } catch (const pegtl::parse_error& e) {
        Diagnostic d = diagnosticFrom(e, file);
        const std::size_t errorOffset = d.location.offset;
        const std::uint32_t errorLine = d.location.line;
        diags.push_back(std::move(d));
        const std::size_t attemptStart = builder.inPolicy() ? builder.policyOffset() : errorOffset;
        const std::size_t resume = resumeOffset(src, attemptStart, errorOffset);
        if (resume == std::string_view::npos) break;
        if (diags.size() >= kMaxDiagnostics) {
          diags.push_back({kCode, "too many errors; the rest of the file was not parsed", file,
                           locationAt(src, resume), Severity::Note});
          break;
        }
        // Count lines only from the error's line on, so recovery stays linear.
        const std::size_t from = lineStart(src, errorOffset);
        line = errorLine + static_cast<std::size_t>(
                               std::count(src.begin() + static_cast<std::ptrdiff_t>(from),
                                          src.begin() + static_cast<std::ptrdiff_t>(resume), '\n'));
        offset = resume;
      }
    }
  } catch (const std::exception& e) {
    diags.push_back(internalError(file, e.what()));
  } catch (...) {
    diags.push_back(internalError(file, "unknown exception"));
  }
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.location.offset < b.location.offset;
  });
  return result;
}

ExpressionParse parseExpression(std::string_view source, std::string file) {
  ExpressionParse result;
  if (source.size() > kMaxSourceSize) {
    result.diagnostics.push_back({kCode, "expression too large to parse", file, {}});
    return result;
  }
  try {
    Builder builder(file, result.diagnostics, nullptr);
    const char* begin = source.empty() ? "" : source.data();
    pegtl::memory_input<> in(begin, begin + source.size(), file);
    try {
      builder.beginStep();
      if (pegtl::parse<g::expression_input, Action, Control>(in, builder) &&
          result.diagnostics.empty()) {
        result.expr = builder.takeExpression();
        if (!result.expr) result.diagnostics.push_back(internalError(file, "no expression built"));
      }
    } catch (const pegtl::parse_error& e) {
      result.diagnostics.push_back(diagnosticFrom(e, file));
    }
  } catch (const std::exception& e) {
    result.diagnostics.push_back(internalError(file, e.what()));
  } catch (...) {
    result.diagnostics.push_back(internalError(file, "unknown exception"));
  }
  if (!result.diagnostics.empty()) result.expr.reset();
  return result;
}

}  // namespace roam::lang
