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

#include "common/unique_fd.hpp"

namespace roam::agent {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Null when the file cannot be opened.
inline FilePtr openFile(const std::filesystem::path& path, const char* mode) {
  return FilePtr(std::fopen(path.c_str(), mode));
}

using roam::UniqueFd;  // common/unique_fd.hpp

// "WHAT PATH: strerror(errno)", for the call that just failed.
inline std::string errnoText(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

}  // namespace roam::agent
