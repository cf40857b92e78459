#pragma once
// The codes a Diagnostic carries: one named constant per kind of mistake.
// Programs and tests tell diagnostics apart by these strings, so their
// spelling is part of the interface (docs/language.md, "Errors").

namespace roam::lang::codes {

// The language (lang/).
inline constexpr const char* kParseError = "parse_error";    // the parser: not well-formed text
inline constexpr const char* kNameError = "name_error";      // the checker: unknown, misplaced
                                                             // or duplicate name, unknown field
inline constexpr const char* kTypeError = "type_error";      // the checker: wrong type of value
inline constexpr const char* kUnitError = "unit_error";      // the checker: incompatible dimensions
inline constexpr const char* kArityError = "arity_error";    // the checker: wrong argument count
inline constexpr const char* kValueError = "value_error";    // the checker: a constant that can
                                                             // never be right (every 0s, 1 / 0)
inline constexpr const char* kPolicyError = "policy_error";  // a policy lacks a clause or a choice
inline constexpr const char* kParamError = "param_error";    // a --param names no parameter
inline constexpr const char* kEvalError = "eval_error";      // an expression failed at run time
inline constexpr const char* kStateError = "state_error";    // a mistake in a state file

// The runtime's files and sessions (runtime/).
inline constexpr const char* kIoError = "io_error";              // a policy file cannot be read
inline constexpr const char* kTopologyError = "topology_error";  // a mistake in a topology file
inline constexpr const char* kReplError = "repl_error";          // a REPL command went wrong

}  // namespace roam::lang::codes
