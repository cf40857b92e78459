#pragma once
// Watches files for changes with inotify. Editors save by writing in place,
// by truncating, or by writing a temporary file and renaming it over the
// original (which replaces the inode), so the watcher watches each file's
// directory and matches names, and reports a file once per burst of events.

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace roam::runtime {

class FileWatcher {
 public:
  // Starts watching; `error` (when not null) is set if inotify cannot start
  // or a directory cannot be watched (then that file is simply not watched).
  explicit FileWatcher(const std::vector<std::filesystem::path>& files,
                       std::string* error = nullptr);
  ~FileWatcher();
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

  // Replaces the watched set (after a configuration reload names new files).
  void watch(const std::vector<std::filesystem::path>& files, std::string* error = nullptr);

  // Waits up to `timeout` for changes; returns the watched files that changed
  // (each once), after letting a burst settle for `settle`. Empty on timeout.
  std::vector<std::filesystem::path> waitForChanges(
      std::chrono::milliseconds timeout,
      std::chrono::milliseconds settle = std::chrono::milliseconds(50));

  // The inotify descriptor, for callers that poll several sources.
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  struct Watch {
    int wd = -1;
    std::filesystem::path directory;
    std::vector<std::string> names;  // watched file names in that directory
  };
  std::vector<Watch> watches_;
};

}  // namespace roam::runtime
