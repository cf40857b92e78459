#include "lang/state_json.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lang/input_file.hpp"

namespace roam::lang {

namespace {

using json = nlohmann::json;

// The top-level arrays, in the order their problems are reported when no
// source text gives a better order.
constexpr const char* kArrays[] = {"switches",   "hosts",        "links",  "containers",
                                   "port_stats", "switch_stats", "latency"};

int arrayRank(const std::string& array) {
  for (int i = 0; i < static_cast<int>(std::size(kArrays)); ++i)
    if (array == kArrays[i]) return i;
  return -1;
}

// A problem before it has a location: `array` and `index` say which element
// (index -1: the array itself; empty array: the whole document).
struct Problem {
  std::string array;
  long long index = -1;
  std::string message;
};

std::string elementPath(const std::string& array, std::size_t index) {
  return array + '[' + std::to_string(index) + ']';
}

std::string fieldPath(const std::string& array, std::size_t index, std::string_view key) {
  std::string p = elementPath(array, index);
  p += '.';
  p += key;
  return p;
}

// Names from code (validateNetworkData) may not be UTF-8; quoting must not throw.
std::string jsonQuoted(std::string_view s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string formatNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// Fields the reader could not read (missing or of the wrong type), as
// "hosts[3].switch", or whole elements as "hosts[3]". Validation does not
// look at them again, so one mistake yields one message.
class BrokenFields {
 public:
  void markElement(const std::string& array, std::size_t i) { set_.insert(elementPath(array, i)); }
  void markField(const std::string& array, std::size_t i, std::string_view key) {
    set_.insert(fieldPath(array, i, key));
  }
  bool broken(const std::string& array, std::size_t i, std::string_view key) const {
    if (set_.empty()) return false;
    return set_.contains(elementPath(array, i)) || set_.contains(fieldPath(array, i, key));
  }

 private:
  std::unordered_set<std::string> set_;
};

// ---------------------------------------------------------------------------
// Validation of plain data (shared by the loader and validateNetworkData).

class Validator {
 public:
  Validator(const NetworkData& d, const BrokenFields& broken, std::vector<Problem>& out)
      : d_(d), broken_(broken), out_(out) {}

  void run() {
    checkSwitches();
    checkHosts();
    checkLinks();
    checkContainers();
    checkPortStats();
    checkSwitchStats();
    checkLatency();
  }

 private:
  void report(const std::string& array, std::size_t i, std::string_view key, std::string msg) {
    out_.push_back({array, static_cast<long long>(i), fieldPath(array, i, key) + ": " + msg});
  }
  bool ok(const std::string& array, std::size_t i, std::string_view key) const {
    return !broken_.broken(array, i, key);
  }

  void nonNegative(const std::string& array, std::size_t i, std::string_view key, double v) {
    if (!ok(array, i, key)) return;
    if (!std::isfinite(v))
      report(array, i, key, "must be a finite number");
    else if (v < 0)
      report(array, i, key, "must not be negative, got " + formatNumber(v));
  }

  void finite(const std::string& array, std::size_t i, std::string_view key, double v) {
    if (ok(array, i, key) && !std::isfinite(v)) report(array, i, key, "must be a finite number");
  }

  void nonEmpty(const std::string& array, std::size_t i, std::string_view key,
                const std::string& v) {
    if (ok(array, i, key) && v.empty()) report(array, i, key, "must not be empty");
  }

  // Records a node name; reports it when an earlier switch or host has it,
  // since paths and policies name both kinds of node alike.
  void claimNodeName(const std::string& array, std::size_t i, const std::string& name) {
    if (!ok(array, i, "name") || name.empty()) return;
    auto [it, inserted] = nodeNames_.emplace(name, elementPath(array, i));
    if (!inserted)
      report(array, i, "name",
             "duplicate name " + jsonQuoted(name) + " (already used by " + it->second + ")");
  }

  // Records that a switch port is connected; a port carries one link.
  void claimPort(const std::string& array, std::size_t i, std::string_view key,
                 const std::string& switchName, int port) {
    if (!ok(array, i, key) || port < 0 || !switches_.contains(switchName)) return;
    auto [it, inserted] = ports_.emplace(std::make_pair(switchName, port), elementPath(array, i));
    if (!inserted)
      report(array, i, key,
             "port " + std::to_string(port) + " of switch " + jsonQuoted(switchName) +
                 " is already used by " + it->second);
  }

  void knownSwitch(const std::string& array, std::size_t i, std::string_view key,
                   const std::string& name) {
    if (ok(array, i, key) && !switches_.contains(name))
      report(array, i, key, "unknown switch " + jsonQuoted(name));
  }

  void knownHost(const std::string& array, std::size_t i, std::string_view key,
                 const std::string& name) {
    if (ok(array, i, key) && !hosts_.contains(name))
      report(array, i, key, "unknown host " + jsonQuoted(name));
  }

  void nonNegativePort(const std::string& array, std::size_t i, std::string_view key, int port) {
    if (ok(array, i, key) && port < 0)
      report(array, i, key, "must not be negative, got " + std::to_string(port));
  }

  static bool isDpid(const std::string& s) {
    return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
             return std::isxdigit(static_cast<unsigned char>(c));
           });
  }

