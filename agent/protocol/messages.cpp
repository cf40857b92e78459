#include "agent/protocol/messages.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <concepts>
#include <functional>
#include <limits>
#include <set>
#include <type_traits>
#include <utility>

namespace roam::agent {

namespace {

using nlohmann::json;

// A message that does not decode: a violation of the protocol.
roam::Error malformed(std::string message) {
  return roam::makeError(roam::ErrorCode::Protocol, std::move(message));
}

// In MessageType's order.
constexpr std::array<std::string_view, 27> kTypeNames = {
    "MIGRATE",    "DATA",         "SUCCESS",     "FAILURE",   "DONE",          "ERROR",
    "PROGRESS",   "PING",         "PONG",        "STATUS",    "STATUS_REPLY",  "MTD_SETUP",
    "MTD_READY",  "MTD_MIGRATE",  "KEY_REQUEST", "KEY_REPLY", "LATENCY_PROBE", "LATENCY_REPORT",
    "PREPARE",    "IMAGE_NEEDED", "IMAGE",       "READY",     "ROUND",         "ROUND_END",
    "ROUND_DONE", "ABORT",        "CHECKPOINT"};
static_assert(kTypeNames.size() == std::variant_size_v<Message>,
              "one name per Message alternative, in MessageType's order");

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool isLowerHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// First character alphanumeric, the rest alphanumeric or one of EXTRA, length in
// 1..MAXLEN. Hand-written rather than std::regex: these run on every frame.
bool matchesWord(std::string_view s, std::string_view extra, std::size_t maxLen) {
  if (s.empty() || s.size() > maxLen || !isAlnum(s.front())) return false;
  for (char c : s)
    if (!isAlnum(c) && extra.find(c) == std::string_view::npos) return false;
  return true;
}

// Migration ids, container ids, agent names: [A-Za-z0-9][A-Za-z0-9._:-]{0,127}.
bool isId(std::string_view s) {
  return matchesWord(s, "._:-", kMaxIdBytes);
}
// Docker's rule for container and volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool isDockerName(std::string_view s) {
  return matchesWord(s, "_.-", kMaxIdBytes);
}

bool isLowerHexText(std::string_view s) {
  for (char c : s)
    if (!isLowerHex(c)) return false;
  return true;
}

bool isSha256(std::string_view s) {
  return s.size() == 64 && isLowerHexText(s);
}

bool isStreamChecksum(std::string_view s) {
  return s.size() == 32 && isLowerHexText(s);
}

bool isLayerId(std::string_view s) {
  return s.size() == 71 && s.starts_with("sha256:") && isSha256(s.substr(7));
}

bool isScheme(std::string_view s) {
  return s == "shamir" || s == "fountain" || s == "prf";
}

bool isPem(std::string_view s) {
  return s.starts_with("-----BEGIN PUBLIC KEY-----");
}

bool isMode(std::string_view s) {
  return s == "auto" || s == "snapshot" || s == "checkpoint";
}

// A progress phase: a short lowercase word such as "snapshot" or "transfer".
bool isPhase(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s.front() >= 'a' && s.front() <= 'z')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

// "HOST:PORT": a host name or IPv4 address, or a bracketed IPv6 address; port 1..65535.
bool isAddress(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = s.substr(0, colon), port = s.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 1 || value > 65535) return false;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::string_view inner = host.substr(1, host.size() - 2);
    if (inner.empty() || inner.size() > 45) return false;
    for (char c : inner)
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    return true;
  }
  return host.size() <= 253 && matchesWord(host, ".-_", 253);
}

bool isIdOrEmpty(std::string_view s) {
  return s.empty() || isId(s);
}
bool isAgentNameOrAddress(std::string_view s) {
  return isId(s) || isAddress(s);
}
bool isCompression(std::string_view s) {
  return s == "zstd" || s == "none";
}

