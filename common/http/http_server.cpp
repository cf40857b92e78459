#include "common/http/http_server.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace roam::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Tcp = asio::ip::tcp;

std::string Request::path() const {
  return target.substr(0, target.find('?'));
}

namespace {

// The state an EventStream shares with its connection. Chunks wait here in
// the order send() took them (one mutex orders senders on any thread) until
// the connection's thread takes them; one wake-up is posted per batch. The
// server closes every stream before it stops, so send() never posts to a
// stopped io_context.
class EventStreamImpl : public EventStream {
 public:
  explicit EventStreamImpl(std::function<void()> wake) : wake_(std::move(wake)) {}

  bool send(std::string_view chunk) override {
    std::lock_guard lock(mutex_);
    if (!open_) return false;
    pending_.emplace_back(chunk);
    if (!woken_) {
      woken_ = true;
      wake_();
    }
    return true;
  }
  bool open() const override {
    std::lock_guard lock(mutex_);
    return open_;
  }
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
    pending_.clear();
    wake_ = nullptr;  // drops its reference to the connection
  }
  // On the connection's thread: the chunks sent since the last call.
  std::deque<std::string> take() {
    std::lock_guard lock(mutex_);
    woken_ = false;
    return std::move(pending_);
  }

 private:
  mutable std::mutex mutex_;
  bool open_ = true;
  bool woken_ = false;
  std::deque<std::string> pending_;
  std::function<void()> wake_;
};

}  // namespace

class HttpServer::Impl {
 public:
  struct StreamRoute {
    std::string contentType;
    StreamHandler handler;
  };

  Limits limits;
  std::shared_ptr<asio::ssl::context> tls;
  std::mutex mutex;  // the routes and the streams
  std::map<std::string, Handler> routes;
  std::map<std::string, StreamRoute> streamRoutes;
  std::vector<std::weak_ptr<EventStreamImpl>> streams;
  bool stopping = false;
  std::atomic<std::size_t> connections{0};
  Tcp::endpoint bound;
  // Declared after what connections use: the io_context's destructor
  // destroys the connections still pending.
  asio::io_context io{1};
  Tcp::acceptor acceptor{io};
  std::thread thread;

  void accept();
  void dispatch(const Request& request, std::function<void(Response)> respond,
                std::function<void(const std::string&, StreamHandler)> stream);
  std::shared_ptr<EventStreamImpl> addStream(std::function<void()> wake) {
    auto stream = std::make_shared<EventStreamImpl>(std::move(wake));
    std::lock_guard lock(mutex);
    if (stopping) stream->close();
    std::erase_if(streams, [](const auto& s) { return s.expired(); });
    streams.push_back(stream);
    return stream;
  }
};

namespace {

using PlainStream = beast::tcp_stream;
using SecureStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  template <class... Args>
  Connection(HttpServer::Impl& server, Args&&... args)
      : server_(server), stream_(std::forward<Args>(args)...) {}
  ~Connection() {
    if (events_) events_->close();
    --server_.connections;
  }

