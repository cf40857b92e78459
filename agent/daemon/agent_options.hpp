#pragma once
// What an agent needs to run: its name, where it listens, its Docker Engine,
// its certificates and its data directory, plus tuning with sensible defaults.
// Read from a JSON configuration file (docs/agent.md); flags override it.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

#include "common/result.hpp"

namespace roam::agent {

struct AgentOptions {
  std::string name;                     // defaults to the CN of the agent's certificate
  std::string listen = "0.0.0.0:7070";  // ADDR:PORT (port 0 = any free port)
  std::string docker = "unix:///var/run/docker.sock";
  std::filesystem::path certs;  // ca.crt, NAME.crt, NAME.key
  std::filesystem::path dataDir = "/var/lib/roam-agent";
  std::string metrics;  // ADDR:PORT serving /metrics (docs/metrics.md); "" = none
  // The CRIU binary the start-up probe runs (`CRIU check`); the engine's runc
  // finds its own on PATH (scripts/install-criu installs /usr/local/sbin/criu).
  std::string criu = "criu";
  // The certificate name of the manager: only it may set up an MTD epoch or
  // order an MTD migration (docs/mtd.md).
  std::string managerName = "manager";
  std::string logFormat = "text";            // the log's lines: text or json (docs/operations.md)
  std::chrono::seconds idleTimeout{60};      // a peer silent this long is cut off
  std::chrono::seconds restoreTimeout{600};  // destination's restore after the last byte
  std::chrono::seconds shutdownGrace{30};    // in-flight migrations get this long on SIGTERM
  std::size_t chunkBytes = 1 << 20;          // uncompressed bytes per DATA frame
  int compressionLevel = 1;                  // zstd level: fast, the link is the bottleneck
  int workerThreads = 4;                     // blocking Docker Engine and disk work
  // Pre-copy (docs/agent.md, "Migration"): rounds while the container runs,
  // at most precopyMaxRounds of them, until a round carries at most
  // precopyStopBytes or stops shrinking; then the freeze, which may last
  // freezeTimeout before the source gives up and resumes its copy.
  int precopyMaxRounds = 8;
  std::size_t precopyStopBytes = 1 << 20;
  std::chrono::milliseconds freezeTimeout{10000};
  // Fault injection for the integration tests only: flip one byte of the
  // N-th DATA chunk (1-based) this agent sends as a source; 0 = never.
  int testCorruptChunk = 0;
  // Fault injection for the integration tests only: a source waits this long
  // between freezing the container and its final round, so a test can kill
  // an agent or cut the link while the container is frozen; 0 = never.
  std::chrono::milliseconds testHoldFrozen{0};
};

// Reads a configuration file (JSON object; keys as in docs/agent.md) on top of
// `defaults`. Errors (Io for an unreadable file, else BadInput) read
// "FILE:LINE:COL: error: MESSAGE".
roam::Result<AgentOptions> loadAgentOptions(const std::filesystem::path& file,
                                            AgentOptions defaults = {});

}  // namespace roam::agent
