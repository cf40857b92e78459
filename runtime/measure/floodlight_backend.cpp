#include "runtime/measure/floodlight_backend.hpp"

#include "runtime/measure/json_fields.hpp"

namespace roam::runtime {

namespace {

// Floodlight reports failures as {"ERROR": "..."} with status 200.
std::optional<FetchError> errorObject(const Json& doc) {
  if (!doc.is_object()) return std::nullopt;
  auto it = doc.find("ERROR");
  if (it == doc.end()) return std::nullopt;
  return badAnswer("controller says: " + (it->is_string() ? it->get<std::string>() : it->dump()));
}

// The first of `keys` present in `obj` (Floodlight renamed fields between
// versions), or nullptr.
const Json* anyOf(const Json& obj, std::initializer_list<const char*> keys, const char** found) {
  for (const char* k : keys)
    if (auto it = obj.find(k); it != obj.end()) {
      *found = k;
      return &*it;
    }
  return nullptr;
}

std::optional<FetchError> readDpid(const Json& obj, std::initializer_list<const char*> keys,
                                   const std::string& where, Dpid& out) {
  const char* key = *keys.begin();
  const Json* v = anyOf(obj, keys, &key);
  if (!v) return missingField(where, key);
  auto d = dpidFromJson(*v);
  if (!d) return wrongValue(fieldPath(where, key), "a DPID", *v);
  out = *d;
  return std::nullopt;
}

std::optional<FetchError> readRate(const Json& obj, const char* key, const std::string& where,
                                   double& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return missingField(where, key);
  auto v = numberFromJson(*it);
  if (!v || *v < 0) return wrongValue(fieldPath(where, key), "a non-negative number", *it);
  out = *v;
  return std::nullopt;
}

}  // namespace

Result<std::vector<Dpid>> parseFloodlightSwitches(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  if (auto err = errorObject(*doc)) return *err;
  std::vector<Dpid> out;
  auto error = forEachObject(*doc, "an array of switches", "a switch object",
                             [&](const Json& s, const std::string& w) -> std::optional<FetchError> {
                               Dpid d = 0;
                               if (auto err = readDpid(s, {"switchDPID", "dpid"}, w, d)) return err;
                               out.push_back(d);
                               return std::nullopt;
                             });
  if (error) return *error;
  return out;
}

Result<std::vector<FloodlightBandwidth>> parseFloodlightBandwidth(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  if (auto err = errorObject(*doc)) return *err;
  if (!doc->is_array()) return badAnswer("expected an array of ports, got " + describeJson(*doc));
  std::vector<FloodlightBandwidth> out;
  for (std::size_t i = 0; i < doc->size(); ++i) {
    const Json& e = (*doc)[i];
    const std::string w = "[" + std::to_string(i) + "]";
    if (e.is_null()) continue;  // nothing collected yet for that port
    if (!e.is_object()) return wrongValue(w, "a port object", e);
    FloodlightBandwidth b;
    if (auto err = readDpid(e, {"dpid"}, w, b.dpid)) return *err;
    PortNumber port;
    if (auto err = readPortField(e, "port", w, port)) return *err;
    if (auto err = readRate(e, "bits-per-second-rx", w, b.rxBps)) return *err;
    if (auto err = readRate(e, "bits-per-second-tx", w, b.txBps)) return *err;
    if (e.contains("link-speed-bits-per-second"))
      if (auto err = readRate(e, "link-speed-bits-per-second", w, b.linkSpeedBps)) return *err;
    if (port.cls != PortClass::Physical) continue;
    b.port = port.port;
    out.push_back(b);
  }
  return out;
}

Result<AggregateCounters> parseFloodlightAggregate(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  if (auto err = errorObject(*doc)) return *err;
  if (!doc->is_object()) return badAnswer("expected an object, got " + describeJson(*doc));
  auto it = doc->find("aggregate");
  // A switch that is not connected yields an object of help text instead.
  if (it == doc->end())
    return badAnswer("no \"aggregate\" in the answer (is the switch connected?)");
  const Json& a = *it;
  if (!a.is_object()) return wrongValue("aggregate", "an object", a);
  AggregateCounters out;
  for (auto [keys, field] : {std::pair{std::pair{"packet_count", "packetCount"}, &out.packets},
                             std::pair{std::pair{"byte_count", "byteCount"}, &out.bytes},
                             std::pair{std::pair{"flow_count", "flowCount"}, &out.flows}}) {
    const char* key = keys.first;
    const Json* v = anyOf(a, {keys.first, keys.second}, &key);
    if (!v) return missingField("aggregate", keys.first);
    auto c = counterFromJson(*v);
    if (!c) return wrongValue(fieldPath("aggregate", key), "a non-negative integer", *v);
    *field = *c;
  }
  return out;
}

Result<std::vector<DiscoveredLink>> parseFloodlightLinks(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  if (auto err = errorObject(*doc)) return *err;
  return readLinkArray(*doc,
                       [](const Json& l, const std::string& w, DiscoveredLink& link, PortNumber& sp,
                          PortNumber& dp) -> std::optional<FetchError> {
                         if (auto err = readDpid(l, {"src-switch"}, w, link.src)) return err;
                         if (auto err = readPortField(l, "src-port", w, sp)) return err;
                         if (auto err = readDpid(l, {"dst-switch"}, w, link.dst)) return err;
                         return readPortField(l, "dst-port", w, dp);
                       });
}

Result<std::vector<DiscoveredHost>> parseFloodlightDevices(std::string_view text) {
  auto doc = parseJsonDocument(text);
  if (!doc) return doc.error();
  if (auto err = errorObject(*doc)) return *err;
  // Newer DeviceResource wraps the list in {"devices": [...]}, older ones do not.
  const Json* list = &*doc;
  std::string prefix;
  if (doc->is_object()) {
    auto it = doc->find("devices");
    if (it == doc->end()) return badAnswer("expected \"devices\" or an array of devices");
    list = &*it;
    prefix = "devices";
  }
  if (!list->is_array())
    return wrongValue(prefix.empty() ? "answer" : prefix, "an array of devices", *list);
  std::vector<DiscoveredHost> out;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const Json& d = (*list)[i];
    const std::string w = prefix + "[" + std::to_string(i) + "]";
    if (!d.is_object()) return wrongValue(w, "a device object", d);
    auto macs = d.find("mac");
    if (macs == d.end()) return missingField(w, "mac");
    if (!macs->is_array()) return wrongValue(fieldPath(w, "mac"), "an array", *macs);
    if (macs->empty()) continue;
    const Json& macValue = (*macs)[0];
    auto mac =
        macValue.is_string() ? normaliseMac(macValue.get_ref<const std::string&>()) : std::nullopt;
    if (!mac) return wrongValue(fieldPath(w, "mac") + "[0]", "a MAC address", macValue);
    DiscoveredHost host;
    host.mac = *mac;
    if (auto err = readIpv4List(d, w, "an array", host.ips)) return *err;
    auto aps = d.find("attachmentPoint");
    if (aps == d.end()) continue;  // not attached (yet): cannot be placed
    if (!aps->is_array()) return wrongValue(fieldPath(w, "attachmentPoint"), "an array", *aps);
    bool placed = false;
    for (std::size_t k = 0; k < aps->size() && !placed; ++k) {
      const Json& ap = (*aps)[k];
      const std::string aw = fieldPath(w, "attachmentPoint") + "[" + std::to_string(k) + "]";
      if (!ap.is_object()) return wrongValue(aw, "an object", ap);
      PortNumber port;
      if (auto err = readDpid(ap, {"switch", "switchDPID"}, aw, host.dpid)) return *err;
      if (auto err = readPortField(ap, "port", aw, port)) return *err;
      if (port.cls != PortClass::Physical) continue;
      host.port = port.port;
      placed = true;
    }
    if (placed) out.push_back(std::move(host));
  }
  return out;
}

