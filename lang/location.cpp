#include "lang/location.hpp"

#include <algorithm>

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

std::string escapeForTerminal(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    const auto third = i + 2 < text.size() ? static_cast<unsigned char>(text[i + 2]) : 0;
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // C1: U+0080..U+009F
      out += "\\u00";
      out += kHex[next >> 4];
      out += kHex[next & 15];
      i += 1;
    } else if (c == 0xe2 && ((next == 0x80 && third >= 0xaa && third <= 0xae) ||
                             (next == 0x81 && third >= 0xa6 && third <= 0xa9))) {
      // U+202A..U+202E, U+2066..U+2069: E2 80 AA..AE, E2 81 A6..A9.
      const unsigned code = 0x2000u | ((next & 0x3fu) << 6) | (third & 0x3fu);
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 15];
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string formatHeadline(const Diagnostic& d) {
  std::string out = d.file.empty() ? std::string("<input>") : escapeForTerminal(d.file);
  out += ':' + std::to_string(d.location.line) + ':' + std::to_string(d.location.column) + ": ";
  out += severityName(d.severity);
  out += ": ";
  out += escapeForTerminal(d.message);
  return out;
}

std::string formatDiagnostic(const Diagnostic& d, std::string_view source) {
  std::string out = formatHeadline(d);
  out += '\n';
  if (source.empty() || d.location.offset > source.size()) return out;
  std::string_view line = lineAround(source, d.location.offset);
  out += "  ";
  out += escapeForTerminal(line);
  out += "\n  ";
  // Under the escaped text before the column, one space per byte; keep tabs so
  // the caret lines up under tab-indented source.
  const std::size_t before = std::min<std::size_t>(d.location.column - 1, line.size());
  for (char c : escapeForTerminal(line.substr(0, before))) out += c == '\t' ? '\t' : ' ';
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
