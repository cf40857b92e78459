#include "agent/migration/journal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "agent/migration/file_handle.hpp"

namespace roam::agent {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSuffix = ".json";
// Entries are a few hundred bytes; anything far larger is not ours.
constexpr std::uintmax_t kMaxEntryBytes = 1 << 20;

double nowSeconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

json toJson(const JournalEntry& e) {
  return json{{"migrationId", e.migrationId},
              {"container", e.container},
              {"peer", e.peer},
              {"mode", e.mode},
              {"state", e.state},
              {"role", e.role == JournalRole::source ? "source" : "destination"},
              {"images", e.images},
              {"volumes", e.volumes},
              {"createdContainer", e.createdContainer},
              {"checkpointId", e.checkpointId},
              {"containerId", e.containerId},
              {"result", e.result},
              {"bytesSent", e.bytesSent},
              {"seconds", e.seconds},
              {"note", e.note},
              {"updatedAt", e.updatedAt}};
}

// Missing keys keep their defaults (older agents may have written fewer); a key
// of the wrong type makes the file unreadable.
std::optional<JournalEntry> fromJson(const json& j, std::string& error) {
  if (!j.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  JournalEntry e;
  try {
    auto str = [&](const char* key, std::string& out) {
      if (auto it = j.find(key); it != j.end()) out = it->get<std::string>();
    };
    str("migrationId", e.migrationId);
    str("container", e.container);
    str("peer", e.peer);
    str("mode", e.mode);
    str("state", e.state);
    str("createdContainer", e.createdContainer);
    str("checkpointId", e.checkpointId);
    str("containerId", e.containerId);
    str("result", e.result);
    str("note", e.note);
    std::string role = "source";
    str("role", role);
    if (role == "destination")
      e.role = JournalRole::destination;
    else if (role != "source")
      throw std::invalid_argument("unknown role \"" + role + "\"");
    if (auto it = j.find("images"); it != j.end()) e.images = it->get<std::vector<std::string>>();
    if (auto it = j.find("volumes"); it != j.end()) e.volumes = it->get<std::vector<std::string>>();
    if (auto it = j.find("bytesSent"); it != j.end()) e.bytesSent = it->get<std::uint64_t>();
    if (auto it = j.find("seconds"); it != j.end()) e.seconds = it->get<double>();
    if (auto it = j.find("updatedAt"); it != j.end()) e.updatedAt = it->get<double>();
  } catch (const std::exception& ex) {
    error = ex.what();
    return std::nullopt;
  }
  return e;
}

// Reads one entry file; nullopt with ERROR set when it cannot be used.
std::optional<JournalEntry> readEntry(const fs::path& file, const std::string& expectedId,
                                      std::string& error) {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  if (ec) {
    error = file.string() + ": " + ec.message();
    return std::nullopt;
  }
  if (size > kMaxEntryBytes) {
    error = file.string() + ": too large for a journal entry";
    return std::nullopt;
  }
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) {
    error = file.string() + ": cannot read";
    return std::nullopt;
  }
  const json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) {
    error = file.string() + ": not valid JSON";
    return std::nullopt;
  }
  std::string why;
  auto entry = fromJson(j, why);
  if (!entry) {
    error = file.string() + ": " + why;
    return std::nullopt;
  }
  if (entry->migrationId != expectedId) {
    error = file.string() + ": holds migration \"" + entry->migrationId + "\"";
    return std::nullopt;
  }
  return entry;
}

}  // namespace

