#include "common/service_notifier.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace roam {

ServiceNotifier::ServiceNotifier(std::string socket,
                                 std::optional<std::chrono::microseconds> watchdog)
    : socket_(std::move(socket)), watchdog_(watchdog) {
  if (!socket_.empty()) fd_ = UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
}

ServiceNotifier ServiceNotifier::fromEnvironment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  std::optional<std::chrono::microseconds> watchdog;
  if (const char* usec = std::getenv("WATCHDOG_USEC")) {
    const char* pid = std::getenv("WATCHDOG_PID");
    char* end = nullptr;
    unsigned long long value = std::strtoull(usec, &end, 10);
    bool ours = !pid || std::strtoll(pid, nullptr, 10) == static_cast<long long>(::getpid());
    if (end != usec && *end == '\0' && value > 0 && ours)
      watchdog = std::chrono::microseconds(value);
  }
  return ServiceNotifier(socket ? socket : "", watchdog);
}

std::optional<std::chrono::microseconds> ServiceNotifier::watchdogInterval() const {
  if (!watchdog_) return std::nullopt;
  return std::max(std::chrono::microseconds(1000), *watchdog_ / 2);
}

roam::Status ServiceNotifier::notify(const std::string& state) const {
  if (!active()) return {};
  auto failed = [&](const std::string& what) {
    return roam::makeError(roam::ErrorCode::Io,
                           "sd_notify to " + socket_ + ": " + what + ": " + std::strerror(errno));
  };
  if (!fd_.valid()) return failed("socket");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof addr.sun_path || (socket_[0] != '/' && socket_[0] != '@')) {
    errno = EINVAL;
    return failed("not a unix socket path");
  }
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  if (socket_[0] == '@')
    addr.sun_path[0] = '\0';  // abstract: the name is exactly `length` bytes, no terminator
  else
    length += 1;
  ssize_t sent = ::sendto(fd_.get(), state.data(), state.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const sockaddr*>(&addr), length);
  if (sent < 0) return failed("sendto");
  return {};
}

roam::Status ServiceNotifier::ready(const std::string& text) const {
  return notify("READY=1\nSTATUS=" + statusLine(text));
}

roam::Status ServiceNotifier::reloading(const std::string& text) const {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  long long usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  return notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
                "\nSTATUS=" + statusLine(text));
}

roam::Status ServiceNotifier::stopping(const std::string& text) const {
  return notify("STOPPING=1\nSTATUS=" + statusLine(text));
}

roam::Status ServiceNotifier::status(const std::string& text) const {
  return notify("STATUS=" + statusLine(text));
}

roam::Status ServiceNotifier::watchdog() const {
  return notify("WATCHDOG=1");
}

std::string statusLine(const std::string& text) {
  std::string line = text;
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';
  return line;
}

}  // namespace roam
