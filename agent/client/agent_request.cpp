#include "agent/client/agent_request.hpp"

#include <random>

#include "agent/tls/tls_context.hpp"
#include "agent/transport/agent_connector.hpp"

namespace roam::agent {

namespace {

using Clock = std::chrono::steady_clock;

// Runs `exchange` on a connected stream in a private io_context. The stream is
// closed when the exchange returns or `timeout` (0 = none) passes. When
// `cancel` becomes true the exchange is abandoned (checked every 200 ms).
template <class Exchange>
std::string withAgent(const ClientIdentity& identity, const std::string& address,
                      std::chrono::seconds connectTimeout, std::chrono::seconds idleTimeout,
                      Exchange exchange, const std::atomic<bool>* cancel = nullptr) {
  auto tls = makeTlsContext(TlsFiles::forName(identity.certs, identity.name), TlsRole::client);
  if (!tls.context) return tls.error;
  asio::io_context io;
  std::string error;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        auto connected = co_await connectToAgent(*tls.context, address, connectTimeout);
        if (auto* e = std::get_if<std::string>(&connected)) {
          error = *e;
          co_return;
        }
        auto stream = std::get<FramedStreamPtr>(connected);
        stream->setIdleTimeout(idleTimeout);
        error = co_await exchange(stream);
        stream->close();
        io.stop();  // ends the cancellation watch too
      },
      asio::detached);
  bool cancelled = false;
  if (cancel) {
    auto watch = [&]() -> awaitable<void> {
      asio::steady_timer timer(io);
      while (!cancel->load()) {
        timer.expires_after(std::chrono::milliseconds(200));
        co_await timer.async_wait(asio::use_awaitable);
      }
      cancelled = true;
      io.stop();
    };
    asio::co_spawn(io, watch, asio::detached);
  }
  io.run();
  if (cancelled) return "cancelled before the exchange ended";
  return error;
}

}  // namespace

std::string newMigrationId() {
  std::random_device device;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", device());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return "m-" + std::to_string(ms) + "-" + hex;
}

namespace {

// Sends REQUEST (MIGRATE or MTD_MIGRATE) and follows PROGRESS to DONE.
MigrateOutcome followMigration(const ClientIdentity& identity, const std::string& source,
                               const Message& request,
                               const std::function<void(const Progress&)>& onProgress,
                               std::chrono::seconds connectTimeout,
                               const std::atomic<bool>* cancel) {
  MigrateOutcome outcome;
  // No idle timeout: capturing a large container can be silent for a while;
  // the source agent enforces its own deadlines and always answers DONE.
  outcome.error = withAgent(
      identity, source, connectTimeout, std::chrono::seconds(0),
      [&](FramedStreamPtr stream) -> awaitable<std::string> {
        outcome.sourceName = stream->peerName();
        stream->send(request);
        while (true) {
          auto next = co_await stream->read();
          if (next.closed) co_return "the source agent closed the connection before DONE";
          if (!next.message) co_return "malformed reply from the source agent: " + next.error;
          if (auto* progress = std::get_if<Progress>(&*next.message)) {
            if (onProgress) onProgress(*progress);
          } else if (auto* done = std::get_if<Done>(&*next.message)) {
            outcome.done = *done;
            co_return "";
          } else if (auto* error = std::get_if<Error>(&*next.message)) {
            co_return "the source agent refused: " + error->error;
          } else {
            co_return "unexpected " + std::string(toString(typeOf(*next.message))) +
                " from the source agent";
          }
        }
      },
      cancel);
  return outcome;
}

}  // namespace

MigrateOutcome requestMigration(const ClientIdentity& identity, const std::string& source,
                                const Migrate& request,
                                const std::function<void(const Progress&)>& onProgress,
                                std::chrono::seconds connectTimeout,
                                const std::atomic<bool>* cancel) {
  return followMigration(identity, source, request, onProgress, connectTimeout, cancel);
}

MigrateOutcome requestMtdMigration(const ClientIdentity& identity, const std::string& source,
                                   const MtdMigrate& request,
                                   const std::function<void(const Progress&)>& onProgress,
                                   std::chrono::seconds connectTimeout,
                                   const std::atomic<bool>* cancel) {
  return followMigration(identity, source, request, onProgress, connectTimeout, cancel);
}

std::string setUpMtdEpoch(const ClientIdentity& identity, const std::string& address,
                          const MtdSetup& setup, std::chrono::seconds timeout) {
  return withAgent(identity, address, timeout, timeout,
                   [&](FramedStreamPtr stream) -> awaitable<std::string> {
                     stream->send(setup);
                     auto next = co_await stream->read();
                     if (!next.message)
                       co_return next.closed ? "no MTD_READY: connection closed" : next.error;
                     if (auto* error = std::get_if<Error>(&*next.message))
                       co_return "the agent refused the MTD setup: " + error->error;
                     auto* ready = std::get_if<MtdReady>(&*next.message);
                     if (!ready || ready->epoch != setup.epoch)
                       co_return "expected MTD_READY for the epoch";
                     co_return "";
                   });
}

PingOutcome pingAgent(const ClientIdentity& identity, const std::string& address,
                      std::chrono::seconds timeout) {
  PingOutcome outcome;
  outcome.error = withAgent(
      identity, address, timeout, timeout, [&](FramedStreamPtr stream) -> awaitable<std::string> {
        outcome.peerName = stream->peerName();
        std::random_device device;
        std::uint64_t nonce = (static_cast<std::uint64_t>(device()) << 32) | device();
        auto start = Clock::now();
        stream->send(Ping{nonce});
        auto next = co_await stream->read();
        if (!next.message) co_return next.closed ? "no PONG: connection closed" : next.error;
        auto* pong = std::get_if<Pong>(&*next.message);
        if (!pong || pong->nonce != nonce) co_return "expected PONG with our nonce";
        outcome.roundTripSeconds = std::chrono::duration<double>(Clock::now() - start).count();
        co_return "";
      });
  return outcome;
}

LatencyOutcome probeLatencies(const ClientIdentity& identity, const std::string& address,
                              const std::vector<AgentPeer>& peers, std::chrono::seconds timeout) {
  LatencyOutcome outcome;
  outcome.error = withAgent(
      identity, address, timeout, timeout, [&](FramedStreamPtr stream) -> awaitable<std::string> {
        stream->send(LatencyProbe{peers});
        auto next = co_await stream->read();
        if (!next.message)
          co_return next.closed ? "no LATENCY_REPORT: connection closed" : next.error;
        if (auto* error = std::get_if<Error>(&*next.message))
          co_return "the agent refused the latency probe: " + error->error;
        auto* report = std::get_if<LatencyReport>(&*next.message);
        if (!report) co_return "expected LATENCY_REPORT";
        outcome.report = *report;
        co_return "";
      });
  return outcome;
}

StatusOutcome agentStatus(const ClientIdentity& identity, const std::string& address,
                          std::chrono::seconds timeout) {
  StatusOutcome outcome;
  outcome.error = withAgent(
      identity, address, timeout, timeout, [&](FramedStreamPtr stream) -> awaitable<std::string> {
        stream->send(Status{});
        auto next = co_await stream->read();
        if (!next.message)
          co_return next.closed ? "no STATUS_REPLY: connection closed" : next.error;
        auto* reply = std::get_if<StatusReply>(&*next.message);
        if (!reply) co_return "expected STATUS_REPLY";
        outcome.status = *reply;
        co_return "";
      });
  return outcome;
}

}  // namespace roam::agent
