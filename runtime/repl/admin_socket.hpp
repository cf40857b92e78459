#pragma once
// The manager's admin socket: a unix stream socket, mode 0600 (only its owner,
// normally root, may connect), one JSON object per line each way.
//
//   {"execute": "LINE"}                        -> {"ok": B, "text": S, "json": J}
//   {"complete": "LINE", "word_start": N}      -> {"candidates": [S...]}
//   {"describe": true}                         -> {"text": S}
//
// A malformed request gets {"ok": false, "text": "...error..."} and the
// connection stays open. Clients are served one at a time per connection,
// several connections at once.

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"

namespace roam::runtime {

class AdminServer {
 public:
  // Answers one request object; called on the server's threads, so it must
  // be thread-safe.
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  // Binds `path` (removing a stale socket file first), chmod 0600, listens;
  // or the error, one line naming the path (Conflict: not a socket, or another
  // server listens on it; BadInput: path too long; Io otherwise).
  static roam::Result<std::unique_ptr<AdminServer>> listen(std::string path, Handler handler);
  // Stops accepting, closes connections, removes the socket file.
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  bool listening() const;
  const std::string& path() const { return path_; }

 private:
  explicit AdminServer(std::string path);
  roam::Status start(Handler handler);

  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

class AdminClient {
 public:
  // Connects, or says why not (ErrorCode::Connect: no such socket, permission
  // denied, with strerror's text).
  static roam::Result<std::unique_ptr<AdminClient>> connect(const std::string& path);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends one request, waits for its reply; or why the connection broke
  // (ErrorCode::Io, or Timeout when no reply came in time).
  roam::Result<nlohmann::json> request(const nlohmann::json& request);

 private:
  AdminClient() = default;

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace roam::runtime
