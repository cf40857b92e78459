#include <iostream>

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

}  // namespace roam::cli
