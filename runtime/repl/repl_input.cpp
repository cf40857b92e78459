#include "runtime/repl/repl_input.hpp"

#include <cctype>

#include "lang/diagnostic_codes.hpp"
#include "runtime/repl/repl_support.hpp"

namespace roam::runtime {

namespace {

struct Scan {
  int depth = 0;
  bool closedTooMany = false;  // a closer without an opener
};

// Scans one line from `depth`. A string ends at its closing quote or at the
// end of the line (strings do not span lines); a comment at the end of the line.
Scan scanLine(std::string_view line, int depth) {
  Scan s{depth, false};
  bool inString = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (inString) {
      if (c == '\\')
        ++i;  // the escaped character, whatever it is
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '#') break;
    if (c == '"') {
      inString = true;
    } else if (c == '(' || c == '[' || c == '{') {
      ++s.depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (--s.depth < 0) s.closedTooMany = true;
    }
  }
  return s;
}

}  // namespace

int bracketDepth(std::string_view text) {
  int depth = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    depth = scanLine(text.substr(start, end - start), depth).depth;
    start = end + 1;
  }
  return depth;
}

bool EntryReader::add(std::string_view line) {
  ++linesRead_;
  if (lines_ == 0) {
    firstLine_ = linesRead_;
    entry_.clear();
    depth_ = 0;
  } else {
    entry_ += '\n';
  }
  entry_.append(line);
  ++lines_;
  Scan s = scanLine(line, depth_);
  depth_ = s.depth;
  return s.closedTooMany || depth_ <= 0 || lines_ >= kMaxEntryLines;
}

std::string EntryReader::take() {
  std::string out = std::move(entry_);
  entry_.clear();
  lines_ = 0;
  depth_ = 0;
  return out;
}

void EntryReader::cancel() {
  entry_.clear();
  lines_ = 0;
  depth_ = 0;
}

void relocateReply(ReplReply& reply, std::uint32_t firstLine) {
  if (reply.ok || firstLine <= 1) return;
  const std::uint32_t shift = firstLine - 1;
  const std::string prefix = std::string(repl::kReplFile) + ":";
  // The text: headlines start a line with "<repl>:LINE:"; quoted source lines
  // are indented, so they never match.
  std::string out;
  std::size_t start = 0;
  while (start < reply.text.size()) {
    std::size_t end = reply.text.find('\n', start);
    if (end == std::string::npos) end = reply.text.size();
    std::string_view line(reply.text.data() + start, end - start);
    std::size_t digits = prefix.size();
    while (digits < line.size() && std::isdigit(static_cast<unsigned char>(line[digits]))) ++digits;
    if (line.substr(0, prefix.size()) == prefix && digits > prefix.size() && digits < line.size() &&
        line[digits] == ':' && digits - prefix.size() < 10) {
      std::uint64_t n =
          std::stoull(std::string(line.substr(prefix.size(), digits - prefix.size())));
      out += prefix + std::to_string(n + shift);
      out += line.substr(digits);
    } else {
      out += line;
    }
    if (end < reply.text.size()) out += '\n';
    start = end + 1;
  }
  reply.text = std::move(out);
  if (reply.json.is_object() && reply.json.contains("errors") && reply.json["errors"].is_array())
    for (auto& e : reply.json["errors"])
      if (e.is_object() && e.value("file", std::string()) == repl::kReplFile &&
          e.contains("line") && e["line"].is_number_integer())
        e["line"] = e["line"].get<std::int64_t>() + shift;
}

nlohmann::json errorJson(const ReplReply& reply) {
  if (reply.json.is_object() && reply.json.contains("errors")) return reply.json;
  return {{"ok", false},
          {"errors", nlohmann::json::array({{{"code", lang::codes::kReplError},
                                             {"message", reply.text},
                                             {"file", nullptr},
                                             {"line", nullptr},
                                             {"column", nullptr}}})}};
}

}  // namespace roam::runtime
