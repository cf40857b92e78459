#include "agent/daemon/stream_transfer.hpp"

#include <chrono>

#include "agent/daemon/pending_work.hpp"

namespace roam::agent {

awaitable<roam::Result<StreamSent>> sendStream(Agent& agent, FramedStream& peer,
                                               const std::string& migrationId,
                                               const StreamReader& read,
                                               const std::function<void(std::uint64_t)>& onBytes) {
  const auto& options = agent.options();
  StreamChunker chunks(read, migrationId, options.chunkBytes, options.compressionLevel,
                       options.testCorruptChunk);
  PendingWork<OutgoingChunk> pending;
  const auto home = peer.tls().get_executor();
  auto prepareNext = [&] {
    pending.start(agent.pool(), home, [source = &chunks, buffer = peer.takeBuffer()]() mutable {
      return source->next(std::move(buffer));
    });
  };
  StreamSent sent;
  std::optional<roam::Error> failed;
  auto lastReport = std::chrono::steady_clock::now();
  prepareNext();
  while (true) {
    auto chunk = co_await pending.get();
    if (!chunk.ok()) {
      failed = chunk.error();
      break;
    }
    if (chunk.finished) break;
    if (!chunk.fileDone) prepareNext();
    sent.plainBytes += chunk.plainBytes;
    sent.wireBytes += chunk.payloadBytes;
    if (!co_await peer.writeEncoded(std::move(chunk.frame))) {
      failed = roam::Error{roam::ErrorCode::Io, "the connection was lost while sending"};
      break;
    }
    if (chunk.fileDone) break;
    if (std::chrono::steady_clock::now() - lastReport > std::chrono::milliseconds(250)) {
      lastReport = std::chrono::steady_clock::now();
      onBytes(sent.plainBytes);
    }
  }
  // The worker uses `chunks`: it must be done before this frame goes away.
  if (pending.running()) co_await pending.get();
  if (failed) co_return *failed;
  onBytes(sent.plainBytes);
  sent.checksum = chunks.checksum();
  co_return sent;
}

awaitable<roam::Result<StreamReceived>> receiveStream(Agent& agent, FramedStream& peer,
                                                      const std::string& migrationId,
                                                      const StreamWriter& write,
                                                      std::uint64_t maxBytes) {
  StreamAssembler assembler(write, migrationId, agent.options().chunkBytes * 4 + (1 << 20),
                            maxBytes);
  // The payload comes back with the outcome, to be read into again: a fresh
  // 1 MiB buffer per frame costs the io thread page faults on every chunk.
  struct Stored {
    roam::Status outcome;
    std::vector<std::uint8_t> payload;
  };
  PendingWork<Stored> storing;
  const auto home = peer.tls().get_executor();
  std::optional<roam::Error> failed;
  auto awaitStored = [&]() -> awaitable<void> {
    auto stored = co_await storing.get();
    peer.recycle(std::move(stored.payload));
    if (!stored.outcome.ok() && !failed) failed = stored.outcome.error();
  };
  bool last = false;
  while (!last && !failed) {
    auto next = co_await peer.read();
    auto* data = next.message ? std::get_if<Data>(&*next.message) : nullptr;
    if (next.closed)
      failed = roam::Error{roam::ErrorCode::Io, "the peer closed the connection mid-stream"};
    else if (!next.message)
      failed = roam::Error{roam::ErrorCode::Protocol, "malformed frame: " + next.error->message};
    else if (!data)
      failed = roam::Error{roam::ErrorCode::Protocol,
                           "expected DATA, got " + std::string(toString(typeOf(*next.message)))};
    // The chunk before this one must be stored first: chunks go in order.
    if (storing.running()) co_await awaitStored();
    if (failed) break;
    last = data->last;
    storing.start(
        agent.pool(), home,
        [target = &assembler, chunk = *data, payload = std::move(next.payload)]() mutable {
          auto outcome = target->add(chunk, payload);
          return Stored{std::move(outcome), std::move(payload)};
        });
  }
  if (storing.running()) co_await awaitStored();
  if (failed) co_return *failed;
  co_return StreamReceived{assembler.bytes(), assembler.checksum()};
}

}  // namespace roam::agent