// A string field's rule: at most MAXLEN bytes, empty or not, and when VALID is
// set, a value it accepts (EXPECTED names the rule in errors).
struct TextRule {
  bool (*valid)(std::string_view) = nullptr;
  std::string_view expected;
  std::size_t maxLen = kMaxTextBytes;
  bool allowEmpty = true;
};

constexpr TextRule kText{};
constexpr TextRule kNonEmptyText{nullptr, "", kMaxTextBytes, false};
constexpr TextRule kId{isId, "an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})"};
constexpr TextRule kIdOrEmpty{isIdOrEmpty, "\"\" or an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})"};
constexpr TextRule kContainerName{isDockerName,
                                  "a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128)"};
constexpr TextRule kMode{isMode, "a mode (auto, snapshot or checkpoint)"};
constexpr TextRule kAddress{isAddress, "HOST:PORT with port 1..65535"};
constexpr TextRule kAgentNameOrAddress{isAgentNameOrAddress, "an agent name or HOST:PORT"};
constexpr TextRule kPhase{isPhase, "a phase ([a-z][a-z0-9_-]{0,63})"};
constexpr TextRule kCompression{isCompression, "zstd or none"};
constexpr TextRule kStreamChecksum{isStreamChecksum, "32 lowercase hex digits"};
constexpr TextRule kLayerId{isLayerId, "sha256: and 64 lowercase hex digits"};
constexpr TextRule kScheme{isScheme, "a scheme (shamir, fountain or prf)"};
constexpr TextRule kPem{isPem, "a PEM public key (-----BEGIN PUBLIC KEY-----)", kMaxPemBytes};

// An array of objects: at most MAXITEMS, at least one when NONEMPTY, and when
// UNIQUENAMES is set (e.g. "peer"), each item's `name` unique.
struct ListRule {
  std::size_t maxItems;
  bool nonEmpty = false;
  std::string_view uniqueNames;
};

constexpr auto kNoLimit = std::numeric_limits<std::size_t>::max();

// How a message's fields are described (see `describe` below): each message
// type has one function that names its fields with their rules, in the order
// the decoder checks them (the first problem is the one reported). Two
// classes implement the same operations: FieldDecoder reads and validates a
// header into a message, FieldEncoder writes a message into a header (it
// validates nothing, as toHeader promises). A rule that only constrains what
// is accepted (onlyIf, the limits) is a no-op for the encoder.

// Reads fields of one message's header, remembering the first problem. Every
// operation leaves a default value after an error, so a description runs
// straight through and the caller checks ok() once.
class FieldDecoder {
 public:
  // PREFIX (e.g. "peers[2].") is put before field names in errors.
  FieldDecoder(std::string_view type, const json& object, std::string prefix = "")
      : type_(type), object_(object), prefix_(std::move(prefix)) {}

  bool ok() const { return error_.empty(); }
  std::string error() const { return error_; }

  void text(std::string_view key, std::string& value, const TextRule& rule) {
    std::string s = textAt(key, rule.maxLen, rule.allowEmpty);
    if (rule.valid && ok() && !rule.valid(s)) fail(key, "expected " + std::string(rule.expected));
    value = ok() ? std::move(s) : std::string();
  }

  // Bytes as lowercase hex: non-empty, an even number of digits, at most MAXDIGITS.
  void hex(std::string_view key, std::string& value, std::size_t maxDigits) {
    std::string s = textAt(key, maxDigits, false);
    if (ok() && !isLowerHexText(s))
      fail(key, "expected lowercase hex digits");
    else if (ok() && s.size() % 2 != 0)
      fail(key, "expected an even number of hex digits");
    value = ok() ? std::move(s) : std::string();
  }

  // Exactly DIGITS lowercase hex digits.
  void hexDigits(std::string_view key, std::string& value, std::size_t digits) {
    value = hexDigitsAt(key, digits);
  }

  // A 64-bit integer as exactly 16 lowercase hex digits (big-endian).
  void hex64(std::string_view key, std::uint64_t& value) {
    std::uint64_t n = 0;
    for (char c : hexDigitsAt(key, 16))
      n = n << 4 | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    value = n;
  }

