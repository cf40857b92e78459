#include "runtime/repl/admin_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <utility>

namespace roam::runtime {

namespace {

// A request line longer than this is refused and its connection closed.
constexpr std::size_t kMaxRequestLine = std::size_t{1} << 20;
// Replies may carry whole decisions and tables; still bounded.
constexpr std::size_t kMaxReplyLine = std::size_t{64} << 20;
// How long a client waits for one reply.
constexpr int kReplyTimeoutMs = 60'000;

// Owns one file descriptor.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

std::string errnoText() {
  return std::strerror(errno);
}

bool writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

roam::Status fillAddress(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return roam::makeError(roam::ErrorCode::BadInput,
                           path + ": socket path is empty or longer than " +
                               std::to_string(sizeof addr.sun_path - 1) + " bytes");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return {};
}

nlohmann::json errorReply(const std::string& text) {
  return {{"ok", false}, {"text", text}, {"json", {{"ok", false}, {"error", text}}}};
}

}  // namespace

struct AdminServer::Impl {
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  Handler handler;
  Fd listenFd;
  // A self-pipe, written once when the server stops: every thread polls its
  // read end next to its socket, so none stays blocked in accept or read.
  Fd wakeRead, wakeWrite;
  std::thread acceptThread;
  std::mutex mutex;  // guards connections
  std::list<Connection> connections;

  // Joins the threads of connections that have ended (called with `mutex` held).
  void reapFinished() {
    for (auto it = connections.begin(); it != connections.end();) {
      if (it->done) {
        it->thread.join();
        it = connections.erase(it);
      } else {
        ++it;
      }
    }
  }

  void acceptLoop() {
    for (;;) {
      pollfd fds[2] = {{listenFd.get(), POLLIN, 0}, {wakeRead.get(), POLLIN, 0}};
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (fds[1].revents & POLLIN)) return;
      if (!(fds[0].revents & POLLIN)) continue;
      int client = ::accept4(listenFd.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;  // e.g. the client gave up already
      Fd fd(client);
      std::lock_guard lock(mutex);
      reapFinished();
      Connection& c = connections.emplace_back();
      c.thread = std::thread([this, &c, fd = std::move(fd)]() mutable {
        serve(fd.get());
        fd.reset();
        c.done = true;
      });
    }
  }

  nlohmann::json answer(std::string_view line) {
    nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object())
      return errorReply("malformed request: expected one JSON object per line");
    try {
      return handler(request);
    } catch (const std::exception& e) {
      return errorReply(std::string("request failed: ") + e.what());
    }
  }

  void serve(int fd) {
    std::string buffer;
    char chunk[4096];
    for (;;) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {wakeRead.get(), POLLIN, 0}};
      int n = ::poll(fds, 2, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (fds[1].revents & POLLIN)) return;
      ssize_t got = ::read(fd, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return;
      buffer.append(chunk, static_cast<std::size_t>(got));
      std::size_t newline;
      while ((newline = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, newline);
        buffer.erase(0, newline + 1);
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (!writeAll(fd, answer(line).dump() + "\n")) return;
      }
      if (buffer.size() > kMaxRequestLine) {
        writeAll(fd, errorReply("request longer than 1 MiB; closing the connection").dump() + "\n");
        return;
      }
    }
  }
};

AdminServer::AdminServer(std::string path) : path_(std::move(path)) {}

roam::Result<std::unique_ptr<AdminServer>> AdminServer::listen(std::string path, Handler handler) {
  std::unique_ptr<AdminServer> server(new AdminServer(std::move(path)));
  if (auto started = server->start(std::move(handler)); !started) return started.error();
  return server;
}

roam::Status AdminServer::start(Handler handler) {
  using roam::ErrorCode;
  auto io = [](std::string message) { return roam::makeError(ErrorCode::Io, std::move(message)); };
  sockaddr_un addr{};
  if (auto filled = fillAddress(path_, addr); !filled) return filled;

  // A socket file left by a server that died is removed; a live server's is not.
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode))
      return roam::makeError(ErrorCode::Conflict, path_ + ": exists and is not a socket");
    Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.get() >= 0 &&
        ::connect(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      return roam::makeError(ErrorCode::Conflict,
                             path_ + ": another server is listening on this socket");
    ::unlink(path_.c_str());
  }

  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  impl->listenFd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (impl->listenFd.get() < 0) return io(path_ + ": socket: " + errnoText());
  if (::bind(impl->listenFd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return io(path_ + ": bind: " + errnoText());
  // Nobody can connect before listen(), so the mode is right before anyone can.
  if (::chmod(path_.c_str(), 0600) != 0 || ::listen(impl->listenFd.get(), 16) != 0) {
    auto error = io(path_ + ": " + errnoText());
    ::unlink(path_.c_str());
    return error;
  }
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) {
    auto error = io(path_ + ": pipe: " + errnoText());
    ::unlink(path_.c_str());
    return error;
  }
  impl->wakeRead.reset(pipeFds[0]);
  impl->wakeWrite.reset(pipeFds[1]);
  Impl* raw = impl.get();
  impl->acceptThread = std::thread([raw] { raw->acceptLoop(); });
  impl_ = std::move(impl);
  return {};
}

AdminServer::~AdminServer() {
  if (!impl_) return;
  char byte = 1;
  while (::write(impl_->wakeWrite.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  impl_->acceptThread.join();
  {
    std::lock_guard lock(impl_->mutex);
    for (auto& c : impl_->connections) c.thread.join();
    impl_->connections.clear();
  }
  impl_->listenFd.reset();
  ::unlink(path_.c_str());
}

bool AdminServer::listening() const {
  return impl_ != nullptr;
}

roam::Result<std::unique_ptr<AdminClient>> AdminClient::connect(const std::string& path) {
  sockaddr_un addr{};
  if (auto filled = fillAddress(path, addr); !filled) return filled.error();
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return roam::makeError(roam::ErrorCode::Io, errnoText());
  int rc;
  do {
    rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return roam::makeError(roam::ErrorCode::Connect, errnoText());
  std::unique_ptr<AdminClient> client(new AdminClient());
  client->fd_ = fd.release();
  return client;
}

AdminClient::~AdminClient() {
  if (fd_ >= 0) ::close(fd_);
}

roam::Result<nlohmann::json> AdminClient::request(const nlohmann::json& request) {
  if (fd_ < 0) return roam::makeError(roam::ErrorCode::Io, "not connected");
  auto broken = [&](std::string why,
                    roam::ErrorCode code = roam::ErrorCode::Io) -> roam::Result<nlohmann::json> {
    ::close(fd_);
    fd_ = -1;
    return roam::makeError(code, std::move(why));
  };
  if (!writeAll(fd_, request.dump() + "\n")) return broken("cannot send: " + errnoText());
  std::size_t newline;
  char chunk[4096];
  while ((newline = buffer_.find('\n')) == std::string::npos) {
    if (buffer_.size() > kMaxReplyLine) return broken("reply too long");
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, kReplyTimeoutMs);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0)
      return broken("no reply within " + std::to_string(kReplyTimeoutMs / 1000) + " s",
                    roam::ErrorCode::Timeout);
    if (n < 0) return broken(errnoText());
    ssize_t got = ::read(fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return broken(errnoText());
    if (got == 0) return broken("the server closed the connection");
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }
  std::string line = buffer_.substr(0, newline);
  buffer_.erase(0, newline + 1);
  auto reply = nlohmann::json::parse(line, nullptr, false);
  if (reply.is_discarded()) return broken("the reply is not JSON", roam::ErrorCode::BadAnswer);
  return reply;
}

}  // namespace roam::runtime
