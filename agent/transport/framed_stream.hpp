#pragma once
// One agent connection: a mutually authenticated TLS stream carrying protocol
// frames. Reads are awaited by one coroutine at a time; writes go through a
// queue so that several coroutines (a migration's PROGRESS, a session's PONG)
// can send on the same connection without interleaving frames.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/protocol/frame.hpp"
#include "agent/protocol/messages.hpp"
#include "agent/transport/asio_types.hpp"
#include "common/result.hpp"

namespace roam::agent {

// What read() got: exactly one of a message, an error or closed.
struct ReadResult {
  std::optional<Message> message;     // set when a valid message arrived
  std::vector<std::uint8_t> payload;  // DATA's bytes
  std::optional<roam::Error> error;   // malformed input (Protocol): reply ERROR and close
  bool closed = false;                // the peer went away or the stream failed
};

class FramedStream : public std::enable_shared_from_this<FramedStream> {
 public:
  FramedStream(TlsStream stream, FrameLimits limits);

  TlsStream& tls() { return stream_; }
  // The peer's certificate name, after the handshake.
  std::string peerName();
  std::string remoteAddress() const { return remote_; }

  awaitable<ReadResult> read();
  // Queues a message; returns at once.
  void send(const Message& message, std::span<const std::uint8_t> payload = {});
  // Queues a message and waits while more than a few frames are queued, so a
  // sender of many DATA frames never holds more than that in memory.
  awaitable<bool> write(const Message& message, std::span<const std::uint8_t> payload = {});
  // The same for a frame already encoded (encodeMessageInto, e.g. on a worker
  // thread); FRAME is moved from.
  awaitable<bool> writeEncoded(std::vector<std::uint8_t>&& frame);

  // Byte buffers of written frames and consumed payloads, kept for reuse: a
  // transfer of many 1 MiB frames then cycles a few buffers instead of
  // allocating (and page-faulting) fresh memory for every frame, which cost
  // the receiver about a sixth of its time. A taken buffer keeps its old size
  // and bytes (resizing it then zeroes nothing). io thread only.
  std::vector<std::uint8_t> takeBuffer();
  void recycle(std::vector<std::uint8_t>&& buffer);
  // Waits until everything queued is written (or the stream failed).
  awaitable<bool> flush();
  // Closes after an idle period without any read or written frame; 0 disables.
  void setIdleTimeout(std::chrono::seconds timeout);
  void close();
  bool isOpen() const { return open_; }

 private:
  void enqueue(std::vector<std::uint8_t>&& frame);
  awaitable<void> drainQueue();
  awaitable<void> waitForWriter();
  awaitable<bool> waitForRoom();
  awaitable<void> watchIdle();
  void touch() { lastActivity_ = std::chrono::steady_clock::now(); }

  TlsStream stream_;
  FrameLimits limits_;
  std::string remote_;
  std::deque<std::vector<std::uint8_t>> queue_;
  std::vector<std::vector<std::uint8_t>> spare_;
  bool writing_ = false;
  bool open_ = true;
  asio::steady_timer writerProgress_;
  asio::steady_timer idleTimer_;
  std::chrono::seconds idleTimeout_{0};
  bool watching_ = false;
  std::chrono::steady_clock::time_point lastActivity_ = std::chrono::steady_clock::now();
};

using FramedStreamPtr = std::shared_ptr<FramedStream>;

}  // namespace roam::agent
