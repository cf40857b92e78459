#pragma once
// The parser's actions: which Builder call (parse_builder.hpp) each rule of
// the grammar triggers when it matches. Internal to the parser.

#include <tao/pegtl.hpp>

#include "lang/grammar.hpp"
#include "lang/parse_builder.hpp"

namespace roam::lang::parsing {

namespace g = grammar;

template <typename Rule>
struct Action : tao::pegtl::nothing<Rule> {};

// Calls `Method(Args..., position of the rule)`.
template <auto Method, auto... Args>
struct AtLocation {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    (b.*Method)(Args..., locationOf(in));
  }
};

// Calls `Method(matched text, position of the rule)`.
template <auto Method>
struct WithText {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    (b.*Method)(in.string_view(), locationOf(in));
  }
};

// Calls `Method(matched text)`.
template <auto Method>
struct TextOnly {
  template <typename Input>
  static void apply(const Input& in, Builder& b) {
    (b.*Method)(in.string_view());
  }
};

// Calls `Method(Args...)`: nothing from the input.
template <auto Method, auto... Args>
struct Plain {
  template <typename Input>
  static void apply(const Input&, Builder& b) {
    (b.*Method)(Args...);
  }
};

// The tokens startBinder names in its message.
inline constexpr char kWhereToken[] = "where";
inline constexpr char kColonToken[] = ":";

// clang-format off
template <> struct Action<g::number> : WithText<&Builder::number> {};
template <> struct Action<g::string_lit> : WithText<&Builder::string> {};
template <> struct Action<g::lit_true> : AtLocation<&Builder::boolean, true> {};
template <> struct Action<g::lit_false> : AtLocation<&Builder::boolean, false> {};
template <> struct Action<g::name_ref> : WithText<&Builder::name> {};
template <> struct Action<g::call_open> : AtLocation<&Builder::openCall> {};
template <> struct Action<g::call_args> : Plain<&Builder::closeCall> {};
template <> struct Action<g::paren> : Plain<&Builder::parenthesized> {};
template <> struct Action<g::brace_open> : AtLocation<&Builder::openBraces> {};
template <> struct Action<g::empty_set> : Plain<&Builder::closeSetLiteral> {};
template <> struct Action<g::set_elements> : Plain<&Builder::closeSetLiteral> {};
template <> struct Action<g::set_builder> : Plain<&Builder::closeSetBuilder> {};
template <> struct Action<g::binder_where> : AtLocation<&Builder::startBinder, kWhereToken> {};
template <> struct Action<g::binder_colon> : AtLocation<&Builder::startBinder, kColonToken> {};
template <> struct Action<g::binder_filter> : Plain<&Builder::binderFilter> {};
template <> struct Action<g::binder_body> : Plain<&Builder::binderBody> {};
template <> struct Action<g::field_name> : WithText<&Builder::field> {};
template <> struct Action<g::neg> : AtLocation<&Builder::unary, Op::Neg> {};
template <> struct Action<g::not_prefix> : AtLocation<&Builder::unary, Op::Not> {};

template <> struct Action<g::op_or> : AtLocation<&Builder::pendingOp, Op::Or> {};
template <> struct Action<g::op_and> : AtLocation<&Builder::pendingOp, Op::And> {};
template <> struct Action<g::op_eq> : AtLocation<&Builder::pendingOp, Op::Eq> {};
template <> struct Action<g::op_ne> : AtLocation<&Builder::pendingOp, Op::Ne> {};
template <> struct Action<g::op_le> : AtLocation<&Builder::pendingOp, Op::Le> {};
template <> struct Action<g::op_ge> : AtLocation<&Builder::pendingOp, Op::Ge> {};
template <> struct Action<g::op_lt> : AtLocation<&Builder::pendingOp, Op::Lt> {};
template <> struct Action<g::op_gt> : AtLocation<&Builder::pendingOp, Op::Gt> {};
template <> struct Action<g::op_in> : AtLocation<&Builder::pendingOp, Op::In> {};
template <> struct Action<g::op_not_in> : AtLocation<&Builder::pendingOp, Op::NotIn> {};
template <> struct Action<g::op_add> : AtLocation<&Builder::pendingOp, Op::Add> {};
template <> struct Action<g::op_sub> : AtLocation<&Builder::pendingOp, Op::Sub> {};
template <> struct Action<g::op_mul> : AtLocation<&Builder::pendingOp, Op::Mul> {};
template <> struct Action<g::op_div> : AtLocation<&Builder::pendingOp, Op::Div> {};
template <> struct Action<g::op_mod> : AtLocation<&Builder::pendingOp, Op::Mod> {};

