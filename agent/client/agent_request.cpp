#include "agent/client/agent_request.hpp"

#include <random>
#include <string_view>
#include <type_traits>

#include "agent/tls/tls_context.hpp"
#include "agent/transport/agent_connector.hpp"

namespace roam::agent {

namespace {

using Clock = std::chrono::steady_clock;

roam::Error failure(roam::ErrorCode code, std::string message) {
  return roam::makeError(code, std::move(message));
}

// About the coroutines in this file (docs/architecture.md, "GCC 12 caveat"):
// GCC 12.2 destroys a closure temporary handed by value to an awaited coroutine
// twice, e.g. `co_await readReply(stream, [epoch = setup.epoch] {...})` frees
// the captured string twice (reproduced with a counting type: glibc aborts
// with "double free detected"); a captured shared_ptr is released twice
// without any message, freeing the stream under its owner. Here the manager's
// agent poller (agentStatus) would crash or corrupt its heap between a
// migration's end and the redirection of its traffic. So: each coroutine below
// is a named closure that captures by reference only, it is awaited through a
// reference, it takes the stream by reference, and every per-call check
// (reply type, nonce, epoch) runs as plain code after the io_context stopped.

// Runs `exchange` on a connected stream in a private io_context. The stream is
// closed when the exchange returns or `timeout` (0 = none) passes. When
// `cancel` becomes true the exchange is abandoned (checked every 200 ms).
template <class Exchange>
roam::Status withAgent(const ClientIdentity& identity, const std::string& address,
                       std::chrono::seconds connectTimeout, std::chrono::seconds idleTimeout,
                       Exchange& exchange, const std::atomic<bool>* cancel = nullptr) {
  auto tls = makeTlsContext(TlsFiles::forName(identity.certs, identity.name), TlsRole::client);
  if (!tls.ok()) return tls.error();
  asio::io_context io;
  roam::Status status;
  auto connectAndExchange = [&]() -> awaitable<void> {
    auto connected = co_await connectToAgent(**tls, address, connectTimeout);
    if (!connected.ok()) {
      status = connected.error();
      co_return;
    }
    const auto stream = *connected;
    stream->setIdleTimeout(idleTimeout);
    status = co_await exchange(*stream);
    stream->close();
    io.stop();  // ends the cancellation watch too
  };
  asio::co_spawn(io, connectAndExchange, asio::detached);
  bool cancelled = false;
  auto watch = [&]() -> awaitable<void> {
    asio::steady_timer timer(io);
    while (!cancel->load()) {
      timer.expires_after(std::chrono::milliseconds(200));
      co_await timer.async_wait(asio::use_awaitable);
    }
    cancelled = true;
    io.stop();
  };
  if (cancel) asio::co_spawn(io, watch, asio::detached);
  io.run();
  // No code of its own: the callers that cancel know why.
  if (cancelled) return failure(roam::ErrorCode::Internal, "cancelled before the exchange ended");
  return status;
}

// How a call reads the one reply it waits for.
struct ReplyRule {
  // An ERROR reply gives "REFUSAL: its error"; with no REFUSAL, ERROR is
  // unexpected like any other message.
  std::string_view refusal;
  // The error for any other message, or for a reply the call does not accept.
  std::string_view expected;
};

template <class T, std::size_t I = 0>
constexpr MessageType messageTypeOf() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Message>, T>)
    return static_cast<MessageType>(I);
  else
    return messageTypeOf<T, I + 1>();
}

template <class Reply>
struct Replied {
  Reply reply;
  std::string peerName;
  double seconds = 0;  // from sending the request to reading the reply
};

