#pragma once
// The live view's model (docs/web.md): everything the page shows, as one JSON
// object, read from a LiveSource. The topology, loads, containers, policy and
// history come from the REPL's own commands (hosts, switches, links,
// bandwidth, containers, policy show, decisions, migrations) run on one
// snapshot of the state, so the page and `roam repl` never disagree; the
// migrations' phases come from the source's progress.

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/web/live_source.hpp"

namespace roam::runtime {

struct PageOptions {
  std::size_t decisions = 20;   // the newest decisions shown
  std::size_t migrations = 10;  // the newest migrations shown
};

// The sections of the state, in the order of the JSON object; each is also
// an event of /events when it changes (event_feed.hpp).
inline const std::vector<std::string>& pageSections() {
  static const std::vector<std::string> sections{"manager", "topology",  "containers",
                                                 "policy",  "decisions", "migrations"};
  return sections;
}

class PageModel {
 public:
  explicit PageModel(LiveSource& source, PageOptions options = {})
      : source_(source), options_(options) {}

  // {"generated_t", "manager", "topology", "containers", "policy",
  //  "decisions", "migrations"} (docs/web.md, "/api/state"). Never throws on
  // a missing state or policy: the section says why instead.
  nlohmann::json snapshot();

 private:
  LiveSource& source_;
  PageOptions options_;
};

}  // namespace roam::runtime
