#pragma once
// What every in-process test server shares: the accept loop of a listening
// socket on its own thread, one thread per connection running the server's
// SERVE(fd), and a stop flag that ends their waits (SocketReader polls it).
// The destructor stops, joins every thread and closes the socket; declare it
// as the owner's last member so the connections end before what they use.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "socket_reader.hpp"

namespace roamtest {

class ConnectionServer {
 public:
  using Serve = std::function<void(int fd)>;

  // Takes ownership of LISTENING (bound, listening); SERVE must return once
  // stopping() is set. The connection's fd is closed after SERVE returns.
  ConnectionServer(int listening, Serve serve) : listen_(listening), serve_(std::move(serve)) {
    acceptor_ = std::thread([this] {
      while (waitReadable(listen_, stop_)) {
        const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        ++accepted_;
        connections_.emplace_back([this, fd] {
          serve_(fd);
          ::close(fd);
        });
      }
    });
  }
  ~ConnectionServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : connections_) t.join();
    ::close(listen_);
  }
  ConnectionServer(const ConnectionServer&) = delete;
  ConnectionServer& operator=(const ConnectionServer&) = delete;

  const std::atomic<bool>& stopping() const { return stop_; }
  int accepted() const { return accepted_; }

 private:
  int listen_;
  Serve serve_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // only the acceptor adds, before its join
};

// A TCP socket listening on 127.0.0.1 at a free port (written to PORT), or
// -1 when one cannot be had.
inline int listenOnLoopback(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace roamtest
