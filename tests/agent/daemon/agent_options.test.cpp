// The agent's configuration file (addresses: tests/agent/transport/host_port.test.cpp).

#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include "agent/daemon/agent_options.hpp"

namespace fs = std::filesystem;
using namespace roam::agent;

namespace {

// A configuration file in a fresh temporary directory.
struct ConfigFile {
  roamtest::TempDir temp{"roam-agent-options"};
  fs::path dir = temp.path;
  fs::path path = dir / "agent.json";
  explicit ConfigFile(const std::string& text) { std::ofstream(path) << text; }
};

std::string errorOf(const roam::Result<AgentOptions>& loaded) {
  return roam::errorText(loaded);
}

}  // namespace

TEST_CASE("agent options: a configuration file sets every key", "[agent]") {
  ConfigFile file(R"({"name": "h1", "listen": "10.0.0.1:7070", "docker": "unix:///run/d.sock",
    "certs": "certs", "data_dir": "/var/lib/x", "idle_timeout_s": 5, "restore_timeout_s": 50,
    "shutdown_grace_s": 7, "chunk_bytes": 65536, "compression_level": 3, "worker_threads": 2,
    "log_format": "json"})");
  auto loaded = loadAgentOptions(file.path);
  REQUIRE(errorOf(loaded) == "");
  const auto& options = *loaded;
  CHECK(options.name == "h1");
  CHECK(options.listen == "10.0.0.1:7070");
  CHECK(options.docker == "unix:///run/d.sock");
  CHECK(options.certs == file.dir / "certs");  // relative to the file
  CHECK(options.dataDir == "/var/lib/x");
  CHECK(options.idleTimeout == std::chrono::seconds(5));
  CHECK(options.restoreTimeout == std::chrono::seconds(50));
  CHECK(options.shutdownGrace == std::chrono::seconds(7));
  CHECK(options.chunkBytes == 65536);
  CHECK(options.compressionLevel == 3);
  CHECK(options.workerThreads == 2);
  CHECK(options.testCorruptChunk == 0);
  CHECK(options.logFormat == "json");
}

TEST_CASE("agent options: bad files are located errors", "[agent]") {
  SECTION("invalid JSON names line and column") {
    ConfigFile file("{\n  \"name\": \"h1\",\n  oops\n}");
    auto error = errorOf(loadAgentOptions(file.path));
    CHECK(error.rfind(file.path.string() + ":3:", 0) == 0);
    CHECK(error.find("error: not valid JSON") != std::string::npos);
  }
  SECTION("unknown keys, wrong types and out-of-range values") {
    CHECK(errorOf(loadAgentOptions(ConfigFile(R"({"nmae": "h1"})").path))
              .find("unknown key 'nmae'") != std::string::npos);
    CHECK(errorOf(loadAgentOptions(ConfigFile(R"({"name": 7})").path))
              .find("'name' must be a string") != std::string::npos);
    CHECK(errorOf(loadAgentOptions(ConfigFile(R"({"idle_timeout_s": 0})").path))
              .find("positive integer") != std::string::npos);
    CHECK(errorOf(loadAgentOptions(ConfigFile(R"({"chunk_bytes": 99999999})").path))
              .find("at most 4 MiB") != std::string::npos);
    CHECK(errorOf(loadAgentOptions(ConfigFile(R"({"log_format": "yaml"})").path))
              .find("'log_format' must be text or json") != std::string::npos);
    CHECK(errorOf(loadAgentOptions(ConfigFile("[1]").path)).find("JSON object") !=
          std::string::npos);
  }
  SECTION("metrics must be ADDR:PORT") {
    CHECK(errorOf(loadAgentOptions(ConfigFile(R"({"metrics": "192.168.77.1:9465"})").path)) == "");
    CHECK(errorOf(loadAgentOptions(ConfigFile(R"({"metrics": "h1:9465"})").path))
              .find("error: 'metrics' expected ADDR:PORT ('h1' is not a numeric IPv4 address), "
                    "got 'h1:9465'") != std::string::npos);
  }
  SECTION("a missing file") {
    auto error = errorOf(loadAgentOptions("/nonexistent/agent.json"));
    CHECK(error == "/nonexistent/agent.json:1:1: error: cannot read the agent configuration");
  }
}
