#pragma once
// Source locations and diagnostics shared by every phase (parse, check, eval, CLI).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lang/diagnostic_codes.hpp"

namespace roam::lang {

// A position in a source text. Lines and columns count from 1; column counts bytes.
struct Location {
  std::uint32_t line = 1;
  std::uint32_t column = 1;
  std::uint32_t offset = 0;  // byte offset into the source text
};

enum class Severity { Error, Warning, Note };

// One message about one place. `code` names the kind of mistake, one of
// the codes of diagnostic_codes.hpp (codes::kParseError, codes::kTypeError, ...).
struct Diagnostic {
  std::string code;
  std::string message;
  std::string file;
  Location location;
  Severity severity = Severity::Error;
};

using Diagnostics = std::vector<Diagnostic>;

inline bool hasErrors(const Diagnostics& ds) {
  for (const auto& d : ds)
    if (d.severity == Severity::Error) return true;
  return false;
}

// `text` safe to print on a terminal: control characters (C0, DEL, C1) become
// \xHH (C1: \uHHHH) and the bidirectional overrides and isolates U+202A-U+202E
// and U+2066-U+2069 become \uHHHH, so input can neither drive the terminal nor
// make a line read differently from what it is. Tabs and everything else stay.
std::string escapeForTerminal(std::string_view text);

// "FILE:LINE:COL: error: MESSAGE", file and message escaped for the terminal.
std::string formatHeadline(const Diagnostic& d);

// The headline, then the offending source line (escaped, like the headline)
// and a caret under the column (when `source` is the text the location points
// into; pass {} when unknown).
std::string formatDiagnostic(const Diagnostic& d, std::string_view source);

// Location of byte `offset` in `text`.
Location locationAt(std::string_view text, std::size_t offset);

}  // namespace roam::lang
