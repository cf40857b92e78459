// Diagnostics print input text escaped: control characters and bidirectional
// overrides cannot drive the terminal or reorder what a line shows.

#include <catch2/catch.hpp>

#include "lang/location.hpp"

using roam::lang::Diagnostic;
using roam::lang::escapeForTerminal;

TEST_CASE("escapeForTerminal escapes controls and bidi overrides, nothing else", "[lang]") {
  CHECK(escapeForTerminal("plain text, tabs\tand UTF-8 \xc3\xa9") ==
        "plain text, tabs\tand UTF-8 \xc3\xa9");
  CHECK(escapeForTerminal("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  CHECK(escapeForTerminal(std::string("a\0b\n\r\x7f", 6)) == "a\\x00b\\x0a\\x0d\\x7f");
  CHECK(escapeForTerminal("\xc2\x9b"
                          "2J") == "\\u009b2J");  // C1 CSI
  CHECK(escapeForTerminal("\xe2\x80\xae"
                          "abc") == "\\u202eabc");  // RIGHT-TO-LEFT OVERRIDE
  CHECK(escapeForTerminal("\xe2\x80\xaa\xe2\x81\xa6\xe2\x81\xa9") == "\\u202a\\u2066\\u2069");
  CHECK(escapeForTerminal("\xe2\x80\x94") == "\xe2\x80\x94");  // an em dash stays
}

TEST_CASE("formatDiagnostic escapes file, message and source line; the caret follows", "[lang]") {
  Diagnostic d{"parse_error", "unexpected '\x1b'", "a\x1b.policy", {1, 5, 4}};
  const std::string source = "ab\x1b x\n";
  CHECK(roam::lang::formatDiagnostic(d, source) ==
        "a\\x1b.policy:1:5: error: unexpected '\\x1b'\n"
        "  ab\\x1b x\n"
        "         ^\n");  // under the x
}
