#pragma once
// A NOTIFY_SOCKET as systemd makes it: a unix datagram socket that a test
// binds (at a path or, with a leading '@', in the abstract namespace) and
// reads the daemon's sd_notify datagrams from.

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

namespace roamtest {

class NotifySocket {
 public:
  explicit NotifySocket(std::string name) : name_(std::move(name)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(name_.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, name_.data(), name_.size());
    socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    if (name_[0] == '@')
      addr.sun_path[0] = '\0';
    else
      length += 1;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), length) == 0);
  }
  ~NotifySocket() {
    ::close(fd_);
    if (name_[0] != '@') ::unlink(name_.c_str());
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& name() const { return name_; }

  // The next datagram, or nullopt after TIMEOUT.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }
  // Datagrams until one contains NEEDLE (returned), skipping the others
  // (WATCHDOG=1 comes in between); nullopt after TIMEOUT in all.
  std::optional<std::string> until(const std::string& needle,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      auto got = receive(left);
      if (!got) return std::nullopt;
      seen_ += *got + "\n--\n";
      if (got->find(needle) != std::string::npos) return got;
    }
    return std::nullopt;
  }
  // Everything received so far, for INFO().
  const std::string& seen() const { return seen_; }

 private:
  std::string name_;
  int fd_ = -1;
  std::string seen_;
};

}  // namespace roamtest