  // A non-negative JSON integer of at most MAX.
  template <class Int>
  void integer(std::string_view key, Int& value,
               std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
    value = static_cast<Int>(u64(key, max));
  }

  // A JSON integer in MIN..MAX.
  template <class Int>
  void integerIn(std::string_view key, Int& value, std::uint64_t min, std::uint64_t max) {
    std::uint64_t n = u64(key);
    if (ok() && (n < min || n > max)) {
      fail(key, "out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
      n = 0;
    }
    value = static_cast<Int>(n);
  }

  // A finite non-negative number (JSON integers are accepted too).
  void number(std::string_view key, double& value) {
    value = 0;
    const json* v = find(key);
    if (!v) return;
    if (!v->is_number()) return fail(key, "expected a number");
    double d = v->get<double>();
    if (!std::isfinite(d) || d < 0) return fail(key, "expected a finite non-negative number");
    value = d;
  }

  void boolean(std::string_view key, bool& value) {
    value = false;
    const json* v = find(key);
    if (!v) return;
    if (!v->is_boolean()) return fail(key, "expected a boolean");
    value = v->get<bool>();
  }

  // A JSON object of at most MAXBYTES when dumped.
  void object(std::string_view key, json& value, std::size_t maxBytes = kNoLimit) {
    value = json::object();
    const json* v = find(key);
    if (!v) return;
    if (!v->is_object()) return fail(key, "expected an object");
    value = *v;
    if (maxBytes != kNoLimit &&
        value.dump(-1, ' ', false, json::error_handler_t::replace).size() > maxBytes)
      fail(key, "larger than " + std::to_string(maxBytes) + " bytes");
  }

  // Any JSON array, kept as it is.
  void array(std::string_view key, json& value) {
    if (const json* v = arrayAt(key, kNoLimit)) value = *v;
  }

  // Layer ids ("sha256:<64 hex>"), at most kMaxLayers.
  void layerIds(std::string_view key, std::vector<std::string>& value) {
    value.clear();
    const json* items = arrayAt(key, kMaxLayers);
    if (!items) return;
    for (std::size_t i = 0; i < items->size() && ok(); ++i) {
      const json& item = (*items)[i];
      const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
      if (!item.is_string())
        fail(field, "expected a string");
      else if (!isLayerId(item.get_ref<const std::string&>()))
        fail(field, "expected a layer id (sha256:<64 lowercase hex>)");
      else
        value.push_back(item.get<std::string>());
    }
  }

  // An object whose fields DESCRIBE(decoder, value) names; its errors name
  // "KEY.field".
  template <class T, class Describe>
  void nested(std::string_view key, T& value, Describe describe) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_object()) return fail(key, "expected an object");
    FieldDecoder f = nestedAt(*v, key);
    describe(f, value);
    adopt(f);
  }
  // The same, required here, for a value that is optional in the struct.
  template <class T, class Describe>
  void nested(std::string_view key, std::optional<T>& value, Describe describe) {
    nested(key, value.emplace(), describe);
  }

  // An array of objects, each described by DESCRIBE (errors name "KEY[i].field").
  template <class T, class Describe>
  void list(std::string_view key, std::vector<T>& items, const ListRule& rule, Describe describe) {
    items.clear();
    const json* values = arrayAt(key, rule.maxItems);
    if (!values) return;
    std::set<std::string, std::less<>> names;
    for (std::size_t i = 0; i < values->size() && ok(); ++i) {
      const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
      const json& value = (*values)[i];
      if (!value.is_object()) return fail(field, "expected an object");
      FieldDecoder f = nestedAt(value, field);
      T item;
      describe(f, item);
      if (!f.ok()) return adopt(f);
      if constexpr (requires { item.name; }) {
        if (!rule.uniqueNames.empty() && !names.insert(item.name).second)
          return fail(field + ".name",
                      "duplicate " + std::string(rule.uniqueNames) + " name '" + item.name + "'");
      }
      items.push_back(std::move(item));
    }
    if (ok() && rule.nonEmpty && items.empty()) fail(key, "must not be empty");
  }

  // Exactly one of the objects KEYA (an A) and KEYB (a B).
  template <class A, class B, class DescribeA, class DescribeB>
  void oneOf(std::variant<A, B>& value, std::string_view keyA, DescribeA describeA,
             std::string_view keyB, DescribeB describeB) {
    if (has(keyA) == has(keyB))
      fail(keyA, "expected exactly one of " + std::string(keyA) + " or " + std::string(keyB));
    else if (has(keyA))
      nested(keyA, value.template emplace<A>(), describeA);
    else
      nested(keyB, value.template emplace<B>(), describeB);
  }

  // An optional field: whether KEY is present (the encoder: whether to write
  // it, WRITTEN). False after an error.
  bool optional(std::string_view key, bool /*written*/) const { return has(key); }

  // Refuses KEY unless ALLOWED, with PROBLEM; nothing for the encoder.
  void onlyIf(bool allowed, std::string_view key, std::string_view problem) {
    if (!allowed && has(key)) fail(key, problem);
  }

 private:
  bool has(std::string_view key) const { return ok() && object_.contains(key); }

  FieldDecoder nestedAt(const json& value, std::string_view field) const {
    return FieldDecoder(type_, value, prefix_ + std::string(field) + ".");
  }

  void fail(std::string_view field, std::string_view problem) {
    if (ok())
      error_ = std::string(type_) + ": field '" + prefix_ + std::string(field) +
               "': " + std::string(problem);
  }

  // Takes over the first error of a decoder of a nested object.
  void adopt(const FieldDecoder& nested) {
    if (ok()) error_ = nested.error_;
  }

  // The value at KEY or nullptr (and an error) when it is missing.
  const json* find(std::string_view key) {
    if (!ok()) return nullptr;
    auto it = object_.find(key);
    if (it == object_.end()) {
      fail(key, "missing");
      return nullptr;
    }
    return &*it;
  }

  std::string textAt(std::string_view key, std::size_t maxLen, bool allowEmpty) {
    const json* v = find(key);
    if (!v) return {};
    if (!v->is_string()) {
      fail(key, "expected a string");
      return {};
    }
    const auto& s = v->get_ref<const std::string&>();
    if (s.size() > maxLen)
      fail(key, "longer than " + std::to_string(maxLen) + " bytes");
    else if (s.empty() && !allowEmpty)
      fail(key, "must not be empty");
    return s;
  }

  std::string hexDigitsAt(std::string_view key, std::size_t digits) {
    std::string s = textAt(key, kMaxTextBytes, true);
    if (ok() && !(s.size() == digits && isLowerHexText(s)))
      fail(key, "expected " + std::to_string(digits) + " lowercase hex digits");
    return ok() ? s : std::string();
  }

  std::uint64_t u64(std::string_view key,
                    std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
    const json* v = find(key);
    if (!v) return 0;
    // Floats are refused even when integral: 1.0 would not survive a round trip as 1.
    if (!v->is_number_integer() || (!v->is_number_unsigned() && v->get<std::int64_t>() < 0)) {
      fail(key, "expected a non-negative integer");
      return 0;
    }
    auto n = v->get<std::uint64_t>();
    if (n > max) {
      fail(key, "out of range (at most " + std::to_string(max) + ")");
      return 0;
    }
    return n;
  }

  const json* arrayAt(std::string_view key, std::size_t maxItems) {
    const json* v = find(key);
    if (!v) return nullptr;
    if (!v->is_array()) {
      fail(key, "expected an array");
      return nullptr;
    }
    if (v->size() > maxItems) {
      fail(key, "more than " + std::to_string(maxItems) + " items");
      return nullptr;
    }
    return v;
  }

  std::string_view type_;
  const json& object_;
  std::string prefix_;
  std::string error_;
};

