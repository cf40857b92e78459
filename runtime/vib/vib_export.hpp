#pragma once
// Reading a VIB file as a whole: its latest snapshot (for `roam eval --vib`)
// and its export to STATE.json (`roam vib export`).

#include <string>

#include "common/result.hpp"
#include "runtime/vib/vib.hpp"

namespace roam::runtime {

// Opens `vibPath` read-only (never creating or changing it) and takes the
// snapshot at its newest sample time (0 when it has none), so a copied VIB
// reads as it did when it was recorded.
Vib::SnapshotResult latestVibSnapshot(const std::string& vibPath, double windowSeconds);

struct ExportError : roam::Error {  // the message is without the file name
  std::string file;                 // the file at fault
};
using ExportResult = roam::Result<void, ExportError>;

// Writes latestVibSnapshot(vibPath, windowSeconds) to `statePath` in
// STATE.json form. The output appears whole (written to a temporary file,
// then renamed) and only on success.
ExportResult exportVibState(const std::string& vibPath, const std::string& statePath,
                            double windowSeconds);

// A Vib error ("PATH: message") as a diagnostic: "PATH:1:1: error: message".
std::string locatedVibError(const std::string& vibPath, const std::string& error);

}  // namespace roam::runtime
