// Issue 17, "Crashes and silent wrong answers": a policy that checks never
// crashes an evaluation or lets inf/NaN decide; sizes, ports, counts and k are
// range-checked with located errors; constants that can never be right fail
// `check`.

#include <cmath>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

#include "lang/checker.hpp"
#include "lang/decision.hpp"
#include "lang/evaluator.hpp"
#include "lang/parser.hpp"
#include "test_util.hpp"

using roam::lang::Diagnostics;
using roam::test::checkExpr;
using roam::test::exampleState;
using roam::test::headlines;
using roam::test::parseAndCheck;

namespace {

struct Failure {
  std::string message;
  unsigned column = 0;
};

// Checks `text` (it must check cleanly) and evaluates it, expecting an EvalError.
Failure evalFailure(const std::string& text,
                    const roam::lang::BuiltinRegistry& builtins = roam::lang::coreBuiltins()) {
  auto state = exampleState("paper-heterogeneous");
  auto parsed = roam::lang::parseExpression(text, "<expr>");
  INFO(text << "\n" << headlines(parsed.diagnostics));
  REQUIRE(parsed.expr);
  auto checked = roam::lang::checkExpression(*parsed.expr, {}, "<expr>");
  INFO(headlines(checked.diagnostics));
  REQUIRE(checked.diagnostics.empty());
  roam::lang::Evaluator ev(nullptr, checked.frameSize, *state, 1, builtins);
  try {
    ev.eval(*parsed.expr);
  } catch (const roam::lang::EvalError& e) {
    return {e.message, e.loc.column};
  }
  FAIL("expected an evaluation error for " << text);
  return {};
}

// The one diagnostic of checking `source` (a whole policy file).
roam::lang::Diagnostic onlyCheckError(const std::string& source) {
  auto c = parseAndCheck(source);
  INFO(headlines(c.diagnostics));
  REQUIRE(c.diagnostics.size() == 1);
  return c.diagnostics[0];
}

std::string policyWith(const std::string& when, const std::string& which = "",
                       const std::string& where = "random") {
  return "policy p {\n  when " + when + "\n  which c in containers { " + which +
         " }\n  where h in hosts { " + where + " }\n}\n";
}

// Runs a checked policy on the example state; returns its one diagnostic.
roam::lang::Diagnostic decideError(const std::string& source,
                                   std::vector<roam::lang::ParamOverride> params = {}) {
  auto c = parseAndCheck(source);
  INFO(headlines(c.diagnostics));
  REQUIRE(c.diagnostics.empty());
  auto state = exampleState("paper-heterogeneous");
  roam::lang::DecideOptions options;
  options.params = std::move(params);
  auto r = roam::lang::decide(c.file.policies[0], "test.policy", *state, options);
  INFO(headlines(r.diagnostics));
  REQUIRE(r.diagnostics.size() == 1);
  CHECK_FALSE(r.decision);
  return r.diagnostics[0];
}

roam::lang::Value notANumber(roam::lang::Evaluator&, const roam::lang::Expr&) {
  return roam::lang::Value::fromNumber(std::numeric_limits<double>::quiet_NaN());
}

}  // namespace

TEST_CASE("arithmetic that overflows is a located evaluation error", "[lang][hardening]") {
  std::string text = "count(hosts)";
  for (int i = 0; i < 20; ++i) text += " * 100000000000000000000";
  auto f = evalFailure(text);
  CHECK_THAT(f.message, Catch::Matchers::EndsWith("overflows: the result is not a finite number"));
  CHECK_THAT(f.message, Catch::Matchers::StartsWith("'count(hosts) * "));
  // 5 * (1e20)^16 is the first product past the largest double: the 16th '*'
  // (a binary operation is located at its operator).
  CHECK(f.column == 14 + 15 * 24);
}

TEST_CASE("a built-in returning NaN is a located evaluation error", "[lang][hardening]") {
  roam::lang::BuiltinRegistry builtins;
  roam::lang::registerCoreBuiltins(builtins);
  builtins.add(roam::lang::kAbs, notANumber);
  auto f = evalFailure("1 + abs(host_bandwidth(\"h2\") / 1Mbps) > 1", builtins);
  CHECK(f.message == "'abs(host_bandwidth(\"h2\") / 1Mbps)' is not a number (NaN)");
  CHECK(f.column == 5);
}

