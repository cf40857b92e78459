#pragma once
// An owned stdio file: closed when it goes out of scope.

#include <cstdio>
#include <filesystem>
#include <memory>

namespace roam::agent {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// Null when the file cannot be opened.
inline FilePtr openFile(const std::filesystem::path& path, const char* mode) {
  return FilePtr(std::fopen(path.c_str(), mode));
}

}  // namespace roam::agent
