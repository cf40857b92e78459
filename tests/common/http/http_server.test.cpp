// common/http/http_server: a real socket on 127.0.0.1 (port 0), libcurl as
// the client.

#include "common/http/http_server.hpp"

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include <boost/asio/ssl/context.hpp>
#include <catch2/catch.hpp>

#include "agent/tls/certificates.hpp"
#include "agent/tls/tls_context.hpp"
#include "http_client.hpp"
#include "temp_dir.hpp"

using roam::http::HttpServer;
using roam::http::Request;
using roam::http::Response;

namespace {

using Curl = roamtest::HttpClient;

std::unique_ptr<HttpServer> serve() {
  auto server = HttpServer::listen("127.0.0.1:0");
  REQUIRE(server.ok());
  (*server)->route("/metrics", [](const Request& r) {
    return Response{200, "text/plain; version=0.0.4", "hello " + r.target + "\n"};
  });
  return std::move(*server);
}

std::string url(const HttpServer& server, const std::string& path) {
  return "http://" + server.boundAddress() + path;
}

}  // namespace

TEST_CASE("parseListenAddress takes ADDR:PORT with a numeric address", "[common][http]") {
  using roam::parseListenAddress;
  auto v4 = parseListenAddress("127.0.0.1:9100");
  REQUIRE(v4.ok());
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 9100);
  auto v6 = parseListenAddress("[::1]:0");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  auto local = parseListenAddress("localhost:80");
  REQUIRE(local.ok());
  CHECK(local->host == "127.0.0.1");
  for (const char* bad : {"", "9100", ":9100", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                          "127.0.0.1:-1", "127.0.0.1:9x", "::1:9100", "example.org:9100",
                          "300.1.1.1:80", "[127.0.0.1]:80", "[localhost]:80"}) {
    INFO(bad);
    auto parsed = parseListenAddress(bad);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == roam::ErrorCode::BadInput);
    CHECK(parsed.error().message.find("expected ADDR:PORT") != std::string::npos);
  }
}

TEST_CASE("HttpServer serves routes over a real socket", "[common][http]") {
  auto server = serve();
  CHECK(server->boundAddress() == "127.0.0.1:" + std::to_string(server->port()));
  CHECK(server->port() != 0);
  Curl curl;

  SECTION("GET a route") {
    auto reply = curl.request(url(*server, "/metrics?x=1"));
    REQUIRE(reply.code == CURLE_OK);
    CHECK(reply.status == 200);
    CHECK(reply.body == "hello /metrics?x=1\n");
    CHECK(reply.headers.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  }
  SECTION("HEAD gets the headers and the length, no body") {
    auto reply = curl.request(url(*server, "/metrics"), {.method = "HEAD"});
    REQUIRE(reply.code == CURLE_OK);
    CHECK(reply.status == 200);
    CHECK(reply.body.empty());
    CHECK(reply.headers.find("Content-Length: 15\r\n") != std::string::npos);
  }
  SECTION("an unknown path is 404") {
    auto reply = curl.request(url(*server, "/nothing"));
    REQUIRE(reply.code == CURLE_OK);
    CHECK(reply.status == 404);
  }
  SECTION("other methods are 405 with Allow") {
    for (const char* method : {"POST", "PUT", "DELETE"}) {
      auto reply = curl.request(url(*server, "/metrics"), {.method = method});
      REQUIRE(reply.code == CURLE_OK);
      CHECK(reply.status == 405);
      CHECK(reply.headers.find("Allow: GET, HEAD") != std::string::npos);
    }
  }
  SECTION("keep-alive: a second request reuses the connection") {
    auto first = curl.request(url(*server, "/metrics"));
    auto second = curl.request(url(*server, "/metrics"));
    REQUIRE(second.code == CURLE_OK);
    CHECK(first.connects == 1);
    CHECK(second.connects == 0);
    CHECK(second.body == first.body);
  }
  SECTION("a later route replaces the earlier one") {
    server->route("/metrics", [](const Request&) { return Response{503, "text/plain", "no\n"}; });
    auto reply = curl.request(url(*server, "/metrics"));
    CHECK(reply.status == 503);
    CHECK(reply.body == "no\n");
  }
  SECTION("a handler that throws is a 500, the server goes on") {
    server->route("/boom", [](const Request&) -> Response { throw std::runtime_error("x"); });
    CHECK(curl.request(url(*server, "/boom")).status == 500);
    CHECK(curl.request(url(*server, "/metrics")).status == 200);
  }
}

TEST_CASE("HttpServer bounds the request size", "[common][http]") {
  auto server = serve();
  Curl curl;
  auto reply =
      curl.request(url(*server, "/metrics"), {.headers = {"X-Big: " + std::string(20000, 'a')}});
  REQUIRE(reply.code == CURLE_OK);
  CHECK(reply.status == 431);
}

TEST_CASE("HttpServer refuses a port in use", "[common][http]") {
  auto server = serve();
  auto again = HttpServer::listen(server->boundAddress());
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message.find("cannot listen on " + server->boundAddress()) == 0);
  auto bad = HttpServer::listen("nowhere:1");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == roam::ErrorCode::BadInput);
}

