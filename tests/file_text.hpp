#pragma once
// Whole files as strings, for tests that write fixtures and read results.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace roamtest {

// The bytes of PATH ("" when it cannot be read).
inline std::string readText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces PATH with TEXT, creating its directories; false when it cannot.
inline bool writeText(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  return static_cast<bool>(out);
}

}  // namespace roamtest