template <> struct Action<g::mul_tail> : Plain<&Builder::binary> {};
template <> struct Action<g::add_tail> : Plain<&Builder::binary> {};
template <> struct Action<g::cmp_tail> : Plain<&Builder::binary> {};
template <> struct Action<g::and_tail> : Plain<&Builder::binary> {};
template <> struct Action<g::or_tail> : Plain<&Builder::binary> {};
template <> struct Action<g::if_expr> : AtLocation<&Builder::conditional> {};

template <> struct Action<g::let_name> : TextOnly<&Builder::letName> {};
template <> struct Action<g::let_item> : AtLocation<&Builder::finishLet> {};

template <> struct Action<g::param_kw> : AtLocation<&Builder::beginParam> {};
template <> struct Action<g::param_name> : TextOnly<&Builder::paramName> {};
template <> struct Action<g::param_type> : WithText<&Builder::paramType> {};
template <> struct Action<g::param_doc> : TextOnly<&Builder::paramDoc> {};
template <> struct Action<g::param_item> : Plain<&Builder::finishParam> {};
template <> struct Action<g::require_item> : Plain<&Builder::require> {};

template <> struct Action<g::when_kw> : AtLocation<&Builder::beginWhen> {};
template <> struct Action<g::every_expr> : Plain<&Builder::whenEvery> {};
template <> struct Action<g::when_condition> : Plain<&Builder::whenCondition> {};
template <> struct Action<g::for_expr> : Plain<&Builder::whenFor> {};
template <> struct Action<g::samples_kw> : Plain<&Builder::whenSamples> {};
template <> struct Action<g::when_clause> : Plain<&Builder::finishWhen> {};

template <> struct Action<g::which_kw> : AtLocation<&Builder::beginWhich> {};
template <> struct Action<g::which_var> : WithText<&Builder::selectionVar> {};
template <> struct Action<g::which_from> : Plain<&Builder::selectionFrom> {};
template <> struct Action<g::order_expr> : Plain<&Builder::orderKey> {};
template <> struct Action<g::order_desc> : Plain<&Builder::orderDescending> {};
template <> struct Action<g::limit_kw> : AtLocation<&Builder::limitKeyword> {};
template <> struct Action<g::limit_expr> : Plain<&Builder::limit> {};
template <> struct Action<g::which_clause> : Plain<&Builder::finishWhich> {};

template <> struct Action<g::where_kw> : AtLocation<&Builder::beginWhere> {};
template <> struct Action<g::where_var> : WithText<&Builder::selectionVar> {};
template <> struct Action<g::where_from> : Plain<&Builder::selectionFrom> {};
template <> struct Action<g::maximize_kw> : AtLocation<&Builder::choice, ChoiceKind::Maximize> {};
template <> struct Action<g::minimize_kw> : AtLocation<&Builder::choice, ChoiceKind::Minimize> {};
template <> struct Action<g::random_choice> : AtLocation<&Builder::choice, ChoiceKind::Random> {};
template <> struct Action<g::sample_kw> : AtLocation<&Builder::choice, ChoiceKind::Weighted> {};
template <> struct Action<g::mtd_kw> : AtLocation<&Builder::choice, ChoiceKind::Mtd> {};
template <> struct Action<g::maximize_expr> : Plain<&Builder::choiceExpression> {};
template <> struct Action<g::minimize_expr> : Plain<&Builder::choiceExpression> {};
template <> struct Action<g::weight_expr> : Plain<&Builder::choiceExpression> {};
template <> struct Action<g::mtd_expr> : Plain<&Builder::choiceExpression> {};
template <> struct Action<g::tie_kw> : AtLocation<&Builder::tieKeyword> {};
template <> struct Action<g::tie_random> : Plain<&Builder::tie, TieBreak::Random> {};
template <> struct Action<g::tie_name> : Plain<&Builder::tie, TieBreak::ByName> {};
template <> struct Action<g::where_clause> : Plain<&Builder::finishWhere> {};

template <> struct Action<g::policy_kw> : AtLocation<&Builder::beginPolicy> {};
template <> struct Action<g::policy_name> : WithText<&Builder::policyName> {};
template <> struct Action<g::policy_desc> : TextOnly<&Builder::policyDescription> {};
template <> struct Action<g::policy> : Plain<&Builder::finishPolicy> {};
// clang-format on

}  // namespace roam::lang::parsing
