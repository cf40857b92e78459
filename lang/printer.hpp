#pragma once
// Renders expressions back to source form, for explanations and the REPL.

#include <string>

#include "lang/ast.hpp"

namespace roam::lang {

std::string exprToString(const Expr& e);

}  // namespace roam::lang