TEST_CASE("a division by a computed zero stays a located evaluation error", "[lang][hardening]") {
  auto f = evalFailure("count(hosts) / (count(hosts) - 5)");
  CHECK(f.message == "division by zero (5 / 0)");
  CHECK(f.column == 14);
}

TEST_CASE("sample sizes are bounded: a huge k is an error, not an allocation",
          "[lang][hardening]") {
  auto f = evalFailure("weighted_sample(h in hosts: 1, count(hosts) * 1000000000000)");
  CHECK(f.message == "the sample size must be <= 1000000, not 5000000000000");
  CHECK(f.column == 45);
  f = evalFailure("weighted_sample(h in hosts: 1, count(hosts) * 1000000000000000000000)");
  CHECK(f.message == "the sample size must be <= 1000000, not 5000000000000000000000");
  f = evalFailure("weighted_sample(h in hosts: 1, count(hosts) / 2)");
  CHECK(f.message == "the sample size must be a whole number, not 2.5");
  f = evalFailure("weighted_sample(h in hosts: 1, count(hosts) - 6)");
  CHECK(f.message == "the sample size must be >= 0, not -1");

  auto state = exampleState("paper-heterogeneous");
  auto v = roam::test::evalExpr("weighted_sample(h in hosts: 1, count(hosts) * 200000)", *state);
  CHECK(v.elements().size() == 1000000);  // the bound itself is allowed

  // Concatenating lists cannot grow past the bound either.
  f = evalFailure(
      "count(weighted_sample(h in hosts: 1, 600000) + weighted_sample(h in hosts: 1, "
      "600000)) > 0");
  CHECK(f.message == "the result would have 1200000 elements, more than 1000000");
  CHECK(f.column == 46);
}

TEST_CASE("ports and MTD k are range-checked, never narrowed", "[lang][hardening]") {
  auto f = evalFailure("bandwidth(\"s1\", count(hosts) * 429496730)");
  CHECK(f.message == "a port number must be <= 2147483647, not 2147483650");
  CHECK(f.column == 30);
  f = evalFailure("utilization(\"s1\", count(hosts) - 6)");
  CHECK(f.message == "a port number must be >= 0, not -1");
  f = evalFailure("shamir(count(hosts) * 100)");
  CHECK(f.message == "shamir's k must be <= 255, not 500");
  CHECK(f.column == 21);
  f = evalFailure("fountain(count(hosts) - 5)");
  CHECK(f.message == "fountain's k must be >= 1, not 0");
}

TEST_CASE("counts from parameters are range-checked when the policy runs", "[lang][hardening]") {
  const std::string policy = R"(policy p {
  param n = 2
  param every-s = 1s
  when every every-s { count(hosts) > 0 for n samples }
  which c in containers { limit n }
  where h in hosts { random }
}
)";
  auto d = decideError(policy, {{"n", "2147483648", "<param n>"}});
  CHECK(d.code == "eval_error");
  CHECK(d.message == "the number of samples after 'for' must be <= 1000000, not 2147483648");
  CHECK(d.location.line == 4);
  CHECK(d.location.column == 45);
  d = decideError(policy, {{"n", "2.5", "<param n>"}});
  CHECK(d.message == "the number of samples after 'for' must be a whole number, not 2.5");
  d = decideError(policy, {{"every-s", "0s", "<param every-s>"}});
  CHECK(d.message == "the interval after 'every' must be > 0 s, not 0 s");
  CHECK(d.location.column == 14);

  const std::string limited = R"(policy p {
  param n = 1
  when { true }
  which c in containers { limit n }
  where h in hosts { random }
}
)";
  d = decideError(limited, {{"n", "-1", "<param n>"}});
  CHECK(d.message == "the limit must be >= 0, not -1");
  CHECK(d.location.line == 4);
  CHECK(d.location.column == 33);
  d = decideError(limited, {{"n", "10000000000000000000000", "<param n>"}});
  CHECK(d.message == "the limit must be <= 1000000, not 10000000000000000000000");
}

