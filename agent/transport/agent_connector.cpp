#include "agent/transport/agent_connector.hpp"

#include <boost/asio/connect.hpp>

#include "agent/transport/host_port.hpp"

namespace roam::agent {

namespace {

// Closes `socket` when the deadline passes first, failing whatever is pending.
class Deadline {
 public:
  Deadline(Tcp::socket& socket, std::chrono::seconds timeout)
      : timer_(socket.get_executor()),
        expired_(std::make_shared<bool>(false)),
        disarmed_(std::make_shared<bool>(false)) {
    timer_.expires_after(timeout);
    // The handler may run after this object is gone (it was already queued when
    // cancel() came): `disarmed` tells it not to touch the socket then.
    timer_.async_wait(
        [&socket, expired = expired_, disarmed = disarmed_](const boost::system::error_code& ec) {
          if (ec || *disarmed) return;
          *expired = true;
          boost::system::error_code ignored;
          socket.close(ignored);
        });
  }
  ~Deadline() {
    *disarmed_ = true;
    timer_.cancel();
  }
  bool expired() const { return *expired_; }

 private:
  asio::steady_timer timer_;
  std::shared_ptr<bool> expired_;
  std::shared_ptr<bool> disarmed_;
};

std::string sslReason(const boost::system::error_code& ec) {
  std::string reason = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    char buffer[256];
    ERR_error_string_n(static_cast<unsigned long>(ec.value()), buffer, sizeof buffer);
    reason = buffer;
  }
  return reason;
}

}  // namespace

awaitable<roam::Result<FramedStreamPtr>> connectToAgent(asio::ssl::context& tls,
                                                        const std::string& address,
                                                        std::chrono::seconds timeout) {
  auto parsed = parseHostPort(address);
  if (!parsed.ok()) co_return parsed.error();
  const HostPort target = *parsed;
  auto executor = co_await asio::this_coro::executor;

  Tcp::resolver resolver(executor);
  boost::system::error_code ec;
  auto endpoints = co_await resolver.async_resolve(target.host, std::to_string(target.port),
                                                   asio::redirect_error(use_awaitable, ec));
  if (ec)
    co_return roam::makeError(roam::ErrorCode::Connect,
                              "cannot resolve " + target.host + ": " + ec.message());

  auto stream =
      std::make_shared<FramedStream>(TlsStream(Tcp::socket(executor), tls), FrameLimits{});
  {
    Deadline deadline(stream->tls().next_layer(), timeout);
    co_await asio::async_connect(stream->tls().next_layer(), endpoints,
                                 asio::redirect_error(use_awaitable, ec));
    if (ec)
      co_return roam::makeError(
          deadline.expired() ? roam::ErrorCode::Timeout : roam::ErrorCode::Connect,
          "cannot connect to " + address + ": " +
              (deadline.expired() ? "timed out" : ec.message()));
    co_await stream->tls().async_handshake(asio::ssl::stream_base::client,
                                           asio::redirect_error(use_awaitable, ec));
    if (ec)
      co_return roam::makeError(
          deadline.expired() ? roam::ErrorCode::Timeout : roam::ErrorCode::Tls,
          "TLS handshake with " + address +
              " failed: " + (deadline.expired() ? "timed out" : sslReason(ec)));
  }
  co_return stream;
}

awaitable<roam::Status> acceptHandshake(FramedStream& stream, std::chrono::seconds timeout) {
  Deadline deadline(stream.tls().next_layer(), timeout);
  boost::system::error_code ec;
  co_await stream.tls().async_handshake(asio::ssl::stream_base::server,
                                        asio::redirect_error(use_awaitable, ec));
  if (ec && deadline.expired()) co_return roam::makeError(roam::ErrorCode::Timeout, "timed out");
  if (ec) co_return roam::makeError(roam::ErrorCode::Tls, sslReason(ec));
  co_return roam::Status{};
}

}  // namespace roam::agent
