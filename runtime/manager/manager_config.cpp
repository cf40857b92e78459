#include "runtime/manager/manager_config.hpp"

#include <cmath>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/listen_address.hpp"
#include "runtime/time_text.hpp"

namespace roam::runtime {

namespace {

using Json = nlohmann::json;

// Locates keys in the file's text for error messages: nlohmann keeps no
// positions, so a key path is found by searching each quoted key after the
// previous one. Good enough for hand-written files; falls back to 1:1.
class KeyLocator {
 public:
  explicit KeyLocator(const std::string& text) : text_(text) {}

  std::pair<int, int> locate(const std::vector<std::string>& path) const {
    std::size_t at = 0;
    for (const auto& key : path) {
      auto found = text_.find("\"" + key + "\"", at);
      if (found == std::string::npos) break;
      at = found;
    }
    return lineColumn(at);
  }

  std::pair<int, int> lineColumn(std::size_t offset) const {
    int line = 1, column = 1;
    for (std::size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return {line, column};
  }

 private:
  const std::string& text_;
};

class Reader {
 public:
  Reader(const std::filesystem::path& file, const std::string& text)
      : file_(file), locator_(text) {}

  void error(const std::vector<std::string>& path, const std::string& message) {
    auto [line, column] = locator_.locate(path);
    errors_ += file_.string() + ":" + std::to_string(line) + ":" + std::to_string(column) +
               ": error: " + message + "\n";
  }
  void errorAt(std::size_t offset, const std::string& message) {
    auto [line, column] = locator_.lineColumn(offset);
    errors_ += file_.string() + ":" + std::to_string(line) + ":" + std::to_string(column) +
               ": error: " + message + "\n";
  }
  const std::string& errors() const { return errors_; }

  static std::string dotted(const std::vector<std::string>& path) {
    std::string s;
    for (const auto& p : path) s += (s.empty() ? "" : ".") + p;
    return s;
  }

  // Unknown keys are errors: a typo must not silently fall back to a default.
  void onlyKeys(const Json& object, const std::vector<std::string>& path,
                const std::set<std::string>& known) {
    for (const auto& [key, value] : object.items()) {
      if (known.count(key)) continue;
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      auto where = path;
      where.push_back(key);
      error(where, "unknown key '" + dotted(where) + "' (known here: " + list + ")");
    }
  }

  void string(const Json& v, const std::vector<std::string>& path, std::string& out) {
    if (!v.is_string()) return error(path, "'" + dotted(path) + "' must be a string");
    out = v.get<std::string>();
  }
  void path(const Json& v, const std::vector<std::string>& keyPath, std::string& out) {
    string(v, keyPath, out);
    // Absolute, so the paths stay right whatever the process's directory and
    // the file watcher sees real directories.
    if (!out.empty() && std::filesystem::path(out).is_relative())
      out = std::filesystem::absolute(file_.parent_path() / out).lexically_normal().string();
  }
  void boolean(const Json& v, const std::vector<std::string>& path, bool& out) {
    if (!v.is_boolean()) return error(path, "'" + dotted(path) + "' must be true or false");
    out = v.get<bool>();
  }
  // A duration: "1s", "500ms", "2min" or a number of seconds.
  void duration(const Json& v, const std::vector<std::string>& path, double& out,
                bool positive = true) {
    std::optional<double> d;
    if (v.is_number()) d = v.get<double>();
    if (v.is_string()) d = parseDuration(v.get<std::string>());
    if (!d || *d < 0 || (positive && *d == 0) || !std::isfinite(*d))
      return error(path, "'" + dotted(path) + "' must be a " + (positive ? "positive " : "") +
                             "duration such as \"1s\", \"500ms\" or \"2min\"");
    out = *d;
  }

