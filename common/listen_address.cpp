#include "common/listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace roam {

Result<ListenAddress> parseListenAddress(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return makeError(ErrorCode::BadInput, "expected ADDR:PORT (" + why + "), got '" + text + "'");
  };
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return bad("no port");
  std::string host = text.substr(0, colon);
  std::string port = text.substr(colon + 1);
  bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed)
    host = host.substr(1, host.size() - 2);
  else if (host.find(':') != std::string::npos)
    return bad("an IPv6 address goes in brackets: [::1]:9100");
  if (host == "localhost" && !bracketed) host = "127.0.0.1";
  unsigned char buf[16];
  int family = bracketed ? AF_INET6 : AF_INET;
  if (inet_pton(family, host.c_str(), buf) != 1)
    return bad("'" + host + "' is not a numeric IP" + (bracketed ? "v6" : "v4") + " address");
  unsigned value = 0;
  auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || err != std::errc() || end != port.data() + port.size() || value > 65535)
    return bad("the port must be a number from 0 to 65535");
  return ListenAddress{host, static_cast<unsigned short>(value)};
}

}  // namespace roam
