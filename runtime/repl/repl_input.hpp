#pragma once
// How the REPL turns physical input lines into entries, independent of where
// the lines come from (a terminal, a pipe, a fuzzer): an entry whose
// brackets, parentheses or braces are still open continues on the next line
// (brackets inside strings and `#` comments do not count), and every entry
// knows the physical line it began on, so errors in piped input name the
// line of the input.

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/repl/repl_backend.hpp"

namespace roam::runtime {

class EntryReader {
 public:
  // An entry longer than this many physical lines ends there (the parser
  // then reports what is missing): one stray `(` cannot swallow a whole file.
  static constexpr std::uint32_t kMaxEntryLines = 1000;

  // Adds the next physical line (without its line break). Returns true when
  // the entry is complete: take() it. False: it continues on the next line.
  bool add(std::string_view line);

  // The complete entry (its lines joined with '\n'); starts a new one.
  std::string take();

  // Whether lines of an unfinished entry are held (the prompt shows it).
  bool pending() const { return lines_ > 0; }

  // Drops the unfinished entry (Ctrl-C); its lines still count.
  void cancel();

  // The physical line (from 1) the current or last taken entry began on.
  std::uint32_t firstLine() const { return firstLine_; }

  // Physical lines added so far.
  std::uint32_t linesRead() const { return linesRead_; }

 private:
  std::string entry_;
  std::uint32_t lines_ = 0;      // lines in entry_
  std::uint32_t linesRead_ = 0;  // all lines added
  std::uint32_t firstLine_ = 1;
  int depth_ = 0;  // open brackets of entry_
};

// Net bracket depth of `text` ((, [, { open; ), ], } close), outside string
// literals and comments. Negative when a closer has no opener.
int bracketDepth(std::string_view text);

// Moves the errors of a reply about an entry that began on physical line
// `firstLine` there: "<repl>:2:5:" becomes "<repl>:11:5:" for firstLine 10,
// in the text and in the JSON. Errors located elsewhere (a policy file) stay.
void relocateReply(ReplReply& reply, std::uint32_t firstLine);

// The JSON of an error reply: the reply's own `{"ok": false, "errors": [...]}`,
// or one made from its text when it has none (a manager's transport error).
nlohmann::json errorJson(const ReplReply& reply);

}  // namespace roam::runtime
