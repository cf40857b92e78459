#pragma once
// Reading lines from a terminal with libedit: prompt, editing, history kept
// in a plain text file (one entry per line, appended after each line, so two
// REPLs never overwrite each other's history), and tab completion through a
// callback. Ctrl-C abandons the line being typed (readLine returns nullopt
// and interrupted() says so) and never ends the process while a LineEditor
// exists. One LineEditor may exist at a time (libedit's readline interface
// and the SIGINT handler are process-global).

#include <signal.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace roam::runtime {

class LineEditor {
 public:
  // Candidates for the word starting at byte `wordStart` of `line` (the text
  // before the cursor).
  using Completer =
      std::function<std::vector<std::string>(std::string_view line, std::size_t wordStart)>;

  // `historyFile` may be empty: no persistent history.
  LineEditor(std::string prompt, std::string historyFile, Completer completer);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  // The next line, or nullopt at end of input (Ctrl-D) or when Ctrl-C
  // abandoned the line (then interrupted() is true). Non-blank lines are
  // added to the history (and its file).
  std::optional<std::string> readLine();

  // Whether the last readLine() ended with Ctrl-C rather than end of input.
  bool interrupted() const { return interrupted_; }

  // The prompt of the next readLine() (e.g. a continuation prompt).
  void setPrompt(std::string prompt) { prompt_ = std::move(prompt); }

  // The error of the last failed history write ("" when none).
  const std::string& historyError() const { return historyError_; }

  // Where the word under the cursor starts: after the last of these
  // characters (so after `c.` the field name is the word).
  static constexpr std::string_view kWordBreaks = " \t\n\"(),{}[]+*/<>=!.";

  // The completer and the candidates being handed to libedit (opaque; public
  // only so that libedit's C callbacks in line_editor.cpp can name it).
  struct Completion;

 private:
  std::string prompt_;
  std::string historyFile_;
  std::unique_ptr<Completion> completion_;
  std::string historyError_;
  std::string lastEntry_;
  bool interrupted_ = false;
  struct sigaction previousSigint_ {};  // restored by the destructor
};

}  // namespace roam::runtime