// Writes a message's fields into a header object, FieldDecoder's operations
// in reverse. Validates nothing.
class FieldEncoder {
 public:
  json take() { return std::move(out_); }

  void text(std::string_view key, const std::string& value, const TextRule&) { put(key, value); }
  void hex(std::string_view key, const std::string& value, std::size_t) { put(key, value); }
  void hexDigits(std::string_view key, const std::string& value, std::size_t) { put(key, value); }

  // Exactly 16 lowercase hex digits, big-endian.
  void hex64(std::string_view key, std::uint64_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(16, '0');
    for (int i = 15; i >= 0; --i, n >>= 4) out[static_cast<std::size_t>(i)] = kDigits[n & 0xf];
    put(key, out);
  }

  template <class Int>
  void integer(std::string_view key, Int value, std::uint64_t = 0) {
    put(key, value);
  }
  template <class Int>
  void integerIn(std::string_view key, Int value, std::uint64_t, std::uint64_t) {
    put(key, value);
  }
  void number(std::string_view key, double value) { put(key, value); }
  void boolean(std::string_view key, bool value) { put(key, value); }
  void object(std::string_view key, const json& value, std::size_t = 0) { put(key, value); }
  void array(std::string_view key, const json& value) { put(key, value); }
  void layerIds(std::string_view key, const std::vector<std::string>& value) { put(key, value); }

