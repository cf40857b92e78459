#include "agent/migration/migration_mode.hpp"

namespace roam::agent {

bool needsDestinationSupport(const std::string& requested, const CheckpointSupport& source) {
  return requested != "snapshot" && source.available;
}

ModeChoice chooseMode(const std::string& requested, const CheckpointSupport& source,
                      const CheckpointSupport& destination, const std::string& sourceName,
                      const std::string& destinationName) {
  if (requested == "snapshot") return {"snapshot", "", {}};
  const bool checkpointOnly = requested == "checkpoint";
  if (!source.available) {
    if (checkpointOnly)
      return {"checkpoint", "",
              roam::Error{roam::ErrorCode::Unsupported, "checkpoint mode is unavailable on " +
                                                            sourceName + ": " + source.reason}};
    return {"snapshot", "checkpoint unavailable (" + source.reason + "); used snapshot", {}};
  }
  if (!destination.available) {
    if (checkpointOnly)
      return {"checkpoint", "",
              roam::Error{roam::ErrorCode::Unsupported,
                          "checkpoint mode is unavailable on the destination " + destinationName +
                              ": " + destination.reason}};
    return {"snapshot",
            "checkpoint unavailable on the destination " + destinationName + " (" +
                destination.reason + "); used snapshot",
            {}};
  }
  return {"checkpoint", "", {}};
}

}  // namespace roam::agent
