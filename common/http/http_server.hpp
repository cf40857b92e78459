#pragma once
// A small HTTP/1.1 server (Boost.Beast) for what the daemons serve to people
// and tools: the manager's and the agent's /metrics, the manager's web page.
// GET and HEAD only (405 otherwise), 404 for unknown paths, requests bounded
// in size, keep-alive. Optional TLS (mutual when the context verifies peers).
// The server owns its io_context and the one thread that runs it; handlers
// run on that thread, so they must be quick (render a page, copy a snapshot).

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/listen_address.hpp"
#include "common/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace roam::http {

struct Request {
  std::string method;                          // "GET", "HEAD"
  std::string target;                          // path and query as sent: "/metrics?x=1"
  std::map<std::string, std::string> headers;  // names in lower case
  std::string path() const;                    // the target without its query
};

struct Response {
  unsigned status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

// A long-lived response (server-sent events): the stream handler keeps the
// stream and writes to it from any thread. send() queues CHUNK and returns
// false once the client has gone or the server stopped.
class EventStream {
 public:
  virtual ~EventStream() = default;
  virtual bool send(std::string_view chunk) = 0;
  virtual bool open() const = 0;
};
using StreamHandler = std::function<void(const Request&, std::shared_ptr<EventStream>)>;

struct Limits {
  std::size_t headerBytes = 8 * 1024;  // request line and headers
  std::size_t bodyBytes = 4 * 1024;    // a body (GET and HEAD need none)
  std::size_t connections = 64;        // open at once; more are closed at once
  double idleSeconds = 30;             // a keep-alive connection's quiet time
};

class HttpServer {
 public:
  // Binds ADDR:PORT (common/listen_address.hpp; a bad one is BadInput) and
  // starts serving. TLS when `tls` is given.
  static Result<std::unique_ptr<HttpServer>> listen(
      const std::string& hostPort, std::shared_ptr<boost::asio::ssl::context> tls = nullptr,
      Limits limits = {});
  // Stops accepting, closes every connection and joins the thread. Event
  // streams still held by handlers answer false from then on.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Serves PATH (exact, without query) with HANDLER; a later route for the
  // same path replaces it. Safe to call while serving.
  void route(std::string path, Handler handler);
  // Serves PATH as a stream: the response header (200, CONTENT_TYPE, no
  // caching) goes out, then whatever the handler's stream sends, until the
  // client goes or the server stops. HEAD gets the header only.
  void streamRoute(std::string path, std::string contentType, StreamHandler handler);

  // "127.0.0.1:PORT" ("[::1]:PORT"): the address actually bound.
  std::string boundAddress() const;
  unsigned short port() const;

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace roam::http
