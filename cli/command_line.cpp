#include <chrono>
#include <iostream>
#include <mutex>

#include "cli/commands.hpp"
#include "common/log_event.hpp"

namespace roam::cli {

void commandLineError(const CommandLine& line, int argIndex, const std::string& message) {
  report(runtime::commandLineMistake(line, argIndex, message));
}

int report(const runtime::CommandError& error) {
  std::cerr << error.text;
  return error.status;
}

void addOptions(CLI::App& cmd, const std::vector<Option>& options) {
  for (const auto& o : options) {
    CLI::Option* added = std::visit(
        [&](auto* target) {
          if constexpr (std::is_same_v<decltype(target), bool*>)
            return cmd.add_flag(o.flag, *target, o.help);
          else
            return cmd.add_option(o.flag, *target, o.help);
        },
        o.target);
    if (o.required) added->required();
  }
}

void logLine(const std::string& text) {
  // Daemons log from several threads; one lock keeps lines whole.
  static std::mutex mutex;
  auto line = logging::textLine(text, logging::Clock::now());
  std::lock_guard lock(mutex);
  std::cerr << line << std::endl;
}

}  // namespace roam::cli
