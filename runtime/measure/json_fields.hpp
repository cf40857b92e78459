#pragma once
// Defensive readers for controller JSON, shared by the Ryu and Floodlight
// parsers. Every reader validates type and range and never throws; a value
// of the wrong shape yields nullopt and the caller reports where it was,
// with the error helpers below (wrongValue, missingField, the read* fields).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "runtime/measure/controller_backend.hpp"

namespace roam::runtime {

using Json = nlohmann::json;

// Parses a whole answer. Errors: "empty answer", "invalid JSON at byte 17: ..."
// (byte offsets count from 0).
Result<Json> parseJsonDocument(std::string_view text);

// "0000000000000001" (the form the VIB and Ryu's topology API use).
std::string formatDpid(Dpid dpid);
// "00:00:00:00:00:00:00:01" (Floodlight).
std::string formatDpidColons(Dpid dpid);
// Accepts 1 to 16 hex digits with an optional 0x, or eight colon-separated
// hex pairs. Whitespace or anything else: nullopt.
std::optional<Dpid> parseDpid(std::string_view text);
// A DPID given as a JSON number (decimal, as Ryu's /stats/switches) or string.
std::optional<Dpid> dpidFromJson(const Json& v);

// A non-negative integer counter: a JSON integer, an integral float
// (Ryu writes some as 9.76e+08), or a decimal string (Floodlight).
std::optional<std::uint64_t> counterFromJson(const Json& v);
// The float case of counterFromJson: an integral value in [0, 2^64).
std::optional<std::uint64_t> counterFromFloat(double d);
// A finite number, or a string holding one (Floodlight).
std::optional<double> numberFromJson(const Json& v);

enum class PortClass { Physical, Reserved, Invalid };
struct PortNumber {
  PortClass cls = PortClass::Invalid;
  int port = 0;  // when Physical
};
// A port number as an integer or a decimal string; names such as "LOCAL"
// and numbers from 0xffffff00 up (OpenFlow's reserved ports) are Reserved.
PortNumber portFromJson(const Json& v);
// The two cases of portFromJson, for readers that do not build a Json value.
PortNumber portFromNumber(std::uint64_t v);
PortNumber portFromText(std::string_view s);
// The same for Ryu's topology API, which writes ports as "%08x" strings.
PortNumber portFromHexJson(const Json& v);

// "string \"abc\"", "null", "object", "number -3" -- for error messages.
std::string describeJson(const Json& v);

// Errors that say where in the document a value was found, such as
// `"1"[2].rx_bytes: expected a non-negative integer, got string "x"`.
// `where` is the path so far ("[3]", "\"1\"[2]", "devices[0]").
std::string fieldPath(const std::string& where, std::string_view key);  // where.key
FetchError wrongValue(const std::string& where, const char* expected, const Json& got);
FetchError missingField(const std::string& where, std::string_view key);

// Reads the required port number `key` of `obj` (portFromJson) into `out`.
std::optional<FetchError> readPortField(const Json& obj, std::string_view key,
                                        const std::string& where, PortNumber& out);
// Appends the addresses of the optional "ipv4" array of `obj` to `out`;
// `expectedArray` names the array in the error when "ipv4" is not one.
std::optional<FetchError> readIpv4List(const Json& obj, const std::string& where,
                                       const char* expectedArray, std::vector<std::string>& out);

// Calls visit(element, where) for each element of `doc`, which must be an
// array ("expected <expectedArray>, got ...") of objects ("[3]: expected
// <expectedObject>, got ..."); the first error, its own or visit's, ends the walk.
template <class Visit>
std::optional<FetchError> forEachObject(const Json& doc, const char* expectedArray,
                                        const char* expectedObject, Visit visit) {
  if (!doc.is_array())
    return badAnswer(std::string("expected ") + expectedArray + ", got " + describeJson(doc));
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const Json& element = doc[i];
    const std::string where = "[" + std::to_string(i) + "]";
    if (!element.is_object()) return wrongValue(where, expectedObject, element);
    if (auto err = visit(element, where)) return err;
  }
  return std::nullopt;
}

// An array of link objects, whose ends readEnds(object, where, link, srcPort,
// dstPort) reads. A link with a reserved port at either end is left out.
template <class ReadEnds>
Result<std::vector<DiscoveredLink>> readLinkArray(const Json& doc, ReadEnds readEnds) {
  std::vector<DiscoveredLink> out;
  auto error =
      forEachObject(doc, "an array of links", "a link object",
                    [&](const Json& l, const std::string& where) -> std::optional<FetchError> {
                      DiscoveredLink link;
                      PortNumber src, dst;
                      if (auto err = readEnds(l, where, link, src, dst)) return err;
                      if (src.cls == PortClass::Physical && dst.cls == PortClass::Physical) {
                        link.srcPort = src.port;
                        link.dstPort = dst.port;
                        out.push_back(link);
                      }
                      return std::nullopt;
                    });
  if (error) return *error;
  return out;
}

// A MAC address normalised to lower case "aa:bb:cc:dd:ee:ff"; nullopt if malformed.
std::optional<std::string> normaliseMac(std::string_view text);
// A dotted-quad IPv4 address, unchanged; nullopt if malformed.
std::optional<std::string> checkIpv4(std::string_view text);

}  // namespace roam::runtime
