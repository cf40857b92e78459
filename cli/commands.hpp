#pragma once
// The `roam` subcommands. Each registers its options on a CLI11 app and
// returns the exit status when run; main() only wires them together. The
// work is in the libraries (runtime/, agent/).

#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <CLI/CLI.hpp>

#include "runtime/command_line.hpp"
#include "runtime/time_text.hpp"

namespace roam::cli {

using runtime::CommandLine;

// Prints "<command-line>:1:COL: error: MESSAGE" to stderr.
void commandLineError(const CommandLine& line, int argIndex, const std::string& message);
// Prints the error to stderr; returns its exit status.
int report(const runtime::CommandError& error);
// The value, or nullopt after printing the error.
template <class T>
std::optional<T> valueOrReport(runtime::CommandResult<T> result) {
  if (!result.ok()) {
    report(result.error());
    return std::nullopt;
  }
  return std::move(result.value());
}
// `run(value)`, or the error's exit status after printing it.
template <class T, class Run>
int runOrReport(const runtime::CommandResult<T>& checked, Run run) {
  if (!checked.ok()) return report(checked.error());
  return run(checked.value());
}

struct Command {
  CLI::App* app;             // the subcommand's parser
  std::function<int()> run;  // runs it after parsing; returns the exit status
};

// Registers one subcommand on `app`; `line` must outlive the Command.
using AddCommand = Command(CLI::App& app, const CommandLine& line);
AddCommand addCheckCommand, addEvalCommand, addBuiltinsCommand, addVibCommand, addMeasureCommand,
    addCertsCommand, addAgentCommand, addMigrateCommand, addPingCommand, addStatusCommand,
    addManagerCommand, addReplCommand, addRedirectCommand;

// One option of a subcommand: its flag, where its value goes (a bool* makes a
// flag without a value) and its help.
struct Option {
  std::string flag;
  std::variant<std::string*, std::vector<std::string>*, bool*> target;
  std::string help;
  bool required = false;
};
// Declares `options` on `cmd`, in this order (the order of --help).
void addOptions(CLI::App& cmd, const std::vector<Option>& options);

// Prints "YYYY-MM-DDTHH:MM:SS TEXT" to stderr: the daemons' log (thread-safe).
void logLine(const std::string& text);
// Prints a VIB error ("PATH: message") as "PATH:1:1: error: message" to stderr.
void vibError(const std::string& file, const std::string& error);

}  // namespace roam::cli
