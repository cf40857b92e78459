#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "lang/parser.hpp"
#include "lang/printer.hpp"

using namespace roam::lang;

namespace {

// A compact, unambiguous rendering of an expression tree for table tests:
// (op lhs rhs), (call f args...), (. obj field), (binder x S where F : B), {a b}.
std::string sexpr(const Expr& e) {
  auto list = [](const std::string& head, const std::vector<ExprPtr>& xs) {
    std::string out = "(" + head;
    for (const auto& x : xs) out += " " + sexpr(*x);
    return out + ")";
  };
  switch (e.kind) {
    case ExprKind::Number: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", e.number);
      std::string out = buf;
      if (e.dimension != kNumber) out += ":" + dimensionName(e.dimension);
      return out;
    }
    case ExprKind::String:
    case ExprKind::Bool:
    case ExprKind::Name:
      return exprToString(e);  // as written
    case ExprKind::Field:
      return "(. " + sexpr(*e.children[0]) + " " + e.text + ")";
    case ExprKind::Call:
      return list("call " + e.text, e.children);
    case ExprKind::Unary:
    case ExprKind::Binary:
      return list(opSpelling(e.op), e.children);
    case ExprKind::If:
      return list("if", e.children);
    case ExprKind::SetLiteral: {
      std::string out = "{";
      for (const auto& x : e.children) out += (out.size() > 1 ? " " : "") + sexpr(*x);
      return out + "}";
    }
    case ExprKind::Binder: {
      std::string out = "(binder " + e.text + " " + sexpr(*e.children[0]);
      if (e.filter) out += " where " + sexpr(*e.filter);
      if (e.body) out += " : " + sexpr(*e.body);
      return out + ")";
    }
  }
  return "?";
}

std::string headlines(const Diagnostics& ds) {
  std::string out;
  for (const auto& d : ds) out += formatHeadline(d) + "\n";
  return out;
}

// The tree of a valid expression; fails the test when it does not parse.
std::string tree(const std::string& text) {
  auto parsed = parseExpression(text, "<expr>");
  INFO(text << "\n" << headlines(parsed.diagnostics));
  REQUIRE(parsed.diagnostics.empty());
  REQUIRE(parsed.expr);
  return sexpr(*parsed.expr);
}

// The one diagnostic of an invalid expression.
Diagnostic exprError(const std::string& text) {
  auto parsed = parseExpression(text, "<expr>");
  INFO(text);
  CHECK_FALSE(parsed.expr);
  REQUIRE(parsed.diagnostics.size() == 1);
  CHECK(parsed.diagnostics[0].code == "parse_error");
  return parsed.diagnostics[0];
}

ParseResult parse(const std::string& text) {
  return parsePolicyFile("test.policy", text);
}

std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kBandwidth = R"(# Bandwidth-based load balancing (paper, section IV-A)
policy bandwidth "move the busiest server to the free host with the widest path" {
  param threshold: rate = 4Mbps   "load on a host link that counts as overload"
  param sustain: duration = 2s
  param interval: duration = 1s

  let overloaded = {h in hosts where host_bandwidth(h) > threshold}

  when every interval {
    count(overloaded) > 0 for sustain
  }

  which c in containers {
    require c.host in overloaded
    order by host_rx_bandwidth(c.host) desc, c.name
    limit 1
  }

  where h in free_hosts() {
    maximize path_bandwidth(source, h)
    tie random
  }
}
)";

}  // namespace

TEST_CASE("numbers are stored in SI units with their dimension", "[lang][parser]") {
  struct Row {
    const char* text;
    double value;
    Dimension dim;
  };
  const Row rows[] = {
      {"42", 42, kNumber},       {"3.25", 3.25, kNumber},    {"0", 0, kNumber},
      {"80%", 0.8, kNumber},     {"1bps", 1, kRate},         {"2Kbps", 2e3, kRate},
      {"7kbps", 7e3, kRate},     {"4Mbps", 4e6, kRate},      {"1.5Gbps", 1.5e9, kRate},
      {"10us", 1e-5, kDuration}, {"250ms", 0.25, kDuration}, {"2s", 2, kDuration},
      {"3min", 180, kDuration},  {"2h", 7200, kDuration},    {"12b", 12, kData},
      {"1B", 8, kData},          {"2KB", 16e3, kData},       {"1MB", 8e6, kData},
      {"3GB", 24e9, kData},
  };
  for (const auto& row : rows) {
    auto parsed = parseExpression(row.text, "<expr>");
    INFO(row.text << "\n" << headlines(parsed.diagnostics));
    REQUIRE(parsed.expr);
    CHECK(parsed.expr->kind == ExprKind::Number);
    CHECK(parsed.expr->number == Approx(row.value));
    CHECK(parsed.expr->dimension == row.dim);
  }

  SECTION("every unit of the unit table is accepted") {
    for (const Unit* u = unitsBegin(); u != unitsEnd(); ++u) {
      auto parsed = parseExpression("3" + std::string(u->suffix), "<expr>");
      INFO(u->suffix);
      REQUIRE(parsed.expr);
      CHECK(parsed.expr->number == Approx(3 * u->scale));
      CHECK(parsed.expr->dimension == u->dimension);
    }
  }

  SECTION("'%' after a space is the modulo operator") {
    CHECK(tree("80 % 7") == "(% 80 7)");
    CHECK(tree("a%b") == "(% a b)");
  }

  SECTION("a negative number is a negation") {
    CHECK(tree("-5s") == "(- 5:duration)");
  }

  SECTION("bad suffixes are rejected with their position") {
    struct Bad {
      const char* text;
      unsigned column;
      const char* message;
    };
    const Bad bad[] = {
        {"5xyz", 2, "unknown unit 'xyz'"},
        {"5sx", 2, "unknown unit 'sx'"},
        {"10 + 5mbps", 7, "unknown unit 'mbps'"},
        {"5s2", 3, "unexpected '2' after the number '5s'"},
        {"80%x", 4, "unexpected 'x' after the number '80%'"},
        {"5_x", 2, "unexpected '_x' after the number '5'"},
        {"1.", 3, "expected a field name after '.'"},
    };
    for (const auto& b : bad) {
      auto d = exprError(b.text);
      INFO(b.text);
      CHECK(d.location.line == 1);
      CHECK(d.location.column == b.column);
      CHECK_THAT(d.message, Catch::Contains(b.message));
    }
  }

  SECTION("a number too large for a double is an error, not infinity") {
    auto d = exprError(std::string(400, '9') + "Gbps");
    CHECK_THAT(d.message, Catch::Contains("out of range"));
  }
}