bool isValidMigrationId(const std::string& id) {
  if (id.empty() || id.size() > 128 || id == "." || id == "..") return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool isTerminalState(const std::string& state) {
  return state == "done" || state == "failed" || state == "rolled-back" || state == "succeeded";
}

RecoveryAction recoveryActionFor(const JournalEntry& entry) {
  if (isTerminalState(entry.state)) return RecoveryAction::none;
  if (entry.role == JournalRole::destination)
    return entry.state == "starting" ? RecoveryAction::finishStarting
                                     : RecoveryAction::rollBackDestination;
  if (entry.state == "committed" || entry.state == "retiring")
    return RecoveryAction::finishRetiring;
  if (entry.state == "frozen") return RecoveryAction::resumeSource;
  if (entry.state == "handed-over") return RecoveryAction::askDestination;
  return entry.checkpointId.empty() ? RecoveryAction::discardCapture
                                    : RecoveryAction::restartSource;
}

roam::Result<Journal> Journal::open(const fs::path& dataDir) {
  std::error_code ec;
  fs::create_directories(dataDir, ec);
  if (ec)
    return roam::Error{roam::ErrorCode::Io,
                       "cannot create " + dataDir.string() + ": " + ec.message()};
  const fs::path dir = dataDir / "journal";
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return roam::Error{roam::ErrorCode::Io, errnoText("cannot create", dir)};
  if (!fs::is_directory(dir, ec))
    return roam::Error{roam::ErrorCode::Io, dir.string() + " is not a directory"};
  return Journal(dir);
}

roam::Status Journal::put(const JournalEntry& entry) {
  if (!isValidMigrationId(entry.migrationId))
    return roam::Error{roam::ErrorCode::BadInput,
                       "invalid migration id \"" + entry.migrationId + "\""};
  JournalEntry stamped = entry;
  stamped.updatedAt = nowSeconds();
  const std::string text =
      toJson(stamped).dump(2, ' ', false, json::error_handler_t::replace) + "\n";

  // The temp name starts with '.' and does not end in ".json", so a leftover one
  // from a crash is never read as an entry.
  const fs::path finalPath = dir_ / (entry.migrationId + kSuffix);
  const fs::path tempPath = dir_ / ("." + entry.migrationId + kSuffix + ".tmp");
  auto cleanup = [&] { ::unlink(tempPath.c_str()); };
  {
    UniqueFd fd(::open(tempPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) return roam::Error{roam::ErrorCode::Io, errnoText("cannot create", tempPath)};
    std::size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        std::string e = errnoText("cannot write", tempPath);
        cleanup();
        return roam::Error{roam::ErrorCode::Io, e};
      }
      done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0 || fd.close() != 0) {
      std::string e = errnoText("cannot flush", tempPath);
      cleanup();
      return roam::Error{roam::ErrorCode::Io, e};
    }
  }
  if (::rename(tempPath.c_str(), finalPath.c_str()) != 0) {
    std::string e = errnoText("cannot rename into", finalPath);
    cleanup();
    return roam::Error{roam::ErrorCode::Io, e};
  }
  // The rename is durable only once the directory itself is synced.
  UniqueFd dirFd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirFd.get() < 0 || ::fsync(dirFd.get()) != 0)
    return roam::Error{roam::ErrorCode::Io, errnoText("cannot sync", dir_)};
  return {};
}

std::optional<JournalEntry> Journal::get(const std::string& migrationId) const {
  warnings_.clear();
  if (!isValidMigrationId(migrationId)) return std::nullopt;
  const fs::path file = dir_ / (migrationId + kSuffix);
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::string error;
  auto entry = readEntry(file, migrationId, error);
  if (!entry) warnings_.push_back(error);
  return entry;
}

std::vector<JournalEntry> Journal::all() const {
  warnings_.clear();
  std::vector<JournalEntry> entries;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) {
    warnings_.push_back("cannot list " + dir_.string() + ": " + ec.message());
    return entries;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(".") || !name.ends_with(kSuffix)) continue;  // temp files and others
    const std::string id = name.substr(0, name.size() - std::strlen(kSuffix));
    if (!isValidMigrationId(id)) {
      warnings_.push_back(it->path().string() + ": not a valid migration id");
      continue;
    }
    std::string error;
    if (auto entry = readEntry(it->path(), id, error))
      entries.push_back(std::move(*entry));
    else
      warnings_.push_back(error);
  }
  if (ec) warnings_.push_back("cannot list " + dir_.string() + ": " + ec.message());
  std::sort(entries.begin(), entries.end(), [](const JournalEntry& a, const JournalEntry& b) {
    if (a.updatedAt != b.updatedAt) return a.updatedAt < b.updatedAt;
    return a.migrationId < b.migrationId;
  });
  return entries;
}

roam::Status Journal::remove(const std::string& migrationId) {
  if (!isValidMigrationId(migrationId))
    return roam::Error{roam::ErrorCode::BadInput, "invalid migration id \"" + migrationId + "\""};
  const fs::path file = dir_ / (migrationId + kSuffix);
  if (::unlink(file.c_str()) != 0 && errno != ENOENT)
    return roam::Error{roam::ErrorCode::Io, errnoText("cannot remove", file)};
  UniqueFd dirFd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dirFd.get() < 0 || ::fsync(dirFd.get()) != 0)
    return roam::Error{roam::ErrorCode::Io, errnoText("cannot sync", dir_)};
  return {};
}

}  // namespace roam::agent
