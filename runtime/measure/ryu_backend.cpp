#include "runtime/measure/ryu_backend.hpp"

#include "runtime/measure/json_fields.hpp"

namespace roam::runtime {

namespace {

// The value under the decimal DPID key that every ofctl_rest answer has;
// `where` names it for errors. Returns nullptr and sets `error` when the
// document is not an object or has no such key.
const Json* entryFor(const Json& doc, Dpid dpid, FetchError& error, std::string& where) {
  const std::string key = std::to_string(dpid);
  where = "\"" + key + "\"";
  if (!doc.is_object()) {
    error = badAnswer("expected an object keyed by DPID, got " + describeJson(doc));
    return nullptr;
  }
  auto it = doc.find(key);
  if (it == doc.end()) {
    error = badAnswer("no entry for datapath " + key);
    return nullptr;
  }
  return &*it;
}

// Reads a required counter field of `obj` into `out`.
std::optional<FetchError> readCounter(const Json& obj, std::string_view key,
                                      const std::string& where, std::uint64_t& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return missingField(where, key);
  auto v = counterFromJson(*it);
  if (!v) return wrongValue(fieldPath(where, key), "a non-negative integer", *it);
  out = *v;
  return std::nullopt;
}

// A rest_topology Port object: {"dpid": "%016x", "port_no": "%08x", ...}.
std::optional<FetchError> readTopologyPort(const Json& v, const std::string& where, Dpid& dpid,
                                           PortNumber& port) {
  if (!v.is_object()) return wrongValue(where, "a port object", v);
  auto d = v.find("dpid");
  if (d == v.end()) return missingField(where, "dpid");
  auto parsed = dpidFromJson(*d);
  if (!parsed) return wrongValue(fieldPath(where, "dpid"), "a DPID", *d);
  dpid = *parsed;
  auto p = v.find("port_no");
  if (p == v.end()) return missingField(where, "port_no");
  port = portFromHexJson(*p);
  if (port.cls == PortClass::Invalid)
    return wrongValue(fieldPath(where, "port_no"), "a port number", *p);
  return std::nullopt;
}

// Calls visit(entry, where, port) for each entry of an ofctl_rest per-switch
// answer ({"<dpid>": [...]}), after checking that the entry is an object with
// a valid port_no; the first error (its own or visit's) ends the walk.
template <class Visit>
std::optional<FetchError> forEachPortEntry(const Json& doc, Dpid dpid, Visit visit) {
  FetchError error;
  std::string where;
  const Json* entries = entryFor(doc, dpid, error, where);
  if (!entries) return error;
  if (!entries->is_array()) return wrongValue(where, "an array", *entries);
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const Json& e = (*entries)[i];
    const std::string w = where + "[" + std::to_string(i) + "]";
    if (!e.is_object()) return wrongValue(w, "an object", e);
    PortNumber port;
    if (auto err = readPortField(e, "port_no", w, port)) return err;
    if (auto err = visit(e, w, port)) return err;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<Dpid>> parseRyuSwitches(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  if (!doc->is_array()) return badAnswer("expected an array of DPIDs, got " + describeJson(*doc));
  std::vector<Dpid> out;
  for (std::size_t i = 0; i < doc->size(); ++i) {
    const Json& v = (*doc)[i];
    // ofctl_rest writes decimal integers; a string is read as hex, as DPIDs
    // are written everywhere else.
    auto d = dpidFromJson(v);
    if (!d) return wrongValue("[" + std::to_string(i) + "]", "a DPID", v);
    out.push_back(*d);
  }
  return out;
}

Result<std::vector<PortStats>> parseRyuPortStats(std::string_view text, Dpid dpid) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  std::vector<PortStats> out;
  auto error = forEachPortEntry(
      *doc, dpid,
      [&](const Json& e, const std::string& w, PortNumber port) -> std::optional<FetchError> {
        PortCounters c;
        for (auto [key, field] :
             {std::pair{"rx_bytes", &c.rxBytes}, std::pair{"tx_bytes", &c.txBytes},
              std::pair{"rx_packets", &c.rxPackets}, std::pair{"tx_packets", &c.txPackets}})
          if (auto err = readCounter(e, key, w, *field)) return *err;
        // duration_sec/duration_nsec are optional (OF1.0 has none); when present
        // they must make sense, since rates are computed from them.
        auto sec = e.find("duration_sec");
        if (sec != e.end()) {
          auto s = counterFromJson(*sec);
          if (!s) return wrongValue(fieldPath(w, "duration_sec"), "a non-negative integer", *sec);
          double ns = 0;
          if (auto nsec = e.find("duration_nsec"); nsec != e.end()) {
            auto n = numberFromJson(*nsec);
            if (!n || *n < 0 || *n >= 1e9 || nsec->is_string())
              return wrongValue(fieldPath(w, "duration_nsec"), "a number of nanoseconds below 1e9",
                                *nsec);
            ns = *n;
          }
          c.durationSeconds = static_cast<double>(*s) + ns / 1e9;
        }
        if (port.cls == PortClass::Physical) out.push_back(PortStats{port.port, c, std::nullopt});
        return std::nullopt;
      });
  if (error) return *error;
  return out;
}

Result<std::vector<PortDescription>> parseRyuPortDescriptions(std::string_view text, Dpid dpid) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  std::vector<PortDescription> out;
  auto error = forEachPortEntry(
      *doc, dpid,
      [&](const Json& e, const std::string& w, PortNumber port) -> std::optional<FetchError> {
        PortDescription d;
        d.port = port.port;
        if (auto name = e.find("name"); name != e.end()) {
          if (!name->is_string()) return wrongValue(fieldPath(w, "name"), "a string", *name);
          d.name = name->get<std::string>();
        }
        // OF1.3 has curr_speed at the top; OF1.4+ moves it into an ETHERNET
        // property. Both are kbps.
        const Json* speed = nullptr;
        if (auto s = e.find("curr_speed"); s != e.end()) speed = &*s;
        if (auto props = e.find("properties"); !speed && props != e.end() && props->is_array())
          for (const auto& p : *props)
            if (p.is_object() && p.contains("curr_speed")) {
              speed = &p["curr_speed"];
              break;
            }
        if (speed) {
          auto kbps = numberFromJson(*speed);
          if (!kbps || *kbps < 0 || speed->is_string())
            return wrongValue(fieldPath(w, "curr_speed"), "a non-negative number of kbps", *speed);
          d.speedBps = *kbps * 1000.0;
        }
        if (port.cls == PortClass::Physical) out.push_back(std::move(d));
        return std::nullopt;
      });
  if (error) return *error;
  return out;
}

Result<AggregateCounters> parseRyuAggregate(std::string_view text, Dpid dpid) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  FetchError error;
  std::string w;
  const Json* e = entryFor(*doc, dpid, error, w);
  if (!e) return error;
  // ofctl_rest answers a one-element list; accept the bare object too.
  if (e->is_array()) {
    if (e->size() != 1) return wrongValue(w, "a list of one aggregate", *e);
    e = &(*e)[0];
    w += "[0]";
  }
  if (!e->is_object()) return wrongValue(w, "an object", *e);
  AggregateCounters a;
  if (auto err = readCounter(*e, "packet_count", w, a.packets)) return *err;
  if (auto err = readCounter(*e, "byte_count", w, a.bytes)) return *err;
  if (auto err = readCounter(*e, "flow_count", w, a.flows)) return *err;
  return a;
}