FloodlightBackend::FloodlightBackend(std::string baseUrl, HttpOptions http)
    : rest_(std::move(baseUrl), http) {}

Result<bool> FloodlightBackend::prepare() {
  auto response = rest_.http().post(rest_.url("/wm/statistics/config/enable/json"), "{}");
  if (!response) return response.error();
  return true;
}

Result<std::vector<Dpid>> FloodlightBackend::listSwitches() {
  return rest_.get<std::vector<Dpid>>("/wm/core/controller/switches/json", parseFloodlightSwitches);
}

Result<std::vector<FloodlightBandwidth>> FloodlightBackend::bandwidth(Dpid dpid) {
  auto all = rest_.get<std::vector<FloodlightBandwidth>>(
      "/wm/statistics/bandwidth/" + formatDpidColons(dpid) + "/all/json", parseFloodlightBandwidth);
  if (!all) return all;
  std::vector<FloodlightBandwidth> mine;
  for (const auto& b : *all)
    if (b.dpid == dpid) mine.push_back(b);
  return mine;
}

Result<std::vector<PortStats>> FloodlightBackend::portStats(Dpid dpid) {
  auto bw = bandwidth(dpid);
  if (!bw) return bw.error();
  std::vector<PortStats> out;
  for (const auto& b : *bw)
    out.push_back(PortStats{b.port, std::nullopt, PortRates{b.rxBps, b.txBps}});
  return out;
}

Result<std::vector<PortDescription>> FloodlightBackend::portDescriptions(Dpid dpid) {
  auto bw = bandwidth(dpid);
  if (!bw) return bw.error();
  std::vector<PortDescription> out;
  for (const auto& b : *bw) out.push_back(PortDescription{b.port, {}, b.linkSpeedBps});
  return out;
}

Result<AggregateCounters> FloodlightBackend::aggregate(Dpid dpid) {
  return rest_.get<AggregateCounters>(
      "/wm/core/switch/" + formatDpidColons(dpid) + "/aggregate/json", parseFloodlightAggregate);
}

Result<DiscoveredTopology> FloodlightBackend::topology() {
  auto switches = listSwitches();
  if (!switches) return switches.error();
  auto links =
      rest_.get<std::vector<DiscoveredLink>>("/wm/topology/links/json", parseFloodlightLinks);
  if (!links) return links.error();
  auto hosts = rest_.get<std::vector<DiscoveredHost>>("/wm/device/", parseFloodlightDevices);
  if (!hosts) return hosts.error();
  DiscoveredTopology t;
  t.switches = std::move(*switches);
  t.links = std::move(*links);
  t.hosts = std::move(*hosts);
  return t;
}

}  // namespace roam::runtime
