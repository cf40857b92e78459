#pragma once
// A fresh directory under the system's temporary directory, removed with
// everything in it when the test is done.

#include <stdlib.h>

#include <filesystem>
#include <string>

#include <catch2/catch.hpp>

// Not inside namespace roam: the CLI tests call a helper named roam().
namespace roamtest {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix = "roam-test") {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace roamtest
