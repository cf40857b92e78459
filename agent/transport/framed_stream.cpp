#include "agent/transport/framed_stream.hpp"

#include <array>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "agent/tls/tls_context.hpp"

namespace roam::agent {

namespace {
// Frames queued beyond this make write() wait: bounded memory per connection.
constexpr std::size_t kMaxQueuedFrames = 4;
// Spare buffers kept for reuse: enough for a full queue and the frames being
// prepared and consumed around it; smaller buffers are not worth keeping.
constexpr std::size_t kMaxSpareBuffers = kMaxQueuedFrames + 3;
constexpr std::size_t kMinSpareCapacity = 64 * 1024;
}  // namespace

FramedStream::FramedStream(TlsStream stream, FrameLimits limits)
    : stream_(std::move(stream)),
      limits_(limits),
      writerProgress_(stream_.get_executor()),
      idleTimer_(stream_.get_executor()) {
  boost::system::error_code ec;
  auto endpoint = stream_.lowest_layer().remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

std::string FramedStream::peerName() {
  return agent::peerName(stream_.native_handle());
}

awaitable<ReadResult> FramedStream::read() {
  ReadResult result;
  if (!open_) {
    result.closed = true;
    co_return result;
  }
  boost::system::error_code ec;
  std::array<std::uint8_t, kFramePrefixBytes> prefixBytes{};
  co_await asio::async_read(stream_, asio::buffer(prefixBytes),
                            asio::redirect_error(use_awaitable, ec));
  if (ec) {
    result.closed = true;
    co_return result;
  }
  touch();
  auto prefix =
      decodePrefix(std::span<const std::uint8_t, kFramePrefixBytes>(prefixBytes), limits_);
  if (!prefix.ok()) {
    result.error = std::move(prefix.error());
    co_return result;
  }
  std::vector<std::uint8_t> header(prefix->headerBytes);
  std::vector<std::uint8_t> payload;
  if (prefix->payloadBytes > 0) {
    payload = takeBuffer();
    payload.resize(prefix->payloadBytes);
  }
  co_await asio::async_read(stream_, asio::buffer(header), asio::redirect_error(use_awaitable, ec));
  if (!ec && !payload.empty())
    co_await asio::async_read(stream_, asio::buffer(payload),
                              asio::redirect_error(use_awaitable, ec));
  if (ec) {
    result.closed = true;
    co_return result;
  }
  touch();
  auto frame = decodeFrame(header, std::move(payload));
  if (!frame.ok()) {
    result.error = std::move(frame.error());
    co_return result;
  }
  auto decoded = decodeMessage(*frame);
  if (!decoded.ok()) {
    result.error = std::move(decoded.error());
    co_return result;
  }
  result.message = std::move(decoded.value());
  result.payload = std::move(frame->payload);
  co_return result;
}

void FramedStream::send(const Message& message, std::span<const std::uint8_t> payload) {
  if (open_) enqueue(encodeMessage(message, payload));
}

void FramedStream::enqueue(std::vector<std::uint8_t>&& frame) {
  queue_.push_back(std::move(frame));
  if (writing_) return;
  writing_ = true;
  asio::co_spawn(
      stream_.get_executor(),
      [self = shared_from_this()]() -> awaitable<void> { co_await self->drainQueue(); },
      asio::detached);
}

awaitable<void> FramedStream::drainQueue() {
  while (!queue_.empty() && open_) {
    auto bytes = std::move(queue_.front());
    queue_.pop_front();
    boost::system::error_code ec;
    co_await asio::async_write(stream_, asio::buffer(bytes),
                               asio::redirect_error(use_awaitable, ec));
    if (ec) {
      close();
      break;
    }
    touch();
    recycle(std::move(bytes));
    writerProgress_.cancel();
  }
  queue_.clear();
  writing_ = false;
  writerProgress_.cancel();
}

awaitable<void> FramedStream::waitForWriter() {
  writerProgress_.expires_at(asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  co_await writerProgress_.async_wait(asio::redirect_error(use_awaitable, ec));
}

awaitable<bool> FramedStream::waitForRoom() {
  while (open_ && queue_.size() > kMaxQueuedFrames) co_await waitForWriter();
  co_return open_;
}

awaitable<bool> FramedStream::write(const Message& message, std::span<const std::uint8_t> payload) {
  send(message, payload);
  co_return co_await waitForRoom();
}

awaitable<bool> FramedStream::writeEncoded(std::vector<std::uint8_t>&& frame) {
  if (open_) enqueue(std::move(frame));
  co_return co_await waitForRoom();
}

std::vector<std::uint8_t> FramedStream::takeBuffer() {
  if (spare_.empty()) return {};
  auto buffer = std::move(spare_.back());
  spare_.pop_back();
  return buffer;  // not cleared: callers resize it, which then fills nothing
}

void FramedStream::recycle(std::vector<std::uint8_t>&& buffer) {
  if (buffer.capacity() >= kMinSpareCapacity && spare_.size() < kMaxSpareBuffers)
    spare_.push_back(std::move(buffer));
}

awaitable<bool> FramedStream::flush() {
  while (open_ && writing_) co_await waitForWriter();
  co_return open_;
}

void FramedStream::setIdleTimeout(std::chrono::seconds timeout) {
  idleTimeout_ = timeout;
  touch();
  if (watching_ || timeout.count() == 0) return;
  watching_ = true;
  asio::co_spawn(
      stream_.get_executor(),
      [self = shared_from_this()]() -> awaitable<void> { co_await self->watchIdle(); },
      asio::detached);
}

awaitable<void> FramedStream::watchIdle() {
  while (open_ && idleTimeout_.count() > 0) {
    idleTimer_.expires_after(std::chrono::seconds(1));
    boost::system::error_code ec;
    co_await idleTimer_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (idleTimeout_.count() > 0 && std::chrono::steady_clock::now() - lastActivity_ > idleTimeout_)
      close();
  }
  watching_ = false;
}

void FramedStream::close() {
  if (!open_) return;
  open_ = false;
  boost::system::error_code ec;
  // Closing the TCP socket (not a TLS shutdown, which would need the peer's
  // cooperation) makes every pending read and write complete with an error.
  stream_.lowest_layer().shutdown(Tcp::socket::shutdown_both, ec);
  stream_.lowest_layer().close(ec);
  idleTimer_.cancel();
  writerProgress_.cancel();
}

}  // namespace roam::agent
