#include <chrono>
#include <ctime>
#include <iostream>
#include <mutex>

#include "cli/commands.hpp"
#include "runtime/manager/manager_config.hpp"

namespace roam::cli {

int CommandLine::columnOf(std::size_t i) const {
  int col = 1;
  for (std::size_t k = 0; k < i && k < args.size(); ++k)
    col += static_cast<int>(args[k].size()) + 1;
  return col;
}

int CommandLine::find(const std::string& text) const {
  for (std::size_t i = 0; i < args.size(); ++i)
    if (args[i] == text) return static_cast<int>(i);
  for (std::size_t i = 0; i < args.size(); ++i)
    if (args[i].find(text) != std::string::npos) return static_cast<int>(i);
  return -1;
}

void commandLineError(const CommandLine& line, int argIndex, const std::string& message) {
  int col = argIndex >= 0 ? line.columnOf(static_cast<std::size_t>(argIndex)) : 1;
  std::cerr << "<command-line>:1:" << col << ": error: " << message << "\n";
}

// A duration in any unit of the policy language ("1s", "500ms", "2min"); a bare
// number is seconds. Negative or non-finite values are rejected.
std::optional<double> parseDurationSeconds(const std::string& text) {
  return runtime::parseDuration(text);
}

void logLine(const std::string& text) {
  // Daemons log from several threads; one lock keeps lines whole.
  static std::mutex mutex;
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard lock(mutex);
  std::cerr << stamp << " " << text << std::endl;
}

}  // namespace roam::cli
