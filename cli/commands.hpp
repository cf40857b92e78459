#pragma once
// The `roam` subcommands. Each registers its options on a CLI11 app and
// returns the exit status when run; main() only wires them together.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "lang/decision.hpp"

namespace roam::cli {

// The command line as typed, for locating errors in it.
struct CommandLine {
  std::vector<std::string> args;  // argv, including the program name

  // Column (1-based) of argument `i` in the line the args form joined by spaces.
  int columnOf(std::size_t i) const;
  // Index of the first argument equal to `text` (or containing it), -1 when none.
  int find(const std::string& text) const;
};

// Prints "<command-line>:1:COL: error: MESSAGE" to stderr.
void commandLineError(const CommandLine& line, int argIndex, const std::string& message);

struct Command {
  CLI::App* app;             // the subcommand's parser
  std::function<int()> run;  // runs it after parsing; returns the exit status
};

Command addCheckCommand(CLI::App& app, const CommandLine& line);
Command addEvalCommand(CLI::App& app, const CommandLine& line);
Command addBuiltinsCommand(CLI::App& app, const CommandLine& line);
Command addVibCommand(CLI::App& app, const CommandLine& line);
Command addMeasureCommand(CLI::App& app, const CommandLine& line);
Command addCertsCommand(CLI::App& app, const CommandLine& line);
Command addAgentCommand(CLI::App& app, const CommandLine& line);
Command addMigrateCommand(CLI::App& app, const CommandLine& line);
Command addPingCommand(CLI::App& app, const CommandLine& line);
Command addStatusCommand(CLI::App& app, const CommandLine& line);
Command addManagerCommand(CLI::App& app, const CommandLine& line);
Command addReplCommand(CLI::App& app, const CommandLine& line);
Command addRedirectCommand(CLI::App& app, const CommandLine& line);

// Seconds in "10s", "500ms", "2m" or a bare number of seconds; nullopt otherwise.
std::optional<double> parseDurationSeconds(const std::string& text);
// `--param NAME=VALUE` flags as parameter overrides; nullopt after printing
// the located error.
std::optional<std::vector<lang::ParamOverride>> parseParamFlags(
    const std::vector<std::string>& params, const CommandLine& line);

// `--controller KIND=URL` with KIND one of `kinds`; nullopt after printing the
// located error.
struct ControllerFlag {
  std::string kind, url;
};
std::optional<ControllerFlag> parseControllerFlag(const std::string& text,
                                                  const std::vector<std::string>& kinds,
                                                  const CommandLine& line);

// Prints "YYYY-MM-DDTHH:MM:SS TEXT" to stderr: the daemons' log (thread-safe).
void logLine(const std::string& text);
// Prints a VIB error ("PATH: message") as "PATH:1:1: error: message" to stderr.
void vibError(const std::string& file, const std::string& error);

}  // namespace roam::cli
