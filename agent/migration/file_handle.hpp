#pragma once
// Owned file handles, closed when they go out of scope: stdio files and
// POSIX descriptors. Shared by the migration building blocks and the daemon.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

namespace roam::agent {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Null when the file cannot be opened.
inline FilePtr openFile(const std::filesystem::path& path, const char* mode) {
  return FilePtr(std::fopen(path.c_str(), mode));
}

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      close();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~UniqueFd() { close(); }
  int get() const { return fd_; }
  // Closes now, reporting the result: close can report a deferred write error.
  int close() {
    if (fd_ < 0) return 0;
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_ = -1;
};

// "WHAT PATH: strerror(errno)", for the call that just failed.
inline std::string errnoText(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace roam::agent
