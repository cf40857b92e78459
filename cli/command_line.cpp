#include <cmath>
#include <iostream>

#include "lang/units.hpp"

#include "cli/commands.hpp"

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
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (value < 0 || !std::isfinite(value)) return std::nullopt;
  const std::string suffix = text.substr(used);
  if (suffix.empty()) return value;
  auto unit = lang::findUnit(suffix);
  if (!unit || unit->dimension != lang::kDuration) return std::nullopt;
  return value * unit->scale;
}

}  // namespace roam::cli