  template <class T, class Describe>
  void nested(std::string_view key, const T& value, Describe describe) {
    FieldEncoder f;
    describe(f, value);
    put(key, f.take());
  }
  // An optional struct member: written when set.
  template <class T, class Describe>
  void nested(std::string_view key, const std::optional<T>& value, Describe describe) {
    if (value) nested(key, *value, describe);
  }

  template <class T, class Describe>
  void list(std::string_view key, const std::vector<T>& items, const ListRule&, Describe describe) {
    json out = json::array();
    for (const auto& item : items) {
      FieldEncoder f;
      describe(f, item);
      out.push_back(f.take());
    }
    put(key, std::move(out));
  }

  template <class A, class B, class DescribeA, class DescribeB>
  void oneOf(const std::variant<A, B>& value, std::string_view keyA, DescribeA describeA,
             std::string_view keyB, DescribeB describeB) {
    if (const auto* a = std::get_if<A>(&value))
      nested(keyA, *a, describeA);
    else
      nested(keyB, std::get<B>(value), describeB);
  }

  bool optional(std::string_view, bool written) const { return written; }
  void onlyIf(bool, std::string_view, std::string_view) {}

 private:
  template <class V>
  void put(std::string_view key, V&& value) {
    out_[std::string(key)] = std::forward<V>(value);
  }

  json out_ = json::object();
};

// The descriptions. F is a FieldDecoder (the value mutable) or a FieldEncoder
// (the value const); each function serves both.

template <class Value, class T>
concept Of = std::same_as<std::remove_const_t<Value>, T>;

constexpr auto kPointFields = [](auto& f, auto& point) {
  f.hex64("x", point.x);
  f.hex64("y", point.y);
};

constexpr auto kShareFields = [](auto& f, auto& share) {
  f.integerIn("x", share.x, 1, kMaxMtdItems);
  f.hex("y", share.y, kMaxMtdKeyHex);
};

// COEFFICIENTDIGITS: the exact length of "c" (2*k), or 0 when k is not known
// (KEY_REPLY): then any hex of at most 255 bytes.
void describeDroplet(auto& f, Of<MtdDroplet> auto& droplet, std::size_t coefficientDigits) {
  if (coefficientDigits == 0)
    f.hex("c", droplet.c, 2 * kMaxMtdItems);
  else
    f.hexDigits("c", droplet.c, coefficientDigits);
  f.hex("v", droplet.v, kMaxMtdKeyHex);
}

