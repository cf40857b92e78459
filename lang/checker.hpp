#pragma once
// The checker resolves names, types every expression, checks units and the
// shape of each policy, and annotates the AST in place for the evaluator.
// It collects every error it finds rather than stopping at the first.

#include <span>
#include <string>
#include <vector>

#include "lang/ast.hpp"

namespace roam::lang {

// Checks every policy in `file`.
Diagnostics checkPolicyFile(PolicyFile& file);

// Checks several files together: each file, then policy names across them
// (a duplicate name is an error at its second definition).
Diagnostics checkPolicyFiles(std::span<PolicyFile> files);

// Names an expression may use outside a policy (REPL, ad-hoc evaluation):
// the globals, plus optionally the parameters and lets of `policy`, plus
// extra variables (e.g. `source`) supplied by the caller.
struct ExpressionScope {
  const Policy* policy = nullptr;
  struct Variable {
    std::string name;
    Type type;
  };
  std::vector<Variable> variables;  // slots after the policy's frame, in order
};

struct ExpressionCheck {
  Diagnostics diagnostics;
  int frameSize = 0;               // slots the evaluator must provide
  std::vector<int> variableSlots;  // slot of each ExpressionScope variable
};

ExpressionCheck checkExpression(Expr& expr, const ExpressionScope& scope, const std::string& file);

// Names close to `name` among `candidates` (for "did you mean" hints).
std::string closestName(std::string_view name, std::span<const std::string_view> candidates);

}  // namespace roam::lang