  void start() {
    if constexpr (std::is_same_v<Stream, SecureStream>) {
      expire();
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->readRequest();
                              });
    } else {
      readRequest();
    }
  }

 private:
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }
  void expire() {
    tcp().expires_after(
        std::chrono::milliseconds(static_cast<long>(server_.limits.idleSeconds * 1000)));
  }

  void readRequest() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.limits.headerBytes));
    parser_->body_limit(server_.limits.bodyBytes);
    expire();
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream) return shutdown();
    if (ec) {
      if (ec.category() != beast::http::make_error_code(bhttp::error::bad_target).category())
        return;  // the peer went, or timed out
      unsigned status = ec == bhttp::error::header_limit ? 431
                        : ec == bhttp::error::body_limit ? 413
                                                         : 400;
      return respond(Response{status, "text/plain; charset=utf-8", ec.message() + "\n"}, false,
                     false);
    }
    const auto& message = parser_->get();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    bool keepAlive = message.keep_alive();
    bool head = message.method() == bhttp::verb::head;
    if (message.method() != bhttp::verb::get && !head) {
      allow_ = true;
      return respond({405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, keepAlive, false);
    }
    request_ = std::move(request);
    auto self = this->shared_from_this();
    server_.dispatch(
        request_,
        [self, keepAlive, head](Response response) {
          self->respond(std::move(response), keepAlive, head);
        },
        [self, head](const std::string& contentType, StreamHandler handler) {
          self->startStream(contentType, std::move(handler), head);
        });
  }

  void respond(Response response, bool keepAlive, bool head) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>();
    res->version(11);
    res->result(response.status);
    res->set(bhttp::field::server, "roam");
    res->set(bhttp::field::content_type, response.contentType);
    if (allow_) res->set(bhttp::field::allow, "GET, HEAD");
    allow_ = false;
    res->keep_alive(keepAlive);
    res->body() = std::move(response.body);
    res->prepare_payload();
    if (head) res->body().clear();  // Content-Length stays that of the GET
    expire();
    bhttp::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res, keepAlive](beast::error_code ec, std::size_t) {
          if (ec) return;
          if (keepAlive)
            self->readRequest();
          else
            self->shutdown();
        });
  }

  void startStream(const std::string& contentType, StreamHandler handler, bool head) {
    std::string header = "HTTP/1.1 200 OK\r\nServer: roam\r\nContent-Type: " + contentType +
                         "\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    queue_.push_back(std::move(header));
    tcp().expires_never();
    if (head) {
      closeAfterWrites_ = true;
      writeNext();
      return;
    }
    auto self = this->shared_from_this();
    auto executor = stream_.get_executor();
    events_ = server_.addStream([weak = std::weak_ptr(self), executor] {
      asio::post(executor, [weak] {
        if (auto s = weak.lock()) s->drainEvents();
      });
    });
    writeNext();
    probe();
    try {
      handler(request_, events_);
    } catch (...) {
      events_->close();
      closeAfterWrites_ = true;
    }
  }

  // A read that ends only when the client goes: then the stream closes.
  void probe() {
    stream_.async_read_some(asio::buffer(probeByte_, 1),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->streamGone();
                              self->probe();
                            });
  }

  void streamGone() {
    if (events_) events_->close();
    beast::error_code ignored;
    tcp().socket().shutdown(Tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }

  void drainEvents() {
    if (!events_) return;
    for (auto& chunk : events_->take()) queue_.push_back(std::move(chunk));
    if (!writing_) writeNext();
  }

  void writeNext() {
    if (queue_.empty()) {
      writing_ = false;
      if (closeAfterWrites_) streamGone();
      return;
    }
    writing_ = true;
    asio::async_write(stream_, asio::buffer(queue_.front()),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->queue_.pop_front();
                        if (ec) return self->streamGone();
                        self->writeNext();
                      });
  }

  void shutdown() {
    if constexpr (std::is_same_v<Stream, SecureStream>) {
      expire();
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      beast::error_code ignored;
      tcp().socket().shutdown(Tcp::socket::shutdown_send, ignored);
    }
  }

  HttpServer::Impl& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request request_;
  bool allow_ = false;
  // Streaming.
  std::shared_ptr<EventStreamImpl> events_;
  std::deque<std::string> queue_;
  bool writing_ = false;
  bool closeAfterWrites_ = false;
  char probeByte_[1] = {};
};

}  // namespace

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, Tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (connections.load() >= limits.connections) {
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        ++connections;
        if (tls)
          std::make_shared<Connection<SecureStream>>(*this, std::move(socket), *tls)->start();
        else
          std::make_shared<Connection<PlainStream>>(*this, std::move(socket))->start();
      }
    }
    accept();
  });
}

void HttpServer::Impl::dispatch(const Request& request, std::function<void(Response)> respond,
                                std::function<void(const std::string&, StreamHandler)> stream) {
  Handler handler;
  std::optional<StreamRoute> streamRoute;
  {
    std::lock_guard lock(mutex);
    std::string path = request.path();
    if (auto it = routes.find(path); it != routes.end())
      handler = it->second;
    else if (auto st = streamRoutes.find(path); st != streamRoutes.end())
      streamRoute = st->second;
  }
  if (streamRoute) return stream(streamRoute->contentType, streamRoute->handler);
  if (!handler) return respond({404, "text/plain; charset=utf-8", "not found\n"});
  Response response;
  try {
    response = handler(request);
  } catch (const std::exception& e) {
    response = {500, "text/plain; charset=utf-8",
                std::string("internal error: ") + e.what() + "\n"};
  }
  respond(std::move(response));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::listen(const std::string& hostPort,
                                                       std::shared_ptr<asio::ssl::context> tls,
                                                       Limits limits) {
  auto address = parseListenAddress(hostPort);
  if (!address) return address.error();
  auto impl = std::make_unique<Impl>();
  impl->limits = limits;
  impl->tls = std::move(tls);
  Tcp::endpoint endpoint(asio::ip::make_address(address->host), address->port);
  beast::error_code ec;
  auto fail = [&](const char* what) {
    return makeError(ErrorCode::Io,
                     "cannot listen on " + hostPort + ": " + what + ": " + ec.message());
  };
  impl->acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("socket");
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  impl->acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  impl->bound = impl->acceptor.local_endpoint();
  impl->accept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    for (auto& weak : impl_->streams)
      if (auto stream = weak.lock()) stream->close();
  }
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void HttpServer::route(std::string path, Handler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->routes[std::move(path)] = std::move(handler);
}

void HttpServer::streamRoute(std::string path, std::string contentType, StreamHandler handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->streamRoutes[std::move(path)] = {std::move(contentType), std::move(handler)};
}

std::string HttpServer::boundAddress() const {
  const auto& address = impl_->bound.address();
  std::string host = address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
  return host + ":" + std::to_string(impl_->bound.port());
}

unsigned short HttpServer::port() const {
  return impl_->bound.port();
}

}  // namespace roam::http
