#include "runtime/command_line.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

#include "lang/checker.hpp"
#include "lang/input_file.hpp"
#include "lang/location.hpp"

namespace roam::runtime {

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

CommandError commandLineMistake(const CommandLine& line, int argIndex, const std::string& message) {
  int col = argIndex >= 0 ? line.columnOf(static_cast<std::size_t>(argIndex)) : 1;
  return {2, "<command-line>:1:" + std::to_string(col) +
                 ": error: " + lang::escapeForTerminal(message) + "\n"};
}

CommandError flagMistake(const CommandLine& line, const std::string& typed,
                         const std::string& message) {
  return commandLineMistake(line, line.find(typed), message);
}

CommandResult<void> refuseOutputOverInput(const CommandLine& line,
                                          const std::vector<FileFlag>& outputs,
                                          const std::vector<FileFlag>& inputs) {
  for (const auto& out : outputs) {
    if (out.path.empty()) continue;
    for (const auto& in : inputs)
      if (!in.path.empty() && lang::sameFile(out.path, in.path))
        return flagMistake(line, out.path,
                           out.flag + " " + out.path + " is the same file as " + in.flag + " " +
                               in.path + "; refusing to overwrite an input");
  }
  return {};
}

CommandError unknownCommand(const CommandLine& line, int argIndex, const std::string& parent,
                            const std::vector<std::string>& commands) {
  const std::string typed = argIndex >= 0 && static_cast<std::size_t>(argIndex) < line.args.size()
                                ? line.args[argIndex]
                                : std::string();
  const std::vector<std::string_view> names(commands.begin(), commands.end());
  const std::string best = lang::closestName(typed, names);
  std::string message =
      "unknown " + (parent.empty() ? "" : parent + " ") + "command '" + typed + "'";
  if (!best.empty()) {
    message += " (did you mean '" + best + "'?)";
  } else {
    std::string all;
    for (const auto& c : commands) all += (all.empty() ? "" : ", ") + c;
    message += " (commands: " + all + ")";
  }
  return commandLineMistake(line, argIndex, message);
}

CommandResult<std::vector<lang::ParamOverride>> parseParamFlags(
    const std::vector<std::string>& params, const CommandLine& line) {
  std::vector<lang::ParamOverride> out;
  for (const auto& p : params) {
    auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0)
      return flagMistake(line, p, "--param expects NAME=VALUE, got '" + p + "'");
    out.push_back({p.substr(0, eq), p.substr(eq + 1), "<param " + p.substr(0, eq) + ">"});
  }
  return out;
}

CommandResult<std::uint64_t> parseSeedFlag(const std::string& text, const CommandLine& line) {
  const bool digits = !text.empty() && std::all_of(text.begin(), text.end(),
                                                   [](char c) { return c >= '0' && c <= '9'; });
  if (!digits)
    return flagMistake(
        line, text,
        "--seed expects a whole number from 0 to 18446744073709551615, got '" + text + "'");
  if (text.size() > 1 && text[0] == '0')
    return flagMistake(line, text,
                       "--seed must be written without a leading zero, got '" + text + "'");
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return flagMistake(line, text, "--seed must be <= 18446744073709551615, got '" + text + "'");
  return value;
}

CommandResult<ControllerFlag> parseControllerFlag(const std::string& text,
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
  if (!known || flag.url.empty())
    return flagMistake(line, text, "--controller expects " + expected + ", got '" + text + "'");
  if (!flag.url.starts_with("http://") && !flag.url.starts_with("https://"))
    return flagMistake(line, text, "--controller URL must start with http:// or https://");
  return flag;
}

}  // namespace roam::runtime