TEST_CASE("strings unescape their escapes", "[lang][parser]") {
  CHECK(tree(R"("h2")") == R"("h2")");
  CHECK(tree(R"("")") == R"("")");

  auto parsed = parseExpression(R"("a\"b\\c\nd\te")", "<expr>");
  REQUIRE(parsed.expr);
  CHECK(parsed.expr->kind == ExprKind::String);
  CHECK(parsed.expr->text == "a\"b\\c\nd\te");

  SECTION("non-ASCII bytes pass through string literals") {
    auto p = parseExpression("\"h\xc3\xa9\"", "<expr>");
    REQUIRE(p.expr);
    CHECK(p.expr->text == "h\xc3\xa9");
  }

  SECTION("unterminated strings point at the opening quote") {
    auto d = exprError(R"(f("abc))");
    CHECK(d.location.column == 3);
    CHECK(d.message == "unterminated string");

    auto multi = parse("policy p {\n  let x = \"one\ntwo\"\n}\n");
    REQUIRE_FALSE(multi.diagnostics.empty());
    CHECK(formatHeadline(multi.diagnostics[0]) == "test.policy:2:11: error: unterminated string");
  }

  SECTION("unknown escapes point at the backslash") {
    auto d = exprError(R"("a\qb")");
    CHECK(d.location.column == 3);
    CHECK_THAT(d.message, Catch::Contains("invalid escape sequence"));
  }
}

TEST_CASE("identifiers, reserved words and literals", "[lang][parser]") {
  CHECK(tree("shortest-path") == "shortest-path");
  CHECK(tree("x-1") == "x-1");
  CHECK(tree("a - b") == "(- a b)");
  CHECK(tree("a -b") == "(- a b)");
  CHECK(tree("a--b") == "(- a (- b))");
  CHECK(tree("_tmp") == "_tmp");
  CHECK(tree("true") == "true");
  CHECK(tree("false") == "false");
  CHECK(tree("trueish") == "trueish");
  CHECK(tree("index") == "index");
  CHECK(tree("order_id") == "order_id");

  SECTION("random and name are not reserved") {
    CHECK(tree("random") == "random");
    CHECK(tree("random(1)") == "(call random 1)");
    CHECK(tree("c.name") == "(. c name)");
  }

  SECTION("reserved words are not names") {
    for (const char* w : {"policy", "in", "where", "let", "samples", "then", "limit"}) {
      auto d = exprError(w);
      INFO(w);
      CHECK_THAT(d.message, Catch::Contains("expected an expression"));
    }
  }

  SECTION("comments and line breaks are whitespace") {
    CHECK(tree("a # a comment\n + # another\n b") == "(+ a b)");
  }
}

