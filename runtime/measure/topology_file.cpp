#include "runtime/measure/topology_file.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "lang/input_file.hpp"
#include "runtime/measure/json_fields.hpp"

namespace roam::runtime {

namespace {

constexpr const char* kCode = lang::codes::kTopologyError;

// Byte offsets of the keys and array elements of a (valid) JSON text, by
// path: "links", "links[2]", "links[2].src_port". nlohmann does not keep
// positions, so diagnostics find their place here.
class OffsetScanner {
 public:
  explicit OffsetScanner(std::string_view text) : t_(text) {}

  std::map<std::string, std::size_t> scan() {
    if (t_.starts_with("\xEF\xBB\xBF")) i_ = 3;
    ws();
    value("", 0);
    return std::move(out_);
  }

 private:
  void ws() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n' || t_[i_] == '\r'))
      ++i_;
  }

  // Skips a string starting at the quote; returns its raw contents.
  std::string_view string() {
    std::size_t start = ++i_;
    while (i_ < t_.size() && t_[i_] != '"') i_ += t_[i_] == '\\' ? 2 : 1;
    std::string_view raw = t_.substr(start, std::min(i_, t_.size()) - start);
    ++i_;
    return raw;
  }

  void value(const std::string& path, int depth) {
    if (i_ >= t_.size()) return;
    char c = t_[i_];
    if (c == '{') {
      ++i_;
      ws();
      while (i_ < t_.size() && t_[i_] != '}') {
        std::size_t keyAt = i_;
        std::string key(string());
        if (key.find('\\') != std::string::npos) {
          try {
            key = Json::parse("\"" + key + "\"").get<std::string>();
          } catch (...) {
          }
        }
        std::string sub = path.empty() ? key : path + "." + key;
        if (depth < 4) out_.emplace(sub, keyAt);
        ws();
        ++i_;  // ':'
        ws();
        value(sub, depth + 1);
        ws();
        if (i_ < t_.size() && t_[i_] == ',') ++i_;
        ws();
      }
      ++i_;
    } else if (c == '[') {
      ++i_;
      ws();
      for (std::size_t n = 0; i_ < t_.size() && t_[i_] != ']'; ++n) {
        std::string sub = path + "[" + std::to_string(n) + "]";
        if (depth < 4) out_.emplace(sub, i_);
        value(sub, depth + 1);
        ws();
        if (i_ < t_.size() && t_[i_] == ',') ++i_;
        ws();
      }
      ++i_;
    } else if (c == '"') {
      string();
    } else {
      while (i_ < t_.size() && t_[i_] != ',' && t_[i_] != '}' && t_[i_] != ']' && t_[i_] != ' ' &&
             t_[i_] != '\n' && t_[i_] != '\r' && t_[i_] != '\t')
        ++i_;
    }
  }

  std::string_view t_;
  std::size_t i_ = 0;
  std::map<std::string, std::size_t> out_;
};

struct Problem {
  std::string path;  // where: "hosts[1].capacity_bps"; "" for the document
  std::string message;
  lang::Severity severity = lang::Severity::Error;
};

std::string jsonQuoted(std::string_view s) {
  return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace);
}

class Reader {
 public:
  explicit Reader(std::vector<Problem>& problems) : problems_(problems) {}

  TopologyFile read(const Json& root) {
    TopologyFile f;
    for (const auto& [key, v] : root.items())
      if (key != "switches" && key != "hosts" && key != "links")
        warn(key, "unknown key " + jsonQuoted(key) + " is ignored");
    if (auto* a = array(root, "switches"))
      for (std::size_t i = 0; i < a->size(); ++i) readSwitch((*a)[i], elem("switches", i), f);
    if (auto* a = array(root, "hosts"))
      for (std::size_t i = 0; i < a->size(); ++i) readHost((*a)[i], elem("hosts", i), f);
    if (auto* a = array(root, "links"))
      for (std::size_t i = 0; i < a->size(); ++i) readLink((*a)[i], elem("links", i), f);
    return f;
  }

 private:
  static std::string elem(const char* array, std::size_t i) {
    return std::string(array) + "[" + std::to_string(i) + "]";
  }
  void error(const std::string& path, std::string message) {
    problems_.push_back({path, path.empty() ? message : path + ": " + message});
  }
  void warn(const std::string& path, std::string message) {
    problems_.push_back({path, path + ": " + message, lang::Severity::Warning});
  }

  const Json* array(const Json& root, const char* key) {
    auto it = root.find(key);
    if (it == root.end()) return nullptr;  // every part is optional
    if (!it->is_array()) {
      error(key, "expected an array, got " + describeJson(*it));
      return nullptr;
    }
    return &*it;
  }

