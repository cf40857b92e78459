#include "runtime/manager/redirector.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <cstdio>

namespace roam::runtime {

namespace {

using Json = nlohmann::json;

constexpr std::uint64_t kAllBits = 0xffffffffffffffffULL;
constexpr int kAllTables = 255;  // OFPTT_ALL
constexpr int kEthTypeIpv4 = 0x0800;
constexpr int kTcp = 6;
constexpr int kUdp = 17;

// ofctl_rest reads "dpid" with int(str(dpid), 0): a JSON integer, as Ryu's
// own clients send it (a zero-padded hex string would be rejected).
std::uint64_t dpidNumber(const std::string& dpid) {
  return std::stoull(dpid, nullptr, 16);
}

Json setField(const char* field, const std::string& value) {
  return {{"type", "SET_FIELD"}, {"field", field}, {"value", value}};
}

Json outputNormal() {
  return {{"type", "OUTPUT"}, {"port", "NORMAL"}};
}

Json flow(const std::string& dpid, std::uint64_t cookie, Json match, Json actions) {
  return {{"dpid", dpidNumber(dpid)},
          {"cookie", cookie},
          {"table_id", 0},
          {"priority", kRedirectPriority},
          {"match", std::move(match)},
          {"actions", std::move(actions)}};
}

// The forward and reverse rule of one service port (proto 0: all IP traffic).
void addPair(std::vector<Json>& out, const Redirect& r, const std::string& dpid,
             std::uint64_t cookie, int proto, int port) {
  Json forward = {{"eth_type", kEthTypeIpv4}, {"ipv4_dst", r.home.ip}};
  Json reverse = {{"eth_type", kEthTypeIpv4}, {"ipv4_src", r.target.ip}};
  if (proto != 0) {
    const char* dst = proto == kTcp ? "tcp_dst" : "udp_dst";
    const char* src = proto == kTcp ? "tcp_src" : "udp_src";
    forward["ip_proto"] = proto;
    forward[dst] = port;
    reverse["ip_proto"] = proto;
    reverse[src] = port;
  }
  out.push_back(flow(dpid, cookie, std::move(forward),
                     Json::array({setField("eth_dst", r.target.mac),
                                  setField("ipv4_dst", r.target.ip), outputNormal()})));
  // eth_src is left alone: rewriting it to the home MAC would make the
  // switches' MAC learning move the home host to the new host's port.
  out.push_back(flow(dpid, cookie, std::move(reverse),
                     Json::array({setField("ipv4_src", r.home.ip), outputNormal()})));
}

roam::Error badInput(std::string message) {
  return roam::makeError(roam::ErrorCode::BadInput, std::move(message));
}

bool isHex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

std::uint64_t redirectCookie(const std::string& container) {
  std::uint32_t hash = 2166136261u;  // FNV-1a, 32 bits
  for (unsigned char c : container) {
    hash ^= c;
    hash *= 16777619u;
  }
  return kRedirectCookieBase | hash;
}

std::vector<Json> redirectFlows(const Redirect& r) {
  std::vector<Json> out;
  const std::uint64_t cookie = redirectCookie(r.container);
  for (const auto& dpid : r.dpids) {
    if (r.tcpPorts.empty() && r.udpPorts.empty()) {
      addPair(out, r, dpid, cookie, 0, 0);
      continue;
    }
    for (int port : r.tcpPorts) addPair(out, r, dpid, cookie, kTcp, port);
    for (int port : r.udpPorts) addPair(out, r, dpid, cookie, kUdp, port);
  }
  return out;
}

Json clearFlow(const std::string& container, const std::string& dpid) {
  return {{"dpid", dpidNumber(dpid)},
          {"cookie", redirectCookie(container)},
          {"cookie_mask", kAllBits},
          {"table_id", kAllTables}};
}

roam::Status checkIpv4(const std::string& text) {
  in_addr addr{};
  if (::inet_pton(AF_INET, text.c_str(), &addr) != 1)
    return badInput("'" + text + "' is not an IPv4 address");
  return {};
}

roam::Status checkMac(const std::string& text) {
  bool ok = text.size() == 17;
  for (std::size_t i = 0; ok && i < text.size(); ++i)
    ok = i % 3 == 2 ? text[i] == ':' : isHex(text[i]);
  if (ok) return {};
  return badInput("'" + text + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
}

roam::Status checkDpid(const std::string& text) {
  bool ok = text.size() == 16;
  for (char c : text) ok = ok && isHex(c);
  if (ok) return {};
  return badInput("'" + text + "' is not a datapath id (16 hex digits)");
}

bool addServicePort(const std::string& text, Redirect& r) {
  std::string number = text;
  bool udp = false;
  if (text.starts_with("tcp/")) {
    number = text.substr(4);
  } else if (text.starts_with("udp/")) {
    number = text.substr(4);
    udp = true;
  }
  if (number.empty() || number.size() > 5 ||
      number.find_first_not_of("0123456789") != std::string::npos)
    return false;
  const int port = std::stoi(number);
  if (port < 1 || port > 65535) return false;
  (udp ? r.udpPorts : r.tcpPorts).push_back(port);
  return true;
}

roam::Status checkRedirect(const Redirect& r) {
  if (r.container.empty()) return badInput("no container name");
  if (auto s = checkIpv4(r.home.ip); !s) return badInput("home: " + s.error().message);
  if (auto s = checkIpv4(r.target.ip); !s) return badInput("target: " + s.error().message);
  if (auto s = checkMac(r.target.mac); !s) return badInput("target: " + s.error().message);
  if (!r.home.mac.empty())
    if (auto s = checkMac(r.home.mac); !s) return badInput("home: " + s.error().message);
  for (const auto* ports : {&r.tcpPorts, &r.udpPorts})
    for (int p : *ports)
      if (p < 1 || p > 65535) return badInput("port " + std::to_string(p) + " is not in 1..65535");
  for (const auto& d : r.dpids)
    if (auto s = checkDpid(d); !s) return s;
  return {};
}

RyuFlowRedirector::RyuFlowRedirector(std::string baseUrl, HttpOptions http)
    : baseUrl_(std::move(baseUrl)), http_(http) {
  while (!baseUrl_.empty() && baseUrl_.back() == '/') baseUrl_.pop_back();
}

roam::Status RyuFlowRedirector::post(const std::string& dpid, const std::string& command,
                                     const Json& body) {
  auto answer = http_.post(baseUrl_ + "/stats/flowentry/" + command, body.dump());
  if (!answer)
    return roam::makeError(answer.error().code(),
                           "switch " + dpid + ": " + answer.error().message());
  return {};
}

roam::Status RyuFlowRedirector::clearLocked(const std::string& container,
                                            const std::vector<std::string>& dpids) {
  // Every switch is tried, so one that is down does not keep stale rules on
  // the others; the first error is reported.
  roam::Status first;
  for (const auto& dpid : dpids) {
    auto posted = post(dpid, "delete", clearFlow(container, dpid));
    if (first.ok()) first = std::move(posted);
  }
  return first;
}

roam::Status RyuFlowRedirector::clear(const std::string& container,
                                      const std::vector<std::string>& dpids) {
  for (const auto& d : dpids)
    if (auto s = checkDpid(d); !s) return s;
  std::lock_guard lock(mutex_);
  return clearLocked(container, dpids);
}

roam::Status RyuFlowRedirector::redirect(const Redirect& r) {
  if (auto s = checkRedirect(r); !s) return s;
  std::lock_guard lock(mutex_);
  if (auto s = clearLocked(r.container, r.dpids); !s) return s;
  if (r.target.ip == r.home.ip) return {};  // back home: nothing to rewrite
  for (const auto& body : redirectFlows(r)) {
    char dpid[17];
    std::snprintf(dpid, sizeof dpid, "%016llx",
                  static_cast<unsigned long long>(body["dpid"].get<std::uint64_t>()));
    if (auto s = post(dpid, "add", body); !s) return s;
  }
  return {};
}

Result<std::vector<std::string>> RyuFlowRedirector::switches() {
  std::lock_guard lock(mutex_);
  const std::string url = baseUrl_ + "/stats/switches";
  auto answer = http_.get(url);
  if (!answer) return answer.error();
  Json doc = Json::parse(answer->body, nullptr, false);
  if (doc.is_discarded() || !doc.is_array())
    return FetchError{FetchError::Kind::BadAnswer, "GET " + url, "expected a list of datapath ids"};
  std::vector<std::string> out;
  for (const auto& v : doc) {
    if (!v.is_number_unsigned())
      return FetchError{FetchError::Kind::BadAnswer, "GET " + url,
                        "expected a list of datapath ids, got " + v.dump()};
    char dpid[17];
    std::snprintf(dpid, sizeof dpid, "%016llx",
                  static_cast<unsigned long long>(v.get<std::uint64_t>()));
    out.push_back(dpid);
  }
  return out;
}

}  // namespace roam::runtime
