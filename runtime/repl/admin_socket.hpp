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

namespace roam::runtime {

class AdminServer {
 public:
  // Answers one request object; called on the server's threads, so it must
  // be thread-safe.
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  // Binds `path` (removing a stale socket file first), chmod 0600, listens.
  // On failure `error` is set and the server does nothing.
  AdminServer(std::string path, Handler handler, std::string* error);
  // Stops accepting, closes connections, removes the socket file.
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  bool listening() const;
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

class AdminClient {
 public:
  // Connects; on failure `error` says why (no such socket, permission denied).
  AdminClient(const std::string& path, std::string* error);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  bool connected() const { return fd_ >= 0; }
  // Sends one request, waits for its reply; nullopt (and `error`) when the
  // connection broke.
  std::optional<nlohmann::json> request(const nlohmann::json& request, std::string* error);

 private:
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace roam::runtime