  bool object(const Json& v, const std::string& path, std::initializer_list<const char*> known) {
    if (!v.is_object()) {
      error(path, "expected an object, got " + describeJson(v));
      return false;
    }
    for (const auto& [key, value] : v.items()) {
      bool ok = false;
      for (const char* k : known) ok = ok || key == k;
      if (!ok) warn(path + "." + key, "unknown key " + jsonQuoted(key) + " is ignored");
    }
    return true;
  }

  std::optional<std::string> string(const Json& obj, const std::string& path, const char* key,
                                    bool required) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      if (required) error(path, std::string("missing \"") + key + "\"");
      return std::nullopt;
    }
    if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
      error(path + "." + key, "expected a non-empty string, got " + describeJson(*it));
      return std::nullopt;
    }
    return it->get<std::string>();
  }

  std::optional<double> capacity(const Json& obj, const std::string& path) {
    auto it = obj.find("capacity_bps");
    if (it == obj.end()) return 0.0;
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0) {
      error(path + ".capacity_bps",
            "expected a non-negative number of bits/s, got " + describeJson(*it));
      return std::nullopt;
    }
    return it->get<double>();
  }

  std::optional<int> port(const Json& obj, const std::string& path, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end()) {
      error(path, std::string("missing \"") + key + "\"");
      return std::nullopt;
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > 0xfffffeff) {
      error(path + "." + key,
            "expected a port number (an integer from 1), got " + describeJson(*it));
      return std::nullopt;
    }
    if (it->get<std::int64_t>() > INT32_MAX) {
      error(path + "." + key, "port number too large");
      return std::nullopt;
    }
    return static_cast<int>(it->get<std::int64_t>());
  }

  void readSwitch(const Json& v, const std::string& path, TopologyFile& f) {
    if (!object(v, path, {"dpid", "name"})) return;
    TopologyFileSwitch s;
    bool ok = true;
    auto d = v.find("dpid");
    if (d == v.end()) {
      error(path, "missing \"dpid\"");
      ok = false;
    } else if (auto dpid = dpidFromJson(*d)) {
      s.dpid = *dpid;
    } else {
      error(path + ".dpid",
            "expected a DPID (16 hex digits, or colon-separated), got " + describeJson(*d));
      ok = false;
    }
    auto name = string(v, path, "name", true);
    if (!name) return;
    s.name = *name;
    if (!ok) return;
    if (auto [it, fresh] = switchNames_.emplace(s.name, path); !fresh)
      return error(path + ".name",
                   "duplicate switch name " + jsonQuoted(s.name) + " (also " + it->second + ")");
    if (auto [it, fresh] = dpids_.emplace(s.dpid, path); !fresh)
      return error(path + ".dpid",
                   "duplicate DPID " + formatDpid(s.dpid) + " (also " + it->second + ")");
    f.switches.push_back(std::move(s));
  }

  void readHost(const Json& v, const std::string& path, TopologyFile& f) {
    if (!object(v, path, {"name", "ip", "mac", "capacity_bps", "labels", "switch", "port"})) return;
    TopologyFileHost h;
    auto name = string(v, path, "name", true);
    auto ip = string(v, path, "ip", false);
    auto mac = string(v, path, "mac", false);
    auto cap = capacity(v, path);
    bool ok = name && cap;
    if (ip) {
      if (checkIpv4(*ip)) {
        h.ip = *ip;
      } else {
        ok = false;
        error(path + ".ip", "expected an IPv4 address, got " + jsonQuoted(*ip));
      }
    }
    if (mac) {
      if (auto m = normaliseMac(*mac)) {
        h.mac = *m;
      } else {
        ok = false;
        error(path + ".mac", "expected a MAC address, got " + jsonQuoted(*mac));
      }
    }
    if (!v.contains("ip") && !v.contains("mac")) {
      error(path, "needs \"ip\" or \"mac\" to be matched with a discovered host");
      ok = false;
    }
    if (auto labels = v.find("labels"); labels != v.end()) {
      if (!labels->is_object()) {
        error(path + ".labels", "expected an object of strings, got " + describeJson(*labels));
        ok = false;
      } else {
        for (const auto& [key, value] : labels->items()) {
          if (!value.is_string()) {
            error(path + ".labels." + key, "expected a string, got " + describeJson(value));
            ok = false;
          } else {
            h.labels[key] = value.get<std::string>();
          }
        }
      }
    }
    if (v.contains("switch") || v.contains("port")) {
      auto sw = end(v, path, "switch", f);
      auto p = port(v, path, "port");
      if (sw && p) {
        h.switchDpid = *sw;
        h.port = *p;
      } else {
        ok = false;
      }
    }
    if (!ok) return;
    h.name = *name;
    h.capacityBps = *cap;
    if (auto [it, fresh] = hostNames_.emplace(h.name, path); !fresh)
      return error(path + ".name",
                   "duplicate host name " + jsonQuoted(h.name) + " (also " + it->second + ")");
    if (!h.ip.empty())
      if (auto [it, fresh] = hostIps_.emplace(h.ip, path); !fresh)
        return error(path + ".ip", "duplicate IP " + h.ip + " (also " + it->second + ")");
    if (!h.mac.empty())
      if (auto [it, fresh] = hostMacs_.emplace(h.mac, path); !fresh)
        return error(path + ".mac", "duplicate MAC " + h.mac + " (also " + it->second + ")");
    f.hosts.push_back(std::move(h));
  }

  // A link end: a switch name from this file, else a DPID.
  std::optional<Dpid> end(const Json& v, const std::string& path, const char* key,
                          const TopologyFile& f) {
    auto s = string(v, path, key, true);
    if (!s) return std::nullopt;
    for (const auto& sw : f.switches)
      if (sw.name == *s) return sw.dpid;
    if (auto d = parseDpid(*s)) return *d;
    error(path + "." + key,
          "unknown switch " + jsonQuoted(*s) + " (not a name in \"switches\", nor a DPID)");
    return std::nullopt;
  }

  void readLink(const Json& v, const std::string& path, TopologyFile& f) {
    if (!object(v, path, {"src", "src_port", "dst", "dst_port", "capacity_bps"})) return;
    auto src = end(v, path, "src", f);
    auto srcPort = port(v, path, "src_port");
    auto dst = end(v, path, "dst", f);
    auto dstPort = port(v, path, "dst_port");
    auto cap = capacity(v, path);
    if (!src || !srcPort || !dst || !dstPort || !cap) return;
    if (*src == *dst && *srcPort == *dstPort)
      return error(path, "a link cannot connect a port to itself");
    f.links.push_back({*src, *srcPort, *dst, *dstPort, *cap});
  }

  std::vector<Problem>& problems_;
  std::map<std::string, std::string> switchNames_, hostNames_, hostIps_, hostMacs_;
  std::map<Dpid, std::string> dpids_;
};

