#pragma once
// STATE.json: the public network-snapshot format (docs/state-format.md).

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "lang/location.hpp"
#include "lang/memory_state.hpp"

namespace roam::lang {

struct StateLoadResult {
  std::unique_ptr<InMemoryState> state;  // null when there were errors
  Diagnostics diagnostics;               // codes::kStateError, naming key and index
};

// Parses and validates a STATE.json text. `file` is used in diagnostics.
StateLoadResult loadStateJson(std::string_view text, const std::string& file);

// Reads the file at `path` (an unreadable file is a diagnostic, not an exception).
StateLoadResult loadStateFile(const std::string& path);

// Checks references and uniqueness; returns diagnostics naming key and index.
Diagnostics validateNetworkData(const NetworkData& data, const std::string& file);

// The state in STATE.json form (every sample included), e.g. for `roam vib export`.
nlohmann::json stateToJson(const NetworkState& state);

}  // namespace roam::lang
