#pragma once
// One real Docker engine for the agent integration tests: `testbed/engine start
// roam-test-a` (dockerd in its own network namespace) plus the busybox base
// image from testbed/images/build. Started on first use, shared by every test
// case of the process, stopped at process exit if this process started it.
// ctest runs each TEST_CASE as its own process, so the engine's data is kept
// between runs (no --purge): the image then needs no rebuild. Remove it all
// with `testbed/engine stop roam-test-a --purge`.

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

namespace roam::test {

struct CommandOutput {
  int status = -1;     // exit status, -1 if it could not run
  std::string stdOut;  // stderr goes to the test's own stderr
};

inline CommandOutput runCommand(const std::string& command) {
  CommandOutput out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.stdOut.append(buf.data(), n);
  const int rc = ::pclose(pipe);
  out.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  while (!out.stdOut.empty() && (out.stdOut.back() == '\n' || out.stdOut.back() == ' '))
    out.stdOut.pop_back();
  return out;
}

class TestEngine {
 public:
  static constexpr const char* kName = "roam-test-a";
  static constexpr const char* kImage = "roam/busybox:1";

  // The shared engine; fails the current test if it cannot start.
  static TestEngine& get() {
    static TestEngine engine;
    INFO(engine.failure_);
    REQUIRE(engine.failure_.empty());
    return engine;
  }

  const std::string& socket() const { return socket_; }
  const std::string& imageId() const { return imageId_; }

  ~TestEngine() {
    if (startedHere_ && !std::getenv("ROAM_KEEP_ENGINE"))
      runCommand(script("testbed/engine") + " stop " + kName + " >&2");
  }

 private:
  TestEngine() {
    if (::geteuid() != 0) {
      failure_ = "agent integration tests need root (they start dockerd)";
      return;
    }
    const std::string engine = script("testbed/engine");
    const std::string socketPath = runCommand(engine + " socket " + kName).stdOut;
    // Already up (a debugging session, ROAM_KEEP_ENGINE): use it, leave it running.
    const bool wasRunning = runCommand("curl -sf --max-time 2 --unix-socket '" + socketPath +
                                       "' http://docker/_ping >/dev/null 2>&1")
                                .status == 0;
    auto started = runCommand(engine + " start " + kName);
    if (started.status != 0) {
      failure_ = "testbed/engine start " + std::string(kName) + " failed (see stderr)";
      return;
    }
    socket_ = started.stdOut;
    startedHere_ = !wasRunning;
    auto built = runCommand(script("testbed/images/build") + " '" + socket_ + "' " + kImage);
    if (built.status != 0) {
      failure_ = "testbed/images/build failed (see stderr)";
      return;
    }
    imageId_ = built.stdOut;
  }

  static std::string script(const std::string& relative) {
    return "'" + std::string(ROAM_SOURCE_DIR) + "/" + relative + "'";
  }

  std::string socket_;
  std::string imageId_;
  std::string failure_;
  bool startedHere_ = false;
};

}  // namespace roam::test