  void checkSwitches() {
    const std::string a = "switches";
    std::map<std::string, std::string, std::less<>> dpids;
    for (std::size_t i = 0; i < d_.switches.size(); ++i) {
      const auto& s = d_.switches[i];
      nonEmpty(a, i, "name", s.name);
      claimNodeName(a, i, s.name);
      if (ok(a, i, "name") && !s.name.empty()) switches_.insert(s.name);
      // An empty dpid means "not known"; the loader fills in a default.
      if (!ok(a, i, "dpid") || s.dpid.empty()) continue;
      if (!isDpid(s.dpid)) {
        report(a, i, "dpid", "expected 16 hexadecimal digits, got " + jsonQuoted(s.dpid));
        continue;
      }
      std::string lower = s.dpid;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto [it, inserted] = dpids.emplace(lower, elementPath(a, i));
      if (!inserted)
        report(a, i, "dpid",
               "duplicate dpid " + jsonQuoted(s.dpid) + " (already used by " + it->second + ")");
    }
  }

  void checkHosts() {
    const std::string a = "hosts";
    for (std::size_t i = 0; i < d_.hosts.size(); ++i) {
      const auto& h = d_.hosts[i];
      nonEmpty(a, i, "name", h.name);
      claimNodeName(a, i, h.name);
      if (ok(a, i, "name") && !h.name.empty()) hosts_.insert(h.name);
      nonEmpty(a, i, "ip", h.ip);
      knownSwitch(a, i, "switch", h.switchName);
      nonNegativePort(a, i, "port", h.port);
      if (ok(a, i, "switch")) claimPort(a, i, "port", h.switchName, h.port);
      nonNegative(a, i, "capacity_bps", h.capacityBps);
    }
  }

  void checkLinks() {
    const std::string a = "links";
    for (std::size_t i = 0; i < d_.links.size(); ++i) {
      const auto& l = d_.links[i];
      knownSwitch(a, i, "src", l.src);
      nonNegativePort(a, i, "src_port", l.srcPort);
      knownSwitch(a, i, "dst", l.dst);
      nonNegativePort(a, i, "dst_port", l.dstPort);
      nonNegative(a, i, "capacity_bps", l.capacityBps);
      if (ok(a, i, "src")) claimPort(a, i, "src_port", l.src, l.srcPort);
      if (ok(a, i, "dst")) claimPort(a, i, "dst_port", l.dst, l.dstPort);
    }
  }

  void checkContainers() {
    const std::string a = "containers";
    std::map<std::string, std::size_t, std::less<>> names;
    for (std::size_t i = 0; i < d_.containers.size(); ++i) {
      const auto& c = d_.containers[i];
      nonEmpty(a, i, "name", c.name);
      if (ok(a, i, "name") && !c.name.empty()) {
        auto [it, inserted] = names.emplace(c.name, i);
        if (!inserted)
          report(a, i, "name",
                 "duplicate name " + jsonQuoted(c.name) + " (already used by " +
                     elementPath(a, it->second) + ")");
      }
      knownHost(a, i, "host", c.host);
    }
  }

  void checkPortStats() {
    const std::string a = "port_stats";
    for (std::size_t i = 0; i < d_.portSamples.size(); ++i) {
      const auto& r = d_.portSamples[i];
      knownSwitch(a, i, "switch", r.switchName);
      nonNegativePort(a, i, "port", r.port);
      nonNegative(a, i, "rx_bps", r.sample.rxBps);
      nonNegative(a, i, "tx_bps", r.sample.txBps);
      finite(a, i, "t", r.sample.t);
    }
  }