Result<std::vector<Dpid>> parseRyuTopologySwitches(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  std::vector<Dpid> out;
  auto error = forEachObject(
      *doc, "an array of switches", "a switch object",
      [&](const Json& s, const std::string& w) -> std::optional<FetchError> {
        auto d = s.find("dpid");
        if (d == s.end()) return missingField(w, "dpid");
        auto dpid = d->is_string() ? parseDpid(d->get_ref<const std::string&>()) : std::nullopt;
        if (!dpid) return wrongValue(fieldPath(w, "dpid"), "16 hex digits", *d);
        out.push_back(*dpid);
        return std::nullopt;
      });
  if (error) return *error;
  return out;
}

Result<std::vector<DiscoveredLink>> parseRyuTopologyLinks(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  return readLinkArray(*doc,
                       [](const Json& l, const std::string& w, DiscoveredLink& link, PortNumber& sp,
                          PortNumber& dp) -> std::optional<FetchError> {
                         for (auto [key, dpid, port] : {std::tuple{"src", &link.src, &sp},
                                                        std::tuple{"dst", &link.dst, &dp}}) {
                           auto it = l.find(key);
                           if (it == l.end()) return missingField(w, key);
                           if (auto err = readTopologyPort(*it, fieldPath(w, key), *dpid, *port))
                             return err;
                         }
                         return std::nullopt;
                       });
}

