// The redirection rules (cookie, priority, matches, actions, per-port rules)
// and RyuFlowRedirector's HTTP calls. A small HTTP server stands in for the
// controller's ofctl_rest API; tests/integration/redirect_check.py
// runs the real controller, OVS and Mininet.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "http_test_server.hpp"
#include "runtime/manager/redirector.hpp"

using namespace roam::runtime;
using Json = nlohmann::json;

namespace {

// The controller's ofctl_rest API as a test server (tests/http_test_server.hpp);
// bodies are parsed as JSON for the checks, and one switch can be made to fail.
class FakeController {
 public:
  struct Request {
    std::string method, path;
    Json body;
  };

  std::string url() const { return server_.url() + "/"; }
  void answer(const std::string& path, int status, std::string body = "") {
    server_.route(path, {status, std::move(body)});
  }
  // Answers `status` to requests whose body has this dpid.
  void failDpid(std::uint64_t dpid, int status) {
    server_.setOverride([dpid, status](const roamtest::HttpTestServer::Request& r)
                            -> std::optional<roamtest::HttpTestServer::Route> {
      auto body = Json::parse(r.body, nullptr, false);
      if (body.is_object() && body.contains("dpid") && body["dpid"] == dpid)
        return roamtest::HttpTestServer::Route{status, ""};
      return std::nullopt;
    });
  }
  std::vector<Request> requests() const {
    std::vector<Request> out;
    for (const auto& r : server_.requests())
      out.push_back(
          {r.method, r.path, r.body.empty() ? Json() : Json::parse(r.body, nullptr, false)});
    return out;
  }