 private:
  std::filesystem::path file_;
  KeyLocator locator_;
  std::string errors_;
};

void readPolicy(Reader& r, const Json& v, ManagerConfig& c) {
  const std::vector<std::string> at{"policy"};
  if (v.is_string()) {  // "policy": "FILE" is the one-line form
    r.path(v, at, c.policy.file);
    c.policy.name.clear();
    return;
  }
  if (!v.is_object())
    return r.error(at,
                   "'policy' must be a file name or an object {\"file\", \"name\", \"params\"}");
  r.onlyKeys(v, at, {"file", "name", "params"});
  if (v.contains("file")) r.path(v["file"], {"policy", "file"}, c.policy.file);
  if (v.contains("name")) r.string(v["name"], {"policy", "name"}, c.policy.name);
  if (v.contains("params")) {
    const auto& params = v["params"];
    if (!params.is_object())
      return r.error({"policy", "params"}, "'policy.params' must be an object of NAME: VALUE");
    c.policy.params.clear();
    for (const auto& [name, value] : params.items()) {
      // Values are expressions of the policy language: "5Mbps", 3, "h4".
      std::string text;
      if (value.is_string())
        text = value.get<std::string>();
      else if (value.is_number() || value.is_boolean())
        text = value.dump();
      else {
        r.error({"policy", "params", name},
                "'policy.params." + name + "' must be a string or a number, e.g. \"5Mbps\"");
        continue;
      }
      c.policy.params.push_back({name, text, "<config policy.params." + name + ">"});
    }
  }
}

void readAgents(Reader& r, const Json& v, ManagerConfig& c) {
  if (!v.is_array())
    return r.error({"agents"}, "'agents' must be a list of {\"name\": ..., \"address\": ...}");
  c.agents.clear();
  std::set<std::string> names;
  for (const auto& a : v) {
    if (!a.is_object() || !a.contains("name") || !a.contains("address") || !a["name"].is_string() ||
        !a["address"].is_string()) {
      r.error({"agents"}, "every agent needs a \"name\" and an \"address\" (HOST:PORT)");
      continue;
    }
    AgentAddress agent{a["name"].get<std::string>(), a["address"].get<std::string>(), ""};
    r.onlyKeys(a, {"agents", agent.name}, {"name", "address", "data_address"});
    if (a.contains("data_address")) {
      if (a["data_address"].is_string())
        agent.dataAddress = a["data_address"].get<std::string>();
      else
        r.error({"agents", agent.name},
                "agent '" + agent.name + "': data_address must be a string");
    }
    for (const auto* address : {&agent.address, &agent.dataAddress})
      if (!address->empty() && address->find(':') == std::string::npos)
        r.error({"agents", agent.name},
                "agent '" + agent.name + "': address '" + *address + "' must be HOST:PORT");
    if (!names.insert(agent.name).second)
      r.error({"agents", agent.name}, "agent '" + agent.name + "' is listed twice");
    c.agents.push_back(std::move(agent));
  }
}

void readBrain(Reader& r, const Json& v, ManagerConfig& c) {
  const std::vector<std::string> at{"brain"};
  if (!v.is_object()) return r.error(at, "'brain' must be an object");
  r.onlyKeys(
      v, at,
      {"interval", "window", "cooldown", "rate_limit", "max_data_age", "mode", "seed", "dry_run"});
  if (v.contains("interval")) {
    double d = 0;
    r.duration(v["interval"], {"brain", "interval"}, d);
    c.interval = d;
  }
  if (v.contains("window")) r.duration(v["window"], {"brain", "window"}, c.window);
  if (v.contains("cooldown")) r.duration(v["cooldown"], {"brain", "cooldown"}, c.cooldown, false);
  if (v.contains("max_data_age")) {
    double d = 0;
    r.duration(v["max_data_age"], {"brain", "max_data_age"}, d);
    c.maxDataAge = d;
  }
  if (v.contains("mode")) {
    r.string(v["mode"], {"brain", "mode"}, c.mode);
    if (c.mode != "auto" && c.mode != "snapshot" && c.mode != "checkpoint")
      r.error({"brain", "mode"}, "'brain.mode' must be auto, snapshot or checkpoint");
  }
  if (v.contains("seed")) {
    if (!v["seed"].is_number_unsigned())
      r.error({"brain", "seed"}, "'brain.seed' must be a non-negative integer");
    else
      c.seed = v["seed"].get<std::uint64_t>();
  }
  if (v.contains("dry_run")) r.boolean(v["dry_run"], {"brain", "dry_run"}, c.dryRun);
  if (v.contains("rate_limit")) {
    const auto& rl = v["rate_limit"];
    if (!rl.is_object())
      return r.error({"brain", "rate_limit"},
                     "'brain.rate_limit' must be {\"migrations\": N, \"per\": DURATION}");
    r.onlyKeys(rl, {"brain", "rate_limit"}, {"migrations", "per"});
    if (rl.contains("migrations")) {
      if (!rl["migrations"].is_number_integer() || rl["migrations"].get<int>() < 1)
        r.error({"brain", "rate_limit", "migrations"},
                "'brain.rate_limit.migrations' must be a positive integer");
      else
        c.rateLimit.migrations = rl["migrations"].get<int>();
    }
    if (rl.contains("per"))
      r.duration(rl["per"], {"brain", "rate_limit", "per"}, c.rateLimit.perSeconds);
  }
}

void readCollectors(Reader& r, const Json& v, ManagerConfig& c) {
  const std::vector<std::string> at{"collectors"};
  if (!v.is_object()) return r.error(at, "'collectors' must be an object of intervals");
  r.onlyKeys(v, at, {"bandwidth", "aggregate", "topology", "agents", "latency"});
  if (v.contains("bandwidth"))
    r.duration(v["bandwidth"], {"collectors", "bandwidth"}, c.bandwidthInterval);
  if (v.contains("aggregate"))
    r.duration(v["aggregate"], {"collectors", "aggregate"}, c.aggregateInterval);
  if (v.contains("topology"))
    r.duration(v["topology"], {"collectors", "topology"}, c.topologyInterval);
  if (v.contains("agents")) r.duration(v["agents"], {"collectors", "agents"}, c.agentPollInterval);
  if (v.contains("latency")) r.duration(v["latency"], {"collectors", "latency"}, c.latencyInterval);
}

void readController(Reader& r, const Json& v, ManagerConfig& c) {
  const std::vector<std::string> at{"controller"};
  if (!v.is_object()) return r.error(at, "'controller' must be {\"backend\": ..., \"url\": ...}");
  r.onlyKeys(v, at, {"backend", "url"});
  if (v.contains("backend")) {
    r.string(v["backend"], {"controller", "backend"}, c.controllerBackend);
    if (c.controllerBackend != "ryu" && c.controllerBackend != "floodlight")
      r.error({"controller", "backend"}, "'controller.backend' must be ryu or floodlight");
  }
  if (v.contains("url")) {
    r.string(v["url"], {"controller", "url"}, c.controllerUrl);
    if (!c.controllerUrl.starts_with("http://") && !c.controllerUrl.starts_with("https://"))
      r.error({"controller", "url"}, "'controller.url' must start with http:// or https://");
  }
}

}  // namespace

ConfigLoad loadManagerConfig(const std::filesystem::path& file, ManagerConfig c) {
  auto text = readFile(file.string());
  if (!text)
    return roam::makeError(roam::ErrorCode::Io, file.string() +
                                                    ":1:1: error: cannot read the configuration: " +
                                                    text.error().message + "\n");
  auto rejected = [](std::string errors) {
    return roam::makeError(roam::ErrorCode::BadInput, std::move(errors));
  };
  Reader r(file, *text);
  Json j;
  try {
    j = Json::parse(*text, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    r.errorAt(e.byte == 0 ? 0 : e.byte - 1, std::string("not valid JSON: ") + e.what());
    return rejected(r.errors());
  }
  if (!j.is_object()) {
    r.errorAt(0, "the configuration must be a JSON object");
    return rejected(r.errors());
  }
  c.file = std::filesystem::absolute(file);
  r.onlyKeys(
      j, {},
      {"controller", "collectors", "vib", "topology", "state", "agents", "certs", "identity",
       "policy", "brain", "decision_log", "admin_socket", "redirect", "metrics", "log_format"});
  if (j.contains("controller")) readController(r, j["controller"], c);
  if (j.contains("collectors")) readCollectors(r, j["collectors"], c);
  if (j.contains("vib")) r.path(j["vib"], {"vib"}, c.vib);
  if (j.contains("topology")) r.path(j["topology"], {"topology"}, c.topology);
  if (j.contains("state")) r.path(j["state"], {"state"}, c.stateFile);
  if (j.contains("agents")) readAgents(r, j["agents"], c);
  if (j.contains("certs")) r.path(j["certs"], {"certs"}, c.certs);
  if (j.contains("identity")) r.string(j["identity"], {"identity"}, c.identity);
  if (j.contains("policy")) readPolicy(r, j["policy"], c);
  if (j.contains("brain")) readBrain(r, j["brain"], c);
  if (j.contains("decision_log")) r.path(j["decision_log"], {"decision_log"}, c.decisionLog);
  if (j.contains("admin_socket")) r.path(j["admin_socket"], {"admin_socket"}, c.adminSocket);
  if (j.contains("redirect")) r.boolean(j["redirect"], {"redirect"}, c.redirect);
  if (j.contains("metrics")) {
    r.string(j["metrics"], {"metrics"}, c.metrics);
    if (auto a = parseListenAddress(c.metrics); !c.metrics.empty() && !a)
      r.error({"metrics"}, "'metrics' " + a.error().message);
  }
  if (j.contains("log_format")) {
    r.string(j["log_format"], {"log_format"}, c.logFormat);
    if (c.logFormat != "text" && c.logFormat != "json")
      r.error({"log_format"}, "'log_format' must be text or json");
  }
  if (!r.errors().empty()) return rejected(r.errors());
  return c;
}

}  // namespace roam::runtime
