#pragma once
// Moving one byte stream over an agent connection (agent/migration/
// stream_chunks.hpp), pipelined: while the io thread encrypts and sends (or
// receives and decrypts) frame N, one worker prepares frame N+1 (or stores
// frame N-1): reading and compressing on the source, decompressing, hashing
// and writing on the destination (docs/performance.md, "Migration transfer").

#include <cstdint>
#include <functional>
#include <string>

#include "agent/daemon/agent.hpp"
#include "agent/migration/stream_chunks.hpp"

namespace roam::agent {

struct StreamSent {
  std::uint64_t plainBytes = 0, wireBytes = 0;
  std::string checksum;  // stream_checksum.hpp
};
// Sends what READ produces (called on the pool, one call at a time) to PEER.
// ON_BYTES hears the plain bytes sent so far, now and then. Parameters are
// references: callers keep them alive across the co_await (GCC 12).
awaitable<roam::Result<StreamSent>> sendStream(Agent& agent, FramedStream& peer,
                                               const std::string& migrationId,
                                               const StreamReader& read,
                                               const std::function<void(std::uint64_t)>& onBytes);

struct StreamReceived {
  std::uint64_t bytes = 0;
  std::string checksum;
};
// Reads PEER's DATA frames up to the stream's last one and hands the bytes to
// WRITE (on the pool, in order). Anything else on the connection, a closed
// connection, or more than MAX_BYTES fails it; Protocol errors mean the
// connection cannot be trusted any more.
awaitable<roam::Result<StreamReceived>> receiveStream(Agent& agent, FramedStream& peer,
                                                      const std::string& migrationId,
                                                      const StreamWriter& write,
                                                      std::uint64_t maxBytes);

}  // namespace roam::agent
