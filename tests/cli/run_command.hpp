#pragma once
// Running the `roam` binary (or any shell command) from the CLI tests, with
// stdout and stderr captured separately.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

// Not inside namespace roam: the CLI tests call a helper named roam().
namespace roamtest {

struct Run {
  int status;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the shell command CMD. ctest runs test cases as parallel processes:
// one stderr file per process.
inline Run shell(const std::string& cmd) {
  std::string errFile = std::string(ROAM_BINARY) + "." + std::to_string(getpid()) + ".stderr";
  FILE* p = popen((cmd + " 2>" + errFile).c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[4096];
  while (std::size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  Run r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, slurp(errFile)};
  std::remove(errFile.c_str());
  return r;
}

// Runs `roam ARGS` from the source directory (so paths are short, as in the README).
inline Run roam(const std::string& args) {
  return shell("cd " + std::string(ROAM_SOURCE_DIR) + " && " + ROAM_BINARY + " " + args);
}

}  // namespace roamtest
