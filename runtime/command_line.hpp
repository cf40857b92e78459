#pragma once
// The command line as typed, and the checks of flag values that several
// commands share. Mistakes are reported as "<command-line>:1:COL: error:
// MESSAGE", COL being where the offending argument starts in the line.

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "lang/decision.hpp"

namespace roam::runtime {

// The command line as typed, for locating errors in it.
struct CommandLine {
  std::vector<std::string> args;  // argv, including the program name

  // Column (1-based) of argument `i` in the line the args form joined by spaces.
  int columnOf(std::size_t i) const;
  // Index of the first argument equal to `text` (or containing it), -1 when none.
  int find(const std::string& text) const;
};

// What a command prints to stderr when it cannot go on, and its exit status.
struct CommandError {
  int status = 2;    // 2: a mistake on the command line; 1: one in a file or the system
  std::string text;  // whole lines, each ending in '\n'
};

// A checked value, or the CommandError that stops the command.
template <class T>
using CommandResult = roam::Result<T, CommandError>;

// "<command-line>:1:COL: error: MESSAGE" at argument `argIndex` (column 1
// when it is negative), exit status 2.
CommandError commandLineMistake(const CommandLine& line, int argIndex, const std::string& message);
// The same at the first argument that is or contains `typed`.
CommandError flagMistake(const CommandLine& line, const std::string& typed,
                         const std::string& message);

// A file named on the command line (or in a configuration): the flag or
// argument that names it, as the user knows it, and the path.
struct FileFlag {
  std::string flag;  // "--state", "vib-file", "decision_log"
  std::string path;  // empty: not given, skipped
};
// Refuses, with exit status 2, when an output is the same existing file as an
// input: compared by identity (st_dev and st_ino), so a symbolic or hard link
// or another spelling of the path is caught too. Every command that writes a
// file calls this before writing anything.
CommandResult<void> refuseOutputOverInput(const CommandLine& line,
                                          const std::vector<FileFlag>& outputs,
                                          const std::vector<FileFlag>& inputs);

// Argument `argIndex` names no command among `commands` (those of `parent`,
// "" for the top level): "unknown command 'chek' (did you mean 'check'?)",
// or the list of commands when none is close. Exit status 2.
CommandError unknownCommand(const CommandLine& line, int argIndex, const std::string& parent,
                            const std::vector<std::string>& commands);

// `--param NAME=VALUE` flags as parameter overrides.
CommandResult<std::vector<lang::ParamOverride>> parseParamFlags(
    const std::vector<std::string>& params, const CommandLine& line);

// `--seed N`: a decimal integer from 0 to 2^64-1 (18446744073709551615) written
// without a sign or a leading zero; anything else is refused, never wrapped
// or read as octal.
CommandResult<std::uint64_t> parseSeedFlag(const std::string& text, const CommandLine& line);

// `--controller KIND=URL` with KIND one of `kinds` and an http(s) URL.
struct ControllerFlag {
  std::string kind, url;
};
CommandResult<ControllerFlag> parseControllerFlag(const std::string& text,
                                                  const std::vector<std::string>& kinds,
                                                  const CommandLine& line);

}  // namespace roam::runtime
