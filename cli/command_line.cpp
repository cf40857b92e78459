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

std::optional<std::vector<lang::ParamOverride>> parseParamFlags(
    const std::vector<std::string>& params, const CommandLine& line) {
  std::vector<lang::ParamOverride> out;
  for (const auto& p : params) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      commandLineError(line, line.find(p), "--param expects NAME=VALUE, got '" + p + "'");
      return std::nullopt;
    }
    out.push_back({p.substr(0, eq), p.substr(eq + 1), "<param " + p.substr(0, eq) + ">"});
  }
  return out;
}

std::optional<ControllerFlag> parseControllerFlag(const std::string& text,
                                                  const std::vector<std::string>& kinds,
                                                  const CommandLine& line) {
  const auto eq = text.find('=');
  ControllerFlag flag;
  if (eq != std::string::npos) flag = {text.substr(0, eq), text.substr(eq + 1)};
  bool known = false;
  std::string expected;
  for (const auto& k : kinds) {
    known = known || k == flag.kind;
    expected += (expected.empty() ? "" : " or ") + k + "=URL";
  }
  if (!known || flag.url.empty()) {
    commandLineError(line, line.find(text),
                     "--controller expects " + expected + ", got '" + text + "'");
    return std::nullopt;
  }
  if (!flag.url.starts_with("http://") && !flag.url.starts_with("https://")) {
    commandLineError(line, line.find(text), "--controller URL must start with http:// or https://");
    return std::nullopt;
  }
  return flag;
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
