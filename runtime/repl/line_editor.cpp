#include "runtime/repl/line_editor.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>

// libedit's readline compatibility interface.
#include <editline/readline.h>

namespace roam::runtime {

namespace {

// History entries loaded at start-up: the newest ones.
constexpr std::size_t kHistoryLoaded = 1000;

// libedit calls completion functions without a user-data pointer, so they
// find the editor's completion state through this one file-static pointer,
// set for the lifetime of a LineEditor (only one may exist at a time).
LineEditor::Completion* gActive = nullptr;

// Set by the SIGINT handler: Ctrl-C was pressed.
volatile std::sig_atomic_t gInterrupted = 0;

void onSigint(int) {
  gInterrupted = 1;
}

// libedit keeps a (non-const) pointer to the word-break characters.
char gWordBreaks[] = " \t\n\"(),{}[]+*/<>=!.";
static_assert(sizeof gWordBreaks == LineEditor::kWordBreaks.size() + 1);

}  // namespace

struct LineEditor::Completion {
  Completer completer;
  std::vector<std::string> candidates;
  std::size_t next = 0;

  // libedit's generator: the candidates one by one (libedit frees them).
  static char* nextCandidate(const char*, int state) {
    if (!gActive) return nullptr;
    if (state == 0) gActive->next = 0;
    if (gActive->next >= gActive->candidates.size()) return nullptr;
    return ::strdup(gActive->candidates[gActive->next++].c_str());
  }

  static char** completeAt(const char* text, int start, int end) {
    ::rl_attempted_completion_over = 1;  // no file-name completion as a fallback
    if (!gActive || !rl_line_buffer) return nullptr;
    std::string line(rl_line_buffer, static_cast<std::size_t>(std::max(end, 0)));
    gActive->candidates = gActive->completer(line, static_cast<std::size_t>(std::max(start, 0)));
    if (gActive->candidates.empty()) return nullptr;
    return ::rl_completion_matches(text, nextCandidate);
  }
};

LineEditor::LineEditor(std::string prompt, std::string historyFile, Completer completer)
    : prompt_(std::move(prompt)),
      historyFile_(std::move(historyFile)),
      completion_(std::make_unique<Completion>()) {
  completion_->completer = std::move(completer);
  gActive = completion_.get();
  // Ctrl-C: libedit's own handler (rl_catch_signals) restores the terminal,
  // puts this handler back and raises SIGINT again; the handler only notes it.
  // Without SA_RESTART the pending read fails with EINTR, so libedit's
  // readline() returns with no line and readLine() sees the note.
  struct sigaction sa {};
  sa.sa_handler = onSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGINT, &sa, &previousSigint_);
  ::rl_readline_name = "roam";
  ::rl_initialize();
  ::using_history();
  // libedit reads rl_basic_word_break_characters (GNU readline the other).
  ::rl_completer_word_break_characters = gWordBreaks;
  ::rl_basic_word_break_characters = gWordBreaks;
  ::rl_attempted_completion_function = Completion::completeAt;
  if (historyFile_.empty()) return;
  std::ifstream in(historyFile_);
  std::deque<std::string> entries;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    entries.push_back(line);
    if (entries.size() > kHistoryLoaded) entries.pop_front();
  }
  for (const auto& e : entries) ::add_history(e.c_str());
  if (!entries.empty()) lastEntry_ = entries.back();
}

LineEditor::~LineEditor() {
  ::rl_attempted_completion_function = nullptr;
  gActive = nullptr;
  ::clear_history();
  ::sigaction(SIGINT, &previousSigint_, nullptr);
}

std::optional<std::string> LineEditor::readLine() {
  gInterrupted = 0;
  interrupted_ = false;
  char* raw = ::readline(prompt_.c_str());
  if (gInterrupted) {
    // Ctrl-C: whatever was typed (or even read) is abandoned.
    gInterrupted = 0;
    interrupted_ = true;
    std::free(raw);
    return std::nullopt;
  }
  if (!raw) return std::nullopt;
  std::string line(raw);
  std::free(raw);
  // Completion leaves a space after the word; history keeps the line without it.
  std::string entry = line.substr(0, line.find_last_not_of(" \t") + 1);
  if (entry.empty() || entry == lastEntry_) return line;
  lastEntry_ = entry;
  ::add_history(entry.c_str());
  if (!historyFile_.empty()) {
    // Appended right away, so the line survives a crash or a second REPL.
    bool existed = ::access(historyFile_.c_str(), F_OK) == 0;
    std::ofstream out(historyFile_, std::ios::app);
    out << entry << "\n";
    out.flush();
    if (!out) historyError_ = historyFile_ + ": cannot append to the history file";
    if (!existed) ::chmod(historyFile_.c_str(), 0600);  // lines may name internal hosts
  }
  return line;
}

}  // namespace roam::runtime