TEST_CASE("an infinite score never chooses a destination", "[lang][hardening]") {
  const std::string big = "1" + std::string(200, '0');
  const std::string policy =
      "policy p {\n  when { true }\n  which c in containers { }\n"
      "  where h in hosts { maximize count(hosts) * " +
      big + " * " + big + " }\n}\n";
  auto d = decideError(policy);
  CHECK(d.code == "eval_error");
  CHECK_THAT(d.message, Catch::Matchers::EndsWith("overflows: the result is not a finite number"));
  CHECK(d.location.line == 4);
  CHECK(d.location.column == 44 + 204);
}

TEST_CASE("constants that can never be right fail check with what is wrong", "[lang][hardening]") {
  auto d = onlyCheckError(policyWith("every 0s { true }"));
  CHECK(d.code == "value_error");
  CHECK(d.message == "the interval after 'every' must be > 0 s, not 0 s");
  CHECK(d.location.line == 2);
  CHECK(d.location.column == 14);

  d = onlyCheckError(policyWith("every -1s { true }"));
  CHECK(d.message == "the interval after 'every' must be > 0 s, not -1 s");

  d = onlyCheckError(policyWith("{ true for -5s }"));
  CHECK(d.code == "value_error");
  CHECK(d.message == "the duration after 'for' must be >= 0 s, not -5 s");
  CHECK(d.location.column == 19);

  d = onlyCheckError(policyWith("{ true for 2.5 samples }"));
  CHECK(d.message == "the number of samples after 'for' must be a whole number, not 2.5");
  d = onlyCheckError(policyWith("{ true for 0 samples }"));
  CHECK(d.message == "the number of samples after 'for' must be >= 1, not 0");

  d = onlyCheckError(policyWith("{ true }", "limit -1"));
  CHECK(d.message == "the limit must be >= 0, not -1");
  CHECK(d.location.line == 3);
  CHECK(d.location.column == 33);
  d = onlyCheckError(policyWith("{ true }", "limit 1.5"));
  CHECK(d.message == "the limit must be a whole number, not 1.5");

  d = onlyCheckError(policyWith("{ true }", "", "sample weighted by 1 - 2"));
  CHECK(d.code == "value_error");
  CHECK(d.message == "a weight must be >= 0, not -1");
  CHECK(d.location.line == 4);

  d = onlyCheckError(policyWith("{ true }", "", "mtd shamir(0)"));
  CHECK(d.message == "shamir's k must be >= 1, not 0");
  d = onlyCheckError(policyWith("{ true }", "", "mtd fountain(256)"));
  CHECK(d.message == "fountain's k must be <= 255, not 256");
}

TEST_CASE("constant expressions check division by zero, overflow, sizes and ports",
          "[lang][hardening]") {
  Diagnostics ds = checkExpr("1 / 0 > 2");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "value_error");
  CHECK(ds[0].message == "division by zero ('1 / 0')");
  CHECK(ds[0].location.column == 3);

  ds = checkExpr("5s % (2s - 2s)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "remainder of a division by zero ('5s % (2s - 2s)')");

  std::string big = "1" + std::string(200, '0');
  ds = checkExpr(big + " * " + big + " > 1");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "value_error");
  CHECK_THAT(ds[0].message,
             Catch::Matchers::EndsWith("overflows: the result is not a finite number"));

  ds = checkExpr("1" + std::string(400, '0') + " > 1");  // the parser refuses it
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "parse_error");
  CHECK(ds[0].location.column == 1);

  ds = checkExpr("weighted_sample(h in hosts: 1, 10000000000)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "the sample size must be <= 1000000, not 10000000000");
  CHECK(ds[0].location.column == 32);
  ds = checkExpr("weighted_sample(h in hosts: -1, 2)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "a weight must be >= 0, not -1");
  ds = checkExpr("bandwidth(\"s1\", 2147483648) > 1Mbps");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "a port number must be <= 2147483647, not 2147483648");
  ds = checkExpr("avg_over(host_bandwidth(\"h1\"), -2s) > 1Mbps");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "the window must be >= 0 s, not -2 s");

  // A division guarded at run time by a non-constant divisor still checks.
  CHECK(checkExpr("1 / count(hosts) > 0").empty());
}