lang::Diagnostic diagnostic(std::string message, const std::string& file, lang::Location at,
                            lang::Severity severity = lang::Severity::Error) {
  return lang::Diagnostic{kCode, std::move(message), file, at, severity};
}

}  // namespace

TopologyFileResult parseTopologyFile(std::string_view text, const std::string& file) {
  TopologyFileResult result;
  Json root;
  try {
    root = Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 4: syntax error ..."
    if (auto p = what.find(": "); p != std::string::npos) what = what.substr(p + 2);
    result.diagnostics.push_back(diagnostic("invalid JSON: " + what, file,
                                            lang::locationAt(text, std::min(offset, text.size()))));
    return result;
  } catch (const std::exception& e) {
    result.diagnostics.push_back(diagnostic(std::string("invalid JSON: ") + e.what(), file, {}));
    return result;
  }
  if (!root.is_object()) {
    std::size_t at = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    result.diagnostics.push_back(
        diagnostic("the top level must be a JSON object, got " + describeJson(root), file,
                   lang::locationAt(text, at == std::string_view::npos ? 0 : at)));
    return result;
  }

  std::vector<Problem> problems;
  TopologyFile parsed = Reader(problems).read(root);
  if (!problems.empty()) {
    auto offsets = OffsetScanner(text).scan();
    for (auto& p : problems) {
      std::string path = p.path;
      std::size_t offset = 0;
      // The most specific part of the path that has a place in the text.
      while (!path.empty()) {
        if (auto it = offsets.find(path); it != offsets.end()) {
          offset = it->second;
          break;
        }
        auto cut = path.find_last_of(".[");
        path = cut == std::string::npos ? "" : path.substr(0, cut);
      }
      result.diagnostics.push_back(
          diagnostic(std::move(p.message), file, lang::locationAt(text, offset), p.severity));
    }
  }
  if (!lang::hasErrors(result.diagnostics)) result.file = std::move(parsed);
  return result;
}

TopologyFileResult loadTopologyFile(const std::string& path) {
  auto read = lang::readInputFile(path);
  if (!read.text) {
    TopologyFileResult r;
    r.diagnostics.push_back(
        diagnostic("cannot read " + jsonQuoted(path) + ": " + read.error, path, {}));
    return r;
  }
  return parseTopologyFile(*read.text, path);
}

TopologyNaming::TopologyNaming(std::optional<TopologyFile> file) : file_(std::move(file)) {
  if (file_)
    for (const auto& s : file_->switches) switchNames_[s.dpid] = s.name;
}

std::string TopologyNaming::switchName(Dpid dpid) const {
  auto it = switchNames_.find(dpid);
  return it != switchNames_.end() ? it->second : formatDpid(dpid);
}

