#pragma once
// The grammar of .policy files (docs/grammar.md) as PEGTL rules, without
// actions: lang/parse_actions.hpp attaches the actions that build the AST,
// lang/parse_errors.hpp the error message of every must<> point.
//
// Conventions that keep the parser linear and its messages precise:
// - A token rule consumes its trailing whitespace and comments (`skip`), so
//   every rule starts on the first character of its token and an action's
//   position is the token's position.
// - Raw rules (names, numbers, strings) do not skip; the rule using them does,
//   so actions see exactly the token text.
// - After the first token of a construct everything is must<>: a rule either
//   fails without consuming or succeeds or raises. The only backtracking is
//   over single tokens, so no input costs more than linear time.
// - Rules that appear in several places with different meanings (a '}' closing
//   a policy or a set, an expression after '>' or after 'require') are
//   distinct structs, so each gets its own action and error message.

#include <tao/pegtl.hpp>

namespace roam::lang::grammar {

using namespace tao::pegtl;

// ---------------------------------------------------------------- lexical

struct comment : seq<one<'#'>, star<not_one<'\n'>>> {};
struct ws_char : one<' ', '\t', '\r', '\n'> {};
struct skip : star<sor<ws_char, comment>> {};

struct ident_first : ranges<'a', 'z', 'A', 'Z', '_'> {};
struct ident_other : ranges<'a', 'z', 'A', 'Z', '0', '9', '_'> {};
// `shortest-path` is one identifier; a '-' must be followed by a letter or digit.
struct ident_dash : seq<one<'-'>, ranges<'a', 'z', 'A', 'Z', '0', '9'>> {};
struct ident_continue : sor<ident_other, ident_dash> {};
struct ident_chars : seq<ident_first, star<ident_continue>> {};

// A whole word: `in` but not the start of `index` or `in-flight`.
template <typename Str>
struct word : seq<Str, not_at<ident_continue>> {};

struct w_policy : word<TAO_PEGTL_STRING("policy")> {};
struct w_param : word<TAO_PEGTL_STRING("param")> {};
struct w_let : word<TAO_PEGTL_STRING("let")> {};
struct w_when : word<TAO_PEGTL_STRING("when")> {};
struct w_every : word<TAO_PEGTL_STRING("every")> {};
struct w_for : word<TAO_PEGTL_STRING("for")> {};
struct w_samples : word<TAO_PEGTL_STRING("samples")> {};
struct w_which : word<TAO_PEGTL_STRING("which")> {};
struct w_where : word<TAO_PEGTL_STRING("where")> {};
struct w_in : word<TAO_PEGTL_STRING("in")> {};
struct w_require : word<TAO_PEGTL_STRING("require")> {};
struct w_order : word<TAO_PEGTL_STRING("order")> {};
struct w_by : word<TAO_PEGTL_STRING("by")> {};
struct w_asc : word<TAO_PEGTL_STRING("asc")> {};
struct w_desc : word<TAO_PEGTL_STRING("desc")> {};
struct w_limit : word<TAO_PEGTL_STRING("limit")> {};
struct w_maximize : word<TAO_PEGTL_STRING("maximize")> {};
struct w_minimize : word<TAO_PEGTL_STRING("minimize")> {};
struct w_sample : word<TAO_PEGTL_STRING("sample")> {};
struct w_weighted : word<TAO_PEGTL_STRING("weighted")> {};
struct w_mtd : word<TAO_PEGTL_STRING("mtd")> {};
struct w_tie : word<TAO_PEGTL_STRING("tie")> {};
struct w_and : word<TAO_PEGTL_STRING("and")> {};
struct w_or : word<TAO_PEGTL_STRING("or")> {};
struct w_not : word<TAO_PEGTL_STRING("not")> {};
struct w_if : word<TAO_PEGTL_STRING("if")> {};
struct w_then : word<TAO_PEGTL_STRING("then")> {};
struct w_else : word<TAO_PEGTL_STRING("else")> {};
struct w_true : word<TAO_PEGTL_STRING("true")> {};
struct w_false : word<TAO_PEGTL_STRING("false")> {};
// Not reserved: meaningful only at their place in a `where` block.
struct w_random : word<TAO_PEGTL_STRING("random")> {};
struct w_name : word<TAO_PEGTL_STRING("name")> {};

struct reserved
    : sor<w_policy, w_param, w_let, w_when, w_every, w_for, w_samples, w_which, w_where, w_in,
          w_require, w_order, w_by, w_asc, w_desc, w_limit, w_maximize, w_minimize, w_sample,
          w_weighted, w_mtd, w_tie, w_and, w_or, w_not, w_if, w_then, w_else, w_true, w_false> {};

// An identifier that is not a reserved word (raw: no trailing skip).
struct ident : seq<not_at<reserved>, ident_chars> {};

template <typename W>
struct key : seq<W, skip> {};

struct k_policy : key<w_policy> {};
struct k_param : key<w_param> {};
struct k_let : key<w_let> {};
struct k_when : key<w_when> {};
struct k_every : key<w_every> {};
struct k_for : key<w_for> {};
struct k_samples : key<w_samples> {};
struct k_which : key<w_which> {};
struct k_where : key<w_where> {};
struct k_in : key<w_in> {};
struct k_require : key<w_require> {};
struct k_order : key<w_order> {};
struct k_by : key<w_by> {};
struct k_asc : key<w_asc> {};
struct k_desc : key<w_desc> {};
struct k_limit : key<w_limit> {};
struct k_maximize : key<w_maximize> {};
struct k_minimize : key<w_minimize> {};
struct k_sample : key<w_sample> {};
struct k_weighted : key<w_weighted> {};
struct k_mtd : key<w_mtd> {};
struct k_tie : key<w_tie> {};
struct k_not : key<w_not> {};
struct k_if : key<w_if> {};
struct k_then : key<w_then> {};
struct k_else : key<w_else> {};

template <char C>
struct punct : seq<one<C>, skip> {};

// Numbers: DIGITS [. DIGITS] [UNIT]. The unit and anything glued to it are
// matched generously here and validated by the action, which can then say
// "unknown unit 'xyz'" instead of a vague syntax error.
struct digits : plus<digit> {};
struct number_value : seq<digits, opt<one<'.'>, digits>> {};
struct unit_word : sor<one<'%'>, plus<alpha>> {};
struct number_junk : plus<ident_other> {};
struct number : seq<number_value, opt<unit_word>, opt<number_junk>> {};

// Strings: "..." with \" \\ \n \t, no raw line breaks.
struct escape_char : one<'"', '\\', 'n', 't'> {};
struct escape : seq<one<'\\'>, must<escape_char>> {};
struct string_char : sor<escape, not_one<'"', '\\', '\n', '\r'>> {};
struct string_body : seq<star<string_char>, one<'"'>> {};
struct quoted : seq<one<'"'>, must<string_body>> {};

// ------------------------------------------------------------ expressions

struct expr;
struct unary;
struct not_expr;
struct add;

// Binary operator tokens; each action records the operator for the tail.
struct op_or : key<w_or> {};
struct op_and : key<w_and> {};
struct op_eq : seq<TAO_PEGTL_STRING("=="), skip> {};
struct op_ne : seq<TAO_PEGTL_STRING("!="), skip> {};
struct op_le : seq<TAO_PEGTL_STRING("<="), skip> {};
struct op_ge : seq<TAO_PEGTL_STRING(">="), skip> {};
struct op_lt : punct<'<'> {};
struct op_gt : punct<'>'> {};
struct op_in : key<w_in> {};
struct op_not_in : seq<w_not, skip, w_in, skip> {};
struct op_add : punct<'+'> {};
struct op_sub : punct<'-'> {};
struct op_mul : punct<'*'> {};
struct op_div : punct<'/'> {};
struct op_mod : punct<'%'> {};

// Binders: `x in S where C : E`. The head `x in S` is parsed as an ordinary
// comparison (its set is at `add` level either way); the action turns it into
// a binder when `where` or ':' follows, which avoids re-parsing the set.
struct binder_where : key<w_where> {};
struct binder_filter : seq<expr> {};
struct binder_colon : punct<':'> {};       // directly after the set
struct binder_body_colon : punct<':'> {};  // after a `where` filter
struct binder_body : seq<expr> {};
struct binder_tail
    : sor<seq<binder_where, must<binder_filter>, opt<binder_body_colon, must<binder_body>>>,
          seq<binder_colon, must<binder_body>>> {};

// Calls: NAME '(' args ')'.
struct call_open : punct<'('> {};
struct arg : seq<expr, opt<binder_tail>> {};
struct next_arg : seq<arg> {};
struct call_close : punct<')'> {};
struct call_args : seq<call_open, opt<arg, star<punct<','>, must<next_arg>>>, must<call_close>> {};

struct name_ref : ident {};
struct name_or_call : seq<name_ref, skip, opt<call_args>> {};

// '(' expr ')'
struct paren_inner : seq<expr> {};
struct paren_close : punct<')'> {};
struct paren : seq<one<'('>, skip, must<paren_inner>, must<paren_close>> {};

// {} | { binder } | { expr, ... }
struct brace_open : punct<'{'> {};
struct empty_set : punct<'}'> {};
struct first_element : seq<expr> {};
struct builder_close : punct<'}'> {};
struct set_builder : seq<binder_tail, must<builder_close>> {};
struct next_element : seq<expr> {};
struct set_close : punct<'}'> {};
struct set_elements : seq<star<punct<','>, must<next_element>>, must<set_close>> {};
struct braces
    : seq<brace_open, sor<empty_set, seq<must<first_element>, sor<set_builder, set_elements>>>> {};

struct string_lit : quoted {};
struct lit_true : w_true {};
struct lit_false : w_false {};

struct primary : sor<seq<number, skip>, seq<string_lit, skip>, seq<lit_true, skip>,
                     seq<lit_false, skip>, name_or_call, paren, braces> {};

struct field_dot : punct<'.'> {};
struct field_name : ident {};
struct field_access : seq<field_dot, must<field_name>, skip> {};
struct postfix : seq<primary, star<field_access>> {};

struct neg_operand : seq<unary> {};
struct neg : seq<punct<'-'>, must<neg_operand>> {};
struct unary : sor<neg, postfix> {};

struct mul_rhs : seq<unary> {};
struct mul_tail : seq<sor<op_mul, op_div, op_mod>, must<mul_rhs>> {};
struct mul : seq<unary, star<mul_tail>> {};

struct add_rhs : seq<mul> {};
struct add_tail : seq<sor<op_add, op_sub>, must<add_rhs>> {};
struct add : seq<mul, star<add_tail>> {};

struct cmp_op : sor<op_eq, op_ne, op_le, op_ge, op_lt, op_gt, op_in, op_not_in> {};
struct cmp_rhs : seq<add> {};
struct cmp_tail : seq<cmp_op, must<cmp_rhs>> {};
// Comparisons do not associate: `a < b < c` is an error, not (a < b) < c.
struct cmp_unchained : not_at<cmp_op> {};
struct cmp : seq<add, opt<cmp_tail, must<cmp_unchained>>> {};

struct not_operand : seq<not_expr> {};
struct not_prefix : seq<k_not, must<not_operand>> {};
struct not_expr : sor<not_prefix, cmp> {};

struct and_rhs : seq<not_expr> {};
struct and_tail : seq<op_and, must<and_rhs>> {};
struct and_expr : seq<not_expr, star<and_tail>> {};

struct or_rhs : seq<and_expr> {};
struct or_tail : seq<op_or, must<or_rhs>> {};
struct or_expr : seq<and_expr, star<or_tail>> {};

struct if_cond : seq<expr> {};
struct if_then : k_then {};
struct then_branch : seq<expr> {};
struct if_else : k_else {};
struct else_branch : seq<expr> {};
struct if_expr
    : seq<k_if, must<if_cond>, must<if_then>, must<then_branch>, must<if_else>, must<else_branch>> {
};

struct expr : sor<if_expr, or_expr> {};

// A lone expression (REPL input, --param values).
struct whole_expr : seq<expr> {};
struct expression_end : eof {};
struct expression_input : seq<skip, must<whole_expr>, must<expression_end>> {};

// ------------------------------------------------------------------ items

// let NAME = EXPR  (in a policy, a when clause, a which or a where block)
struct let_name : ident {};
struct let_eq : punct<'='> {};
struct let_value : seq<expr> {};
struct let_item : seq<k_let, must<let_name>, skip, must<let_eq>, must<let_value>> {};

// param NAME [: TYPE] = EXPR ["doc"]
struct param_kw : k_param {};
struct param_name : ident {};
struct param_type : ident {};
struct param_eq : punct<'='> {};
struct param_default : seq<expr> {};
struct param_doc : quoted {};
struct param_item : seq<param_kw, must<param_name>, skip, opt<punct<':'>, must<param_type>, skip>,
                        must<param_eq>, must<param_default>, opt<param_doc, skip>> {};

// require EXPR  (which and where blocks)
struct require_expr : seq<expr> {};
struct require_item : seq<k_require, must<require_expr>> {};

// when [every EXPR] { let... EXPR [for EXPR [samples]] }
struct when_kw : k_when {};
struct every_expr : seq<expr> {};
struct when_open : punct<'{'> {};
struct when_condition : seq<expr> {};
struct for_expr : seq<expr> {};
struct samples_kw : k_samples {};
struct when_close : punct<'}'> {};
struct when_clause
    : seq<when_kw, opt<k_every, must<every_expr>>, must<when_open>, star<let_item>,
          must<when_condition>, opt<k_for, must<for_expr>, opt<samples_kw>>, must<when_close>> {};

// which VAR in EXPR { let | require | order by K [asc|desc], ... | limit N }
struct which_kw : k_which {};
struct which_var : ident {};
struct which_in : k_in {};
struct which_from : seq<expr> {};
struct which_open : punct<'{'> {};
struct order_by : k_by {};
struct order_expr : seq<expr> {};
struct order_desc : k_desc {};
struct order_key : seq<order_expr, opt<sor<k_asc, order_desc>>> {};
struct next_order_key : seq<order_key> {};
struct order_item
    : seq<k_order, must<order_by>, must<order_key>, star<punct<','>, must<next_order_key>>> {};
struct limit_kw : k_limit {};
struct limit_expr : seq<expr> {};
struct limit_item : seq<limit_kw, must<limit_expr>> {};
struct which_item : sor<let_item, require_item, order_item, limit_item> {};
struct which_close : punct<'}'> {};
struct which_clause : seq<which_kw, must<which_var>, skip, must<which_in>, must<which_from>,
                          must<which_open>, star<which_item>, must<which_close>> {};

// where VAR in EXPR { let | require | choice | tie }
struct where_kw : k_where {};
struct where_var : ident {};
struct where_in : k_in {};
struct where_from : seq<expr> {};
struct where_open : punct<'{'> {};
struct maximize_kw : k_maximize {};
struct maximize_expr : seq<expr> {};
struct minimize_kw : k_minimize {};
struct minimize_expr : seq<expr> {};
// `random` is the clause only when it is not a call.
struct random_choice : seq<w_random, skip, not_at<one<'('>>> {};
struct sample_kw : k_sample {};
struct sample_weighted : k_weighted {};
struct sample_by : k_by {};
struct weight_expr : seq<expr> {};
struct mtd_kw : k_mtd {};
struct mtd_expr : seq<expr> {};
struct tie_kw : k_tie {};
struct tie_random : seq<w_random, skip> {};
struct tie_name : seq<w_name, skip> {};
struct tie_kind : sor<tie_random, seq<k_by, must<tie_name>>> {};
struct where_item : sor<let_item, require_item, seq<maximize_kw, must<maximize_expr>>,
                        seq<minimize_kw, must<minimize_expr>>, random_choice,
                        seq<sample_kw, must<sample_weighted>, must<sample_by>, must<weight_expr>>,
                        seq<mtd_kw, must<mtd_expr>>, seq<tie_kw, must<tie_kind>>> {};
struct where_close : punct<'}'> {};
struct where_clause : seq<where_kw, must<where_var>, skip, must<where_in>, must<where_from>,
                          must<where_open>, star<where_item>, must<where_close>> {};

// policy NAME ["description"] { item... }
struct policy_kw : k_policy {};
struct policy_name : ident {};
struct policy_desc : quoted {};
struct policy_open : punct<'{'> {};
struct policy_item : sor<param_item, let_item, when_clause, which_clause, where_clause> {};
struct policy_close : punct<'}'> {};
struct policy : seq<policy_kw, must<policy_name>, skip, opt<policy_desc, skip>, must<policy_open>,
                    star<policy_item>, must<policy_close>> {};

// One step over a file: the next policy, or the end. The parser drives the
// steps itself so that it can resume after an error (see parser.cpp).
struct file_step : seq<skip, sor<eof, must<policy>>> {};

}  // namespace roam::lang::grammar
