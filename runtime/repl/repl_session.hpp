#pragma once
// The REPL's commands, independent of the terminal: one line in, one reply
// out. The terminal front end (cli), `roam repl -e` and the manager's admin
// socket all run lines through this.
//
// Commands (docs/repl.md): help [COMMAND], hosts, switches, links,
// containers, bandwidth [HOST|SWITCH] [over DURATION], path A B, hops A B,
// latency A B, explain [POLICY], decisions [N], migrations [N],
// migrate CONTAINER to HOST, policy show, reload; anything else is evaluated
// as an expression of the policy language on the current state.

#include <string>
#include <string_view>
#include <vector>

#include "runtime/repl/repl_backend.hpp"

namespace roam::runtime {

class ReplSession {
 public:
  explicit ReplSession(ReplBackend& backend);

  // Runs one line. Errors located in the line are "<repl>:1:COL: error: ...".
  ReplReply execute(std::string_view line);

  // Completion candidates for the word that starts at byte `wordStart` of
  // `line` (the text before the cursor): command names at the start of a
  // line; built-ins, hosts, switches, containers, policy names and parameter
  // names elsewhere; all filtered by the word's prefix, sorted, unique.
  std::vector<std::string> complete(std::string_view line, std::size_t wordStart);

 private:
  ReplBackend& backend_;
};

}  // namespace roam::runtime
