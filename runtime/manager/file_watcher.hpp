#pragma once
// Watches files for changes with inotify. Editors save by writing in place,
// by truncating, or by writing a temporary file and renaming it over the
// original (which replaces the inode), so the watcher watches each file's
// directory and matches names, and reports a file once per burst of events.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace roam::runtime {

class FileWatcher {
 public:
  // Starts watching. If inotify cannot start or a directory cannot be watched
  // (then that file is simply not watched), startStatus() says so.
  explicit FileWatcher(const std::vector<std::filesystem::path>& files);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // How starting went: ErrorCode::Io with "cannot start inotify: ..." or the
  // directories that cannot be watched ("cannot watch DIR (for FILE): ...; ...").
  const roam::Status& startStatus() const { return started_; }

  // Replaces the watched set (after a configuration reload names new files).
  // Errors as for startStatus(); "inotify is not available" when it never started.
  roam::Status watch(const std::vector<std::filesystem::path>& files);

  // Waits up to `timeout` for changes; returns the watched files that changed
  // (each once), after letting a burst settle for `settle`. Empty on timeout.
  std::vector<std::filesystem::path> waitForChanges(
      std::chrono::milliseconds timeout,
      std::chrono::milliseconds settle = std::chrono::milliseconds(50));

  // The inotify descriptor, for callers that poll several sources.
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  roam::Status started_;
  struct Watch {
    int wd = -1;
    std::filesystem::path directory;
    std::vector<std::string> names;  // watched file names in that directory
  };
  std::vector<Watch> watches_;
};

}  // namespace roam::runtime
