#pragma once
// The error table of the parser: the message of every must<> point of the
// grammar, which rules count as nesting, and the PEGTL control class that
// turns a failed must<> into a located parse error. Internal to the parser.

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>

#include <tao/pegtl.hpp>

#include "lang/grammar.hpp"
#include "lang/parse_builder.hpp"

namespace roam::lang::parsing {

namespace g = grammar;

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

// What the parser found where it expected something else, for messages:
// "'x'", "reserved word 'where'", "a string", "end of file", ...
std::string describeToken(const char* p, const char* end);

// Whether the text at `p` is the word `policy` (where recovery resumes).
bool startsWithPolicyWord(const char* p, const char* end);

// Throws the parse error of `e` at the start of the rule that failed.
[[noreturn]] void raiseError(const Builder& b, const ErrorText& e, const char* end);

// One entry of the error table.
template <typename Rule>
struct On {
  constexpr On(const char* text, const char* unexpected = nullptr, std::uint32_t back = 0)
      : error{text, unexpected, back} {}
  ErrorText error;
};

// The message of every must<> point of the grammar.
inline constexpr std::tuple kErrorTable{
    On<g::escape_char>{"invalid escape sequence in string (use \\\", \\\\, \\n or \\t)", nullptr,
                       1},
    On<g::string_body>{"unterminated string", nullptr, 1},

    On<g::binder_filter>{"expected a condition after 'where'"},
    On<g::binder_body>{"expected an expression after ':'"},
    On<g::next_arg>{"expected an argument after ','"},
    On<g::call_close>{"expected ',' or ')' in the call of '{call}', found {found}"},
    On<g::paren_inner>{"expected an expression after '('"},
    On<g::paren_close>{"expected ')' to close '(', found {found}"},
    On<g::first_element>{"expected an expression or '}' after '{'"},
    On<g::builder_close>{"expected '}' to close the set builder, found {found}"},
    On<g::next_element>{"expected an expression after ','"},
    On<g::set_close>{"expected ',' or '}' in the set literal, found {found}"},
    On<g::field_name>{"expected a field name after '.', found {found}"},
    On<g::neg_operand>{"expected an expression after '-'"},
    On<g::mul_rhs>{"expected an expression after '{op}'"},
    On<g::add_rhs>{"expected an expression after '{op}'"},
    On<g::cmp_rhs>{"expected an expression after '{op}'"},
    On<g::cmp_unchained>{"comparisons cannot be chained; combine them with 'and'"},
    On<g::not_operand>{"expected an expression after 'not'"},
    On<g::and_rhs>{"expected an expression after 'and'"},
    On<g::or_rhs>{"expected an expression after 'or'"},
    On<g::if_cond>{"expected a condition after 'if'"},
    On<g::if_then>{"expected 'then' after the condition of 'if', found {found}"},
    On<g::then_branch>{"expected an expression after 'then'"},
    On<g::if_else>{
        "expected 'else' after the 'then' branch (every 'if' needs an 'else'), found {found}"},
    On<g::else_branch>{"expected an expression after 'else'"},
    On<g::whole_expr>{"expected an expression, found {found}"},
    On<g::expression_end>{"unexpected {found} after the expression"},

    On<g::let_name>{"expected a name after 'let', found {found}"},
    On<g::let_eq>{"expected '=' after the name in 'let', found {found}"},
    On<g::let_value>{"expected an expression after '='"},
    On<g::param_name>{"expected a parameter name after 'param', found {found}"},
    On<g::param_type>{
        "expected a type after ':' (number, rate, duration, data, bool or string), found {found}"},
    On<g::param_eq>{"expected '=' and a default value in 'param', found {found}"},
    On<g::param_default>{"expected a default value after '='"},
    On<g::require_expr>{"expected a condition after 'require'"},

    On<g::every_expr>{"expected an interval after 'every'"},
    On<g::when_open>{"expected '{' to open the 'when' clause, found {found}"},
    On<g::when_condition>{"expected a condition in the 'when' clause"},
    On<g::for_expr>{"expected a duration or a sample count after 'for'"},
    On<g::when_close>{"expected '}' to close the 'when' clause of policy '{policy}'",
                      "unexpected {found} in the 'when' clause; expected 'for' or '}'"},

    On<g::which_var>{"expected a variable name after 'which', found {found}"},
    On<g::which_in>{"expected 'in' after the variable of 'which', found {found}"},
    On<g::which_from>{"expected a set expression after 'in'"},
    On<g::which_open>{"expected '{' to open the 'which' clause, found {found}"},
    On<g::order_by>{"expected 'by' after 'order', found {found}"},
    On<g::order_key>{"expected a sort key after 'order by'"},
    On<g::next_order_key>{"expected a sort key after ','"},
    On<g::limit_expr>{"expected an expression after 'limit'"},
    On<g::which_close>{
        "expected '}' to close the 'which' clause of policy '{policy}'",
        "unexpected {found} in the 'which' clause; expected let, require, order by, limit or '}'"},

    On<g::where_var>{"expected a variable name after 'where', found {found}"},
    On<g::where_in>{"expected 'in' after the variable of 'where', found {found}"},
    On<g::where_from>{"expected a set expression after 'in'"},
    On<g::where_open>{"expected '{' to open the 'where' clause, found {found}"},
    On<g::maximize_expr>{"expected an expression after 'maximize'"},
    On<g::minimize_expr>{"expected an expression after 'minimize'"},
    On<g::sample_weighted>{"expected 'weighted' after 'sample', found {found}"},
    On<g::sample_by>{"expected 'by' after 'sample weighted', found {found}"},
    On<g::weight_expr>{"expected an expression after 'sample weighted by'"},
    On<g::mtd_expr>{"expected a scheme after 'mtd' (such as shamir(3))"},
    On<g::tie_kind>{"expected 'random' or 'by name' after 'tie', found {found}"},
    On<g::tie_name>{"expected 'name' after 'tie by', found {found}"},
    On<g::where_close>{
        "expected '}' to close the 'where' clause of policy '{policy}'",
        "unexpected {found} in the 'where' clause; expected let, require, maximize, minimize, "
        "random, sample, mtd, tie or '}'"},

    On<g::policy_name>{"expected a policy name after 'policy', found {found}"},
    On<g::policy_open>{"expected '{' after the name of policy '{policy}', found {found}"},
    On<g::policy_close>{
        "expected '}' to close policy '{policy}'",
        "unexpected {found} in policy '{policy}'; expected param, let, when, which, where or '}'"},
    On<g::policy>{"expected 'policy', found {found}"}};

template <typename Rule, typename... Rules>
inline constexpr bool kIsOneOf = (std::is_same_v<Rule, Rules> || ...);

template <typename Entry, typename Table>
inline constexpr bool kInTable = false;
template <typename Entry, typename... Entries>
inline constexpr bool kInTable<Entry, std::tuple<Entries...>> = kIsOneOf<Entry, Entries...>;

// The table's entry for `Rule` (a rule listed twice does not compile);
// no text when it has none.
template <typename Rule>
constexpr ErrorText errorOf() {
  if constexpr (kInTable<On<Rule>, std::remove_const_t<decltype(kErrorTable)>>)
    return std::get<On<Rule>>(kErrorTable).error;
  else
    return {};
}

template <typename Rule>
inline constexpr ErrorText kError = errorOf<Rule>();

// The operands of nesting constructs: entering one is one level deeper
// (counted only once the opening token has matched, so `x` at the limit is
// not rejected just because `not` or '-' might have started there).
template <typename Rule>
inline constexpr bool kNests =
    kIsOneOf<Rule, g::paren_inner, g::arg, g::first_element, g::next_element, g::binder_filter,
             g::binder_body, g::if_cond, g::then_branch, g::else_branch, g::not_operand,
             g::neg_operand>;

template <typename Rule>
struct Control : tao::pegtl::normal<Rule> {
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
    raiseError(b, kError<Rule>, in.end());
  }
};

}  // namespace roam::lang::parsing
