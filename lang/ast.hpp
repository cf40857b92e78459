#pragma once
// The abstract syntax tree of .policy files. Every node carries the location
// of its first character. The parser builds it; the checker annotates
// expressions in place (their `type`, resolved `slot` or `builtin`), and the
// evaluator reads those annotations, so names are resolved once, not per run.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lang/location.hpp"
#include "lang/types.hpp"
#include "lang/units.hpp"

namespace roam::lang {

struct BuiltinDecl;

enum class ExprKind {
  Number,      // 10Mbps: `number` (SI base value: bits/s, s, bits), `dimension`
  String,      // "h2": `text`
  Bool,        // true / false: `boolean`
  Name,        // threshold, hosts, source: `text`
  Field,       // c.host: `text` = field name, children[0] = object
  Call,        // bandwidth(s, 1): `text` = function name, children = arguments
  Unary,       // -x, not x: `op`, children[0]
  Binary,      // a + b, a and b, a in b: `op`, children[0..1]
  If,          // if c then a else b: children[0..2]
  SetLiteral,  // {"h3", "h4"}: children = elements (maybe none)
  Binder,      // x in S where C : E   (inside calls, or a set builder in braces):
               // `text` = variable, children[0] = S, `filter` = C or null, `body` = E or null
};

enum class Op {
  None,
  Neg,
  Not,  // unary
  Add,
  Sub,
  Mul,
  Div,
  Mod,  // arithmetic
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  In,
  NotIn,  // comparison and membership
  And,
  Or,  // boolean
};

const char* opSpelling(Op op);

// ==, !=, <, <=, >, >=, in, not in: the operators that compare (and bind
// alike, between `not` and '+').
bool isComparison(Op op);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::Number;
  Location loc;

  double number = 0;      // Number
  Dimension dimension{};  // Number
  bool boolean = false;   // Bool
  std::string text;       // String value, Name, Field name, Call name, Binder variable
  Op op = Op::None;       // Unary, Binary
  std::vector<ExprPtr> children;
  ExprPtr filter;           // Binder: `where` condition (optional)
  ExprPtr body;             // Binder: `:` expression (optional)
  bool setBuilder = false;  // Binder written in braces: a set value, even as an argument

  // Set by the checker.
  Type type = Type::error();
  int slot = -1;                         // Name of a local or parameter: frame slot
  const BuiltinDecl* builtin = nullptr;  // Call: the declaration it resolved to
  int global = -1;                       // Name of a predefined global (hosts, now, ...)
};

// `let NAME = EXPR`
struct LetBinding {
  Location loc;
  std::string name;
  ExprPtr value;
  int slot = -1;  // set by the checker
};

// `param NAME [: TYPE] = DEFAULT ["doc"]`
struct ParamDecl {
  Location loc;
  std::string name;
  std::optional<std::string> typeName;  // number, rate, duration, data, bool, string
  Location typeLoc;
  ExprPtr defaultValue;
  std::string doc;
  int slot = -1;  // set by the checker
  Type type = Type::error();
};

// `when [every EXPR] { let...  CONDITION [for EXPR [samples]] }`
struct WhenClause {
  Location loc;
  ExprPtr every;  // evaluation interval (a duration), optional
  std::vector<LetBinding> lets;
  ExprPtr condition;
  ExprPtr sustainFor;  // optional: a duration, or a count with `samples`
  bool sustainInSamples = false;
};

struct OrderKey {
  ExprPtr key;
  bool descending = false;
};

// What `which` and `where` share: `VAR in SET { let... require... }`.
struct SelectionClause {
  Location loc;
  std::string var;
  Location varLoc;
  ExprPtr from;
  std::vector<LetBinding> lets;
  std::vector<ExprPtr> filters;  // `require` conditions (`requires` is a C++20 keyword)
  int varSlot = -1;              // set by the checker
};

// `which VAR in SET { let... require... order by K [asc|desc], ...  limit N }`
struct WhichClause : SelectionClause {
  std::vector<OrderKey> order;
  ExprPtr limit;  // optional; default 1
};

enum class ChoiceKind { None, Maximize, Minimize, Random, Weighted, Mtd };
enum class TieBreak { ByName, Random };

// `where VAR in SET { let... require... CHOICE  [tie random | tie by name] }`
// CHOICE: maximize E | minimize E | random | sample weighted by E | mtd E
struct WhereClause : SelectionClause {
  ChoiceKind choice = ChoiceKind::None;
  Location choiceLoc;
  ExprPtr choiceExpr;  // Maximize/Minimize/Weighted: score; Mtd: scheme call
  TieBreak tie = TieBreak::ByName;
  bool tieDeclared = false;
  int sourceSlot = -1;  // set by the checker: `source` and `container` in this block
  int containerSlot = -1;
};

struct Policy {
  Location loc;
  std::string name;
  Location nameLoc;
  std::string description;  // optional string after the name
  std::vector<ParamDecl> params;
  std::vector<LetBinding> lets;  // policy-level lets, in order
  std::optional<WhenClause> when;
  std::optional<WhichClause> which;
  std::optional<WhereClause> where;
  int frameSize = 0;  // set by the checker: slots needed by params, lets and variables
};

struct PolicyFile {
  std::string path;    // as given on the command line, used in diagnostics
  std::string source;  // the whole text (diagnostics quote lines from it)
  std::vector<Policy> policies;
};

}  // namespace roam::lang