constexpr auto kAnyDropletFields = [](auto& f, auto& droplet) { describeDroplet(f, droplet, 0); };

constexpr auto kPeerFields = [](auto& f, auto& peer) {
  f.text("name", peer.name, kId);
  f.text("address", peer.address, kAddress);
};

constexpr auto kRoundTripFields = [](auto& f, auto& trip) {
  f.text("name", trip.name, kId);
  f.number("seconds", trip.seconds);
};

// Peers (MTD_SETUP, LATENCY_PROBE) and round trips (LATENCY_REPORT) name
// agents: each name once.
constexpr ListRule kPeerList{kMaxMtdItems, false, "peer"};
constexpr ListRule kDropletList{kMaxMtdItems, false, ""};
constexpr ListRule kRoundList{kMaxRounds, false, ""};

constexpr auto kRoundFields = [](auto& f, auto& r) {
  f.integerIn("round", r.round, 1, kMaxRounds);
  f.boolean("frozen", r.frozen);
  f.integer("bytes", r.bytes);
  f.number("seconds", r.seconds);
};

void describe(auto& f, Of<Migrate> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("container", m.container, kContainerName);
  f.text("destination", m.destination, kAddress);
  f.text("mode", m.mode, kMode);
}

void describe(auto& f, Of<Data> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.integer("file", m.file, kMaxFiles - 1);
  f.integer("offset", m.offset);
  f.boolean("last", m.last);
}

void describe(auto& f, Of<Success> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("container_id", m.containerId, kId);
  if (f.optional("redirect_ms", m.redirectMs > 0)) f.number("redirect_ms", m.redirectMs);
}

void describe(auto& f, Of<Failure> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("error", m.error, kNonEmptyText);
}

void describe(auto& f, Of<Done> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("container", m.container, kContainerName);
  f.text("source", m.source, kAgentNameOrAddress);
  f.text("destination", m.destination, kAddress);
  f.text("mode", m.mode, kMode);
  f.text("result", m.result, kNonEmptyText);
  f.text("note", m.note, kText);
  f.integer("bytes_sent", m.bytesSent);
  f.integer("bytes_total", m.bytesTotal);
  f.number("seconds", m.seconds);
  // Written only when set: an MTD-less DONE stays byte-for-byte what it was.
  if (f.optional("key_s", m.keySeconds > 0)) f.number("key_s", m.keySeconds);
  if (f.optional("freeze_ms", m.freezeMs > 0)) f.number("freeze_ms", m.freezeMs);
  if (f.optional("rounds", !m.rounds.empty())) f.list("rounds", m.rounds, kRoundList, kRoundFields);
  if (f.optional("total_s", m.totalSeconds > 0)) f.number("total_s", m.totalSeconds);
  if (f.optional("dump_ms", m.dumpMs > 0)) f.number("dump_ms", m.dumpMs);
  if (f.optional("transfer_ms", m.transferMs > 0)) f.number("transfer_ms", m.transferMs);
  if (f.optional("restore_ms", m.restoreMs > 0)) f.number("restore_ms", m.restoreMs);
  if (f.optional("redirect_ms", m.redirectMs > 0)) f.number("redirect_ms", m.redirectMs);
  if (f.optional("memory_bytes", m.memoryBytes > 0)) f.integer("memory_bytes", m.memoryBytes);
}

void describe(auto& f, Of<Error> auto& m) {
  f.text("migration_id", m.migrationId, kIdOrEmpty);
  f.text("error", m.error, kNonEmptyText);
}

void describe(auto& f, Of<Progress> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("phase", m.phase, kPhase);
  f.integer("bytes_sent", m.bytesSent);
  f.integer("bytes_total", m.bytesTotal);
  f.number("rate_bps", m.rateBps);
}

void describe(auto& f, Of<Ping> auto& m) {
  f.integer("nonce", m.nonce);
}

void describe(auto& f, Of<Pong> auto& m) {
  f.integer("nonce", m.nonce);
}

