#pragma once
// Pieces shared by the REPL's commands and completion (internal to
// runtime/repl): splitting a line into words with their columns, located
// error replies, evaluating an expression with the active policy in scope,
// and rendering values and tables.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lang/location.hpp"
#include "lang/network_state.hpp"
#include "lang/types.hpp"
#include "lang/value.hpp"
#include "runtime/active_policy.hpp"
#include "runtime/repl/repl_backend.hpp"

namespace roam::runtime::repl {

// The file name of every diagnostic about a REPL line.
inline constexpr const char* kReplFile = "<repl>";

// A whitespace-separated word of a line and its byte offset in the line.
struct Word {
  std::string text;
  std::size_t offset = 0;
  std::size_t column() const { return offset + 1; }
};
std::vector<Word> splitWords(std::string_view line);

// An error reply "<repl>:1:COL: error: MESSAGE" quoting `line` with a caret.
ReplReply errorAt(std::string_view line, std::size_t column, const std::string& message);
// Diagnostics located in `line` (file "<repl>"), rendered with carets.
ReplReply errorReply(std::string_view line, const lang::Diagnostics& diagnostics);

// A successful reply; `text` without a trailing newline.
ReplReply okReply(std::string text, nlohmann::json json);

// An expression evaluated on a state. The value refers to the state by
// index, so the state must outlive it.
struct Evaluation {
  std::optional<lang::Value> value;  // none when there were diagnostics
  lang::Type type;
  lang::Diagnostics diagnostics;  // located in `text`, file "<repl>"
};

// Parses, checks and evaluates `text` with the globals and, when `policy` is
// given, its parameters (after overrides) and lets in scope. Random draws use
// seed 1, as `roam eval` does, so the REPL agrees with it.
Evaluation evaluate(std::string_view text, const lang::NetworkState& state,
                    const ActivePolicy* policy);

// JSON of a value: numbers in base units (bit/s, seconds, bits), entities by
// name, sets and lists as arrays, labels as objects.
nlohmann::json valueToJson(const lang::Value& v, const lang::NetworkState& state);

// Rows aligned in columns; the first row is the header.
std::string formatTable(const std::vector<std::vector<std::string>>& rows);

// "2026-11-25 01:02:03" (UTC) of seconds since the epoch.
std::string formatTime(double secondsSinceEpoch);

}  // namespace roam::runtime::repl

namespace roam::runtime::repl {

// One REPL command, for `help` and completion.
struct CommandHelp {
  std::string_view name;
  std::string_view usage;    // "bandwidth [HOST|SWITCH] [over DURATION]"
  std::string_view summary;  // one line
  std::string_view details;  // more lines for `help NAME`; may be empty
};
std::span<const CommandHelp> replCommands();
const CommandHelp* findReplCommand(std::string_view name);

}  // namespace roam::runtime::repl
