#include "agent/transport/host_port.hpp"

#include <charconv>
#include <string_view>

namespace roam::agent {

roam::Result<HostPort> parseHostPort(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return roam::makeError(roam::ErrorCode::BadInput, "expected HOST:PORT, got '" + text + "'");
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto digits = std::string_view(text).substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc() || end != digits.data() + digits.size() || port > 65535)
    return roam::makeError(roam::ErrorCode::BadInput,
                           "invalid port in '" + text + "' (expected 0-65535)");
  return HostPort{host, static_cast<unsigned short>(port)};
}

}  // namespace roam::agent
