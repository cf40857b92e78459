#pragma once
// Parsing .policy text into the AST. The grammar lives in grammar.hpp
// (rules only, no actions); this is the one place parse errors become
// Diagnostics (codes::kParseError).

#include <string>
#include <string_view>

#include "lang/ast.hpp"

namespace roam::lang {

struct ParseResult {
  PolicyFile file;          // the policies that parsed (possibly some, when others failed)
  Diagnostics diagnostics;  // every syntax error found, in source order
};

// Parses a whole file. After a syntax error the parser resumes at the next
// `policy` keyword that starts a line, so one run reports the errors of every
// policy in the file. Never throws, never loops; input size bounds the work.
ParseResult parsePolicyFile(std::string path, std::string source);

struct ExpressionParse {
  ExprPtr expr;  // null when there were errors
  Diagnostics diagnostics;
};

// Parses one expression (REPL input, --param values); `file` names the origin
// in diagnostics, e.g. "<repl>" or "<command-line>".
ExpressionParse parseExpression(std::string_view source, std::string file);

}  // namespace roam::lang
