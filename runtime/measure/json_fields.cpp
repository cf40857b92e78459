#include "runtime/measure/json_fields.hpp"

#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>

namespace roam::runtime {

namespace {

// OpenFlow 1.3: port numbers from OFPP_MAX up are reserved (IN_PORT, LOCAL, ...).
constexpr std::uint64_t kOfppMax = 0xffffff00ULL;

std::optional<std::uint64_t> parseUnsigned(std::string_view s, int base) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool isReservedPortName(std::string_view s) {
  std::string upper;
  for (char c : s) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper == "LOCAL" || upper == "CONTROLLER" || upper == "IN_PORT" || upper == "TABLE" ||
         upper == "NORMAL" || upper == "FLOOD" || upper == "ALL" || upper == "ANY" ||
         upper == "NONE";
}

}  // namespace

PortNumber portFromNumber(std::uint64_t v) {
  if (v == 0) return {PortClass::Invalid, 0};
  if (v >= kOfppMax || v > static_cast<std::uint64_t>(INT_MAX)) return {PortClass::Reserved, 0};
  return {PortClass::Physical, static_cast<int>(v)};
}

PortNumber portFromText(std::string_view s) {
  if (isReservedPortName(s)) return {PortClass::Reserved, 0};
  auto n = parseUnsigned(s, 10);
  return n ? portFromNumber(*n) : PortNumber{};
}

Result<Json> parseJsonDocument(std::string_view text) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return badAnswer("empty answer");
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    return badAnswer("invalid JSON at byte " + std::to_string(offset));
  } catch (const Json::exception& e) {
    return badAnswer(std::string("invalid JSON (") + e.what() + ")");
  } catch (const std::exception& e) {
    return badAnswer(std::string("cannot parse the answer: ") + e.what());
  }
}

std::string formatDpid(Dpid dpid) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(dpid));
  return buf;
}

std::string formatDpidColons(Dpid dpid) {
  std::string hex = formatDpid(dpid);
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (i) out += ':';
    out += hex.substr(i, 2);
  }
  return out;
}

std::optional<Dpid> parseDpid(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    if (text.size() != 23) return std::nullopt;
    std::string hex;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (i % 3 == 2) {
        if (text[i] != ':') return std::nullopt;
      } else {
        if (!std::isxdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
        hex += text[i];
      }
    }
    return parseUnsigned(hex, 16);
  }
  if (text.starts_with("0x") || text.starts_with("0X")) text.remove_prefix(2);
  if (text.empty() || text.size() > 16) return std::nullopt;
  return parseUnsigned(text, 16);
}

std::optional<Dpid> dpidFromJson(const Json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i < 0) return std::nullopt;
    return static_cast<Dpid>(i);
  }
  if (v.is_string()) return parseDpid(v.get_ref<const std::string&>());
  return std::nullopt;
}

std::optional<std::uint64_t> counterFromFloat(double d) {
  // 2^64 is not representable as uint64; stay strictly below it.
  if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d >= 18446744073709551616.0)
    return std::nullopt;
  return static_cast<std::uint64_t>(d);
}

std::optional<std::uint64_t> counterFromJson(const Json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i < 0) return std::nullopt;
    return static_cast<std::uint64_t>(i);
  }
  if (v.is_number_float()) return counterFromFloat(v.get<double>());
  if (v.is_string()) return parseUnsigned(v.get_ref<const std::string&>(), 10);
  return std::nullopt;
}

std::optional<double> numberFromJson(const Json& v) {
  if (v.is_number()) {
    double d = v.get<double>();
    if (!std::isfinite(d)) return std::nullopt;
    return d;
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return std::nullopt;
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
    return d;
  }
  return std::nullopt;
}

PortNumber portFromJson(const Json& v) {
  if (v.is_string()) return portFromText(v.get_ref<const std::string&>());
  if (auto n = counterFromJson(v)) return portFromNumber(*n);
  return {};
}

PortNumber portFromHexJson(const Json& v) {
  if (!v.is_string()) return portFromJson(v);
  const auto& s = v.get_ref<const std::string&>();
  if (isReservedPortName(s)) return {PortClass::Reserved, 0};
  if (s.size() > 8) return {};
  auto n = parseUnsigned(s, 16);
  return n ? portFromNumber(*n) : PortNumber{};
}

std::string describeJson(const Json& v) {
  std::string text = v.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "string " + text;
    case Json::value_t::boolean:
      return "boolean " + text;
    default:
      return "number " + text;
  }
}

std::string fieldPath(const std::string& where, std::string_view key) {
  return where + "." + std::string(key);
}

FetchError wrongValue(const std::string& where, const char* expected, const Json& got) {
  return badAnswer(where + ": expected " + expected + ", got " + describeJson(got));
}

FetchError missingField(const std::string& where, std::string_view key) {
  return badAnswer(where + ": missing \"" + std::string(key) + "\"");
}

std::optional<FetchError> readPortField(const Json& obj, std::string_view key,
                                        const std::string& where, PortNumber& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return missingField(where, key);
  out = portFromJson(*it);
  if (out.cls == PortClass::Invalid) return wrongValue(fieldPath(where, key), "a port number", *it);
  return std::nullopt;
}

std::optional<FetchError> readIpv4List(const Json& obj, const std::string& where,
                                       const char* expectedArray, std::vector<std::string>& out) {
  auto ips = obj.find("ipv4");
  if (ips == obj.end()) return std::nullopt;
  if (!ips->is_array()) return wrongValue(fieldPath(where, "ipv4"), expectedArray, *ips);
  for (std::size_t k = 0; k < ips->size(); ++k) {
    const Json& ip = (*ips)[k];
    auto ok = ip.is_string() ? checkIpv4(ip.get_ref<const std::string&>()) : std::nullopt;
    if (!ok)
      return wrongValue(fieldPath(where, "ipv4") + "[" + std::to_string(k) + "]", "an IPv4 address",
                        ip);
    out.push_back(*ok);
  }
  return std::nullopt;
}

std::optional<std::string> normaliseMac(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (i % 3 == 2) {
      if (c != ':' && c != '-') return std::nullopt;
      out += ':';
    } else {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::optional<std::string> checkIpv4(std::string_view text) {
  int parts = 0;
  std::size_t i = 0;
  while (i <= text.size()) {
    std::size_t dot = text.find('.', i);
    if (dot == std::string_view::npos) dot = text.size();
    auto part = text.substr(i, dot - i);
    if (part.empty() || part.size() > 3) return std::nullopt;
    auto n = parseUnsigned(part, 10);
    if (!n || *n > 255) return std::nullopt;
    ++parts;
    i = dot + 1;
    if (dot == text.size()) break;
  }
  if (parts != 4) return std::nullopt;
  return std::string(text);
}

}  // namespace roam::runtime
