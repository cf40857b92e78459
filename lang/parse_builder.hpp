#pragma once
// The state the parser's actions (parse_actions.hpp) feed: the AST under
// construction, and what the control class (parse_errors.hpp) needs for
// messages, nesting limits and error positions. Internal to the parser.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tao/pegtl.hpp>

#include "lang/ast.hpp"

namespace roam::lang::parsing {

// Nested parentheses, braces, calls, binders, `if`, `not` and unary '-' recurse
// in the parser; this bounds its stack use on hostile input.
constexpr int kMaxNesting = 200;
// Later phases walk the tree recursively too; long operator chains
// (a + a + ... ) build deep trees without nesting in the source.
constexpr int kMaxTreeDepth = 1000;

using Iterator = tao::pegtl::internal::iterator;

Location toLocation(const Iterator& it);

template <typename ActionInput>
Location locationOf(const ActionInput& in) {
  return toLocation(in.iterator());
}

inline bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool isIdentChar(char c) {
  return isAlpha(c) || isDigit(c) || c == '_';
}

// Long tokens are cut in messages so a diagnostic stays one readable line.
std::string clipped(std::string_view s);

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

// Collects the AST while PEGTL runs the actions.
class Builder {
 public:
  Builder(std::string file, Diagnostics& diagnostics, std::vector<Policy>* policies);

  // --- bookkeeping for the control class

  void ruleStarted(const Iterator& it) { starts_.push_back(it); }
  void ruleEnded(bool failed);
  const Iterator& failedStart() const { return failedStart_; }

  void enterNesting(const Iterator& it);
  void leaveNesting() { --nesting_; }

  [[noreturn]] void fail(const std::string& message, const Location& loc) const;

  // `text` with its placeholders filled in: {policy} the policy being parsed,
  // {op} the pending operator, {call} the open call's callee, {found} `found`.
  std::string expand(const char* text, const std::string& found) const;

  // Drops everything half-built after a syntax error.
  void beginStep();

  bool inPolicy() const { return inPolicy_; }
  std::uint32_t policyOffset() const { return policy_.loc.offset; }

  ExprPtr takeExpression();

  // --- expressions

  void number(std::string_view text, const Location& loc);
  void string(std::string_view quoted, const Location& loc);
  void boolean(bool value, const Location& loc);
  void name(std::string_view text, const Location& loc);

  // `f(`: the name just pushed becomes the callee.
  void openCall(const Location& loc);
  void closeCall();
  void parenthesized();
  void openBraces(const Location& loc);
  void closeSetLiteral();
  // `{x in S where C}`: the binder itself is the set; it starts at the brace.
  void closeSetBuilder();
  // `where` or ':' after `NAME in SET`.
  void startBinder(const char* token, const Location& loc);
  void binderFilter();
  void binderBody();
  void field(std::string_view text, const Location& loc);
  void unary(Op op, const Location& loc);
  void pendingOp(Op op, const Location& loc) { ops_.push_back({op, loc}); }
  void binary();
  void conditional(const Location& loc);

  // --- items

  void letName(std::string_view text) { letName_ = std::string(text); }
  void finishLet(const Location& loc);

  void beginParam(const Location& loc);
  void paramName(std::string_view text) { param_.name = std::string(text); }
  void paramType(std::string_view text, const Location& loc);
  void paramDoc(std::string_view quoted);
  void finishParam();

  // The parts `which` and `where` share, of the clause being parsed.
  void selectionVar(std::string_view text, const Location& loc);
  void selectionFrom();
  void require();

  void beginWhen(const Location& loc);
  void whenEvery() { when_.every = pop().expr; }
  void whenCondition() { when_.condition = pop().expr; }
  void whenFor() { when_.sustainFor = pop().expr; }
  void whenSamples() { when_.sustainInSamples = true; }
  void finishWhen();

  void beginWhich(const Location& loc);
  void orderKey() { which_.order.push_back({pop().expr, false}); }
  void orderDescending() { which_.order.back().descending = true; }
  void limitKeyword(const Location& loc);
  void limit();
  void finishWhich();

  void beginWhere(const Location& loc);
  void choice(ChoiceKind kind, const Location& loc);
  void choiceExpression();
  void tieKeyword(const Location& loc);
  void tie(TieBreak t);
  void finishWhere();

  void beginPolicy(const Location& loc);
  void policyName(std::string_view text, const Location& loc);
  void policyDescription(std::string_view quoted);
  void finishPolicy();

 private:
  void push(Node n);
  Node pop();
  Group popGroup();
  // `parent` with the values above `base` as its children.
  Node collect(std::size_t base, ExprPtr parent);
  Node wrap(ExprPtr parent, Node child);
  void deepen(Node& n, int childDepth);
  // The `which` or `where` clause being parsed (null outside them).
  SelectionClause* selection();
  // A `when`, `which` or `where` clause opens (`done`: the policy's clause
  // of that kind, if it has one) and closes; the first of a kind wins.
  template <typename Clause>
  void beginClause(const std::optional<Clause>& done, Clause& open, Block block,
                   const char* keyword, const Location& loc);
  template <typename Clause>
  void finishClause(std::optional<Clause>& done, Clause& open);
  // A clause the policy already has: reported, parsing goes on, the first wins.
  void duplicate(const std::string& what, const Location& loc);

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

}  // namespace roam::lang::parsing
