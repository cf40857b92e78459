#include "runtime/measure/ryu_port_stats_reader.hpp"

#include <cmath>
#include <optional>
#include <string>

#include <simdjson.h>

#include "runtime/measure/json_fields.hpp"
#include "runtime/measure/ryu_backend.hpp"

namespace roam::runtime {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// A counter as counterFromJson reads a JSON number: a non-negative integer,
// or an integral float below 2^64 (counterFromFloat). Strings (valid there) are left to the
// careful path, as is everything else.
std::optional<std::uint64_t> counter(element v) {
  switch (v.type()) {
    case element_type::UINT64:
      return std::uint64_t(v);
    case element_type::INT64: {
      const auto i = std::int64_t(v);
      if (i < 0) return std::nullopt;
      return static_cast<std::uint64_t>(i);
    }
    case element_type::DOUBLE:
      return counterFromFloat(double(v));
    default:
      return std::nullopt;
  }
}

std::optional<double> number(element v) {
  switch (v.type()) {
    case element_type::UINT64:
    case element_type::INT64:
    case element_type::DOUBLE: {
      const auto d = double(v);
      if (!std::isfinite(d)) return std::nullopt;
      return d;
    }
    default:
      return std::nullopt;
  }
}

std::optional<PortNumber> portNumber(element v) {
  if (std::string_view text; !v.get(text)) return portFromText(text);
  if (auto n = counter(v)) return portFromNumber(*n);
  return std::nullopt;
}

// One entry {"port_no": ..., "rx_bytes": ..., ...}. Nullopt whenever the
// careful parser might see it differently: a field twice, a field missing,
// a value of a kind it would reject or convert.
enum Field : unsigned {
  kPortNo = 1,
  kRxBytes = 2,
  kTxBytes = 4,
  kRxPackets = 8,
  kTxPackets = 16,
  kDurationSec = 32,
  kDurationNsec = 64
};
constexpr unsigned kRequired = kPortNo | kRxBytes | kTxBytes | kRxPackets | kTxPackets;

std::optional<std::optional<PortStats>> entry(element e) {
  simdjson::dom::object fields;
  if (e.get(fields)) return std::nullopt;
  unsigned seen = 0;
  PortNumber port;
  PortCounters c;
  std::uint64_t durationSec = 0;
  double durationNsec = 0;
  for (auto field : fields) {
    const std::string_view key = field.key;
    unsigned bit = 0;
    std::uint64_t* target = nullptr;
    if (key == "port_no") {
      bit = kPortNo;
      auto p = portNumber(field.value);
      if (!p || p->cls == PortClass::Invalid) return std::nullopt;
      port = *p;
    } else if (key == "rx_bytes") {
      bit = kRxBytes, target = &c.rxBytes;
    } else if (key == "tx_bytes") {
      bit = kTxBytes, target = &c.txBytes;
    } else if (key == "rx_packets") {
      bit = kRxPackets, target = &c.rxPackets;
    } else if (key == "tx_packets") {
      bit = kTxPackets, target = &c.txPackets;
    } else if (key == "duration_sec") {
      bit = kDurationSec, target = &durationSec;
    } else if (key == "duration_nsec") {
      bit = kDurationNsec;
      auto n = number(field.value);
      if (!n || *n < 0 || *n >= 1e9) return std::nullopt;
      durationNsec = *n;
    } else {
      continue;  // already validated as JSON by the parse; not needed
    }
    if (seen & bit) return std::nullopt;
    seen |= bit;
    if (target) {
      auto v = counter(field.value);
      if (!v) return std::nullopt;
      *target = *v;
    }
  }
  if ((seen & kRequired) != kRequired) return std::nullopt;
  if (seen & kDurationSec)
    c.durationSeconds = static_cast<double>(durationSec) + durationNsec / 1e9;
  if (port.cls != PortClass::Physical) return std::optional<PortStats>{};
  return std::optional<PortStats>{PortStats{port.port, c, std::nullopt}};
}

}  // namespace

struct RyuPortStatsReader::Parser {
  simdjson::dom::parser json;
};

RyuPortStatsReader::RyuPortStatsReader() : parser_(std::make_unique<Parser>()) {}
RyuPortStatsReader::~RyuPortStatsReader() = default;
RyuPortStatsReader::RyuPortStatsReader(RyuPortStatsReader&&) noexcept = default;
RyuPortStatsReader& RyuPortStatsReader::operator=(RyuPortStatsReader&&) noexcept = default;

Result<std::vector<PortStats>> RyuPortStatsReader::read(std::string_view text, Dpid dpid) {
  auto fast = [&]() -> std::optional<std::vector<PortStats>> {
    element doc;
    // parse() copies the text into the parser's own padded buffer.
    if (parser_->json.parse(text.data(), text.size()).get(doc)) return std::nullopt;
    simdjson::dom::object root;
    if (doc.get(root)) return std::nullopt;
    const std::string key = std::to_string(dpid);
    std::optional<element> value;
    for (auto field : root)
      if (field.key == key) {
        if (value) return std::nullopt;  // the key twice: the careful path decides
        value = field.value;
      }
    simdjson::dom::array entries;
    if (!value || value->get(entries)) return std::nullopt;
    std::vector<PortStats> out;
    out.reserve(entries.size());
    for (element e : entries) {
      auto stats = entry(e);
      if (!stats) return std::nullopt;
      if (*stats) out.push_back(**stats);
    }
    return out;
  }();
  if (fast) {
    ++fastReads_;
    return std::move(*fast);
  }
  return parseRyuPortStats(text, dpid);
}

}  // namespace roam::runtime
