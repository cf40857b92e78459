#pragma once
// "HOST:PORT" as agents, the client and the command line write addresses
// ("[::1]:7070" for IPv6).

#include <string>

#include "common/result.hpp"

namespace roam::agent {

struct HostPort {
  std::string host;
  unsigned short port = 0;
};

// Splits "HOST:PORT" (brackets around the host are dropped); a BadInput error
// for anything else or a port outside 0-65535.
roam::Result<HostPort> parseHostPort(const std::string& text);

}  // namespace roam::agent
