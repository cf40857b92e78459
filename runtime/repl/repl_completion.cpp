// ReplSession::complete: what may come next at the cursor, from the command
// table, the built-in table (lang/builtins.hpp) and the live state.

#include <algorithm>

#include "lang/builtins.hpp"
#include "runtime/repl/repl_session.hpp"
#include "runtime/repl/repl_support.hpp"

namespace roam::runtime {

namespace {

// Keeps only the names that start with the word typed so far: completion runs
// on every TAB (and the REPL fuzzer runs it at every word break), so the
// hundred-odd language names are not copied only to be dropped.
struct Names {
  std::string_view prefix;
  std::vector<std::string> out;
  void add(std::string_view name) {
    if (name.starts_with(prefix)) out.emplace_back(name);
  }
};

void addLanguage(Names& n, const ActivePolicy* active) {
  for (const auto& b : lang::builtinTable()) n.add(b.name);
  for (const auto& g : lang::globalTable()) n.add(g.name);
  if (active && active->policy) {
    for (const auto& p : active->policy->params) n.add(p.name);
    for (const auto& l : active->policy->lets) n.add(l.name);
  }
}

}  // namespace

std::vector<std::string> ReplSession::complete(std::string_view line, std::size_t wordStart) {
  if (wordStart > line.size()) wordStart = line.size();
  const std::string_view prefix = line.substr(wordStart);
  const auto before = repl::splitWords(line.substr(0, wordStart));
  auto active = backend_.activePolicy();
  auto read = backend_.state();
  auto state = read.ok() ? *read : nullptr;

  Names n{prefix, {}};
  auto addHosts = [&] {
    if (state)
      for (const auto& h : state->hosts()) n.add(h.name);
  };
  auto addSwitches = [&] {
    if (state)
      for (const auto& s : state->switches()) n.add(s.name);
  };
  auto addContainers = [&] {
    if (state)
      for (const auto& c : state->containers()) n.add(c.name);
  };

  const repl::CommandHelp* command =
      before.empty() ? nullptr : repl::findReplCommand(before[0].text);
  // Is the word the first of the line, or does it follow a command name with a
  // space (not `count(` nor `hosts.`)?
  bool afterSpace = wordStart > 0 && (line[wordStart - 1] == ' ' || line[wordStart - 1] == '\t');
  if (before.empty()) {
    for (const auto& c : repl::replCommands()) n.add(c.name);
    addLanguage(n, active.get());
  } else if (command && before.size() == 1 && afterSpace) {
    std::string_view name = command->name;
    if (name == "help") {
      for (const auto& c : repl::replCommands()) n.add(c.name);
      addLanguage(n, active.get());
    } else if (name == "bandwidth") {
      addHosts();
      addSwitches();
    } else if (name == "path" || name == "hops") {
      addHosts();
      addSwitches();
    } else if (name == "latency") {
      addHosts();
    } else if (name == "explain" && active && active->set) {
      for (const auto& f : active->set->files())
        for (const auto& p : f.policies) n.add(p.name);
    } else if (name == "migrate") {
      addContainers();
    } else if (name == "policy") {
      n.add("show");
    }
  } else if (command && afterSpace && before.size() >= 2 &&
             std::all_of(before.begin() + 1, before.end(), [](const repl::Word& w) {
               return w.text.find('(') == std::string::npos;
             })) {
    std::string_view name = command->name;
    if (name == "bandwidth" && before.back().text != "over") {
      n.add("over");
    } else if ((name == "path" || name == "hops") && before.size() == 2) {
      addHosts();
      addSwitches();
    } else if (name == "latency" && before.size() == 2) {
      addHosts();
    } else if (name == "migrate" && before.size() == 2) {
      n.add("to");
    } else if (name == "migrate" && before.size() == 3) {
      addHosts();
    }
  } else if (wordStart > 0 && line[wordStart - 1] == '.') {
    for (auto kind : {lang::TypeKind::Host, lang::TypeKind::Switch, lang::TypeKind::Container,
                      lang::TypeKind::Link})
      for (const auto& f : lang::fieldsOf(kind)) n.add(f.name);
  } else if (wordStart > 0 && line[wordStart - 1] == '"') {
    // Inside a string: hosts, switches and containers are named by strings.
    addHosts();
    addSwitches();
    addContainers();
  } else {
    // Inside an expression: names of the language, and entity names (which
    // are written as strings, e.g. host_bandwidth("h2")).
    addLanguage(n, active.get());
    addHosts();
    addSwitches();
    addContainers();
  }

  std::vector<std::string> out = std::move(n.out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace roam::runtime
