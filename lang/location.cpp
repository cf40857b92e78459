#include "lang/location.hpp"

namespace roam::lang {

namespace {

const char* severityName(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Note:
      return "note";
  }
  return "error";
}

// The line of `source` that contains byte `offset`, without its newline.
std::string_view lineAround(std::string_view source, std::size_t offset) {
  if (offset > source.size()) offset = source.size();
  std::size_t begin = source.rfind('\n', offset == 0 ? 0 : offset - 1);
  begin = (begin == std::string_view::npos || (offset > 0 && begin >= offset)) ? 0 : begin + 1;
  if (offset > 0 && source[offset - 1] == '\n') begin = offset;
  std::size_t end = source.find('\n', begin);
  if (end == std::string_view::npos) end = source.size();
  return source.substr(begin, end - begin);
}

}  // namespace

std::string formatHeadline(const Diagnostic& d) {
  std::string out = d.file.empty() ? std::string("<input>") : d.file;
  out += ':' + std::to_string(d.location.line) + ':' + std::to_string(d.location.column) + ": ";
  out += severityName(d.severity);
  out += ": ";
  out += d.message;
  return out;
}

std::string formatDiagnostic(const Diagnostic& d, std::string_view source) {
  std::string out = formatHeadline(d);
  out += '\n';
  if (source.empty() || d.location.offset > source.size()) return out;
  std::string_view line = lineAround(source, d.location.offset);
  out += "  ";
  out += line;
  out += "\n  ";
  // Keep tabs so the caret lines up under tab-indented source.
  for (std::uint32_t i = 1; i < d.location.column && i - 1 < line.size(); ++i)
    out += line[i - 1] == '\t' ? '\t' : ' ';
  out += "^\n";
  return out;
}

Location locationAt(std::string_view text, std::size_t offset) {
  Location loc;
  if (offset > text.size()) offset = text.size();
  loc.offset = static_cast<std::uint32_t>(offset);
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++loc.line;
      loc.column = 1;
    } else {
      ++loc.column;
    }
  }
  return loc;
}

}  // namespace roam::lang
