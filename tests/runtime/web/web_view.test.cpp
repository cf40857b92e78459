// The live view served (runtime/web/web_view.hpp): a real socket, libcurl as
// the browser: the page's files, /api/state, the first events of /events,
// read-only, and mutual TLS off loopback.

#include "runtime/web/web_view.hpp"

#include <curl/curl.h>

#include <atomic>
#include <string>

#include <catch2/catch.hpp>

#include "agent/tls/certificates.hpp"
#include "http_client.hpp"
#include "runtime/web/web_assets.hpp"
#include "temp_dir.hpp"
#include "web_fixture.hpp"

using roam::runtime::parseWebAddress;
using roam::runtime::WebOptions;
using roam::runtime::WebView;

namespace {

using Get = roamtest::HttpRequest;
using roamtest::httpRequest;

WebOptions loopback() {
  auto address = parseWebAddress("127.0.0.1:0");
  REQUIRE(address.ok());
  return WebOptions{*address, {}, "manager", {}, {}};
}

}  // namespace

TEST_CASE("web view: the page, its state and its events on loopback", "[web]") {
  roamtest::StateLiveSource source;
  auto started = WebView::start(source, loopback());
  INFO(roam::errorText(started));
  REQUIRE(started.ok());
  auto& view = **started;
  CHECK_FALSE(view.tls());
  const std::string url = view.url();
  REQUIRE(url.rfind("http://127.0.0.1:", 0) == 0);
  REQUIRE(url.back() == '/');

  auto page = httpRequest(url);
  CHECK(page.status == 200);
  CHECK(page.contentType == "text/html; charset=utf-8");
  CHECK(page.body == roam::runtime::findWebAsset("/index.html")->body);
  for (const char* file : {"app.js", "style.css", "index.html"}) {
    INFO(file);
    auto r = httpRequest(url + file);
    CHECK(r.status == 200);
    CHECK(r.body == roam::runtime::findWebAsset(std::string("/") + file)->body);
  }
  CHECK(httpRequest(url + "app.js").contentType == "text/javascript; charset=utf-8");
  CHECK(httpRequest(url + "nothing.js").status == 404);

  auto state = httpRequest(url + "api/state");
  CHECK(state.status == 200);
  CHECK(state.contentType == "application/json; charset=utf-8");
  auto json = nlohmann::json::parse(state.body);
  CHECK(json["topology"]["hosts"].size() == 5);
  CHECK(json["policy"]["policy"] == "bandwidth");

  // /events: the reconnection delay, then the whole state.
  Get events;
  events.stopAfterEvents = 2;
  auto stream = httpRequest(url + "events", events);
  CHECK(stream.code == CURLE_WRITE_ERROR);  // the test stopped reading
  CHECK(stream.status == 200);
  CHECK(stream.contentType.rfind("text/event-stream", 0) == 0);
  REQUIRE(stream.body.rfind("retry: 2000\n\nid: ", 0) == 0);
  const auto data = stream.body.find("\nevent: state\ndata: ");
  REQUIRE(data != std::string::npos);
  const auto end = stream.body.find("\n\n", data);
  auto first = nlohmann::json::parse(stream.body.substr(data + 20, end - data - 20));
  CHECK(first["containers"].size() == 2);

  // Read-only: nothing but GET and HEAD, and nothing reached the backend.
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    Get how;
    how.method = method;
    INFO(method);
    CHECK(httpRequest(url + "api/state", how).status == 405);
  }
  CHECK(source.backend->mutations == 0);
}

TEST_CASE("web view: off loopback only mutual TLS with the manager's certificates", "[web]") {
  roamtest::TempDir dir("roam-web-tls");
  REQUIRE(roam::agent::initAuthority(dir.path).ok());
  REQUIRE(roam::agent::issueCertificate(dir.path, "manager", {"127.0.0.1"}).ok());
  REQUIRE(roam::agent::issueCertificate(dir.path, "operator", {}).ok());
  roamtest::StateLiveSource source;
  // Any address: not loopback, so TLS; reached here through 127.0.0.1.
  auto address = parseWebAddress("0.0.0.0:0");
  REQUIRE(address.ok());
  REQUIRE_FALSE(address->loopback);

  SECTION("without the certificates it does not start") {
    roamtest::TempDir empty("roam-web-none");
    auto started = WebView::start(source, {*address, empty.path, "manager", {}, {}});
    REQUIRE_FALSE(started.ok());
    CHECK(started.error().message.find("ca.crt") != std::string::npos);
  }
  SECTION("with them, a client of the CA gets the state; others get nothing") {
    auto started = WebView::start(source, {*address, dir.path, "manager", {}, {}});
    INFO(roam::errorText(started));
    REQUIRE(started.ok());
    auto& view = **started;
    CHECK(view.tls());
    CHECK(view.url().rfind("https://0.0.0.0:", 0) == 0);
    const std::string port = view.url().substr(view.url().rfind(':') + 1);
    const std::string https = "https://127.0.0.1:" + port;
    Get client;
    client.ca = (dir.path / "ca.crt").string();
    client.cert = (dir.path / "operator.crt").string();
    client.key = (dir.path / "operator.key").string();
    auto state = httpRequest(https + "api/state", client);
    REQUIRE(state.code == CURLE_OK);
    CHECK(nlohmann::json::parse(state.body)["topology"]["hosts"].size() == 5);

    Get anonymous;
    anonymous.ca = client.ca;
    auto refused = httpRequest(https + "api/state", anonymous);
    CHECK(refused.code != CURLE_OK);
    CHECK(refused.body.empty());
    auto plain = httpRequest("http://127.0.0.1:" + port + "api/state");
    CHECK(plain.code != CURLE_OK);
    CHECK(plain.status == 0);
  }
}
