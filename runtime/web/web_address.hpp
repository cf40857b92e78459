#pragma once
// Where `roam manager --web` listens (docs/web.md): "PORT" alone means
// loopback (127.0.0.1:PORT); otherwise ADDR:PORT as every listening flag
// takes it (common/listen_address.hpp: numeric IPv4, [IPv6], localhost).
// Any address but loopback serves only over mutual TLS with the manager's
// certificates; the rule is decided here, once, for the flag check and the
// server.

#include <filesystem>
#include <string>

#include "common/listen_address.hpp"
#include "common/result.hpp"

namespace roam::runtime {

struct WebAddress {
  ListenAddress listen;   // port 0: any free port (the log says which)
  bool loopback = false;  // 127.0.0.0/8 or ::1

  // HOST:PORT as HttpServer::listen takes it ("[::1]:8470" for IPv6).
  std::string hostPort() const;
};

// The address of --web, or why it is not one (ErrorCode::BadInput; the
// message quotes the text).
roam::Result<WebAddress> parseWebAddress(const std::string& text);

// The files mutual TLS needs for a non-loopback --web: DIR/ca.crt,
// DIR/IDENTITY.crt, DIR/IDENTITY.key. Ok when all are readable; otherwise
// the message names the missing ones and the way out.
roam::Status checkWebCertificates(const WebAddress& address, const std::filesystem::path& certs,
                                  const std::string& identity);

}  // namespace roam::runtime
