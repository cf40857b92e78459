#include "agent/protocol/messages.hpp"

#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

namespace roam::agent {

namespace {

using nlohmann::json;

// In MessageType's order.
constexpr std::array<std::string_view, 21> kTypeNames = {
    "MIGRATE",   "RESTART",       "LAYERS",        "LAYERS_HAVE", "DATA",        "SUCCESS",
    "FAILURE",   "DONE",          "ERROR",         "PROGRESS",    "PING",        "PONG",
    "STATUS",    "STATUS_REPLY",  "MTD_SETUP",     "MTD_READY",   "MTD_MIGRATE", "KEY_REQUEST",
    "KEY_REPLY", "LATENCY_PROBE", "LATENCY_REPORT"};
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

bool isFileName(std::string_view s) {
  if (s.empty() || s.size() > 128 || s == "." || s == "..") return false;
  for (char c : s)
    if (!isAlnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

bool isLowerHexText(std::string_view s) {
  for (char c : s)
    if (!isLowerHex(c)) return false;
  return true;
}

bool isSha256(std::string_view s) {
  return s.size() == 64 && isLowerHexText(s);
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

// Reads fields of one message's header, remembering the first problem. Every
// accessor returns a default value after an error, so decoders read straight
// through and check ok() once.
class FieldReader {
 public:
  // PREFIX (e.g. "files[2].") is put before field names in errors.
  FieldReader(std::string_view type, const json& object, std::string prefix = "")
      : type_(type), object_(object), prefix_(std::move(prefix)) {}

  bool ok() const { return error_.empty(); }
  std::string error() const { return error_; }

  // Whether KEY is present (for optional fields); false after an error.
  bool has(std::string_view key) const { return ok() && object_.contains(key); }

  // A reader of the nested object VALUE of field FIELD: its errors name
  // "FIELD.key"; take them over with adopt().
  FieldReader nested(const json& value, std::string_view field) const {
    return FieldReader(type_, value, prefix_ + std::string(field) + ".");
  }

  void fail(std::string_view field, std::string_view problem) {
    if (ok())
      error_ = std::string(type_) + ": field '" + prefix_ + std::string(field) +
               "': " + std::string(problem);
  }

  // Takes over the first error of a reader of a nested object.
  void adopt(const FieldReader& nested) {
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

  std::string text(std::string_view key, std::size_t maxLen = kMaxTextBytes,
                   bool allowEmpty = true) {
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

  // A string that must satisfy VALID; EXPECTED describes the rule in the error.
  template <typename Pred>
  std::string checked(std::string_view key, Pred valid, std::string_view expected,
                      std::size_t maxLen = kMaxTextBytes) {
    std::string s = text(key, maxLen);
    if (ok() && !valid(s)) fail(key, "expected " + std::string(expected));
    return ok() ? s : std::string();
  }

  std::string id(std::string_view key) {
    return checked(key, isId, "an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})");
  }
  std::string containerName(std::string_view key) {
    return checked(key, isDockerName, "a container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128)");
  }
  std::string mode(std::string_view key) {
    return checked(key, isMode, "a mode (auto, snapshot or checkpoint)");
  }
  std::string address(std::string_view key) {
    return checked(key, isAddress, "HOST:PORT with port 1..65535");
  }

  // Bytes as lowercase hex: non-empty, an even number of digits, at most MAXDIGITS.
  std::string hex(std::string_view key, std::size_t maxDigits) {
    std::string s = text(key, maxDigits, false);
    if (ok() && !isLowerHexText(s))
      fail(key, "expected lowercase hex digits");
    else if (ok() && s.size() % 2 != 0)
      fail(key, "expected an even number of hex digits");
    return ok() ? s : std::string();
  }

  // Exactly DIGITS lowercase hex digits.
  std::string hexDigits(std::string_view key, std::size_t digits) {
    return checked(
        key, [digits](std::string_view s) { return s.size() == digits && isLowerHexText(s); },
        std::to_string(digits) + " lowercase hex digits");
  }

  // A JSON integer in MIN..MAX.
  std::uint64_t integerIn(std::string_view key, std::uint64_t min, std::uint64_t max) {
    const std::uint64_t n = u64(key);
    if (ok() && (n < min || n > max)) {
      fail(key, "out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
      return 0;
    }
    return n;
  }

  std::uint64_t u64(std::string_view key,
                    std::uint64_t max = std::numeric_limits<std::uint64_t>::max()) {
    const json* v = find(key);
    if (!v) return 0;
    // Floats are refused even when integral: 1.0 would not survive a round trip as 1.
    if (!v->is_number_integer()) {
      fail(key, "expected a non-negative integer");
      return 0;
    }
    if (!v->is_number_unsigned() && v->get<std::int64_t>() < 0) {
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

  // A finite non-negative number (JSON integers are accepted too).
  double nonNegative(std::string_view key) {
    const json* v = find(key);
    if (!v) return 0;
    if (!v->is_number()) {
      fail(key, "expected a number");
      return 0;
    }
    double d = v->get<double>();
    if (!std::isfinite(d) || d < 0) {
      fail(key, "expected a finite non-negative number");
      return 0;
    }
    return d;
  }

  bool boolean(std::string_view key) {
    const json* v = find(key);
    if (!v) return false;
    if (!v->is_boolean()) {
      fail(key, "expected a boolean");
      return false;
    }
    return v->get<bool>();
  }

  const json* array(std::string_view key, std::size_t maxItems) {
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

  json object(std::string_view key) {
    const json* v = find(key);
    if (!v) return json::object();
    if (!v->is_object()) {
      fail(key, "expected an object");
      return json::object();
    }
    return *v;
  }

  std::vector<std::string> layerIds(std::string_view key) {
    std::vector<std::string> out;
    const json* items = array(key, kMaxLayers);
    if (!items) return out;
    for (std::size_t i = 0; i < items->size() && ok(); ++i) {
      const json& item = (*items)[i];
      const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
      if (!item.is_string())
        fail(field, "expected a string");
      else if (!isLayerId(item.get_ref<const std::string&>()))
        fail(field, "expected a layer id (sha256:<64 lowercase hex>)");
      else
        out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::string_view type() const { return type_; }

 private:
  std::string_view type_;
  const json& object_;
  std::string prefix_;
  std::string error_;
};

std::vector<FileEntry> readFiles(FieldReader& r) {
  std::vector<FileEntry> files;
  const json* items = r.array("files", kMaxFiles);
  if (!items) return files;
  std::set<std::string, std::less<>> names;
  for (std::size_t i = 0; i < items->size() && r.ok(); ++i) {
    const std::string field = "files[" + std::to_string(i) + "]";
    const json& item = (*items)[i];
    if (!item.is_object()) {
      r.fail(field, "expected an object");
      break;
    }
    FieldReader f(r.type(), item, field + ".");
    FileEntry e;
    e.name = f.checked("name", isFileName, "a file name ([A-Za-z0-9._-]{1,128})");
    e.kind = f.checked(
        "kind",
        [](std::string_view k) { return k == "image" || k == "volume" || k == "checkpoint"; },
        "image, volume or checkpoint");
    if (e.kind == "volume")
      e.target = f.checked("target", isDockerName, "a volume name");
    else if (e.kind == "checkpoint")
      e.target = f.id("target");
    else if (f.ok())
      e.target = f.checked(
          "target", [](std::string_view t) { return t.empty(); }, "\"\" for an image");
    e.size = f.u64("size");
    e.sha256 = f.checked("sha256", isSha256, "64 lowercase hex digits");
    if (!f.ok()) {
      r.adopt(f);
      break;
    }
    if (!names.insert(e.name).second) {
      r.fail(field + ".name", "duplicate file name '" + e.name + "'");
      break;
    }
    files.push_back(std::move(e));
  }
  return files;
}

// The object at KEY of R's message, or nullptr (and an error in R).
const json* objectField(FieldReader& r, std::string_view key) {
  const json* v = r.find(key);
  if (v && !v->is_object()) {
    r.fail(key, "expected an object");
    return nullptr;
  }
  return v;
}

std::uint64_t parseHex64(std::string_view digits) {
  std::uint64_t n = 0;
  for (char c : digits) n = n << 4 | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return n;
}

MtdPoint readPoint(FieldReader& r) {
  MtdPoint point;
  const json* v = objectField(r, "point");
  if (!v) return point;
  FieldReader f = r.nested(*v, "point");
  point.x = parseHex64(f.hexDigits("x", 16));
  point.y = parseHex64(f.hexDigits("y", 16));
  r.adopt(f);
  return point;
}

MtdShare readShare(FieldReader& r, const json& value, std::string_view field) {
  FieldReader f = r.nested(value, field);
  MtdShare share;
  share.x = static_cast<std::uint32_t>(f.integerIn("x", 1, kMaxMtdItems));
  share.y = f.hex("y", kMaxMtdKeyHex);
  r.adopt(f);
  return share;
}

// COEFFICIENTDIGITS: the exact length of "c" (2*k), or 0 when k is not known
// (KEY_REPLY): then any hex of at most 255 bytes.
MtdDroplet readDroplet(FieldReader& r, const json& value, std::string_view field,
                       std::size_t coefficientDigits) {
  FieldReader f = r.nested(value, field);
  MtdDroplet droplet;
  if (coefficientDigits == 0)
    droplet.c = f.hex("c", 2 * kMaxMtdItems);
  else
    droplet.c = f.hexDigits("c", coefficientDigits);
  droplet.v = f.hex("v", kMaxMtdKeyHex);
  r.adopt(f);
  return droplet;
}

std::vector<MtdDroplet> readDroplets(FieldReader& r, std::uint32_t k) {
  std::vector<MtdDroplet> droplets;
  const json* items = r.array("droplets", kMaxMtdItems);
  if (!items) return droplets;
  for (std::size_t i = 0; i < items->size() && r.ok(); ++i) {
    const std::string field = "droplets[" + std::to_string(i) + "]";
    const json& item = (*items)[i];
    if (!item.is_object()) {
      r.fail(field, "expected an object");
      break;
    }
    droplets.push_back(readDroplet(r, item, field, 2 * std::size_t{k}));
  }
  return droplets;
}

// An array at KEY of at most kMaxMtdItems objects, each read by READ_ONE from
// its own nested reader; the `name` of each item must be unique.
template <class Item, class ReadOne>
std::vector<Item> readNamedObjects(FieldReader& r, std::string_view key, ReadOne readOne) {
  std::vector<Item> items;
  const json* values = r.array(key, kMaxMtdItems);
  if (!values) return items;
  std::set<std::string, std::less<>> names;
  for (std::size_t i = 0; i < values->size() && r.ok(); ++i) {
    const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
    const json& value = (*values)[i];
    if (!value.is_object()) {
      r.fail(field, "expected an object");
      break;
    }
    FieldReader f = r.nested(value, field);
    Item item = readOne(f);
    if (!f.ok()) {
      r.adopt(f);
      break;
    }
    if (!names.insert(item.name).second) {
      r.fail(field + ".name", "duplicate peer name '" + item.name + "'");
      break;
    }
    items.push_back(std::move(item));
  }
  return items;
}

std::vector<AgentPeer> readPeers(FieldReader& r) {
  return readNamedObjects<AgentPeer>(r, "peers", [](FieldReader& f) {
    AgentPeer peer;
    peer.name = f.id("name");
    peer.address = f.address("address");
    return peer;
  });
}

std::vector<RoundTrip> readRoundTrips(FieldReader& r) {
  return readNamedObjects<RoundTrip>(r, "round_trips", [](FieldReader& f) {
    RoundTrip trip;
    trip.name = f.id("name");
    trip.seconds = f.nonNegative("seconds");
    return trip;
  });
}

// A field of SCHEME's material that is present with another scheme is refused
// rather than ignored: a manager that sends it has a bug, and it may be a secret.
void refuseUnless(FieldReader& r, bool allowed, std::string_view key, std::string_view scheme) {
  if (!allowed && r.has(key)) r.fail(key, "only with scheme " + std::string(scheme));
}

MtdSetup readMtdSetup(FieldReader& r) {
  MtdSetup m;
  m.epoch = r.id("epoch");
  m.scheme = r.checked("scheme", isScheme, "a scheme (shamir, fountain or prf)");
  m.k = static_cast<std::uint32_t>(r.integerIn("k", 1, kMaxMtdItems));
  m.entries = static_cast<std::uint32_t>(r.integerIn("entries", 1, kMaxMtdItems));
  m.table = r.hex("table", kMaxMtdTableHex);
  m.point = readPoint(r);
  const bool shamir = m.scheme == "shamir", fountain = m.scheme == "fountain",
             prf = m.scheme == "prf";
  if (shamir) {
    if (const json* v = objectField(r, "share")) m.share = readShare(r, *v, "share");
  }
  refuseUnless(r, shamir, "share", "shamir");
  if (fountain) {
    m.droplets = readDroplets(r, m.k);
    m.secretLength =
        static_cast<std::uint32_t>(r.integerIn("secret_length", 1, kMaxMtdSecretBytes));
  }
  refuseUnless(r, fountain, "droplets", "fountain");
  refuseUnless(r, fountain, "secret_length", "fountain");
  if (prf) m.key = r.hex("key", kMaxMtdKeyHex);
  refuseUnless(r, prf, "key", "prf");
  m.peers = readPeers(r);
  m.managerKey = r.checked("manager_key", isPem, "a PEM public key (-----BEGIN PUBLIC KEY-----)",
                           kMaxPemBytes);
  return m;
}

KeyReply readKeyReply(FieldReader& r) {
  KeyReply m;
  m.migrationId = r.id("migration_id");
  if (r.has("share") == r.has("droplet")) {
    r.fail("share", "expected exactly one of share or droplet");
  } else if (r.has("share")) {
    if (const json* v = objectField(r, "share")) m.material = readShare(r, *v, "share");
  } else if (const json* v = objectField(r, "droplet")) {
    m.material = readDroplet(r, *v, "droplet", 0);
  }
  return m;
}

MessageResult decodeFields(MessageType type, const json& h) {
  FieldReader r(toString(type), h);
  auto done = [&r](Message m) -> MessageResult {
    if (!r.ok()) return {std::nullopt, r.error()};
    return {std::move(m), ""};
  };
  switch (type) {
    case MessageType::migrate: {
      Migrate m;
      m.migrationId = r.id("migration_id");
      m.container = r.containerName("container");
      m.destination = r.address("destination");
      m.mode = r.mode("mode");
      return done(std::move(m));
    }
    case MessageType::restart: {
      Restart m;
      m.migrationId = r.id("migration_id");
      m.container = r.containerName("container");
      m.mode = r.mode("mode");
      m.config = r.object("config");
      if (r.ok() &&
          m.config.dump(-1, ' ', false, json::error_handler_t::replace).size() > kMaxConfigBytes)
        r.fail("config", "larger than " + std::to_string(kMaxConfigBytes) + " bytes");
      m.files = readFiles(r);
      m.compression = r.checked(
          "compression", [](std::string_view c) { return c == "zstd" || c == "none"; },
          "zstd or none");
      return done(std::move(m));
    }
    case MessageType::layers: {
      Layers m;
      m.migrationId = r.id("migration_id");
      m.layers = r.layerIds("layers");
      return done(std::move(m));
    }
    case MessageType::layersHave: {
      LayersHave m;
      m.migrationId = r.id("migration_id");
      m.have = r.layerIds("have");
      return done(std::move(m));
    }
    case MessageType::data: {
      Data m;
      m.migrationId = r.id("migration_id");
      m.file = static_cast<std::uint32_t>(r.u64("file", kMaxFiles - 1));
      m.offset = r.u64("offset");
      m.last = r.boolean("last");
      return done(std::move(m));
    }
    case MessageType::success: {
      Success m;
      m.migrationId = r.id("migration_id");
      m.containerId = r.id("container_id");
      return done(std::move(m));
    }
    case MessageType::failure: {
      Failure m;
      m.migrationId = r.id("migration_id");
      m.error = r.text("error", kMaxTextBytes, false);
      return done(std::move(m));
    }
    case MessageType::done: {
      Done m;
      m.migrationId = r.id("migration_id");
      m.container = r.containerName("container");
      m.source = r.checked(
          "source", [](std::string_view s) { return isId(s) || isAddress(s); },
          "an agent name or HOST:PORT");
      m.destination = r.address("destination");
      m.mode = r.mode("mode");
      m.result = r.text("result", kMaxTextBytes, false);
      m.note = r.text("note");
      m.bytesSent = r.u64("bytes_sent");
      m.bytesTotal = r.u64("bytes_total");
      m.seconds = r.nonNegative("seconds");
      if (r.has("key_s")) m.keySeconds = r.nonNegative("key_s");
      return done(std::move(m));
    }
    case MessageType::error: {
      Error m;
      m.migrationId = r.checked(
          "migration_id", [](std::string_view s) { return s.empty() || isId(s); },
          "\"\" or an id ([A-Za-z0-9][A-Za-z0-9._:-]{0,127})");
      m.error = r.text("error", kMaxTextBytes, false);
      return done(std::move(m));
    }
    case MessageType::progress: {
      Progress m;
      m.migrationId = r.id("migration_id");
      m.phase = r.checked("phase", isPhase, "a phase ([a-z][a-z0-9_-]{0,63})");
      m.bytesSent = r.u64("bytes_sent");
      m.bytesTotal = r.u64("bytes_total");
      m.rateBps = r.nonNegative("rate_bps");
      return done(std::move(m));
    }
    case MessageType::ping:
      return done(Ping{r.u64("nonce")});
    case MessageType::pong:
      return done(Pong{r.u64("nonce")});
    case MessageType::status:
      return done(Status{});
    case MessageType::statusReply: {
      StatusReply m;
      m.name = r.id("name");
      if (const json* c = r.array("containers", std::numeric_limits<std::size_t>::max()))
        m.containers = *c;
      if (const json* g = r.array("migrations", std::numeric_limits<std::size_t>::max()))
        m.migrations = *g;
      m.capabilities = r.object("capabilities");
      return done(std::move(m));
    }
    case MessageType::mtdSetup:
      return done(readMtdSetup(r));
    case MessageType::mtdReady:
      return done(MtdReady{r.id("epoch")});
    case MessageType::mtdMigrate: {
      MtdMigrate m;
      m.migrationId = r.id("migration_id");
      m.container = r.containerName("container");
      m.mode = r.mode("mode");
      m.epoch = r.id("epoch");
      m.r = r.hexDigits("r", kMtdRHex);
      m.token = r.hex("token", kMaxMtdTokenHex);
      return done(std::move(m));
    }
    case MessageType::keyRequest: {
      KeyRequest m;
      m.migrationId = r.id("migration_id");
      m.epoch = r.id("epoch");
      m.source = r.id("source");
      m.r = r.hexDigits("r", kMtdRHex);
      m.token = r.hex("token", kMaxMtdTokenHex);
      return done(std::move(m));
    }
    case MessageType::keyReply:
      return done(readKeyReply(r));
    case MessageType::latencyProbe: {
      LatencyProbe m;
      m.peers = readPeers(r);
      if (r.ok() && m.peers.empty()) r.fail("peers", "must not be empty");
      return done(std::move(m));
    }
    case MessageType::latencyReport:
      return done(LatencyReport{readRoundTrips(r)});
  }
  return {std::nullopt, "unknown message type"};
}

}  // namespace

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

namespace {

json filesToJson(const std::vector<FileEntry>& files) {
  json out = json::array();
  for (const auto& f : files)
    out.push_back({{"name", f.name},
                   {"kind", f.kind},
                   {"target", f.target},
                   {"size", f.size},
                   {"sha256", f.sha256}});
  return out;
}

// Exactly 16 lowercase hex digits, big-endian.
std::string hex64(std::uint64_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, n >>= 4) out[static_cast<std::size_t>(i)] = kDigits[n & 0xf];
  return out;
}

json peersToJson(const std::vector<AgentPeer>& peers) {
  json out = json::array();
  for (const auto& p : peers) out.push_back({{"name", p.name}, {"address", p.address}});
  return out;
}

json shareToJson(const MtdShare& share) {
  return {{"x", share.x}, {"y", share.y}};
}
json dropletToJson(const MtdDroplet& droplet) {
  return {{"c", droplet.c}, {"v", droplet.v}};
}

// The message's own fields; toHeader adds "v" and "type".
json fieldsOf(const Message& message) {
  struct Visitor {
    json operator()(const Migrate& m) const {
      return {{"migration_id", m.migrationId},
              {"container", m.container},
              {"destination", m.destination},
              {"mode", m.mode}};
    }
    json operator()(const Restart& m) const {
      return {{"migration_id", m.migrationId},
              {"container", m.container},
              {"mode", m.mode},
              {"config", m.config},
              {"files", filesToJson(m.files)},
              {"compression", m.compression}};
    }
    json operator()(const Layers& m) const {
      return {{"migration_id", m.migrationId}, {"layers", m.layers}};
    }
    json operator()(const LayersHave& m) const {
      return {{"migration_id", m.migrationId}, {"have", m.have}};
    }
    json operator()(const Data& m) const {
      return {{"migration_id", m.migrationId},
              {"file", m.file},
              {"offset", m.offset},
              {"last", m.last}};
    }
    json operator()(const Success& m) const {
      return {{"migration_id", m.migrationId}, {"container_id", m.containerId}};
    }
    json operator()(const Failure& m) const {
      return {{"migration_id", m.migrationId}, {"error", m.error}};
    }
    json operator()(const Done& m) const {
      json out = {{"migration_id", m.migrationId},
                  {"container", m.container},
                  {"source", m.source},
                  {"destination", m.destination},
                  {"mode", m.mode},
                  {"result", m.result},
                  {"note", m.note},
                  {"bytes_sent", m.bytesSent},
                  {"bytes_total", m.bytesTotal},
                  {"seconds", m.seconds}};
      // Only when set: an MTD-less DONE stays byte-for-byte what it was.
      if (m.keySeconds > 0) out["key_s"] = m.keySeconds;
      return out;
    }
    json operator()(const Error& m) const {
      return {{"migration_id", m.migrationId}, {"error", m.error}};
    }
    json operator()(const Progress& m) const {
      return {{"migration_id", m.migrationId},
              {"phase", m.phase},
              {"bytes_sent", m.bytesSent},
              {"bytes_total", m.bytesTotal},
              {"rate_bps", m.rateBps}};
    }
    json operator()(const Ping& m) const { return {{"nonce", m.nonce}}; }
    json operator()(const Pong& m) const { return {{"nonce", m.nonce}}; }
    json operator()(const Status&) const { return json::object(); }
    json operator()(const StatusReply& m) const {
      return {{"name", m.name},
              {"containers", m.containers},
              {"migrations", m.migrations},
              {"capabilities", m.capabilities}};
    }
    // Writes only the material of M's scheme (see MtdSetup).
    json operator()(const MtdSetup& m) const {
      json out = {{"epoch", m.epoch},
                  {"scheme", m.scheme},
                  {"k", m.k},
                  {"entries", m.entries},
                  {"table", m.table},
                  {"point", {{"x", hex64(m.point.x)}, {"y", hex64(m.point.y)}}},
                  {"peers", peersToJson(m.peers)},
                  {"manager_key", m.managerKey}};
      if (m.scheme == "shamir" && m.share) out["share"] = shareToJson(*m.share);
      if (m.scheme == "fountain") {
        out["droplets"] = json::array();
        for (const auto& d : m.droplets) out["droplets"].push_back(dropletToJson(d));
        out["secret_length"] = m.secretLength;
      }
      if (m.scheme == "prf") out["key"] = m.key;
      return out;
    }
    json operator()(const MtdReady& m) const { return {{"epoch", m.epoch}}; }
    json operator()(const MtdMigrate& m) const {
      return {{"migration_id", m.migrationId},
              {"container", m.container},
              {"mode", m.mode},
              {"epoch", m.epoch},
              {"r", m.r},
              {"token", m.token}};
    }
    json operator()(const KeyRequest& m) const {
      return {{"migration_id", m.migrationId},
              {"epoch", m.epoch},
              {"source", m.source},
              {"r", m.r},
              {"token", m.token}};
    }
    json operator()(const KeyReply& m) const {
      json out = {{"migration_id", m.migrationId}};
      if (const auto* share = std::get_if<MtdShare>(&m.material))
        out["share"] = shareToJson(*share);
      else
        out["droplet"] = dropletToJson(std::get<MtdDroplet>(m.material));
      return out;
    }
    json operator()(const LatencyProbe& m) const { return {{"peers", peersToJson(m.peers)}}; }
    json operator()(const LatencyReport& m) const {
      json out = json::array();
      for (const auto& t : m.roundTrips) out.push_back({{"name", t.name}, {"seconds", t.seconds}});
      return {{"round_trips", out}};
    }
  };
  return std::visit(Visitor{}, message);
}

}  // namespace

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
    if (!frame.header.is_object()) return {std::nullopt, "frame header is not a JSON object"};
    const std::string name = frame.type();
    auto type = messageTypeFromString(name);
    if (!type) {
      // Quoted through dump() so control bytes in a hostile type stay readable.
      std::string shown =
          json(name.substr(0, 64)).dump(-1, ' ', true, json::error_handler_t::replace);
      return {std::nullopt, "unknown message type " + shown};
    }
    if (*type != MessageType::data && !frame.payload.empty())
      return {std::nullopt, std::string(toString(*type)) + ": unexpected payload of " +
                                std::to_string(frame.payload.size()) +
                                " bytes (only DATA carries one)"};
    return decodeFields(*type, frame.header);
  } catch (const nlohmann::json::exception& e) {
    // The checks above test every type before reading it; this is a backstop so
    // a validator bug becomes a rejected message rather than a dead daemon.
    return {std::nullopt, std::string("malformed message: ") + e.what()};
  }
}

}  // namespace roam::agent
