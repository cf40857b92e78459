#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "lang/checker.hpp"
#include "test_util.hpp"

using roam::test::checkExpr;
using roam::test::headlines;
using roam::test::parseAndCheck;

namespace {

const char* kValidPolicy = R"(policy p {
  param threshold: rate = 4Mbps
  param window = 2s
  let hot = {h in hosts where host_bandwidth(h) > threshold}
  when every 1s { count(hot) > 0 for window }
  which c in containers { require c.host in hot  order by host_rx_bandwidth(c.host) desc }
  where h in free_hosts() { maximize path_bandwidth(source, h)  tie random }
}
)";

}  // namespace

TEST_CASE("a complete policy checks without errors", "[lang][checker]") {
  auto c = parseAndCheck(kValidPolicy);
  INFO(headlines(c.diagnostics));
  CHECK(c.diagnostics.empty());
  REQUIRE(c.file.policies.size() == 1);
  CHECK(c.file.policies[0].params[0].type == roam::lang::Type::number(roam::lang::kRate));
  CHECK(c.file.policies[0].params[1].type == roam::lang::Type::number(roam::lang::kDuration));
}

TEST_CASE("unit mismatches are reported at the operator", "[lang][checker]") {
  auto ds = checkExpr(R"(host_bandwidth("h1") > 5s)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "unit_error");
  CHECK(ds[0].message == "cannot compare rate with duration ('>')");
  CHECK(ds[0].location.column == 22);

  SECTION("arithmetic keeps units") {
    CHECK(checkExpr("10Mbps * 2s > 1MB").empty());
    CHECK(checkExpr("1 / latency(\"h1\", \"h2\") > 1 / 1ms").empty());
    CHECK(checkExpr("80% < 1").empty());
    CHECK(checkExpr("10Mbps + 1s").size() == 1);
    CHECK(checkExpr("utilization(\"s1\", 1) > 80%").empty());
    CHECK(checkExpr("utilization(\"s1\", 1) > 8Mbps")[0].code == "unit_error");
  }
}

TEST_CASE("unknown names and functions get suggestions", "[lang][checker]") {
  auto ds = checkExpr("count(hots)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "unknown name 'hots' (did you mean 'hosts'?)");
  ds = checkExpr("bandwith(\"s1\", 1)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "unknown function 'bandwith' (did you mean 'bandwidth'?)");
  ds = checkExpr("hosts.name");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "set of hosts has no fields");
  ds = checkExpr("count(c in containers where c.hots == \"h2\")");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message.rfind("container has no field 'hots' (fields: name, host, image, labels)",
                            0) == 0);
}

TEST_CASE("closestName picks the nearest name within a third of its length", "[lang][checker]") {
  const std::string_view names[] = {"hosts", "containers", "switches", "host_bandwidth"};
  CHECK(roam::lang::closestName("hots", names) == "hosts");
  CHECK(roam::lang::closestName("contaners", names) == "containers");
  // Three edits in a 13-letter name are within the bound (13 / 3 + 1 = 5).
  CHECK(roam::lang::closestName("hostbandwidht", names) == "host_bandwidth");
  // The nearest wins, not the first within the bound.
  const std::string_view near[] = {"abcdxy", "abcdef"};
  CHECK(roam::lang::closestName("abcdeg", near) == "abcdef");
  // Too far, or far longer than every name: no suggestion.
  CHECK(roam::lang::closestName("xyz", names).empty());
  CHECK(roam::lang::closestName(std::string(500, 'h'), names).empty());
  CHECK(roam::lang::closestName("", names).empty());
}

TEST_CASE("arity and argument types are checked from the builtin table", "[lang][checker]") {
  auto ds = checkExpr("bandwidth(\"s1\")");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].code == "arity_error");
  CHECK(
      ds[0].message ==
      "bandwidth takes 2 arguments but got 1 (usage: bandwidth(sw: switch, port: number) -> rate)");
  ds = checkExpr("bandwidth(\"s1\", 2s)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "bandwidth: second argument must be number but got duration");
  ds = checkExpr("sum(hosts)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message == "sum: can only aggregate numbers, not hosts");
  ds = checkExpr("weighted_sample(hosts, 2)");
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].message.find("binder with a weight") != std::string::npos);
  CHECK(checkExpr("random(free_hosts())").empty());
  CHECK(checkExpr("count(path(\"h2\", \"h4\")) == hops(\"h2\", \"h4\")").empty());
}

TEST_CASE("every error of a file is reported, in source order", "[lang][checker]") {
  auto c = parseAndCheck(R"(policy a {
  param t: rate = 5s
  when { unknown_thing > 1 }
  which c in hosts { order by c.name }
  where h in free_hosts() { maximize 1 }
}
policy b {
  when { true }
}
policy a {
  when { true }
  which c in containers { }
  where h in hosts { random }
}
)");
  std::string expected =
      "test.policy:2:19: error: default of parameter 't' must be rate but is duration\n"
      "test.policy:3:10: error: unknown name 'unknown_thing'\n"
      "test.policy:4:14: error: 'which' must range over a set of containers but this is set of "
      "hosts\n"
      "test.policy:7:8: error: policy 'b' has no 'which' clause (which container to move)\n"
      "test.policy:7:8: error: policy 'b' has no 'where' clause (where to move it)\n"
      "test.policy:10:8: error: duplicate policy name 'a' (first defined at test.policy:1:8)\n";
  CHECK(headlines(c.diagnostics) == expected);
}

TEST_CASE("source and container exist only inside where", "[lang][checker]") {
  auto c = parseAndCheck(R"(policy p {
  when { hops(source, "h3") > 1 }
  which c in containers { }
  where h in hosts { minimize hops(source, h) + count(container.host.containers) }
}
)");
  REQUIRE(c.diagnostics.size() == 1);
  CHECK(c.diagnostics[0].message ==
        "'source' is only defined inside 'where' (the host of the container chosen by 'which')");
}

TEST_CASE("where needs exactly one kind of choice and mtd needs a scheme", "[lang][checker]") {
  auto c = parseAndCheck(R"(policy p {
  when { true }
  which c in containers { }
  where h in hosts { require h.port > 0 }
}
policy q {
  when { true }
  which c in containers { }
  where h in hosts { mtd 3 }
}
)");
  REQUIRE(c.diagnostics.size() == 2);
  CHECK(c.diagnostics[0].message.rfind("'where' needs a choice", 0) == 0);
  CHECK(c.diagnostics[1].message ==
        "'mtd' needs a scheme: shamir(k), fountain(k) or prf(), not number");
}

TEST_CASE("cross-file duplicate policy names are errors", "[lang][checker]") {
  const char* text =
      "policy p { when { true } which c in containers { } where h in hosts { random } }\n";
  std::vector<roam::lang::PolicyFile> files;
  files.push_back(roam::lang::parsePolicyFile("a.policy", text).file);
  files.push_back(roam::lang::parsePolicyFile("b.policy", text).file);
  auto ds = roam::lang::checkPolicyFiles(files);
  REQUIRE(ds.size() == 1);
  CHECK(roam::lang::formatHeadline(ds[0]) ==
        "b.policy:1:8: error: duplicate policy name 'p' (first defined at a.policy:1:8)");
}