 private:
  roamtest::HttpTestServer server_;
};

Redirect webRedirect() {
  Redirect r;
  r.container = "svc";
  r.home = {"10.0.0.2", "00:00:00:00:00:02"};
  r.target = {"10.0.0.3", "00:00:00:00:00:03"};
  r.dpids = {"0000000000000001", "0000000000000002"};
  return r;
}

std::uint64_t fnv1a32(const std::string& s) {
  std::uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

TEST_CASE("redirect: cookies are per container and carry ROAM", "[redirect]") {
  CHECK(redirectCookie("svc") == (0x524f414d00000000ULL | fnv1a32("svc")));
  CHECK(redirectCookie("") == 0x524f414d811c9dc5ULL);   // FNV-1a offset basis
  CHECK(redirectCookie("a") == 0x524f414de40c292cULL);  // published FNV-1a-32 of "a"
  CHECK(redirectCookie("svc") != redirectCookie("svd"));
  // Distinct from the controller's own cookies (0x524f414d00 / ...01 under
  // mask 0xffffffffffffff00), which it deletes when a switch reconnects.
  CHECK((redirectCookie("svc") & 0xffffffffffffff00ULL) != 0x524f414d00ULL);
}

TEST_CASE("redirect: flow bodies", "[redirect]") {
  Redirect r = webRedirect();
  const std::uint64_t cookie = redirectCookie("svc");

  SECTION("no ports: one forward and one reverse rule per switch, all IP traffic") {
    auto flows = redirectFlows(r);
    REQUIRE(flows.size() == 4);
    CHECK(flows[0]["dpid"] == 1);
    CHECK(flows[2]["dpid"] == 2);
    for (const auto& f : flows) {
      CHECK(f["cookie"].get<std::uint64_t>() == cookie);
      CHECK(f["priority"] == 40000);
      CHECK(f["table_id"] == 0);
    }
    CHECK(flows[0]["match"] == Json{{"eth_type", 2048}, {"ipv4_dst", "10.0.0.2"}});
    CHECK(flows[0]["actions"] ==
          Json::parse(R"([{"type":"SET_FIELD","field":"eth_dst","value":"00:00:00:00:00:03"},
                          {"type":"SET_FIELD","field":"ipv4_dst","value":"10.0.0.3"},
                          {"type":"OUTPUT","port":"NORMAL"}])"));
    CHECK(flows[1]["match"] == Json{{"eth_type", 2048}, {"ipv4_src", "10.0.0.3"}});
    CHECK(flows[1]["actions"] ==
          Json::parse(R"([{"type":"SET_FIELD","field":"ipv4_src","value":"10.0.0.2"},
                          {"type":"OUTPUT","port":"NORMAL"}])"));
    CHECK(flows[2]["match"] == flows[0]["match"]);
    CHECK(flows[3]["actions"] == flows[1]["actions"]);
  }

  SECTION("service ports: a pair per port and switch, TCP and UDP") {
    r.tcpPorts = {80, 443};
    r.udpPorts = {53};
    auto flows = redirectFlows(r);
    REQUIRE(flows.size() == 12);
    CHECK(flows[0]["match"] ==
          Json{{"eth_type", 2048}, {"ipv4_dst", "10.0.0.2"}, {"ip_proto", 6}, {"tcp_dst", 80}});
    CHECK(flows[1]["match"] ==
          Json{{"eth_type", 2048}, {"ipv4_src", "10.0.0.3"}, {"ip_proto", 6}, {"tcp_src", 80}});
    CHECK(flows[2]["match"]["tcp_dst"] == 443);
    CHECK(flows[3]["match"]["tcp_src"] == 443);
    CHECK(flows[4]["match"] ==
          Json{{"eth_type", 2048}, {"ipv4_dst", "10.0.0.2"}, {"ip_proto", 17}, {"udp_dst", 53}});
    CHECK(flows[5]["match"] ==
          Json{{"eth_type", 2048}, {"ipv4_src", "10.0.0.3"}, {"ip_proto", 17}, {"udp_src", 53}});
    CHECK(flows[6]["dpid"] == 2);
    // The reverse rule never rewrites eth_src (MAC learning would flap).
    for (const auto& f : flows)
      for (const auto& a : f["actions"]) CHECK(a.value("field", "") != "eth_src");
  }

  SECTION("the delete body removes exactly the container's cookie in every table") {
    auto body = clearFlow("svc", "00000000000000ff");
    CHECK(body == Json{{"dpid", 255},
                       {"cookie", cookie},
                       {"cookie_mask", 0xffffffffffffffffULL},
                       {"table_id", 255}});
  }
}

TEST_CASE("redirect: input checks", "[redirect]") {
  Redirect r = webRedirect();
  CHECK(checkRedirect(r).ok());
  r.target.mac = "00:00:00:00:00";
  CHECK(roam::errorText(checkRedirect(r)) ==
        "target: '00:00:00:00:00' is not a MAC address (aa:bb:cc:dd:ee:ff)");
  r = webRedirect();
  r.home.ip = "10.0.0.256";
  CHECK(roam::errorText(checkRedirect(r)) == "home: '10.0.0.256' is not an IPv4 address");
  r = webRedirect();
  r.tcpPorts = {0};
  CHECK(roam::errorText(checkRedirect(r)) == "port 0 is not in 1..65535");
  r = webRedirect();
  r.dpids = {"1"};
  CHECK(roam::errorText(checkRedirect(r)) == "'1' is not a datapath id (16 hex digits)");
}

TEST_CASE("redirect: RyuFlowRedirector over HTTP", "[redirect]") {
  FakeController ctl;
  ctl.answer("/stats/flowentry/add", 200);
  ctl.answer("/stats/flowentry/delete", 200);
  ctl.answer("/stats/switches", 200, "[1, 2, 4660]");
  HttpOptions http;
  http.totalTimeoutSeconds = 2;
  RyuFlowRedirector redirector(ctl.url(), http);
  Redirect r = webRedirect();
  r.tcpPorts = {8080};

  SECTION("lists the switches as 16 hex digits") {
    auto switches = redirector.switches();
    REQUIRE(switches.ok());
    CHECK(*switches ==
          std::vector<std::string>{"0000000000000001", "0000000000000002", "0000000000001234"});
  }

  SECTION("redirect deletes the container's rules everywhere, then adds the new ones") {
    REQUIRE(redirector.redirect(r).ok());
    auto reqs = ctl.requests();
    REQUIRE(reqs.size() == 6);
    for (int i = 0; i < 2; ++i) {
      CHECK(reqs[i].method == "POST");
      CHECK(reqs[i].path == "/stats/flowentry/delete");
      CHECK(reqs[i].body == clearFlow("svc", r.dpids[i]));
    }
    auto flows = redirectFlows(r);
    for (std::size_t i = 2; i < 6; ++i) {
      CHECK(reqs[i].path == "/stats/flowentry/add");
      CHECK(reqs[i].body == flows[i - 2]);
    }
  }

  SECTION("moving back home only removes the rules") {
    r.target = r.home;
    r.target.mac = "00:00:00:00:00:02";
    REQUIRE(redirector.redirect(r).ok());
    auto reqs = ctl.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[0].path == "/stats/flowentry/delete");
    CHECK(reqs[1].path == "/stats/flowentry/delete");
  }

  SECTION("clear deletes by cookie on every switch") {
    REQUIRE(redirector.clear("svc", r.dpids).ok());
    auto reqs = ctl.requests();
    REQUIRE(reqs.size() == 2);
    CHECK(reqs[1].body == clearFlow("svc", "0000000000000002"));
  }

  SECTION("errors name the switch and the HTTP status") {
    ctl.failDpid(2, 404);
    const std::string error = roam::errorText(redirector.clear("svc", r.dpids));
    CHECK(error ==
          "switch 0000000000000002: POST " + ctl.url() + "stats/flowentry/delete: HTTP 404");
    // The other switch was still cleaned.
    CHECK(ctl.requests().size() == 2);

    const std::string addError = roam::errorText(redirector.redirect(r));
    CHECK(addError.find("switch 0000000000000002") != std::string::npos);
    CHECK(addError.find("HTTP 404") != std::string::npos);
  }

  SECTION("bad input is refused before any request") {
    r.target.ip = "ten.0.0.3";
    CHECK(roam::errorText(redirector.redirect(r)) == "target: 'ten.0.0.3' is not an IPv4 address");
    CHECK(roam::errorText(redirector.clear("svc", {"xyz"})) ==
          "'xyz' is not a datapath id (16 hex digits)");
    CHECK(ctl.requests().empty());
  }

  SECTION("an error answer to the switch list") {
    ctl.answer("/stats/switches", 500);
    auto switches = redirector.switches();
    REQUIRE_FALSE(switches.ok());
    CHECK(switches.error().message() == "GET " + ctl.url() + "stats/switches: HTTP 500");
  }
}