  void checkSwitchStats() {
    const std::string a = "switch_stats";
    for (std::size_t i = 0; i < d_.switchSamples.size(); ++i) {
      const auto& r = d_.switchSamples[i];
      knownSwitch(a, i, "switch", r.switchName);
      nonNegative(a, i, "packets_per_s", r.sample.packetsPerS);
      nonNegative(a, i, "bytes_per_s", r.sample.bytesPerS);
      nonNegative(a, i, "flows", r.sample.flows);
      finite(a, i, "t", r.sample.t);
    }
  }

  void checkLatency() {
    const std::string a = "latency";
    for (std::size_t i = 0; i < d_.latencies.size(); ++i) {
      const auto& r = d_.latencies[i];
      knownHost(a, i, "src", r.src);
      knownHost(a, i, "dst", r.dst);
      // Reported in the unit of the format (ms), not of NetworkData (s).
      nonNegative(a, i, "ms", r.seconds * 1000);
    }
  }

  const NetworkData& d_;
  const BrokenFields& broken_;
  std::vector<Problem>& out_;
  std::map<std::string, std::string, std::less<>> nodeNames_;
  std::set<std::string, std::less<>> switches_, hosts_;
  std::map<std::pair<std::string, int>, std::string> ports_;
};

// ---------------------------------------------------------------------------
// Reading JSON values into NetworkData.

// One element of a top-level array. Every getter reports a missing or
// mistyped key, marks it broken and returns a default, so reading goes on and
// every mistake in the file is reported.
class ElementReader {
 public:
  ElementReader(const json& obj, const std::string& array, std::size_t index,
                std::vector<Problem>& problems, BrokenFields& broken)
      : obj_(obj), array_(array), index_(index), problems_(problems), broken_(broken) {}

  std::string string(const char* key) {
    const json* v = field(key, true);
    if (!v) return {};
    if (!v->is_string()) {
      wrongType(key, "a string", *v);
      return {};
    }
    return v->get<std::string>();
  }

  std::string optionalString(const char* key) {
    const json* v = field(key, false);
    if (!v) return {};
    if (!v->is_string()) {
      wrongType(key, "a string", *v);
      return {};
    }
    return v->get<std::string>();
  }

  int integer(const char* key) {
    const json* v = field(key, true);
    if (!v) return 0;
    if (!v->is_number()) {
      wrongType(key, "an integer", *v);
      return 0;
    }
    const double d = v->get<double>();
    if (v->is_number_float() && d != std::floor(d)) {
      fail(key, "expected an integer, got " + v->dump());
      return 0;
    }
    if (v->is_number_unsigned() ? v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT_MAX)
                                : (d > INT_MAX || d < INT_MIN)) {
      fail(key, v->dump() + " is out of range");
      return 0;
    }
    return v->is_number_float() ? static_cast<int>(d) : static_cast<int>(v->get<std::int64_t>());
  }

  double number(const char* key) {
    const json* v = field(key, true);
    if (!v) return 0;
    if (!v->is_number()) {
      wrongType(key, "a number", *v);
      return 0.0;
    }
    return v->get<double>();
  }

  std::optional<double> optionalNumber(const char* key) {
    const json* v = field(key, false);
    if (!v) return std::nullopt;
    if (!v->is_number()) {
      wrongType(key, "a number", *v);
      return std::nullopt;
    }
    return v->get<double>();
  }

  Labels labels(const char* key) {
    Labels out;
    const json* v = field(key, false);
    if (!v) return out;
    if (!v->is_object()) {
      wrongType(key, "an object", *v);
      return out;
    }
    for (const auto& [k, value] : v->items()) {
      if (!value.is_string()) {
        fail(key, std::string(key) + "." + k, "expected a string, got " + typeName(value));
        continue;
      }
      out.emplace(k, value.get<std::string>());
    }
    return out;
  }

  static std::string typeName(const json& v) { return v.type_name(); }

 private:
  const json* field(const char* key, bool required) {
    auto it = obj_.find(key);
    if (it != obj_.end()) return &*it;
    if (required) {
      problems_.push_back(
          {array_, static_cast<long long>(index_),
           elementPath(array_, index_) + ": missing required key " + jsonQuoted(key)});
      broken_.markField(array_, index_, key);
    }
    return nullptr;
  }

