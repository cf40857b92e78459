#include "runtime/web/web_address.hpp"

#include <unistd.h>

#include <arpa/inet.h>

#include <algorithm>

namespace roam::runtime {

std::string WebAddress::hostPort() const {
  const bool v6 = listen.host.find(':') != std::string::npos;
  return (v6 ? "[" + listen.host + "]" : listen.host) + ":" + std::to_string(listen.port);
}

roam::Result<WebAddress> parseWebAddress(const std::string& text) {
  const bool portOnly = !text.empty() && std::all_of(text.begin(), text.end(),
                                                     [](char c) { return c >= '0' && c <= '9'; });
  auto parsed = parseListenAddress(portOnly ? "127.0.0.1:" + text : text);
  if (!parsed)
    return roam::makeError(roam::ErrorCode::BadInput, "--web expects PORT or ADDR:PORT, got '" +
                                                          text + "': " + parsed.error().message);
  WebAddress a;
  a.listen = *parsed;
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, a.listen.host.c_str(), &v4) == 1)
    a.loopback = (ntohl(v4.s_addr) >> 24) == 127;
  else if (inet_pton(AF_INET6, a.listen.host.c_str(), &v6) == 1)
    a.loopback = IN6_IS_ADDR_LOOPBACK(&v6);
  return a;
}

roam::Status checkWebCertificates(const WebAddress& address, const std::filesystem::path& certs,
                                  const std::string& identity) {
  std::string missing;
  for (const std::string& name : {std::string("ca.crt"), identity + ".crt", identity + ".key"}) {
    const auto path = certs / name;
    if (::access(path.c_str(), R_OK) != 0) missing += (missing.empty() ? "" : ", ") + path.string();
  }
  if (missing.empty()) return {};
  return roam::makeError(
      roam::ErrorCode::BadInput,
      "--web " + address.hostPort() +
          " is not a loopback address, so the live view is served only over mutual TLS with "
          "the manager's certificates, and these cannot be read: " +
          missing +
          " (give --certs DIR and --identity NAME, see `roam certs`, or bind --web to "
          "127.0.0.1)");
}

}  // namespace roam::runtime
