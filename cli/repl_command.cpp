// `roam repl`: the interactive REPL (docs/repl.md), offline on a STATE.json or
// a VIB, or connected to a running manager through its admin socket.

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <optional>

#include "cli/commands.hpp"
#include "runtime/repl/admin_socket.hpp"
#include "runtime/repl/line_editor.hpp"
#include "runtime/repl/offline_backend.hpp"
#include "runtime/repl/repl_input.hpp"
#include "runtime/repl/repl_session.hpp"

namespace roam::cli {

namespace {

constexpr const char* kDefaultSocket = "/run/roam/manager.sock";

struct ReplArgs {
  std::string stateFile;
  std::string vibFile;
  std::string socket;
  std::string window = "10s";
  std::string policyFile;
  std::string policyName;
  std::vector<std::string> params;
  std::vector<std::string> lines;  // -e
  bool json = false;
  std::string historyFile;
};

// Runs one line: locally, or on the manager at the other end of the socket.
class LineRunner {
 public:
  virtual ~LineRunner() = default;
  // The reply; nullopt when the connection broke (already reported).
  virtual std::optional<runtime::ReplReply> execute(const std::string& line) = 0;
  virtual std::vector<std::string> complete(std::string_view line, std::size_t wordStart) = 0;
  virtual std::string describe() = 0;
};

class LocalRunner final : public LineRunner {
 public:
  explicit LocalRunner(std::unique_ptr<runtime::ReplBackend> backend)
      : backend_(std::move(backend)), session_(*backend_) {}
  std::optional<runtime::ReplReply> execute(const std::string& line) override {
    return session_.execute(line);
  }
  std::vector<std::string> complete(std::string_view line, std::size_t wordStart) override {
    return session_.complete(line, wordStart);
  }
  std::string describe() override { return backend_->describe(); }

 private:
  std::unique_ptr<runtime::ReplBackend> backend_;
  runtime::ReplSession session_;
};

class RemoteRunner final : public LineRunner {
 public:
  RemoteRunner(std::unique_ptr<runtime::AdminClient> client, std::string socket)
      : client_(std::move(client)), socket_(std::move(socket)) {}

  std::optional<runtime::ReplReply> execute(const std::string& line) override {
    auto reply = ask({{"execute", line}});
    if (!reply) return std::nullopt;
    runtime::ReplReply r;
    r.ok = reply->value("ok", false);
    r.text = reply->value("text", std::string());
    r.json = reply->contains("json") ? (*reply)["json"] : nlohmann::json();
    return r;
  }

  std::vector<std::string> complete(std::string_view line, std::size_t wordStart) override {
    auto reply = ask({{"complete", std::string(line)}, {"word_start", wordStart}});
    std::vector<std::string> out;
    if (reply && reply->contains("candidates") && (*reply)["candidates"].is_array())
      for (const auto& c : (*reply)["candidates"])
        if (c.is_string()) out.push_back(c.get<std::string>());
    return out;
  }

  std::string describe() override {
    auto reply = ask({{"describe", true}});
    return reply ? reply->value("text", std::string("manager")) : std::string("manager");
  }

 private:
  std::optional<nlohmann::json> ask(const nlohmann::json& request) {
    auto reply = client_->request(request);
    if (!reply) {
      std::cerr << "error: lost the connection to the manager at " << socket_ << ": "
                << reply.error().message << "\n";
      return std::nullopt;
    }
    return std::move(*reply);
  }

