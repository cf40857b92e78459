#pragma once
// "HOST:PORT" as agents, the client and the command line write addresses
// ("[::1]:7070" for IPv6).

#include <string>
#include <variant>

namespace roam::agent {

struct HostPort {
  std::string host;
  unsigned short port = 0;
};

// Splits "HOST:PORT" (brackets around the host are dropped); an error message
// for anything else or a port outside 0-65535.
std::variant<HostPort, std::string> parseHostPort(const std::string& text);

}  // namespace roam::agent