TopologyView TopologyNaming::build(const DiscoveredTopology& discovered,
                                   const PortSpeeds& speeds) const {
  TopologyView view;
  std::set<Dpid> known;
  for (Dpid d : discovered.switches)
    if (known.insert(d).second) view.switches.push_back({switchName(d), formatDpid(d)});

  auto speedOf = [&](Dpid d, int port) {
    auto it = speeds.find({d, port});
    return it == speeds.end() ? 0.0 : it->second;
  };
  using End = std::pair<Dpid, int>;
  auto key = [](End a, End b) { return a < b ? std::pair{a, b} : std::pair{b, a}; };
  std::map<std::pair<End, End>, double> fileCapacity;
  if (file_)
    for (const auto& l : file_->links)
      fileCapacity[key({l.src, l.srcPort}, {l.dst, l.dstPort})] = l.capacityBps;

  std::set<std::pair<End, End>> seen;
  std::set<End> switchPorts;  // ends of inter-switch links
  auto addLink = [&](End a, End b, double fileCap) {
    if (!known.contains(a.first) || !known.contains(b.first)) return;
    if (!seen.insert(key(a, b)).second) return;
    switchPorts.insert(a);
    switchPorts.insert(b);
    double cap = fileCap;
    if (!(cap > 0)) {
      double sa = speedOf(a.first, a.second), sb = speedOf(b.first, b.second);
      cap = sa > 0 && sb > 0 ? std::min(sa, sb) : std::max(sa, sb);
    }
    view.links.push_back({switchName(a.first), a.second, switchName(b.first), b.second, cap});
  };
  for (const auto& l : discovered.links) {
    auto it = fileCapacity.find(key({l.src, l.srcPort}, {l.dst, l.dstPort}));
    addLink({l.src, l.srcPort}, {l.dst, l.dstPort}, it == fileCapacity.end() ? 0 : it->second);
  }
  if (file_)
    for (const auto& l : file_->links)
      addLink({l.src, l.srcPort}, {l.dst, l.dstPort}, l.capacityBps);

  std::set<std::string> macs, names, discoveredMacs;
  for (const auto& h : discovered.hosts) discoveredMacs.insert(h.mac);
  for (const auto& h : discovered.hosts) {
    if (!known.contains(h.dpid) || switchPorts.contains({h.dpid, h.port})) continue;
    if (macs.contains(h.mac)) continue;
    // The MAC first: a controller also files under a host's MAC the source
    // addresses of packets it merely forwarded (a host with IP forwarding on
    // routes a stray packet back out), so an IP may name the wrong host; by
    // IP only a file host whose MAC was not discovered as another host.
    const TopologyFileHost* match = nullptr;
    if (file_) {
      for (const auto& fh : file_->hosts)
        if (!match && !fh.mac.empty() && fh.mac == h.mac) match = &fh;
      for (const auto& fh : file_->hosts)
        for (const auto& ip : h.ips)
          if (!match && !fh.ip.empty() && fh.ip == ip &&
              (fh.mac.empty() || !discoveredMacs.contains(fh.mac)))
            match = &fh;
    }
    lang::HostInfo info;
    info.mac = h.mac;
    info.ip = match && !match->ip.empty() ? match->ip : (h.ips.empty() ? "" : h.ips.front());
    info.name = match ? match->name : (info.ip.empty() ? h.mac : info.ip);
    info.switchName = switchName(h.dpid);
    info.port = h.port;
    info.capacityBps =
        match && match->capacityBps > 0 ? match->capacityBps : speedOf(h.dpid, h.port);
    if (match) info.labels = match->labels;
    // A clash leaves the name to the first; the file still places its own
    // host below when this one was not it.
    if (!names.insert(info.name).second) continue;
    macs.insert(h.mac);
    view.hosts.push_back(std::move(info));
  }
  if (file_)
    for (const auto& fh : file_->hosts) {
      if (!fh.switchDpid || !known.contains(*fh.switchDpid)) continue;
      if (names.contains(fh.name) || (!fh.mac.empty() && macs.contains(fh.mac))) continue;
      bool seenIp = false;
      for (const auto& h : view.hosts) seenIp = seenIp || (!fh.ip.empty() && h.ip == fh.ip);
      if (seenIp) continue;
      lang::HostInfo info;
      info.name = fh.name;
      info.ip = fh.ip;
      info.mac = fh.mac;
      info.switchName = switchName(*fh.switchDpid);
      info.port = fh.port;
      info.capacityBps = fh.capacityBps > 0 ? fh.capacityBps : speedOf(*fh.switchDpid, fh.port);
      info.labels = fh.labels;
      names.insert(info.name);
      view.hosts.push_back(std::move(info));
    }
  return view;
}

}  // namespace roam::runtime