// The one helper of the request/reply calls: sends REQUEST to the agent at
// ADDRESS, reads one message back (TIMEOUT bounds the connection and each
// wait) and takes it as a Reply under RULE. REQUEST is the caller's object
// (its temporary lives until the call returns, past io.run()).
template <class Reply>
roam::Result<Replied<Reply>> exchangeOne(const ClientIdentity& identity, const std::string& address,
                                         const Message& request, std::chrono::seconds timeout,
                                         const ReplyRule& rule) {
  std::string peerName;
  double seconds = 0;
  ReadResult next;
  auto exchange = [&](FramedStream& stream) -> awaitable<roam::Status> {
    peerName = stream.peerName();
    const auto start = Clock::now();
    stream.send(request);
    auto read = co_await stream.read();
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    next = std::move(read);
    co_return roam::Status{};
  };
  if (auto exchanged = withAgent(identity, address, timeout, timeout, exchange); !exchanged.ok())
    return exchanged.error();
  if (next.closed)
    return failure(roam::ErrorCode::Io,
                   "no " + std::string(toString(messageTypeOf<Reply>())) + ": connection closed");
  if (!next.message) return *next.error;
  if (auto* reply = std::get_if<Reply>(&*next.message))
    return Replied<Reply>{std::move(*reply), peerName, seconds};
  if (auto* error = std::get_if<Error>(&*next.message); error && !rule.refusal.empty())
    return failure(roam::ErrorCode::Refused, std::string(rule.refusal) + ": " + error->error);
  return failure(roam::ErrorCode::Protocol, std::string(rule.expected));
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

MigrateOutcome requestMigration(const ClientIdentity& identity, const std::string& source,
                                const MigrationOrder& order,
                                const std::function<void(const Progress&)>& onProgress,
                                std::chrono::seconds connectTimeout,
                                const std::atomic<bool>* cancel) {
  const Message request = std::visit([](const auto& m) { return Message(m); }, order);
  MigrationVerdict verdict;
  // Follows PROGRESS to DONE (see the comment on withAgent about coroutines).
  auto follow = [&](FramedStream& stream) -> awaitable<roam::Status> {
    verdict.sourceName = stream.peerName();
    stream.send(request);
    while (true) {
      auto next = co_await stream.read();
      if (next.closed)
        co_return failure(roam::ErrorCode::Io,
                          "the source agent closed the connection before DONE");
      if (!next.message)
        co_return failure(roam::ErrorCode::Protocol,
                          "malformed reply from the source agent: " + next.error->message);
      if (auto* progress = std::get_if<Progress>(&*next.message)) {
        if (onProgress) onProgress(*progress);
      } else if (auto* done = std::get_if<Done>(&*next.message)) {
        verdict.done = *done;
        co_return roam::Status{};
      } else if (auto* error = std::get_if<Error>(&*next.message)) {
        co_return failure(roam::ErrorCode::Refused, "the source agent refused: " + error->error);
      } else {
        co_return failure(roam::ErrorCode::Protocol,
                          "unexpected " + std::string(toString(typeOf(*next.message))) +
                              " from the source agent");
      }
    }
  };
  // No idle timeout: capturing a large container can be silent for a while;
  // the source agent enforces its own deadlines and always answers DONE.
  auto followed =
      withAgent(identity, source, connectTimeout, std::chrono::seconds(0), follow, cancel);
  if (!followed.ok()) return followed.error();
  return verdict;
}

roam::Status setUpMtdEpoch(const ClientIdentity& identity, const std::string& address,
                           const MtdSetup& setup, std::chrono::seconds timeout) {
  constexpr ReplyRule rule{"the agent refused the MTD setup", "expected MTD_READY for the epoch"};
  auto got = exchangeOne<MtdReady>(identity, address, setup, timeout, rule);
  if (!got.ok()) return got.error();
  if (got->reply.epoch != setup.epoch)
    return failure(roam::ErrorCode::Protocol, std::string(rule.expected));
  return {};
}

PingOutcome pingAgent(const ClientIdentity& identity, const std::string& address,
                      std::chrono::seconds timeout) {
  std::random_device device;
  const std::uint64_t nonce = (static_cast<std::uint64_t>(device()) << 32) | device();
  constexpr ReplyRule rule{"", "expected PONG with our nonce"};
  auto got = exchangeOne<Pong>(identity, address, Ping{nonce}, timeout, rule);
  if (!got.ok()) return got.error();
  if (got->reply.nonce != nonce)
    return failure(roam::ErrorCode::Protocol, std::string(rule.expected));
  return PingRoundTrip{got->seconds, got->peerName};
}

LatencyOutcome probeLatencies(const ClientIdentity& identity, const std::string& address,
                              const std::vector<AgentPeer>& peers, std::chrono::seconds timeout) {
  constexpr ReplyRule rule{"the agent refused the latency probe", "expected LATENCY_REPORT"};
  auto got = exchangeOne<LatencyReport>(identity, address, LatencyProbe{peers}, timeout, rule);
  if (!got.ok()) return got.error();
  return std::move(got->reply);
}

StatusOutcome agentStatus(const ClientIdentity& identity, const std::string& address,
                          std::chrono::seconds timeout) {
  constexpr ReplyRule rule{"", "expected STATUS_REPLY"};
  auto got = exchangeOne<StatusReply>(identity, address, Status{}, timeout, rule);
  if (!got.ok()) return got.error();
  return std::move(got->reply);
}

}  // namespace roam::agent