TEST_CASE("a parameter's constant default is checked where the parameter is a constant",
          "[lang][hardening]") {
  const std::string policy = R"(policy p {
  param n: number = 2.5
  param s: duration = -2s
  param w: number = 0 - 1
  when every s { true for n samples }
  which c in containers { limit n }
  where h in hosts { sample weighted by w }
}
)";
  auto c = parseAndCheck(policy);
  INFO(headlines(c.diagnostics));
  REQUIRE(c.diagnostics.size() == 4);
  CHECK(c.diagnostics[0].message ==
        "the interval after 'every' must be > 0 s, not -2 s (the default of parameter 's')");
  CHECK(c.diagnostics[0].location.line == 5);
  CHECK(c.diagnostics[0].location.column == 14);
  CHECK(c.diagnostics[1].message ==
        "the number of samples after 'for' must be a whole number, not 2.5 (the default of "
        "parameter 'n')");
  CHECK(c.diagnostics[2].message ==
        "the limit must be a whole number, not 2.5 (the default of parameter 'n')");
  CHECK(c.diagnostics[2].location.line == 6);
  CHECK(c.diagnostics[3].message == "a weight must be >= 0, not -1 (the default of parameter 'w')");
  for (const auto& d : c.diagnostics) CHECK(d.code == "value_error");

  // A right default passes check; a wrong override is caught when the policy runs.
  const std::string fine = R"(policy p {
  param n: number = 2
  when every 1s { true for n samples }
  which c in containers { limit n }
  where h in hosts { random }
}
)";
  CHECK(parseAndCheck(fine).diagnostics.empty());
  auto d = decideError(fine, {{"n", "0", "<param n>"}});
  CHECK(d.message == "the number of samples after 'for' must be >= 1, not 0");
}

TEST_CASE("one mistake is one error: follow-on errors are suppressed", "[lang][hardening]") {
  SECTION("an unknown name used five times") {
    auto c = parseAndCheck(R"(policy p {
  let a = bogus + 1
  let b = bogus * 2
  when every 1s { bogus > 0 and bogus < 3 }
  which c in containers { order by bogus }
  where h in hosts { random }
}
)");
    REQUIRE(c.diagnostics.size() == 1);
    CHECK(c.diagnostics[0].message == "unknown name 'bogus'");
    CHECK(c.diagnostics[0].location.line == 2);
  }
  SECTION("an unknown field and an unknown function used twice, and their uses") {
    auto c = parseAndCheck(R"(policy p {
  let x = bandwith("s1", 1)
  let y = x > 5Mbps and bandwith("s1", 2) > 1Mbps
  when every 1s { y and x > 1Mbps }
  which c in containers { require c.nme == "a" or c.nme == "b" }
  where h in hosts { random }
}
)");
    INFO(headlines(c.diagnostics));
    REQUIRE(c.diagnostics.size() == 2);
    CHECK(c.diagnostics[0].message == "unknown function 'bandwith' (did you mean 'bandwidth'?)");
    CHECK(c.diagnostics[1].message ==
          "container has no field 'nme' (fields: name, host, image, labels)");
  }
  SECTION("each policy reports its own mistakes") {
    auto c = parseAndCheck(R"(policy p {
  when every 1s { bogus }
  which c in containers { }
  where h in hosts { random }
}
policy q {
  when every 1s { bogus or bogus }
  which c in containers { }
  where h in hosts { random }
}
)");
    REQUIRE(c.diagnostics.size() == 2);
    CHECK(c.diagnostics[0].location.line == 2);
    CHECK(c.diagnostics[1].location.line == 7);
  }
  SECTION("a syntax error is not followed by a cascade") {
    auto c = parseAndCheck(R"(policy p {
  let a = (1 +
  let b = 2
  when every 1s { a > b }
  which c in containers { }
  where h in hosts { random }
}
policy q {
  when every 1s { true
  which c in containers { order by c.name desc desc }
  where h in hosts { random }
}
policy r {
  when every 1s { true }
  which c in containers { }
  where h in hosts { random }
}
)");
    INFO(headlines(c.diagnostics));
    REQUIRE(c.diagnostics.size() == 2);
    CHECK(c.diagnostics[0].location.line == 3);
    CHECK(c.diagnostics[1].location.line == 10);
    CHECK(c.file.policies.size() >= 1);
  }
}