  std::unique_ptr<runtime::AdminClient> client_;
  std::string socket_;
};

// Prints a reply: results to stdout; errors to stderr, and with --json also
// as `{"ok": false, "errors": [...]}` on stdout (docs/repl.md).
void print(const runtime::ReplReply& r, bool json) {
  if (!r.ok) {
    if (json) {
      std::cout << runtime::errorJson(r).dump() << "\n";
      std::cout.flush();
    }
    std::cerr << r.text << "\n";
    return;
  }
  if (json)
    std::cout << r.json.dump() << "\n";
  else if (!r.text.empty())
    std::cout << r.text << "\n";
  std::cout.flush();
}

bool isExit(const std::string& line) {
  auto b = line.find_first_not_of(" \t");
  if (b == std::string::npos) return false;
  auto e = line.find_last_not_of(" \t");
  std::string word = line.substr(b, e - b + 1);
  return word == "exit" || word == "quit";
}

std::string defaultHistoryFile() {
  const char* home = std::getenv("HOME");
  return home && *home ? std::string(home) + "/.roam_history" : std::string();
}

std::unique_ptr<LineRunner> connect(const ReplArgs& a, const CommandLine& line) {
  std::string socket = a.socket.empty() ? kDefaultSocket : a.socket;
  if (!a.policyFile.empty() || !a.params.empty()) {
    int at = line.find(a.policyFile.empty() ? "--param" : "--policy");
    commandLineError(line, at,
                     "--policy and --param are for offline use; a manager runs its own policy "
                     "(use 'reload' after changing its configuration)");
    return nullptr;
  }
  auto client = runtime::AdminClient::connect(socket);
  if (!client) {
    int at = a.socket.empty() ? line.find("repl") : line.find(a.socket);
    commandLineError(line, at,
                     "cannot connect to manager at " + socket + ": " + client.error().message);
    return nullptr;
  }
  return std::make_unique<RemoteRunner>(std::move(*client), socket);
}

std::unique_ptr<LineRunner> makeRunner(const ReplArgs& a, const CommandLine& line) {
  int given = !a.stateFile.empty() + !a.vibFile.empty() + !a.socket.empty();
  if (given > 1) {
    commandLineError(line, -1, "repl takes at most one of --state, --vib and --connect");
    return nullptr;
  }
  if (a.stateFile.empty() && a.vibFile.empty()) return connect(a, line);

  runtime::PolicySource policy;
  policy.file = a.policyFile;
  policy.name = a.policyName;
  if (a.policyFile.empty() && (!a.policyName.empty() || !a.params.empty())) {
    commandLineError(line, line.find(a.policyName.empty() ? "--param" : "--policy-name"),
                     "--policy-name and --param need --policy FILE");
    return nullptr;
  }
  auto params = valueOrReport(runtime::parseParamFlags(a.params, line));
  if (!params) return nullptr;
  policy.params = std::move(*params);
  std::optional<double> window;
  if (a.stateFile.empty()) {
    window = runtime::parseDuration(a.window);
    if (!window) {
      commandLineError(line, line.find(a.window),
                       "--window expects a duration such as 10s or 500ms, got '" + a.window + "'");
      return nullptr;
    }
  }
  auto made = window ? runtime::makeVibBackend(a.vibFile, *window, policy)
                     : runtime::makeStateBackend(a.stateFile, policy);
  if (!made) {
    std::cerr << made.error().message;
    return nullptr;
  }
  return std::make_unique<LocalRunner>(std::move(*made));
}

int runScript(LineRunner& runner, const std::vector<std::string>& lines, bool json) {
  for (const auto& l : lines) {
    auto r = runner.execute(l);
    if (!r) return 1;
    print(*r, json);
    if (!r->ok) return 1;
  }
  return 0;
}

// Lines from a pipe or file: no prompt, no editing; every entry runs (an
// entry with open brackets continues on the next line), errors name the line
// of the input, and the exit status is 1 when any failed.
int runPiped(LineRunner& runner, bool json) {
  int status = 0;
  runtime::EntryReader reader;
  auto run = [&](const std::string& entry) {
    auto r = runner.execute(entry);
    if (!r) return false;
    runtime::relocateReply(*r, reader.firstLine());
    print(*r, json);
    if (!r->ok) status = 1;
    return true;
  };
  for (std::string l; std::getline(std::cin, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (!reader.pending() && isExit(l)) return status;
    if (!reader.add(l)) continue;
    if (!run(reader.take())) return 1;
  }
  // Input ended inside an entry: run it, so the parser says what is missing.
  if (reader.pending() && !run(reader.take())) return 1;
  return status;
}

int runInteractive(LineRunner& runner, const ReplArgs& a) {
  std::string history = a.historyFile.empty() ? defaultHistoryFile() : a.historyFile;
  constexpr const char* kPrompt = "roam> ";
  constexpr const char* kContinuation = "....> ";
  runtime::LineEditor editor(kPrompt, history, [&runner](std::string_view l, std::size_t start) {
    return runner.complete(l, start);
  });
  std::cout << "roam repl on " << runner.describe()
            << "; 'help' lists the commands, Ctrl-D or 'exit' leaves, Ctrl-C cancels a line\n";
  bool warned = false;
  runtime::EntryReader reader;
  for (;;) {
    editor.setPrompt(reader.pending() ? kContinuation : kPrompt);
    auto l = editor.readLine();
    if (!l && editor.interrupted()) {
      // Ctrl-C: the line (and an unfinished entry) is dropped; the REPL stays.
      reader.cancel();
      std::cout << "\n";
      std::cout.flush();
      continue;
    }
    if (!l) break;
    if (!reader.pending() && isExit(*l)) return 0;
    if (!reader.add(*l)) continue;
    auto r = runner.execute(reader.take());
    if (!r) return 1;
    print(*r, a.json);
    if (!editor.historyError().empty() && !warned) {
      std::cerr << "warning: " << editor.historyError() << "\n";
      warned = true;
    }
  }
  std::cout << "\n";
  return 0;
}

}  // namespace

Command addReplCommand(CLI::App& app, const CommandLine& line) {
  auto* cmd = app.add_subcommand(
      "repl", "Query the network and the policy interactively, or run -e lines (docs/repl.md)");
  auto a = std::make_shared<ReplArgs>();
  addOptions(*cmd, {
                       {"--state", &a->stateFile, "look into this STATE.json"},
                       {"--vib", &a->vibFile, "look into the newest snapshot of this VIB (SQLite)"},
                       {"--connect", &a->socket,
                        std::string("the running manager's admin socket (the default, at ") +
                            kDefaultSocket + ")"},
                       {"--window", &a->window,
                        "with --vib: samples up to this long before the newest one (default 10s)"},
                       {"--policy", &a->policyFile, "offline: the active policy's file"},
                       {"--policy-name", &a->policyName, "offline: the policy in that file"},
                       {"--param", &a->params, "offline: override a parameter, NAME=VALUE"},
                       {"-e", &a->lines, "run this line (repeatable), print the result and exit"},
                       {"--json", &a->json, "print each result as one JSON document per line"},
                       {"--history", &a->historyFile, "history file (default ~/.roam_history)"},
                   });
  return {cmd, [a, &line] {
            auto runner = makeRunner(*a, line);
            if (!runner) return 1;
            if (!a->lines.empty()) return runScript(*runner, a->lines, a->json);
            if (!::isatty(STDIN_FILENO)) return runPiped(*runner, a->json);
            return runInteractive(*runner, *a);
          }};
}

}  // namespace roam::cli
