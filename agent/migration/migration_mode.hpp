#pragma once
// Which mode a migration runs in. Checkpoint mode (CRIU, keeps process state)
// needs both engines: the source dumps the processes, the destination
// restores them. The source knows its own capability from its start-up probe
// and learns the destination's from STATUS_REPLY before it changes anything.

#include <string>

#include "common/result.hpp"

namespace roam::agent {

// One host's checkpoint capability, as its probe found it.
struct CheckpointSupport {
  bool available = false;
  std::string reason;  // why not (or "available")
};

struct ModeChoice {
  std::string mode;  // "snapshot" or "checkpoint"; the requested one on error
  std::string note;  // why auto fell back to snapshot ("" otherwise)
  // Unsupported when checkpoint was requested but a host cannot: the migration fails.
  roam::Status outcome;
  bool ok() const { return outcome.ok(); }
  const roam::Error& error() const { return outcome.error(); }
};

// Whether the source must ask the destination at all: only when checkpoint
// mode is still possible from the source's side.
bool needsDestinationSupport(const std::string& requested, const CheckpointSupport& source);

// REQUESTED is auto, snapshot or checkpoint. DESTINATION is only read when
// needsDestinationSupport() said so. SOURCE_NAME and DESTINATION_NAME go into
// the messages.
ModeChoice chooseMode(const std::string& requested, const CheckpointSupport& source,
                      const CheckpointSupport& destination, const std::string& sourceName,
                      const std::string& destinationName);

}  // namespace roam::agent
