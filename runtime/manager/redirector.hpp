#pragma once
// Traffic redirection after a migration (docs/redirection.md): clients keep
// using a service's home address; OpenFlow rules installed through the SDN
// controller rewrite that traffic to the host the container runs on now, and
// the replies back to the home address.

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/measure/fetch_result.hpp"
#include "runtime/measure/http_client.hpp"

namespace roam::runtime {

struct Endpoint {
  std::string ip;   // dotted IPv4
  std::string mac;  // "aa:bb:cc:dd:ee:ff"; the home MAC is not used by the rules
};

struct Redirect {
  std::string container;
  Endpoint home;                   // where clients send traffic
  Endpoint target;                 // where the container runs now
  std::vector<int> tcpPorts;       // with udpPorts empty: all IP traffic
  std::vector<int> udpPorts;       // service ports over UDP
  std::vector<std::string> dpids;  // every switch, 16 hex digits
};

class Redirector {
 public:
  virtual ~Redirector() = default;
  // Replaces the container's rules so traffic for home reaches target. A
  // target equal to home only removes the rules. Errors: BadInput for a
  // malformed Redirect, else the controller's (one line naming the switch).
  virtual roam::Status redirect(const Redirect& r) = 0;
  // Removes the container's rules (it is back home, or gone).
  virtual roam::Status clear(const std::string& container,
                             const std::vector<std::string>& dpids) = 0;
};

// Ryu / os-ken ofctl_rest: POST /stats/flowentry/add|delete. Requests are
// serialised (one HTTP client), so one instance may be shared by threads.
class RyuFlowRedirector final : public Redirector {
 public:
  explicit RyuFlowRedirector(std::string baseUrl, HttpOptions http = {});

  roam::Status redirect(const Redirect& r) override;
  roam::Status clear(const std::string& container, const std::vector<std::string>& dpids) override;

  // Every switch the controller knows (GET /stats/switches), as 16 hex digits.
  Result<std::vector<std::string>> switches();

 private:
  roam::Status post(const std::string& dpid, const std::string& command,
                    const nlohmann::json& body);
  roam::Status clearLocked(const std::string& container, const std::vector<std::string>& dpids);

  std::string baseUrl_;  // without a trailing '/'
  std::mutex mutex_;
  HttpClient http_;
};

// Priority of the redirection rules: above everything the controller installs
// itself (0, 10, 20) and above common application rules.
inline constexpr int kRedirectPriority = 40000;
// High 32 bits of every redirection cookie ("ROAM").
inline constexpr std::uint64_t kRedirectCookieBase = 0x524f414d00000000ULL;

// kRedirectCookieBase | FNV-1a-32(container): one cookie per container, so its
// rules are removed on every switch with one delete by cookie.
std::uint64_t redirectCookie(const std::string& container);

// The bodies of POST /stats/flowentry/add for `r`, switch by switch (forward
// and reverse rule per service port, or one pair without ports). Exposed for
// tests.
std::vector<nlohmann::json> redirectFlows(const Redirect& r);
// The body of POST /stats/flowentry/delete removing the container's rules
// from switch `dpid`.
nlohmann::json clearFlow(const std::string& container, const std::string& dpid);

// Checks of the values a Redirect carries: ErrorCode::BadInput with what is wrong.
roam::Status checkIpv4(const std::string& text);
roam::Status checkMac(const std::string& text);
roam::Status checkDpid(const std::string& text);
// Success when `r` is complete and well-formed (addresses, ports 1..65535, dpids).
roam::Status checkRedirect(const Redirect& r);

// Adds one service port to `r`: "80" (TCP), "tcp/80" or "udp/53". False when
// `text` is not one of those with a port in 1..65535.
bool addServicePort(const std::string& text, Redirect& r);

}  // namespace roam::runtime
