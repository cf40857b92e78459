#pragma once
// Shared helpers for the lang tests: parse+check a policy text, load the
// example states, and evaluate an expression on a state.

#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "lang/checker.hpp"
#include "lang/evaluator.hpp"
#include "lang/parser.hpp"
#include "lang/state_json.hpp"

namespace roam::test {

inline std::string sourcePath(const std::string& relative) {
  return std::string(ROAM_SOURCE_DIR) + "/" + relative;
}

// The text of tests/fixtures/RELATIVE (recorded controller answers and the like).
inline std::string fixture(const std::string& relative) {
  std::ifstream in(sourcePath("tests/fixtures/" + relative), std::ios::binary);
  INFO(relative);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Checked {
  lang::PolicyFile file;
  lang::Diagnostics diagnostics;  // parse and check, in order
};

inline Checked parseAndCheck(const std::string& source, const std::string& path = "test.policy") {
  auto parsed = lang::parsePolicyFile(path, source);
  Checked c{std::move(parsed.file), std::move(parsed.diagnostics)};
  auto checked = lang::checkPolicyFile(c.file);
  c.diagnostics.insert(c.diagnostics.end(), checked.begin(), checked.end());
  return c;
}

inline std::string headlines(const lang::Diagnostics& ds) {
  std::string out;
  for (const auto& d : ds) out += lang::formatHeadline(d) + "\n";
  return out;
}

inline std::unique_ptr<lang::InMemoryState> exampleState(const std::string& name) {
  auto loaded = lang::loadStateFile(sourcePath("examples/states/" + name + ".json"));
  INFO(headlines(loaded.diagnostics));
  REQUIRE(loaded.state);
  return std::move(loaded.state);
}

// Evaluates one expression (globals only) on `state`; fails the test on errors.
inline lang::Value evalExpr(const std::string& text, const lang::NetworkState& state,
                            std::uint64_t seed = 1) {
  auto parsed = lang::parseExpression(text, "<expr>");
  INFO(text << "\n" << headlines(parsed.diagnostics));
  REQUIRE(parsed.expr);
  auto checked = lang::checkExpression(*parsed.expr, {}, "<expr>");
  INFO(headlines(checked.diagnostics));
  REQUIRE(checked.diagnostics.empty());
  lang::Evaluator ev(nullptr, checked.frameSize, state, seed);
  try {
    return ev.eval(*parsed.expr);
  } catch (const lang::EvalError& e) {
    FAIL("eval error: " << e.message);
  }
  return {};
}

// The check diagnostics of one expression.
inline lang::Diagnostics checkExpr(const std::string& text) {
  auto parsed = lang::parseExpression(text, "<expr>");
  if (!parsed.expr) return parsed.diagnostics;
  return lang::checkExpression(*parsed.expr, {}, "<expr>").diagnostics;
}

}  // namespace roam::test