TEST_CASE("operator precedence and associativity", "[lang][parser]") {
  struct Row {
    const char* text;
    const char* tree;
  };
  const Row rows[] = {
      {"a + b * c", "(+ a (* b c))"},
      {"a * b + c", "(+ (* a b) c)"},
      {"a - b - c", "(- (- a b) c)"},
      {"a / b % c", "(% (/ a b) c)"},
      {"-a * b", "(* (- a) b)"},
      {"- - a", "(- (- a))"},
      {"not a and b", "(and (not a) b)"},
      {"not not a", "(not (not a))"},
      {"a < b or c", "(or (< a b) c)"},
      {"a or b and c", "(or a (and b c))"},
      {"a and b or c and d", "(or (and a b) (and c d))"},
      {"a or b or c", "(or (or a b) c)"},
      {"x in S", "(in x S)"},
      {"x not in S", "(not in x S)"},
      {"not x in S", "(not (in x S))"},
      {"x in S and y not in T", "(and (in x S) (not in y T))"},
      {"a + 1 == b * 2", "(== (+ a 1) (* b 2))"},
      {"a != b", "(!= a b)"},
      {"a <= b", "(<= a b)"},
      {"a >= b", "(>= a b)"},
      {"a<b", "(< a b)"},
      {"a > b", "(> a b)"},
      {"(a + b) * c", "(* (+ a b) c)"},
      {"((a))", "a"},
      {"if a then b else c + 1", "(if a b (+ c 1))"},
      {"if a then b else if c then d else e", "(if a b (if c d e))"},
      {"1 + (if a then 1 else 2)", "(+ 1 (if a 1 2))"},
      {"(if a then 1s else 2s) > 1s", "(> (if a 1:duration 2:duration) 1:duration)"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    CHECK(tree(row.text) == row.tree);
  }
}

TEST_CASE("field chains and calls", "[lang][parser]") {
  CHECK(tree("c.labels.app") == "(. (. c labels) app)");
  CHECK(tree("c . host") == "(. c host)");
  CHECK(tree("f()") == "(call f)");
  CHECK(tree("f(1, x)") == "(call f 1 x)");
  CHECK(tree("path_bandwidth(source, h)") == "(call path_bandwidth source h)");
  CHECK(tree("f(x).y") == "(. (call f x) y)");
  CHECK(tree("f (x)") == "(call f x)");
  CHECK(tree("1 / latency(source, h)") == "(/ 1 (call latency source h))");
  CHECK(tree("shamir(k)") == "(call shamir k)");
  CHECK(tree("f(g(h(1)))") == "(call f (call g (call h 1)))");
}

TEST_CASE("binders in calls and set builders", "[lang][parser]") {
  struct Row {
    const char* text;
    const char* tree;
  };
  const Row rows[] = {
      {"sum(h in hosts: f(h))", "(call sum (binder h hosts : (call f h)))"},
      {R"(count(c in containers where c.host == "h2"))",
       R"((call count (binder c containers where (== (. c host) "h2"))))"},
      {"{h in hosts where h.port > 1}", "(binder h hosts where (> (. h port) 1))"},
      {"any(s in switches: packet_rate(s) > 1000)",
       "(call any (binder s switches : (> (call packet_rate s) 1000)))"},
      {"max(h in hosts where up(h) : load(h))",
       "(call max (binder h hosts where (call up h) : (call load h)))"},
      {"f(x in a + b where c)", "(call f (binder x (+ a b) where c))"},
      {"f(1, x in S: x, 2)", "(call f 1 (binder x S : x) 2)"},
      {"{h in hosts - {source} where h != source}",
       "(binder h (- hosts {source}) where (!= h source))"},
      {"{x in S where x in T}", "(binder x S where (in x T))"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    CHECK(tree(row.text) == row.tree);
  }

  SECTION("without where or ':' it is a membership test") {
    CHECK(tree("{h in hosts}") == "{(in h hosts)}");
    CHECK(tree("count(h in hosts)") == "(call count (in h hosts))");
  }

  SECTION("a set builder starts at its brace, an argument binder at its variable") {
    auto parsed = parseExpression("f(x in S: 1) + {y in T where y}", "<expr>");
    REQUIRE(parsed.expr);
    const Expr& arg = *parsed.expr->children[0]->children[0];
    CHECK(arg.kind == ExprKind::Binder);
    CHECK(arg.loc.column == 3);
    const Expr& builder = *parsed.expr->children[1];
    CHECK(builder.kind == ExprKind::Binder);
    CHECK(builder.loc.column == 16);
  }

  SECTION("binders need NAME in SET") {
    struct Bad {
      const char* text;
      unsigned column;
      const char* message;
    };
    const Bad bad[] = {
        {"{a where b}", 4, "expected 'NAME in SET' before 'where'"},
        {"{(x in S) where c}", 11, "expected 'NAME in SET' before 'where'"},
        {"f(x not in S: 1)", 13, "expected 'NAME in SET' before ':'"},
        {"f(a + b: 1)", 8, "expected 'NAME in SET' before ':'"},
        {"{x in S where c, d}", 16, "expected '}' to close the set builder"},
        {"{x in S where}", 14, "expected a condition after 'where'"},
        {"f(x in S:)", 10, "expected an expression after ':'"},
    };
    for (const auto& b : bad) {
      auto d = exprError(b.text);
      INFO(b.text);
      CHECK(d.location.column == b.column);
      CHECK_THAT(d.message, Catch::Contains(b.message));
    }
  }
}

TEST_CASE("set literals", "[lang][parser]") {
  CHECK(tree("{}") == "{}");
  CHECK(tree("{ }") == "{}");
  CHECK(tree(R"({"h3", "h4"})") == R"({"h3" "h4"})");
  CHECK(tree("{source}") == "{source}");
  CHECK(tree("hosts - {source}") == "(- hosts {source})");
  CHECK(tree("{{1}, {}}") == "{{1} {}}");

  auto parsed = parseExpression(R"(  {"a"})", "<expr>");
  REQUIRE(parsed.expr);
  CHECK(parsed.expr->kind == ExprKind::SetLiteral);
  CHECK(parsed.expr->loc.column == 3);

  SECTION("malformed sets") {
    CHECK_THAT(exprError("{a, }").message, Catch::Contains("expected an expression after ','"));
    CHECK_THAT(exprError("{a b}").message,
               Catch::Contains("expected ',' or '}' in the set literal, found 'b'"));
    CHECK_THAT(exprError("{,}").message,
               Catch::Contains("expected an expression or '}' after '{'"));
  }
}

TEST_CASE("expression syntax errors", "[lang][parser]") {
  struct Bad {
    const char* text;
    unsigned column;
    const char* message;
  };
  const Bad bad[] = {
      {"a >", 4, "expected an expression after '>'"},
      {"a > }", 5, "expected an expression after '>'"},
      {"a + * b", 5, "expected an expression after '+'"},
      {"a not in", 9, "expected an expression after 'not in'"},
      {"x in", 5, "expected an expression after 'in'"},
      {"a and", 6, "expected an expression after 'and'"},
      {"a or )", 6, "expected an expression after 'or'"},
      {"not", 4, "expected an expression after 'not'"},
      {"-", 2, "expected an expression after '-'"},
      {"a < b < c", 7, "comparisons cannot be chained"},
      {"a == b in S", 8, "comparisons cannot be chained"},
      {"(a", 3, "expected ')' to close '(', found end of file"},
      {"()", 2, "expected an expression after '('"},
      {"f(a b)", 5, "expected ',' or ')' in the call of 'f', found 'b'"},
      {"f(a,)", 5, "expected an argument after ','"},
      {"if a b", 6, "expected 'then' after the condition of 'if', found 'b'"},
      {"if a then b", 12, "expected 'else'"},
      {"if then", 4, "expected a condition after 'if'"},
      {"if a then else", 11, "expected an expression after 'then'"},
      {"if a then b else", 17, "expected an expression after 'else'"},
      {"a.", 3, "expected a field name after '.'"},
      {"1 + if a then 1 else 2", 5, "expected an expression after '+'"},
      {"a.in", 3, "expected a field name after '.', found reserved word 'in'"},
      {"a b", 3, "unexpected 'b' after the expression"},
      {"a not b", 3, "unexpected reserved word 'not' after the expression"},
      {"", 1, "expected an expression, found end of file"},
      {"   ", 4, "expected an expression, found end of file"},
      {"a = b", 3, "unexpected '=' after the expression"},
      {"@", 1, "expected an expression, found '@'"},
  };
  for (const auto& b : bad) {
    INFO(b.text);
    auto d = exprError(b.text);
    CHECK(d.location.line == 1);
    CHECK(d.location.column == b.column);
    CHECK_THAT(d.message, Catch::Contains(b.message));
  }

  SECTION("the diagnostic names the file given") {
    auto parsed = parseExpression("1 +", "<repl>");
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(formatHeadline(parsed.diagnostics[0]) ==
          "<repl>:1:4: error: expected an expression after '+'");
  }

  SECTION("a NUL byte inside the input is an ordinary error") {
    auto parsed = parseExpression(std::string_view("a \0 b", 5), "<expr>");
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(parsed.diagnostics[0].location.column == 3);
    CHECK_THAT(parsed.diagnostics[0].message, Catch::Contains("byte 0x00"));
  }
}

TEST_CASE("nodes carry locations; binary nodes point at their operator", "[lang][parser]") {
  auto parsed = parseExpression("count(x) >\n  5s", "<expr>");
  REQUIRE(parsed.expr);
  const Expr& gt = *parsed.expr;
  CHECK(gt.kind == ExprKind::Binary);
  CHECK(gt.loc.line == 1);
  CHECK(gt.loc.column == 10);
  CHECK(gt.loc.offset == 9);
  CHECK(gt.children[0]->loc.column == 1);  // the call starts at its name
  CHECK(gt.children[0]->children[0]->loc.column == 7);
  CHECK(gt.children[1]->loc.line == 2);
  CHECK(gt.children[1]->loc.column == 3);
  CHECK(gt.children[1]->loc.offset == 13);

  SECTION("unary, if and fields start at their first character") {
    auto p = parseExpression("x + -y + (not z) + (if a then b else c + q.r.s)", "<expr>");
    REQUIRE(p.expr);
    // (((x + -y) + not z) + (if ...))
    const Expr& top = *p.expr;
    CHECK(top.loc.column == 18);
    const Expr& ifExpr = *top.children[1];
    CHECK(ifExpr.kind == ExprKind::If);
    CHECK(ifExpr.loc.column == 21);
    const Expr& notZ = *top.children[0]->children[1];
    CHECK(notZ.kind == ExprKind::Unary);
    CHECK(notZ.loc.column == 11);
    const Expr& negY = *top.children[0]->children[0]->children[1];
    CHECK(negY.op == Op::Neg);
    CHECK(negY.loc.column == 5);
    const Expr& field = *ifExpr.children[2]->children[1];
    CHECK(field.kind == ExprKind::Field);
    CHECK(field.loc.column == 42);
  }
}

TEST_CASE("deep nesting is an error, never a stack overflow", "[lang][parser]") {
  auto nested = [](int n, const std::string& open, const std::string& close) {
    std::string s;
    for (int i = 0; i < n; ++i) s += open;
    s += "x";
    for (int i = 0; i < n; ++i) s += close;
    return s;
  };

  const std::vector<std::pair<std::string, std::string>> constructs = {{"(", ")"},
                                                                       {"f(", ")"},
                                                                       {"{", "}"},
                                                                       {"not ", ""},
                                                                       {"-", ""},
                                                                       {"if a then b else ", ""},
                                                                       {"if ", " then a else b"},
                                                                       {"{x in ", " where y}"}};

  SECTION("200 levels are fine, 201 are not") {
    for (const auto& [open, close] : constructs) {
      INFO(open << "x" << close);
      CHECK(parseExpression(nested(200, open, close), "<expr>").expr);
      auto parsed = parseExpression(nested(201, open, close), "<expr>");
      REQUIRE(parsed.diagnostics.size() == 1);
      CHECK(parsed.diagnostics[0].message == "expression nested too deeply");
    }
  }

  SECTION("too deep: one diagnostic") {
    auto unclosed = constructs;
    unclosed.emplace_back("(", "");
    unclosed.emplace_back("f(x in S: ", ")");  // a binder body nests twice
    unclosed.emplace_back("{x in S where ", "}");
    for (const auto& [open, close] : unclosed) {
      for (int n : {250, 100000}) {
        INFO(open << " x " << n);
        auto parsed = parseExpression(nested(n, open, close), "<expr>");
        CHECK_FALSE(parsed.expr);
        REQUIRE(parsed.diagnostics.size() == 1);
        CHECK(parsed.diagnostics[0].message == "expression nested too deeply");
      }
    }
  }

  SECTION("long operator chains are bounded too") {
    std::string chain = "x";
    for (int i = 0; i < 200; ++i) chain += " + x";
    CHECK(parseExpression(chain, "<expr>").expr);
    for (int i = 0; i < 100000; ++i) chain += "+x";
    auto parsed = parseExpression(chain, "<expr>");
    CHECK_FALSE(parsed.expr);
    REQUIRE(parsed.diagnostics.size() == 1);
    CHECK(parsed.diagnostics[0].message == "expression nested too deeply");
  }

  SECTION("inside a policy the error is recovered from") {
    auto r = parse("policy a {\n  let x = " + nested(5000, "(", ")") + "\n}\npolicy b {\n}\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].location.line == 2);
    REQUIRE(r.file.policies.size() == 1);
    CHECK(r.file.policies[0].name == "b");
  }
}

TEST_CASE("the bandwidth policy parses into the expected AST", "[lang][parser]") {
  auto r = parsePolicyFile("bandwidth.policy", kBandwidth);
  INFO(headlines(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  CHECK(r.file.path == "bandwidth.policy");
  CHECK(r.file.source == kBandwidth);
  REQUIRE(r.file.policies.size() == 1);
  const Policy& p = r.file.policies[0];

  CHECK(p.name == "bandwidth");
  CHECK(p.description == "move the busiest server to the free host with the widest path");
  CHECK(p.loc.line == 2);
  CHECK(p.loc.column == 1);
  CHECK(p.nameLoc.line == 2);
  CHECK(p.nameLoc.column == 8);

  SECTION("params") {
    REQUIRE(p.params.size() == 3);
    CHECK(p.params[0].name == "threshold");
    CHECK(p.params[0].typeName == "rate");
    CHECK(p.params[0].typeLoc.column == 20);
    CHECK(p.params[0].loc.line == 3);
    CHECK(p.params[0].loc.column == 3);
    CHECK(sexpr(*p.params[0].defaultValue) == "4e+06:rate");
    CHECK(p.params[0].doc == "load on a host link that counts as overload");
    CHECK(p.params[1].name == "sustain");
    CHECK(p.params[1].doc.empty());
    CHECK(sexpr(*p.params[2].defaultValue) == "1:duration");
  }

  SECTION("policy-level let") {
    REQUIRE(p.lets.size() == 1);
    CHECK(p.lets[0].name == "overloaded");
    CHECK(p.lets[0].loc.line == 7);
    CHECK(sexpr(*p.lets[0].value) ==
          "(binder h hosts where (> (call host_bandwidth h) threshold))");
  }

  SECTION("when") {
    REQUIRE(p.when);
    CHECK(p.when->loc.line == 9);
    CHECK(sexpr(*p.when->every) == "interval");
    CHECK(p.when->lets.empty());
    CHECK(sexpr(*p.when->condition) == "(> (call count overloaded) 0)");
    CHECK(sexpr(*p.when->sustainFor) == "sustain");
    CHECK_FALSE(p.when->sustainInSamples);
  }

  SECTION("which") {
    REQUIRE(p.which);
    CHECK(p.which->var == "c");
    CHECK(p.which->varLoc.line == 13);
    CHECK(p.which->varLoc.column == 9);
    CHECK(sexpr(*p.which->from) == "containers");
    REQUIRE(p.which->filters.size() == 1);
    CHECK(sexpr(*p.which->filters[0]) == "(in (. c host) overloaded)");
    REQUIRE(p.which->order.size() == 2);
    CHECK(sexpr(*p.which->order[0].key) == "(call host_rx_bandwidth (. c host))");
    CHECK(p.which->order[0].descending);
    CHECK(sexpr(*p.which->order[1].key) == "(. c name)");
    CHECK_FALSE(p.which->order[1].descending);
    REQUIRE(p.which->limit);
    CHECK(sexpr(*p.which->limit) == "1");
  }

  SECTION("where") {
    REQUIRE(p.where);
    CHECK(p.where->var == "h");
    CHECK(sexpr(*p.where->from) == "(call free_hosts)");
    CHECK(p.where->choice == ChoiceKind::Maximize);
    CHECK(p.where->choiceLoc.line == 20);
    CHECK(p.where->choiceLoc.column == 5);
    CHECK(sexpr(*p.where->choiceExpr) == "(call path_bandwidth source h)");
    CHECK(p.where->tie == TieBreak::Random);
    CHECK(p.where->tieDeclared);
  }
}

TEST_CASE("every policy item in every form", "[lang][parser]") {
  auto r = parse(R"(policy everything {
  param a = 1
  param b: number = 2 "two"
  param flag: bool = true
  let l1 = a + b
  where h in hosts - {source} {
    let w = 1 / latency(source, h)
    require h != source
    require up(h)
    sample weighted by w
    tie by name
  }
  which c in containers {
    let k = c.labels.app
    require k == "web"
    order by c.cpu asc, c.mem desc, c.name
    limit a + 1
  }
  when {
    let m = 2
    any(s in switches: packet_rate(s) > 1000) for 3 samples
  }
  let l2 = {}
}
policy mtd-policy { where h in hosts { mtd shamir(k) } }
policy rnd { where h in free_hosts() { random tie random } }
policy minimal {}
policy p2 "described" { when every 5s { true for 2min } which x in {"a"} { } where y in {} { minimize f(y) } }
)");
  INFO(headlines(r.diagnostics));
  REQUIRE(r.diagnostics.empty());
  REQUIRE(r.file.policies.size() == 5);

  const Policy& p = r.file.policies[0];
  REQUIRE(p.params.size() == 3);
  CHECK_FALSE(p.params[0].typeName);
  CHECK(p.params[1].doc == "two");
  CHECK(sexpr(*p.params[2].defaultValue) == "true");
  REQUIRE(p.lets.size() == 2);
  CHECK(p.lets[0].name == "l1");
  CHECK(p.lets[1].name == "l2");
  CHECK(sexpr(*p.lets[1].value) == "{}");

  REQUIRE(p.where);
  CHECK(sexpr(*p.where->from) == "(- hosts {source})");
  REQUIRE(p.where->lets.size() == 1);
  CHECK(sexpr(*p.where->lets[0].value) == "(/ 1 (call latency source h))");
  CHECK(p.where->filters.size() == 2);
  CHECK(p.where->choice == ChoiceKind::Weighted);
  CHECK(sexpr(*p.where->choiceExpr) == "w");
  CHECK(p.where->tie == TieBreak::ByName);
  CHECK(p.where->tieDeclared);

  REQUIRE(p.which);
  REQUIRE(p.which->lets.size() == 1);
  CHECK(sexpr(*p.which->lets[0].value) == "(. (. c labels) app)");
  REQUIRE(p.which->order.size() == 3);
  CHECK_FALSE(p.which->order[0].descending);
  CHECK(p.which->order[1].descending);
  CHECK_FALSE(p.which->order[2].descending);
  CHECK(sexpr(*p.which->limit) == "(+ a 1)");

  REQUIRE(p.when);
  CHECK_FALSE(p.when->every);
  REQUIRE(p.when->lets.size() == 1);
  CHECK(p.when->lets[0].name == "m");
  CHECK(sexpr(*p.when->condition) ==
        "(call any (binder s switches : (> (call packet_rate s) 1000)))");
  CHECK(sexpr(*p.when->sustainFor) == "3");
  CHECK(p.when->sustainInSamples);

  const Policy& mtd = r.file.policies[1];
  REQUIRE(mtd.where);
  CHECK(mtd.where->choice == ChoiceKind::Mtd);
  CHECK(sexpr(*mtd.where->choiceExpr) == "(call shamir k)");
  CHECK_FALSE(mtd.where->tieDeclared);
  CHECK(mtd.where->tie == TieBreak::ByName);

  const Policy& rnd = r.file.policies[2];
  REQUIRE(rnd.where);
  CHECK(rnd.where->choice == ChoiceKind::Random);
  CHECK_FALSE(rnd.where->choiceExpr);
  CHECK(rnd.where->tie == TieBreak::Random);

  const Policy& minimal = r.file.policies[3];
  CHECK(minimal.name == "minimal");
  CHECK_FALSE(minimal.when);
  CHECK_FALSE(minimal.which);
  CHECK_FALSE(minimal.where);

  const Policy& p2 = r.file.policies[4];
  CHECK(p2.description == "described");
  REQUIRE(p2.when);
  CHECK(sexpr(*p2.when->sustainFor) == "120:duration");
  CHECK_FALSE(p2.when->sustainInSamples);
  REQUIRE(p2.which);
  CHECK(p2.which->order.empty());
  CHECK_FALSE(p2.which->limit);
  REQUIRE(p2.where);
  CHECK(p2.where->choice == ChoiceKind::Minimize);

  SECTION("an empty file has no policies and no errors") {
    for (const char* text : {"", "\n\n", "# only a comment", "  # c\n\t\r\n"}) {
      auto e = parse(text);
      CHECK(e.diagnostics.empty());
      CHECK(e.file.policies.empty());
    }
  }

  SECTION("random as a where item must not be a call") {
    auto e = parse("policy p { where h in hosts { random(1) } }");
    REQUIRE(e.diagnostics.size() == 1);
    CHECK_THAT(e.diagnostics[0].message, Catch::Contains("unexpected 'random' in the 'where'"));
  }
}

TEST_CASE("policy syntax errors have exact positions", "[lang][parser]") {
  struct Bad {
    const char* text;
    const char* headline;
  };
  const Bad bad[] = {
      {"policy a {\n  when { x > 0 }\n",
       "test.policy:3:1: error: expected '}' to close policy 'a'"},
      {"policy bandwidth {\n  when { x > }\n}\n",
       "test.policy:2:14: error: expected an expression after '>'"},
      {"policy a {\n  param t = 5xyz\n}\n", "test.policy:2:14: error: unknown unit 'xyz'"},
      {"policy a \"unterminated {\n}\n", "test.policy:1:10: error: unterminated string"},
      {"policy a {\n  when { x > 0 } sustain 3\n}\n",
       "test.policy:2:18: error: unexpected 'sustain' in policy 'a'; expected param, let, when, "
       "which, where or '}'"},
      {"policy {\n}\n", "test.policy:1:8: error: expected a policy name after 'policy', found '{'"},
      {"policy when {}\n",
       "test.policy:1:8: error: expected a policy name after 'policy', found reserved word 'when'"},
      {"policy a\n",
       "test.policy:2:1: error: expected '{' after the name of policy 'a', found end of file"},
      {"polic a {}\n", "test.policy:1:1: error: expected 'policy', found 'polic'"},
      {"policy a {} }\n", "test.policy:1:13: error: expected 'policy', found '}'"},
      {"policy a { param = 1 }",
       "test.policy:1:18: error: expected a parameter name after 'param', found '='"},
      {"policy a { param x: = 1 }",
       "test.policy:1:21: error: expected a type after ':' (number, rate, duration, data, bool or "
       "string), found '='"},
      {"policy a { param x 1 }",
       "test.policy:1:20: error: expected '=' and a default value in 'param', found '1'"},
      {"policy a { let x 1 }",
       "test.policy:1:18: error: expected '=' after the name in 'let', found '1'"},
      {"policy a { when every }", "test.policy:1:23: error: expected an interval after 'every'"},
      {"policy a { when every 1s x }",
       "test.policy:1:26: error: expected '{' to open the 'when' clause, found 'x'"},
      {"policy a { when { } }",
       "test.policy:1:19: error: expected a condition in the 'when' clause"},
      {"policy a { when { x for } }",
       "test.policy:1:25: error: expected a duration or a sample count after 'for'"},
      {"policy a { when { x y } }",
       "test.policy:1:21: error: unexpected 'y' in the 'when' clause; expected 'for' or '}'"},
      {"policy a { which in S {} }",
       "test.policy:1:18: error: expected a variable name after 'which', found reserved word 'in'"},
      {"policy a { which c of S {} }",
       "test.policy:1:20: error: expected 'in' after the variable of 'which', found 'of'"},
      {"policy a { which c in S { order c } }",
       "test.policy:1:33: error: expected 'by' after 'order', found 'c'"},
      {"policy a { which c in S { order by } }",
       "test.policy:1:36: error: expected a sort key after 'order by'"},
      {"policy a { which c in S { order by a, } }",
       "test.policy:1:39: error: expected a sort key after ','"},
      {"policy a { which c in S { limit } }",
       "test.policy:1:33: error: expected an expression after 'limit'"},
      {"policy a { which c in S { maximize x } }",
       "test.policy:1:27: error: unexpected reserved word 'maximize' in the 'which' clause; "
       "expected "
       "let, require, order by, limit or '}'"},
      {"policy a { which c in S { require } }",
       "test.policy:1:35: error: expected a condition after 'require'"},
      {"policy a { which c in S {",
       "test.policy:1:26: error: expected '}' to close the 'which' clause of policy 'a'"},
      {"policy a { where h in S { sample by x } }",
       "test.policy:1:34: error: expected 'weighted' after 'sample', found reserved word 'by'"},
      {"policy a { where h in S { sample weighted x } }",
       "test.policy:1:43: error: expected 'by' after 'sample weighted', found 'x'"},
      {"policy a { where h in S { tie x } }",
       "test.policy:1:31: error: expected 'random' or 'by name' after 'tie', found 'x'"},
      {"policy a { where h in S { tie by load } }",
       "test.policy:1:34: error: expected 'name' after 'tie by', found 'load'"},
      {"policy a { where h in S { mtd } }",
       "test.policy:1:31: error: expected a scheme after 'mtd' (such as shamir(3))"},
      {"policy a { where h in S { order by x } }",
       "test.policy:1:27: error: unexpected reserved word 'order' in the 'where' clause; expected "
       "let, "
       "require, maximize, minimize, random, sample, mtd, tie or '}'"},
      {"policy a { where h in { } }",
       "test.policy:1:27: error: expected '{' to open the 'where' clause, found '}'"},
  };
  for (const auto& b : bad) {
    INFO(b.text);
    auto r = parse(b.text);
    REQUIRE(r.diagnostics.size() >= 1);
    CHECK(r.diagnostics[0].code == "parse_error");
    CHECK(formatHeadline(r.diagnostics[0]) == b.headline);
  }
}

TEST_CASE("after an error the parser resumes at the next policy", "[lang][parser]") {
  SECTION("two broken policies yield two diagnostics; good ones still parse") {
    auto r = parse(R"(policy one {
  when { x > }
}

policy good {
  when { true }
}

policy two {
  let y = (1 + 2
}
  policy three { let z = 1 }
)");
    INFO(headlines(r.diagnostics));
    REQUIRE(r.diagnostics.size() == 2);
    CHECK(formatHeadline(r.diagnostics[0]) ==
          "test.policy:2:14: error: expected an expression after '>'");
    CHECK(formatHeadline(r.diagnostics[1]) ==
          "test.policy:11:1: error: expected ')' to close '(', found '}'");
    REQUIRE(r.file.policies.size() == 2);
    CHECK(r.file.policies[0].name == "good");
    CHECK(r.file.policies[1].name == "three");
  }

  SECTION("a policy missing its brace is reported where the next one starts") {
    auto r = parse("policy a {\n  let x = 1\npolicy b {\n  let y = \n}\n");
    INFO(headlines(r.diagnostics));
    REQUIRE(r.diagnostics.size() == 2);
    CHECK(formatHeadline(r.diagnostics[0]) ==
          "test.policy:3:1: error: expected '}' to close policy 'a'");
    CHECK(formatHeadline(r.diagnostics[1]) ==
          "test.policy:5:1: error: expected an expression after '='");
  }

  SECTION("policy must start its line to be a resume point") {
    auto r = parse("policy a { let x = }  policy b { }\npolicy-like\n  policy c {}\n");
    INFO(headlines(r.diagnostics));
    REQUIRE(r.diagnostics.size() == 1);
    REQUIRE(r.file.policies.size() == 1);
    CHECK(r.file.policies[0].name == "c");
  }

  SECTION("garbage before the first policy") {
    auto r = parse("hello world\nmore junk\npolicy a {}\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(formatHeadline(r.diagnostics[0]) ==
          "test.policy:1:1: error: expected 'policy', found 'hello'");
    REQUIRE(r.file.policies.size() == 1);
  }

  SECTION("CRLF line ends count lines like LF") {
    auto r = parse("policy a {\r\n  let x = \r\n}\r\npolicy b {}\r\n");
    REQUIRE(r.diagnostics.size() == 1);
    CHECK(r.diagnostics[0].location.line == 3);
    CHECK(r.diagnostics[0].location.column == 1);
    CHECK(r.file.policies.size() == 1);
  }

  SECTION("the number of diagnostics is bounded") {
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "policy p { let = }\n";
    auto r = parse(text);
    CHECK(r.diagnostics.size() == 101);
    CHECK(r.diagnostics.back().severity == Severity::Note);
    CHECK(hasErrors(r.diagnostics));
  }
}

TEST_CASE("duplicate clauses are reported and the first one kept", "[lang][parser]") {
  auto r = parse(R"(policy x {
  when { a }
  which c in containers { limit 1 limit 2 }
  when { b }
  where h in hosts { maximize f(h) minimize g(h) tie random tie by name }
  which d in containers {}
  where h in hosts {}
}
)");
  INFO(headlines(r.diagnostics));
  REQUIRE(r.diagnostics.size() == 6);
  CHECK(headlines(r.diagnostics) ==
        "test.policy:3:35: error: duplicate 'limit' in the 'which' clause in policy 'x'\n"
        "test.policy:4:3: error: duplicate 'when' clause in policy 'x'\n"
        "test.policy:5:36: error: second choice 'minimize' in the 'where' clause (already "
        "'maximize') in policy 'x'\n"
        "test.policy:5:61: error: duplicate 'tie' in the 'where' clause in policy 'x'\n"
        "test.policy:6:3: error: duplicate 'which' clause in policy 'x'\n"
        "test.policy:7:3: error: duplicate 'where' clause in policy 'x'\n");
  REQUIRE(r.file.policies.size() == 1);
  const Policy& p = r.file.policies[0];
  REQUIRE(p.when);
  CHECK(sexpr(*p.when->condition) == "a");
  REQUIRE(p.which);
  CHECK(p.which->var == "c");
  CHECK(sexpr(*p.which->limit) == "1");
  REQUIRE(p.where);
  CHECK(p.where->choice == ChoiceKind::Maximize);
  CHECK(sexpr(*p.where->choiceExpr) == "(call f h)");
  CHECK(p.where->tie == TieBreak::Random);
}

TEST_CASE("parseExpression parses one whole expression", "[lang][parser]") {
  auto ok = parseExpression("  host_bandwidth(\"h1\") > 5Mbps  # trailing comment\n", "<repl>");
  REQUIRE(ok.diagnostics.empty());
  REQUIRE(ok.expr);
  CHECK(sexpr(*ok.expr) == "(> (call host_bandwidth \"h1\") 5e+06:rate)");
  CHECK(ok.expr->loc.column == 24);

  auto bad = parseExpression("1 + 2 )", "<command-line>");
  CHECK_FALSE(bad.expr);
  REQUIRE(bad.diagnostics.size() == 1);
  CHECK(formatHeadline(bad.diagnostics[0]) ==
        "<command-line>:1:7: error: unexpected ')' after the expression");

  SECTION("a policy is not an expression") {
    auto p = parseExpression("policy a {}", "<repl>");
    CHECK_FALSE(p.expr);
    REQUIRE(p.diagnostics.size() == 1);
    CHECK_THAT(p.diagnostics[0].message, Catch::Contains("reserved word 'policy'"));
  }
}

TEST_CASE("arbitrary bytes never crash or throw", "[lang][parser]") {
  std::mt19937 rng(12345);
  const std::string alphabet =
      "policy when which where in {}()[],.:=<>!+-*/%\"\\#\n\t abcxyz0123456789_ Mbps ms "
      "not and or if then else let param require order by limit maximize tie random name";
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int len = static_cast<int>(rng() % 200);
    for (int i = 0; i < len; ++i) {
      if (rng() % 8 == 0) {
        text += static_cast<char>(rng() % 256);  // NULs, invalid UTF-8, control bytes
      } else {
        text += alphabet[rng() % alphabet.size()];
      }
    }
    INFO(round);
    ParseResult r;
    REQUIRE_NOTHROW(r = parse(text));
    for (const auto& d : r.diagnostics) {
      CHECK(d.location.offset <= text.size());
      CHECK(d.code == "parse_error");
    }
    ExpressionParse e;
    REQUIRE_NOTHROW(e = parseExpression(text, "<expr>"));
    CHECK((e.expr != nullptr) == e.diagnostics.empty());
  }

  SECTION("a large valid file parses in one pass") {
    std::string big;
    for (int i = 0; i < 2000; ++i) big += std::string(kBandwidth);
    auto r = parse(big);
    CHECK(r.diagnostics.empty());
    CHECK(r.file.policies.size() == 2000);
  }
}

TEST_CASE("corpus of passing and failing files", "[lang][parser]") {
  namespace fs = std::filesystem;
  const fs::path corpus = fs::path(ROAM_SOURCE_DIR) / "tests" / "corpus";
  std::vector<fs::path> files;
  for (const char* dir : {"parse-ok", "parse-fail"})
    for (const auto& entry : fs::directory_iterator(corpus / dir))
      if (entry.path().extension() == ".policy") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);

  for (const auto& path : files) {
    const std::string relative = fs::relative(path, corpus).generic_string();
    INFO(relative);
    auto r = parsePolicyFile(relative, readFile(path));
    std::string actual = headlines(r.diagnostics);
    if (relative.rfind("parse-ok/", 0) == 0) {
      CHECK(actual.empty());
      CHECK_FALSE(r.file.policies.empty());
    } else {
      fs::path expected = path;
      expected.replace_extension(".expected");
      REQUIRE(fs::exists(expected));
      CHECK(actual == readFile(expected));
    }
  }
}