  void fail(const char* key, const std::string& message) { fail(key, key, message); }
  void fail(const char* key, const std::string& path, const std::string& message) {
    problems_.push_back(
        {array_, static_cast<long long>(index_), fieldPath(array_, index_, path) + ": " + message});
    broken_.markField(array_, index_, key);
  }
  void wrongType(const char* key, const char* expected, const json& v) {
    fail(key, std::string("expected ") + expected + ", got " + typeName(v));
  }

  const json& obj_;
  const std::string& array_;
  std::size_t index_;
  std::vector<Problem>& problems_;
  BrokenFields& broken_;
};

std::string defaultDpid(std::size_t position) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(position + 1));
  return buf;
}

class DocumentReader {
 public:
  DocumentReader(const json& root, std::vector<Problem>& problems, BrokenFields& broken)
      : root_(root), problems_(problems), broken_(broken) {}

  NetworkData read() {
    NetworkData d;
    forEach("switches", [&](ElementReader& r, std::size_t i) {
      SwitchInfo s;
      s.name = r.string("name");
      s.dpid = r.optionalString("dpid");
      if (s.dpid.empty()) s.dpid = defaultDpid(i);
      d.switches.push_back(std::move(s));
    });
    forEach("hosts", [&](ElementReader& r, std::size_t) {
      HostInfo h;
      h.name = r.string("name");
      h.ip = r.string("ip");
      h.mac = r.optionalString("mac");
      h.switchName = r.string("switch");
      h.port = r.integer("port");
      h.capacityBps = r.number("capacity_bps");
      h.labels = r.labels("labels");
      d.hosts.push_back(std::move(h));
    });
    forEach("links", [&](ElementReader& r, std::size_t) {
      LinkInfo l;
      l.src = r.string("src");
      l.srcPort = r.integer("src_port");
      l.dst = r.string("dst");
      l.dstPort = r.integer("dst_port");
      l.capacityBps = r.number("capacity_bps");
      d.links.push_back(std::move(l));
    });
    forEach("containers", [&](ElementReader& r, std::size_t) {
      ContainerInfo c;
      c.name = r.string("name");
      c.host = r.string("host");
      c.image = r.string("image");
      c.labels = r.labels("labels");
      d.containers.push_back(std::move(c));
    });
    std::vector<bool> portT, switchT;  // whether each sample had a usable `t`
    forEach("port_stats", [&](ElementReader& r, std::size_t) {
      PortSampleRecord p;
      p.switchName = r.string("switch");
      p.port = r.integer("port");
      p.sample.rxBps = r.number("rx_bps");
      p.sample.txBps = r.number("tx_bps");
      const auto t = r.optionalNumber("t");
      p.sample.t = t.value_or(0);
      portT.push_back(t.has_value());
      d.portSamples.push_back(std::move(p));
    });
    forEach("switch_stats", [&](ElementReader& r, std::size_t) {
      SwitchSampleRecord s;
      s.switchName = r.string("switch");
      s.sample.packetsPerS = r.number("packets_per_s");
      s.sample.bytesPerS = r.number("bytes_per_s");
      s.sample.flows = r.number("flows");
      const auto t = r.optionalNumber("t");
      s.sample.t = t.value_or(0);
      switchT.push_back(t.has_value());
      d.switchSamples.push_back(std::move(s));
    });
    forEach("latency", [&](ElementReader& r, std::size_t) {
      LatencyRecord l;
      l.src = r.string("src");
      l.dst = r.string("dst");
      l.seconds = r.number("ms") / 1000;
      d.latencies.push_back(std::move(l));
    });
    resolveMissingTimes(d, portT, switchT);
    return d;
  }

 private:
  template <typename F>
  void forEach(const char* key, F&& readOne) {
    auto it = root_.find(key);
    if (it == root_.end()) return;
    const std::string array = key;
    if (!it->is_array()) {
      problems_.push_back({array, -1, array + ": expected an array, got " + it->type_name()});
      return;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& el = (*it)[i];
      const bool isObject = el.is_object();
      if (!isObject) {
        problems_.push_back(
            {array, static_cast<long long>(i),
             elementPath(array, i) + ": expected an object, got " + el.type_name()});
        broken_.markElement(array, i);
      }
      // A non-object still yields a (default) record so indices stay aligned
      // with the file; its fields are all marked broken.
      std::vector<Problem> discarded;
      BrokenFields discardedBroken;
      ElementReader r(isObject ? el : empty_, array, i, isObject ? problems_ : discarded,
                      isObject ? broken_ : discardedBroken);
      readOne(r, i);
    }
  }