TEST_CASE("HttpServer streams server-sent events until the client goes", "[common][http]") {
  auto server = serve();
  std::shared_ptr<roam::http::EventStream> kept;
  std::mutex mutex;
  std::condition_variable changed;
  server->streamRoute("/events", "text/event-stream",
                      [&](const Request& r, std::shared_ptr<roam::http::EventStream> stream) {
                        CHECK(r.path() == "/events");
                        CHECK(stream->send("data: first\n\n"));
                        std::lock_guard lock(mutex);
                        kept = std::move(stream);
                        changed.notify_all();
                      });
  std::thread sender([&] {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return kept != nullptr; });
    auto stream = kept;
    lock.unlock();
    stream->send("data: second\n\n");
  });

  // Returning less than given makes libcurl hang up: the client goes once
  // the second event is in, and its handle with it (the connection closed).
  roamtest::HttpReply reply =
      roamtest::httpRequest(url(*server, "/events"), {.stopAfterEvents = 2});
  sender.join();
  CHECK(reply.code == CURLE_WRITE_ERROR);
  CHECK(reply.body == "data: first\n\ndata: second\n\n");
  CHECK(reply.headers.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(reply.headers.find("Cache-Control: no-cache") != std::string::npos);

  // The server notices the hang-up: send() turns false.
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    closed = !kept->send("data: more\n\n");
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(closed);
  CHECK_FALSE(kept->open());
}

TEST_CASE("HttpServer: a stream outlives the server and reports it closed", "[common][http]") {
  std::shared_ptr<roam::http::EventStream> kept;
  std::atomic<bool> got{false};
  auto server = serve();
  server->streamRoute("/events", "text/event-stream",
                      [&](const Request&, std::shared_ptr<roam::http::EventStream> stream) {
                        kept = std::move(stream);
                        got = true;
                      });
  std::thread client([&] {
    roamtest::httpRequest(url(*server, "/events"));  // ends when the server goes
  });
  for (int i = 0; i < 500 && !got; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(got);
  CHECK(kept->open());
  server.reset();
  client.join();
  CHECK_FALSE(kept->open());
  CHECK_FALSE(kept->send("data: late\n\n"));
}

TEST_CASE("HttpServer over mutual TLS", "[common][http]") {
  roamtest::TempDir dir("roam-http-tls");
  REQUIRE(roam::agent::initAuthority(dir.path).ok());
  REQUIRE(roam::agent::issueCertificate(dir.path, "server", {"127.0.0.1"}).ok());
  REQUIRE(roam::agent::issueCertificate(dir.path, "client", {}).ok());
  auto context = roam::agent::makeTlsContext(roam::agent::TlsFiles::forName(dir.path, "server"),
                                             roam::agent::TlsRole::server);
  REQUIRE(context.ok());
  auto listened = HttpServer::listen(
      "127.0.0.1:0", std::shared_ptr<boost::asio::ssl::context>(std::move(*context)));
  REQUIRE(listened.ok());
  auto& server = **listened;
  server.route("/metrics", [](const Request&) { return Response{200, "text/plain", "secret\n"}; });
  std::string https = "https://" + server.boundAddress() + "/metrics";
  std::string ca = (dir.path / "ca.crt").string();

  Curl curl;
  SECTION("a client with a certificate of the CA gets the page") {
    auto reply = curl.request(https, {.ca = ca,
                                      .cert = (dir.path / "client.crt").string(),
                                      .key = (dir.path / "client.key").string()});
    REQUIRE(reply.code == CURLE_OK);
    CHECK(reply.body == "secret\n");
  }
  SECTION("a client without a certificate is refused") {
    auto reply = curl.request(https, {.ca = ca});
    CHECK(reply.code != CURLE_OK);
    CHECK(reply.body.empty());
  }
  SECTION("plain HTTP gets nothing") {
    auto reply = curl.request("http://" + server.boundAddress() + "/metrics");
    CHECK(reply.code != CURLE_OK);
    CHECK(reply.status == 0);
  }
}
