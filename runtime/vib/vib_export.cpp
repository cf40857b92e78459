#include "runtime/vib/vib_export.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "lang/state_json.hpp"

namespace roam::runtime {

namespace {

// Vib errors read "PATH: message"; ExportResult keeps the two apart.
std::string withoutPath(const std::string& path, const std::string& error) {
  if (error.rfind(path + ": ", 0) == 0) return error.substr(path.size() + 2);
  return error;
}

std::string writeWhole(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return std::string("cannot write: ") + std::strerror(errno);
    out << text;
    out.flush();
    if (!out) {
      std::string error = std::string("cannot write: ") + std::strerror(errno);
      out.close();
      std::remove(tmp.c_str());
      return error;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    return "cannot write: " + ec.message();
  }
  return {};
}

}  // namespace

Vib::SnapshotResult latestVibSnapshot(const std::string& vibPath, double windowSeconds) {
  auto opened = Vib::open(vibPath, Vib::OpenMode::readOnly);
  if (!opened) return opened.error();
  auto latest = (*opened)->latestSampleTime();
  if (!latest.ok()) return latest.error();
  return (*opened)->snapshot(latest->value_or(0), windowSeconds);
}

ExportResult exportVibState(const std::string& vibPath, const std::string& statePath,
                            double windowSeconds) {
  auto snap = latestVibSnapshot(vibPath, windowSeconds);
  if (!snap)
    return ExportError{{snap.error().code, withoutPath(vibPath, snap.error().message)}, vibPath};
  auto error = writeWhole(statePath, lang::stateToJson(**snap).dump(2) + "\n");
  if (!error.empty()) return ExportError{{roam::ErrorCode::Io, error}, statePath};
  return {};
}

std::string locatedVibError(const std::string& vibPath, const std::string& error) {
  std::string message = error;
  if (message.rfind(vibPath + ": ", 0) == 0) message = message.substr(vibPath.size() + 2);
  return vibPath + ":1:1: error: " + message;
}

}  // namespace roam::runtime
