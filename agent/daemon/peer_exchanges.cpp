#include "agent/daemon/peer_exchanges.hpp"

#include <random>

#include "agent/transport/agent_connector.hpp"

namespace roam::agent {

namespace {

// Runs one exchange per peer concurrently in a private io_context; each
// exchange gets a connected stream (or the connection error) and its index.
template <class Exchange>
void forEachPeerConcurrently(asio::ssl::context& tls, const std::vector<AgentPeer>& peers,
                             std::chrono::seconds timeout, Exchange& exchange) {
  asio::io_context io;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    // A named closure per peer (GCC 12 and coroutine temporaries).
    auto one = [&tls, &peers, &exchange, timeout, i]() -> awaitable<void> {
      auto connected = co_await connectToAgent(tls, peers[i].address, timeout);
      if (!connected.ok()) {
        exchange.failed(i, connected.error());
        co_return;
      }
      auto stream = *connected;
      stream->setIdleTimeout(timeout);
      co_await exchange.run(i, stream);
      stream->close();
    };
    asio::co_spawn(io, one, asio::detached);
  }
  io.run();
}

struct KeyExchange {
  const KeyRequest& request;
  std::vector<mtd::KeyAnswer> answers;

  void failed(std::size_t i, const roam::Error& error) { answers[i] = error; }
  awaitable<void> run(std::size_t i, FramedStreamPtr stream) {
    stream->send(request);
    auto next = co_await stream->read();
    if (next.closed) {
      answers[i] = roam::makeError(roam::ErrorCode::Io, "no KEY_REPLY: connection closed");
    } else if (!next.message) {
      answers[i] = *next.error;
    } else if (auto* reply = std::get_if<KeyReply>(&*next.message)) {
      answers[i] = *reply;
    } else if (auto* error = std::get_if<Error>(&*next.message)) {
      answers[i] = roam::makeError(roam::ErrorCode::Refused, "refused: " + error->error);
    } else {
      answers[i] = roam::makeError(roam::ErrorCode::Protocol,
                                   "unexpected " + std::string(toString(typeOf(*next.message))));
    }
  }
};

struct PingExchange {
  std::map<std::string, double>& roundTrips;
  const std::vector<AgentPeer>& peers;

  void failed(std::size_t, const roam::Error&) {}
  awaitable<void> run(std::size_t i, FramedStreamPtr stream) {
    std::random_device device;
    const std::uint64_t nonce = (static_cast<std::uint64_t>(device()) << 32) | device();
    const auto start = std::chrono::steady_clock::now();
    stream->send(Ping{nonce});
    auto next = co_await stream->read();
    auto* pong = next.message ? std::get_if<Pong>(&*next.message) : nullptr;
    if (pong && pong->nonce == nonce)
      roundTrips[peers[i].name] =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
};

}  // namespace

std::vector<mtd::KeyAnswer> askPeersInParallel(asio::ssl::context& tls,
                                               const std::vector<AgentPeer>& peers,
                                               const KeyRequest& request,
                                               std::chrono::seconds timeout) {
  KeyExchange exchange{
      request, std::vector<mtd::KeyAnswer>(peers.size(),
                                           roam::makeError(roam::ErrorCode::Timeout, "no answer"))};
  forEachPeerConcurrently(tls, peers, timeout, exchange);
  return std::move(exchange.answers);
}

std::map<std::string, double> measureRoundTrips(asio::ssl::context& tls,
                                                const std::vector<AgentPeer>& peers,
                                                std::chrono::seconds timeout) {
  std::map<std::string, double> roundTrips;
  PingExchange exchange{roundTrips, peers};
  forEachPeerConcurrently(tls, peers, timeout, exchange);
  return roundTrips;
}

}  // namespace roam::agent
