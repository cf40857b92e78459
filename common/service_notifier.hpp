#pragma once
// The systemd notification protocol (sd_notify(3)), by hand: one datagram of
// "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET (a path, or an
// abstract name written with a leading '@'). With Type=notify a unit is
// started once READY=1 arrives; RELOADING=1 (with MONOTONIC_USEC) and the next
// READY=1 frame a reload; STOPPING=1 starts the stop; WATCHDOG=1 must come
// every WatchdogSec or systemd restarts the service. Without $NOTIFY_SOCKET
// (not run by systemd) every call does nothing.

#include <chrono>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace roam {

class ServiceNotifier {
 public:
  // Inactive: notifications go nowhere.
  ServiceNotifier() = default;
  // Notifications to SOCKET ("" = inactive; '@' = abstract namespace); the
  // watchdog, when given, expects a WATCHDOG=1 at least this often.
  ServiceNotifier(std::string socket, std::optional<std::chrono::microseconds> watchdog);
  // From $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID (the watchdog is
  // this process's when WATCHDOG_PID is unset or our pid). Reads the
  // environment once; changes nothing in it.
  static ServiceNotifier fromEnvironment();

  bool active() const { return !socket_.empty(); }
  // How often to send WATCHDOG=1 (half of WATCHDOG_USEC), if systemd asks.
  std::optional<std::chrono::microseconds> watchdogInterval() const;

  // Sends STATE ("READY=1\nSTATUS=..."). An error names the socket; the
  // daemons log it and carry on.
  roam::Status notify(const std::string& state) const;
  roam::Status ready(const std::string& status) const;
  // RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC now), as systemd 253+
  // wants for Type=notify-reload and accepts for Type=notify.
  roam::Status reloading(const std::string& status) const;
  roam::Status stopping(const std::string& status) const;
  roam::Status status(const std::string& status) const;
  roam::Status watchdog() const;

 private:
  std::string socket_;
  std::optional<std::chrono::microseconds> watchdog_;
  UniqueFd fd_;
};

// "STATUS=" text: one line (newlines would start a new assignment).
std::string statusLine(const std::string& text);

}  // namespace roam