void describe(auto&, Of<Status> auto&) {}

void describe(auto& f, Of<StatusReply> auto& m) {
  f.text("name", m.name, kId);
  f.array("containers", m.containers);
  f.array("migrations", m.migrations);
  f.object("capabilities", m.capabilities);
}

void describe(auto& f, Of<MtdSetup> auto& m) {
  f.text("epoch", m.epoch, kId);
  f.text("scheme", m.scheme, kScheme);
  f.integerIn("k", m.k, 1, kMaxMtdItems);
  f.integerIn("entries", m.entries, 1, kMaxMtdItems);
  f.hex("table", m.table, kMaxMtdTableHex);
  f.nested("point", m.point, kPointFields);
  // Only the scheme's own material. Another scheme's is refused rather than
  // ignored: a manager that sends it has a bug, and it may be a secret.
  const bool shamir = m.scheme == "shamir", fountain = m.scheme == "fountain",
             prf = m.scheme == "prf";
  if (shamir) f.nested("share", m.share, kShareFields);
  f.onlyIf(shamir, "share", "only with scheme shamir");
  if (fountain) {
    const std::size_t coefficientDigits = 2 * std::size_t{m.k};
    f.list("droplets", m.droplets, kDropletList,
           [coefficientDigits](auto& g, auto& d) { describeDroplet(g, d, coefficientDigits); });
    f.integerIn("secret_length", m.secretLength, 1, kMaxMtdSecretBytes);
  }
  f.onlyIf(fountain, "droplets", "only with scheme fountain");
  f.onlyIf(fountain, "secret_length", "only with scheme fountain");
  if (prf) f.hex("key", m.key, kMaxMtdKeyHex);
  f.onlyIf(prf, "key", "only with scheme prf");
  f.list("peers", m.peers, kPeerList, kPeerFields);
  f.text("manager_key", m.managerKey, kPem);
}

void describe(auto& f, Of<MtdReady> auto& m) {
  f.text("epoch", m.epoch, kId);
}

void describe(auto& f, Of<MtdMigrate> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("container", m.container, kContainerName);
  f.text("mode", m.mode, kMode);
  f.text("epoch", m.epoch, kId);
  f.hexDigits("r", m.r, kMtdRHex);
  f.hex("token", m.token, kMaxMtdTokenHex);
}

void describe(auto& f, Of<KeyRequest> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("epoch", m.epoch, kId);
  f.text("source", m.source, kId);
  f.hexDigits("r", m.r, kMtdRHex);
  f.hex("token", m.token, kMaxMtdTokenHex);
}

void describe(auto& f, Of<KeyReply> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.oneOf(m.material, "share", kShareFields, "droplet", kAnyDropletFields);
}

void describe(auto& f, Of<LatencyProbe> auto& m) {
  f.list("peers", m.peers, {kMaxMtdItems, true, "peer"}, kPeerFields);
}

void describe(auto& f, Of<LatencyReport> auto& m) {
  f.list("round_trips", m.roundTrips, kPeerList, kRoundTripFields);
}

void describe(auto& f, Of<Prepare> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("container", m.container, kContainerName);
  f.text("mode", m.mode, kMode);
  f.object("config", m.config, kMaxConfigBytes);
  f.text("image", m.image, kLayerId);
  f.layerIds("layers", m.layers);
  f.text("compression", m.compression, kCompression);
}

void describe(auto& f, Of<ImageNeeded> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.layerIds("have", m.have);
}

void describe(auto& f, Of<ImageArchive> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.integer("size", m.size);
  f.text("checksum", m.checksum, kStreamChecksum);
}

void describe(auto& f, Of<Ready> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("container_id", m.containerId, kId);
}

void describe(auto& f, Of<Round> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.integerIn("round", m.round, 1, kMaxRounds);
  f.boolean("final", m.final);
}

