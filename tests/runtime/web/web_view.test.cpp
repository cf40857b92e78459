// The live view served (runtime/web/web_view.hpp): a real socket, libcurl as
// the browser: the page's files, /api/state, the first events of /events,
// read-only, and mutual TLS off loopback.

#include "runtime/web/web_view.hpp"

#include <curl/curl.h>

#include <atomic>
#include <string>

#include <catch2/catch.hpp>

#include "agent/tls/certificates.hpp"
#include "common/curl_global.hpp"
#include "runtime/web/web_assets.hpp"
#include "temp_dir.hpp"
#include "web_fixture.hpp"

using roam::runtime::parseWebAddress;
using roam::runtime::WebOptions;
using roam::runtime::WebView;

namespace {

struct Reply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body, contentType;
};

struct Get {
  std::string method = "GET";
  std::string ca, cert, key;  // TLS
  std::size_t stopAfter = 0;  // stop reading once the body holds this many "\n\n"
};

std::size_t append(char* data, std::size_t size, std::size_t n, void* out) {
  auto* state = static_cast<std::pair<std::string*, std::size_t>*>(out);
  state->first->append(data, size * n);
  if (state->second > 0) {
    std::size_t blocks = 0;
    for (std::size_t at = 0; (at = state->first->find("\n\n", at)) != std::string::npos; at += 2)
      ++blocks;
    if (blocks >= state->second) return 0;  // enough: abort the transfer
  }
  return size * n;
}

Reply fetch(const std::string& url, const Get& how = {}) {
  roam::curlGlobalInitOnce();
  CURL* curl = curl_easy_init();
  Reply reply;
  std::pair<std::string*, std::size_t> sink{&reply.body, how.stopAfter};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (how.method != "GET") curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, how.method.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  if (!how.ca.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, how.ca.c_str());
  if (!how.cert.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, how.cert.c_str());
  if (!how.key.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, how.key.c_str());
  reply.code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  if (type) reply.contentType = type;
  curl_easy_cleanup(curl);
  return reply;
}

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

  auto page = fetch(url);
  CHECK(page.status == 200);
  CHECK(page.contentType == "text/html; charset=utf-8");
  CHECK(page.body == roam::runtime::findWebAsset("/index.html")->body);
  for (const char* file : {"app.js", "style.css", "index.html"}) {
    INFO(file);
    auto r = fetch(url + file);
    CHECK(r.status == 200);
    CHECK(r.body == roam::runtime::findWebAsset(std::string("/") + file)->body);
  }
  CHECK(fetch(url + "app.js").contentType == "text/javascript; charset=utf-8");
  CHECK(fetch(url + "nothing.js").status == 404);

  auto state = fetch(url + "api/state");
  CHECK(state.status == 200);
  CHECK(state.contentType == "application/json; charset=utf-8");
  auto json = nlohmann::json::parse(state.body);
  CHECK(json["topology"]["hosts"].size() == 5);
  CHECK(json["policy"]["policy"] == "bandwidth");

  // /events: the reconnection delay, then the whole state.
  Get events;
  events.stopAfter = 2;
  auto stream = fetch(url + "events", events);
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
    CHECK(fetch(url + "api/state", how).status == 405);
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
    auto state = fetch(https + "api/state", client);
    REQUIRE(state.code == CURLE_OK);
    CHECK(nlohmann::json::parse(state.body)["topology"]["hosts"].size() == 5);

    Get anonymous;
    anonymous.ca = client.ca;
    auto refused = fetch(https + "api/state", anonymous);
    CHECK(refused.code != CURLE_OK);
    CHECK(refused.body.empty());
    auto plain = fetch("http://127.0.0.1:" + port + "api/state");
    CHECK(plain.code != CURLE_OK);
    CHECK(plain.status == 0);
  }
}
