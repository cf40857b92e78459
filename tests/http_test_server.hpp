#pragma once
// A tiny in-process HTTP/1.1 server on 127.0.0.1 (port 0) standing in for an
// SDN controller's REST API in unit tests: fixed answers by path (optionally
// delayed), every request recorded with its body, one thread per connection,
// keep-alive. Only what roam's HTTP client sends is understood. The real
// controller is exercised by the integration tests.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "connection_server.hpp"
#include "socket_reader.hpp"

namespace roamtest {

class HttpTestServer {
 public:
  struct Route {
    int status = 200;
    std::string body;
    double delaySeconds = 0;
  };
  struct Request {
    std::string method, path, body;
    std::string line() const { return method + " " + path; }
  };
  // Decides the answer for a request before the routes do (nullopt: use them).
  using Override = std::function<std::optional<Route>(const Request&)>;

  HttpTestServer() {
    const int listening = listenOnLoopback(port_);
    REQUIRE(listening >= 0);
    server_.emplace(listening, [this](int fd) { serve(fd); });
  }

  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  void route(const std::string& path, Route r) {
    std::lock_guard lock(mutex_);
    routes_[path] = std::move(r);
  }
  void setOverride(Override o) {
    std::lock_guard lock(mutex_);
    override_ = std::move(o);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connectionsAccepted() const { return server_->accepted(); }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  // "METHOD PATH" of every request, in order.
  std::vector<std::string> requestLines() const {
    std::vector<std::string> lines;
    for (const auto& r : requests()) lines.push_back(r.line());
    return lines;
  }

 private:
  void serve(int fd) {
    const std::atomic<bool>& stop = server_->stopping();
    SocketReader reader(fd, stop);
    while (true) {
      std::string head;
      if (!reader.readUntil("\r\n\r\n", head)) return;
      std::size_t length = 0;
      if (auto p = head.find("Content-Length: "); p != std::string::npos)
        length = std::stoul(head.substr(p + 16));

      Request request;
      const std::string line = head.substr(0, head.find("\r\n"));
      const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
      request.method = line.substr(0, sp1);
      request.path = line.substr(sp1 + 1, sp2 - sp1 - 1);
      if (!reader.readBytes(length, request.body)) return;

      Route r{404, "<html><body>Not Found</body></html>"};
      {
        std::lock_guard lock(mutex_);
        if (auto it = routes_.find(request.path); it != routes_.end()) r = it->second;
        if (override_)
          if (auto o = override_(request)) r = *o;
        requests_.push_back(std::move(request));
      }
      for (double waited = 0; waited < r.delaySeconds && !stop; waited += 0.01)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (stop) return;
      const std::string response =
          "HTTP/1.1 " + std::to_string(r.status) + " X\r\n" +
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(r.body.size()) +
          "\r\n\r\n" + r.body;
      if (::send(fd, response.data(), response.size(), MSG_NOSIGNAL) < 0) return;
    }
  }

  int port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, Route> routes_;
  Override override_;
  std::vector<Request> requests_;
  std::optional<ConnectionServer> server_;  // last: its threads use the above
};

}  // namespace roamtest