void describe(auto& f, Of<RoundEnd> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.integerIn("round", m.round, 1, kMaxRounds);
  f.integer("bytes", m.bytes);
  f.text("checksum", m.checksum, kStreamChecksum);
}

void describe(auto& f, Of<RoundDone> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.integerIn("round", m.round, 1, kMaxRounds);
  f.integer("bytes", m.bytes);
}

void describe(auto& f, Of<Abort> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("error", m.error, kNonEmptyText);
}

void describe(auto& f, Of<Checkpoint> auto& m) {
  f.text("migration_id", m.migrationId, kId);
  f.text("name", m.name, kId);
  f.integer("bytes", m.bytes);
  f.text("checksum", m.checksum, kStreamChecksum);
}

// Decodes the header of a message of type M (TYPE).
template <class M>
MessageResult decodeAs(MessageType type, const json& header) {
  FieldDecoder f(toString(type), header);
  M m;
  describe(f, m);
  if (!f.ok()) return malformed(f.error());
  return Message(std::move(m));
}

// One decoder per Message alternative, in MessageType's order.
template <std::size_t... I>
constexpr auto makeDecoders(std::index_sequence<I...>) {
  return std::array<MessageResult (*)(MessageType, const json&), sizeof...(I)>{
      &decodeAs<std::variant_alternative_t<I, Message>>...};
}
constexpr auto kDecoders = makeDecoders(std::make_index_sequence<std::variant_size_v<Message>>{});

// The message's own fields; toHeader adds "v" and "type".
json fieldsOf(const Message& message) {
  return std::visit(
      [](const auto& m) {
        FieldEncoder f;
        describe(f, m);
        return f.take();
      },
      message);
}

}  // namespace

json roundsToJson(const std::vector<RoundReport>& rounds) {
  json list = json::array();
  for (const auto& r : rounds)
    list.push_back(
        {{"round", r.round}, {"frozen", r.frozen}, {"bytes", r.bytes}, {"seconds", r.seconds}});
  return list;
}

std::string_view toString(MessageType type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}

std::optional<MessageType> messageTypeFromString(std::string_view text) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == text) return static_cast<MessageType>(i);
  return std::nullopt;
}

MessageType typeOf(const Message& message) {
  return static_cast<MessageType>(message.index());
}

json toHeader(const Message& message) {
  json header = fieldsOf(message);
  header["v"] = kProtocolVersion;
  header["type"] = std::string(toString(typeOf(message)));
  return header;
}

std::vector<std::uint8_t> encodeMessage(const Message& message,
                                        std::span<const std::uint8_t> payload) {
  return encodeFrame(toHeader(message), payload);
}

void encodeMessageInto(std::vector<std::uint8_t>& out, const Message& message,
                       std::size_t maxPayloadBytes,
                       const std::function<std::size_t(std::span<std::uint8_t>)>& writePayload) {
  encodeFrameInto(out, toHeader(message), maxPayloadBytes, writePayload);
}

MessageResult decodeMessage(const Frame& frame) {
  try {
    if (!frame.header.is_object()) return malformed("frame header is not a JSON object");
    const std::string name = frame.type();
    auto type = messageTypeFromString(name);
    if (!type) {
      // Quoted through dump() so control bytes in a hostile type stay readable.
      std::string shown =
          json(name.substr(0, 64)).dump(-1, ' ', true, json::error_handler_t::replace);
      return malformed("unknown message type " + shown);
    }
    if (*type != MessageType::data && !frame.payload.empty())
      return malformed(std::string(toString(*type)) + ": unexpected payload of " +
                       std::to_string(frame.payload.size()) + " bytes (only DATA carries one)");
    return kDecoders[static_cast<std::size_t>(*type)](*type, frame.header);
  } catch (const nlohmann::json::exception& e) {
    // The checks above test every type before reading it; this is a backstop so
    // a validator bug becomes a rejected message rather than a dead daemon.
    return malformed(std::string("malformed message: ") + e.what());
  }
}

}  // namespace roam::agent
