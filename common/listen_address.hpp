#pragma once
// "ADDR:PORT" for a daemon's listening socket (`--metrics`, `--web`):
// a numeric IPv4 or IPv6 address ("[::1]:9100"; "localhost" is 127.0.0.1)
// and a port 0-65535 (0: any free port). No name lookups.

#include <string>

#include "common/result.hpp"

namespace roam {

struct ListenAddress {
  std::string host;  // numeric, without brackets
  unsigned short port = 0;
};

// A BadInput error whose message says what is wrong ("expected ADDR:PORT
// (the port must be a number from 0 to 65535), got '...'"), for flags and
// configuration keys to report at their place.
Result<ListenAddress> parseListenAddress(const std::string& text);

}  // namespace roam