  // Samples without `t` are taken at the newest `t` in the file; several of
  // one port (or switch) are spaced 1 s apart ending there, in listed order.
  static void resolveMissingTimes(NetworkData& d, const std::vector<bool>& portT,
                                  const std::vector<bool>& switchT) {
    bool any = false;
    double newest = 0;
    auto consider = [&](double t) {
      newest = any ? std::max(newest, t) : t;
      any = true;
    };
    for (std::size_t i = 0; i < portT.size(); ++i)
      if (portT[i]) consider(d.portSamples[i].sample.t);
    for (std::size_t i = 0; i < switchT.size(); ++i)
      if (switchT[i]) consider(d.switchSamples[i].sample.t);

    std::map<std::pair<std::string, int>, int> portCount, portSeen;
    for (std::size_t i = 0; i < portT.size(); ++i)
      if (!portT[i]) ++portCount[{d.portSamples[i].switchName, d.portSamples[i].port}];
    for (std::size_t i = 0; i < portT.size(); ++i) {
      if (portT[i]) continue;
      const std::pair<std::string, int> key{d.portSamples[i].switchName, d.portSamples[i].port};
      const int k = portSeen[key]++;
      d.portSamples[i].sample.t = newest - (portCount[key] - 1 - k);
    }
    std::map<std::string, int, std::less<>> switchCount, switchSeen;
    for (std::size_t i = 0; i < switchT.size(); ++i)
      if (!switchT[i]) ++switchCount[d.switchSamples[i].switchName];
    for (std::size_t i = 0; i < switchT.size(); ++i) {
      if (switchT[i]) continue;
      const std::string& key = d.switchSamples[i].switchName;
      const int k = switchSeen[key]++;
      d.switchSamples[i].sample.t = newest - (switchCount[key] - 1 - k);
    }
  }

  const json& root_;
  const json empty_ = json::object();
  std::vector<Problem>& problems_;
  BrokenFields& broken_;
};

// ---------------------------------------------------------------------------
// Locations of top-level values and array elements, found by a small scan of
// text that nlohmann has already accepted as valid JSON (so the scan may be
// simple, but it still never reads out of bounds).

struct Offsets {
  std::unordered_map<std::string, std::size_t> values;
  std::unordered_map<std::string, std::vector<std::size_t>> elements;
};

class OffsetScanner {
 public:
  explicit OffsetScanner(std::string_view text) : text_(text) {}

  Offsets scan() {
    Offsets out;
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    skipWs();
    if (!eat('{')) return out;
    while (true) {
      skipWs();
      if (atEnd() || peek() != '"') break;
      std::string key = rawString();
      skipWs();
      if (!eat(':')) break;
      skipWs();
      out.values[key] = pos_;  // a later duplicate wins, as in nlohmann
      if (!atEnd() && peek() == '[') {
        auto& elements = out.elements[key];
        elements.clear();
        ++pos_;
        while (true) {
          skipWs();
          if (atEnd() || eat(']')) break;
          elements.push_back(pos_);
          skipValue();
          skipWs();
          eat(',');
        }
      } else {
        skipValue();
      }
      skipWs();
      if (!eat(',')) break;
    }
    return out;
  }