Result<std::vector<DiscoveredHost>> parseRyuTopologyHosts(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  std::vector<DiscoveredHost> out;
  auto error = forEachObject(
      *doc, "an array of hosts", "a host object",
      [&](const Json& h, const std::string& w) -> std::optional<FetchError> {
        DiscoveredHost host;
        auto mac = h.find("mac");
        if (mac == h.end()) return missingField(w, "mac");
        auto m = mac->is_string() ? normaliseMac(mac->get_ref<const std::string&>()) : std::nullopt;
        if (!m) return wrongValue(fieldPath(w, "mac"), "a MAC address", *mac);
        host.mac = *m;
        if (auto err = readIpv4List(h, w, "an array of addresses", host.ips)) return err;
        auto port = h.find("port");
        if (port == h.end()) return missingField(w, "port");
        PortNumber p;
        if (auto err = readTopologyPort(*port, fieldPath(w, "port"), host.dpid, p)) return err;
        if (p.cls != PortClass::Physical) return std::nullopt;
        host.port = p.port;
        out.push_back(std::move(host));
        return std::nullopt;
      });
  if (error) return *error;
  return out;
}

RyuBackend::RyuBackend(std::string baseUrl, HttpOptions http) : rest_(std::move(baseUrl), http) {}

Result<std::vector<Dpid>> RyuBackend::listSwitches() {
  return rest_.get<std::vector<Dpid>>("/stats/switches", parseRyuSwitches);
}

Result<std::vector<PortStats>> RyuBackend::portStats(Dpid dpid) {
  return rest_.get<std::vector<PortStats>>(
      "/stats/port/" + std::to_string(dpid),
      [this, dpid](std::string_view t) { return portStatsReader_.read(t, dpid); });
}

void RyuBackend::portStatsEach(std::span<const Dpid> dpids, const PortStatsDone& done) {
  std::vector<std::string> paths;
  paths.reserve(dpids.size());
  for (Dpid d : dpids) paths.push_back("/stats/port/" + std::to_string(d));
  rest_.getEach<std::vector<PortStats>>(
      paths, kParallelRequests,
      [&](std::size_t i, std::string_view text) { return portStatsReader_.read(text, dpids[i]); },
      done);
}

Result<std::vector<PortDescription>> RyuBackend::portDescriptions(Dpid dpid) {
  return rest_.get<std::vector<PortDescription>>(
      "/stats/portdesc/" + std::to_string(dpid),
      [dpid](std::string_view t) { return parseRyuPortDescriptions(t, dpid); });
}

Result<AggregateCounters> RyuBackend::aggregate(Dpid dpid) {
  return rest_.get<AggregateCounters>(
      "/stats/aggregateflow/" + std::to_string(dpid),
      [dpid](std::string_view t) { return parseRyuAggregate(t, dpid); });
}

Result<DiscoveredTopology> RyuBackend::topology() {
  DiscoveredTopology t;
  auto switches = rest_.get<std::vector<Dpid>>("/v1.0/topology/switches", parseRyuTopologySwitches);
  if (!switches) return switches.error();
  auto links =
      rest_.get<std::vector<DiscoveredLink>>("/v1.0/topology/links", parseRyuTopologyLinks);
  if (!links) return links.error();
  auto hosts =
      rest_.get<std::vector<DiscoveredHost>>("/v1.0/topology/hosts", parseRyuTopologyHosts);
  if (!hosts) return hosts.error();
  t.switches = std::move(*switches);
  t.links = std::move(*links);
  t.hosts = std::move(*hosts);
  return t;
}

}  // namespace roam::runtime
