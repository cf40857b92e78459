#include "agent/daemon/agent_options.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/listen_address.hpp"

namespace roam::agent {

namespace {

// "FILE:LINE:COL: error: MESSAGE", a BadInput error.
roam::Error fileError(const std::filesystem::path& file, const std::string& message, int line = 1,
                      int column = 1) {
  return roam::makeError(roam::ErrorCode::BadInput, file.string() + ":" + std::to_string(line) +
                                                        ":" + std::to_string(column) +
                                                        ": error: " + message);
}

// Line and column of a byte offset, for nlohmann's parse errors.
std::pair<int, int> lineColumn(const std::string& text, std::size_t offset) {
  int line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

}  // namespace

roam::Result<AgentOptions> loadAgentOptions(const std::filesystem::path& file,
                                            AgentOptions options) {
  std::ifstream in(file);
  if (!in) {
    auto error = fileError(file, "cannot read the agent configuration");
    error.code = roam::ErrorCode::Io;
    return error;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    auto [line, column] = lineColumn(text, e.byte == 0 ? 0 : e.byte - 1);
    return fileError(file, "not valid JSON (" + std::string(e.what()) + ")", line, column);
  }
  if (!config.is_object()) return fileError(file, "the configuration must be a JSON object");

  auto relative = [&](const std::string& path) {
    std::filesystem::path p(path);
    return p.is_absolute() ? p : file.parent_path() / p;
  };
  for (auto& [key, value] : config.items()) {
    auto wantString = [&]() -> std::optional<std::string> {
      if (value.is_string()) return value.get<std::string>();
      return std::nullopt;
    };
    auto wantPositive = [&]() -> std::optional<long long> {
      if (value.is_number_integer() && value.get<long long>() > 0) return value.get<long long>();
      return std::nullopt;
    };
    std::optional<std::string> text;
    std::optional<long long> number;
    if (key == "name" || key == "listen" || key == "docker" || key == "certs" ||
        key == "data_dir" || key == "manager_name" || key == "criu" || key == "metrics" ||
        key == "log_format") {
      if (!(text = wantString())) return fileError(file, "'" + key + "' must be a string");
      if (key == "name") options.name = *text;
      if (key == "manager_name") options.managerName = *text;
      if (key == "listen") options.listen = *text;
      if (key == "docker") options.docker = *text;
      if (key == "certs") options.certs = relative(*text);
      if (key == "data_dir") options.dataDir = relative(*text);
      if (key == "criu") options.criu = *text;
      if (key == "metrics") {
        if (auto address = parseListenAddress(*text); !text->empty() && !address)
          return fileError(file, "'metrics' " + address.error().message);
        options.metrics = *text;
      }
      if (key == "log_format") {
        if (*text != "text" && *text != "json")
          return fileError(file, "'log_format' must be text or json");
        options.logFormat = *text;
      }
    } else if (key == "idle_timeout_s" || key == "restore_timeout_s" || key == "shutdown_grace_s" ||
               key == "chunk_bytes" || key == "compression_level" || key == "worker_threads" ||
               key == "test_corrupt_chunk" || key == "precopy_max_rounds" ||
               key == "precopy_stop_bytes" || key == "freeze_timeout_ms" ||
               key == "test_hold_frozen_ms") {
      if (!(number = wantPositive()))
        return fileError(file, "'" + key + "' must be a positive integer");
      if (key == "idle_timeout_s") options.idleTimeout = std::chrono::seconds(*number);
      if (key == "restore_timeout_s") options.restoreTimeout = std::chrono::seconds(*number);
      if (key == "shutdown_grace_s") options.shutdownGrace = std::chrono::seconds(*number);
      if (key == "chunk_bytes") {
        if (*number > (4 << 20) - 4096)
          return fileError(file, "'chunk_bytes' must be at most 4 MiB minus 4 KiB");
        options.chunkBytes = static_cast<std::size_t>(*number);
      }
      if (key == "compression_level") options.compressionLevel = static_cast<int>(*number);
      if (key == "worker_threads") options.workerThreads = static_cast<int>(*number);
      if (key == "test_corrupt_chunk") options.testCorruptChunk = static_cast<int>(*number);
      if (key == "precopy_max_rounds") {
        if (*number > 100) return fileError(file, "'precopy_max_rounds' must be at most 100");
        options.precopyMaxRounds = static_cast<int>(*number);
      }
      if (key == "precopy_stop_bytes") options.precopyStopBytes = static_cast<std::size_t>(*number);
      if (key == "freeze_timeout_ms") options.freezeTimeout = std::chrono::milliseconds(*number);
      if (key == "test_hold_frozen_ms") options.testHoldFrozen = std::chrono::milliseconds(*number);
    } else {
      return fileError(file, "unknown key '" + key + "'");
    }
  }
  return options;
}

}  // namespace roam::agent