 private:
  bool atEnd() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  bool eat(char c) {
    if (atEnd() || peek() != c) return false;
    ++pos_;
    return true;
  }
  void skipWs() {
    while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos_;
  }
  // The characters of a string as written (escapes are kept, so a key with
  // escapes simply does not match any array name).
  std::string rawString() {
    ++pos_;
    std::string out;
    while (!atEnd() && peek() != '"') {
      if (peek() == '\\' && pos_ + 1 < text_.size()) out += text_[pos_++];
      out += text_[pos_++];
    }
    ++pos_;
    return out;
  }
  void skipValue() {
    if (atEnd()) return;
    if (peek() == '"') {
      rawString();
      return;
    }
    if (peek() == '{' || peek() == '[') {
      int depth = 0;
      while (!atEnd()) {
        const char c = peek();
        if (c == '"') {
          rawString();
          continue;
        }
        ++pos_;
        if (c == '{' || c == '[') ++depth;
        if ((c == '}' || c == ']') && --depth == 0) return;
      }
      return;
    }
    while (!atEnd() && std::strchr(",]} \t\r\n", peek()) == nullptr) ++pos_;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

std::size_t offsetOf(const Offsets& offsets, const Problem& p) {
  if (p.array.empty()) return 0;
  if (p.index < 0) {
    auto it = offsets.values.find(p.array);
    return it == offsets.values.end() ? 0 : it->second;
  }
  auto it = offsets.elements.find(p.array);
  if (it == offsets.elements.end() || static_cast<std::size_t>(p.index) >= it->second.size())
    return 0;
  return it->second[static_cast<std::size_t>(p.index)];
}

Diagnostic makeDiagnostic(std::string message, const std::string& file, Location location) {
  return Diagnostic{codes::kStateError, std::move(message), file, location, Severity::Error};
}

// nlohmann's messages start with "[json.exception.parse_error.101] parse
// error at line 1, column 4: "; the location is reported separately.
std::string parseErrorMessage(const std::string& what) {
  std::string rest = what;
  if (auto p = rest.find("] "); rest.starts_with("[json.exception.") && p != std::string::npos)
    rest = rest.substr(p + 2);
  if (rest.starts_with("parse error")) {
    if (auto p = rest.find(": "); p != std::string::npos) rest = rest.substr(p + 2);
  }
  return "invalid JSON: " + rest;
}

// JSON numbers as integers when they are, so written files read naturally.
json number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15)
    return static_cast<std::int64_t>(v);
  return v;
}

}  // namespace

StateLoadResult loadStateJson(std::string_view text, const std::string& file) {
  StateLoadResult result;
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    result.diagnostics.push_back(
        makeDiagnostic(parseErrorMessage(e.what()), file, locationAt(text, offset)));
    return result;
  } catch (const json::exception& e) {
    // E.g. "number overflow parsing '1e999'": point at the literal if it can be found.
    std::string message = parseErrorMessage(e.what());
    std::size_t offset = 0;
    const std::string what = e.what();
    if (auto open = what.find('\''), close = what.rfind('\'');
        open != std::string::npos && close > open) {
      auto found = text.find(what.substr(open + 1, close - open - 1));
      if (found != std::string_view::npos) offset = found;
    }
    result.diagnostics.push_back(
        makeDiagnostic(std::move(message), file, locationAt(text, offset)));
    return result;
  }

  if (!root.is_object()) {
    std::size_t offset = text.find_first_not_of(" \t\r\n");
    if (text.starts_with("\xEF\xBB\xBF")) offset = text.find_first_not_of(" \t\r\n", 3);
    result.diagnostics.push_back(
        makeDiagnostic(std::string("the top level must be a JSON object, got ") + root.type_name(),
                       file, locationAt(text, offset == std::string_view::npos ? 0 : offset)));
    return result;
  }

  std::vector<Problem> problems;
  BrokenFields broken;
  NetworkData data = DocumentReader(root, problems, broken).read();
  Validator(data, broken, problems).run();
  if (problems.empty()) {
    result.state = std::make_unique<InMemoryState>(std::move(data));
    return result;
  }

  const Offsets offsets = OffsetScanner(text).scan();
  std::vector<std::pair<std::size_t, std::size_t>> order;  // (offset, problem index)
  order.reserve(problems.size());
  for (std::size_t i = 0; i < problems.size(); ++i)
    order.emplace_back(offsetOf(offsets, problems[i]), i);
  // Within one element, reading problems come before validation ones.
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [offset, i] : order)
    result.diagnostics.push_back(
        makeDiagnostic(std::move(problems[i].message), file, locationAt(text, offset)));
  return result;
}

StateLoadResult loadStateFile(const std::string& path) {
  auto read = readInputFile(path);
  if (!read.text) {
    StateLoadResult r;
    r.diagnostics.push_back(
        makeDiagnostic("cannot read " + jsonQuoted(path) + ": " + read.error, path, Location{}));
    return r;
  }
  return loadStateJson(*read.text, path);
}

