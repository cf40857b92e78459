#pragma once
// A fixture Docker Engine for unit tests: a tiny HTTP/1.1 server on a unix
// socket that answers through a handler the test writes, implementing only
// the endpoints a test needs. Unit tests run without root, Docker or CRIU;
// real engines (with CRIU 4.2 from scripts/install-criu) are exercised by the
// integration tests. Understands Content-Length and chunked
// request bodies (DockerClient streams uploads chunked) and keep-alive; one
// thread per connection.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "connection_server.hpp"
#include "socket_reader.hpp"

namespace roamtest {

class FakeDockerEngine {
 public:
  struct Request {
    std::string method;
    std::string path;   // below /v1.41, without the query
    std::string query;  // after '?', still percent-encoded
    std::string body;
    std::string line() const { return method + " " + path; }
  };
  struct Response {
    int status = 200;
    std::string body;                              // JSON text, or empty
    std::string contentType = "application/json";  // e.g. application/x-tar for archives
    std::vector<std::pair<std::string, std::string>> headers = {};  // extra ones
  };
  using Handler = std::function<Response(const Request&)>;

  FakeDockerEngine(std::filesystem::path socketPath, Handler handler)
      : path_(std::move(socketPath)), handler_(std::move(handler)) {
    const int listening = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listening >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.native().size() < sizeof addr.sun_path);
    std::copy(path_.native().begin(), path_.native().end(), addr.sun_path);
    REQUIRE(::bind(listening, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listening, 16) == 0);
    server_.emplace(listening, [this](int fd) { serve(fd); });
  }
  ~FakeDockerEngine() {
    server_.reset();  // every connection ends first
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  FakeDockerEngine(const FakeDockerEngine&) = delete;
  FakeDockerEngine& operator=(const FakeDockerEngine&) = delete;

  std::string socket() const { return path_.string(); }
  // "METHOD PATH" of every request, in order.
  std::vector<std::string> requestLines() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> lines;
    for (const auto& r : requests_) lines.push_back(r.line());
    return lines;
  }
  std::vector<Request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  static std::string percentDecode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '%' && i + 2 < text.size()) {
        out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += text[i];
      }
    }
    return out;
  }
  // The decoded value of KEY in a query string, or "".
  static std::string queryValue(const std::string& query, const std::string& key) {
    std::size_t start = 0;
    while (start <= query.size()) {
      auto end = query.find('&', start);
      auto pair = query.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (pair.rfind(key + "=", 0) == 0) return percentDecode(pair.substr(key.size() + 1));
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return "";
  }

 private:
  void serve(int fd) {
    SocketReader reader(fd, server_->stopping());
    while (true) {
      std::string requestLine, line, head;
      if (!reader.readLine(requestLine)) return;
      while (true) {
        if (!reader.readLine(line)) return;
        if (line.empty()) break;
        std::transform(line.begin(), line.end(), line.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        head += line + "\n";
      }
      Request request;
      std::string body;
      if (head.find("transfer-encoding: chunked") != std::string::npos) {
        while (true) {
          std::string size;
          if (!reader.readLine(size)) return;
          const auto n = std::stoul(size, nullptr, 16);
          if (!reader.readBytes(n, request.body)) return;
          std::string crlf;
          if (!reader.readLine(crlf)) return;
          if (n == 0) break;
        }
      } else if (auto p = head.find("content-length: "); p != std::string::npos) {
        if (!reader.readBytes(std::stoul(head.substr(p + 16)), request.body)) return;
      }
      const auto sp1 = requestLine.find(' '), sp2 = requestLine.rfind(' ');
      request.method = requestLine.substr(0, sp1);
      std::string target = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
      if (target.rfind("/v1.41", 0) == 0) target.erase(0, 6);
      if (auto q = target.find('?'); q != std::string::npos) {
        request.query = target.substr(q + 1);
        target.erase(q);
      }
      request.path = target;
      Response response = handler_(request);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      std::string out = "HTTP/1.1 " + std::to_string(response.status) + " Fixture\r\n";
      for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
      if (response.status != 204 && response.status != 304)
        out += "Content-Type: " + response.contentType +
               "\r\nContent-Length: " + std::to_string(response.body.size()) + "\r\n\r\n" +
               response.body;
      else
        out += "\r\n";
      for (std::size_t sent = 0; sent < out.size();) {
        auto n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<std::size_t>(n);
      }
    }
  }

  std::filesystem::path path_;
  Handler handler_;
  mutable std::mutex mutex_;
  std::vector<Request> requests_;
  std::optional<ConnectionServer> server_;  // last: its threads use the above
};

}  // namespace roamtest