Diagnostics validateNetworkData(const NetworkData& data, const std::string& file) {
  std::vector<Problem> problems;
  const BrokenFields none;
  Validator(data, none, problems).run();
  std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
    return arrayRank(a.array) < arrayRank(b.array);
  });
  Diagnostics out;
  out.reserve(problems.size());
  for (auto& p : problems) out.push_back(makeDiagnostic(std::move(p.message), file, Location{}));
  return out;
}

json stateToJson(const NetworkState& state) {
  json out = json::object();
  const auto switches = state.switches();
  const auto hosts = state.hosts();

  json& sw = out["switches"] = json::array();
  for (const auto& s : switches) {
    json j = {{"name", s.name}};
    if (!s.dpid.empty()) j["dpid"] = s.dpid;
    sw.push_back(std::move(j));
  }

  json& hs = out["hosts"] = json::array();
  for (const auto& h : hosts) {
    json j = {{"name", h.name},
              {"ip", h.ip},
              {"switch", h.switchName},
              {"port", h.port},
              {"capacity_bps", number(h.capacityBps)}};
    if (!h.mac.empty()) j["mac"] = h.mac;
    if (!h.labels.empty()) j["labels"] = h.labels;
    hs.push_back(std::move(j));
  }

  json& ls = out["links"] = json::array();
  for (const auto& l : state.links())
    ls.push_back({{"src", l.src},
                  {"src_port", l.srcPort},
                  {"dst", l.dst},
                  {"dst_port", l.dstPort},
                  {"capacity_bps", number(l.capacityBps)}});

  json& cs = out["containers"] = json::array();
  for (const auto& c : state.containers()) {
    json j = {{"name", c.name}, {"host", c.host}, {"image", c.image}};
    if (!c.labels.empty()) j["labels"] = c.labels;
    cs.push_back(std::move(j));
  }

  // NetworkState cannot list the ports that have samples, so ask about every
  // connected port, plus (for the in-memory state) every port its data names.
  const auto* memory = dynamic_cast<const InMemoryState*>(&state);
  std::vector<std::set<int>> ports(switches.size());
  auto addPort = [&](std::string_view switchName, int port) {
    const int s = state.switchIndex(switchName);
    if (s >= 0) ports[static_cast<std::size_t>(s)].insert(port);
  };
  for (const auto& h : hosts) addPort(h.switchName, h.port);
  for (const auto& l : state.links()) {
    addPort(l.src, l.srcPort);
    addPort(l.dst, l.dstPort);
  }
  if (memory)
    for (const auto& r : memory->data().portSamples) addPort(r.switchName, r.port);

  json& ps = out["port_stats"] = json::array();
  json& ss = out["switch_stats"] = json::array();
  for (std::size_t s = 0; s < switches.size(); ++s) {
    for (int port : ports[s])
      for (const auto& p : state.portSamples(static_cast<int>(s), port))
        ps.push_back({{"switch", switches[s].name},
                      {"port", port},
                      {"rx_bps", number(p.rxBps)},
                      {"tx_bps", number(p.txBps)},
                      {"t", number(p.t)}});
    for (const auto& p : state.switchSamples(static_cast<int>(s)))
      ss.push_back({{"switch", switches[s].name},
                    {"packets_per_s", number(p.packetsPerS)},
                    {"bytes_per_s", number(p.bytesPerS)},
                    {"flows", number(p.flows)},
                    {"t", number(p.t)}});
  }

  json& lat = out["latency"] = json::array();
  auto addLatency = [&](const std::string& a, const std::string& b, double seconds) {
    // Rounded to nanoseconds so that ms -> s -> ms gives back the written number.
    lat.push_back({{"src", a}, {"dst", b}, {"ms", std::round(seconds * 1e9) / 1e6}});
  };
  if (memory) {
    for (const auto& r : memory->data().latencies)
      if (state.hostIndex(r.src) >= 0 && state.hostIndex(r.dst) >= 0)
        addLatency(r.src, r.dst, r.seconds);
  } else {
    // Without a way to list measurements, ask about every unordered pair.
    for (std::size_t i = 0; i < hosts.size(); ++i)
      for (std::size_t j = i + 1; j < hosts.size(); ++j)
        if (auto l = state.latencySeconds(hosts[i].name, hosts[j].name))
          addLatency(hosts[i].name, hosts[j].name, *l);
  }
  return out;
}

}  // namespace roam::lang
