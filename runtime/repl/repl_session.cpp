#include "runtime/repl/repl_session.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "lang/builtins.hpp"
#include "lang/decision.hpp"
#include "lang/units.hpp"
#include "runtime/repl/repl_support.hpp"

namespace roam::runtime {

namespace repl {

namespace {

constexpr std::array<CommandHelp, 15> kCommands{{
    {"help", "help [COMMAND|BUILTIN]", "list the commands, or describe one command or built-in",
     ""},
    {"hosts", "hosts", "every host: address, switch and port, link capacity, containers, labels",
     "The expression `hosts` (the set) is still available as `(hosts)`."},
    {"switches", "switches", "every switch: datapath id and attached hosts", ""},
    {"links", "links", "every inter-switch link: ends, capacity, bandwidth and utilization now",
     ""},
    {"containers", "containers", "every container: host, image, labels", ""},
    {"bandwidth", "bandwidth [HOST|SWITCH] [over DURATION]",
     "bandwidth and utilization now, or averaged over a window",
     "Without an argument, every host's link (host_bandwidth, host_rx_bandwidth,\n"
     "host_tx_bandwidth, host_utilization); with a switch, each of its ports\n"
     "(bandwidth, rx_bandwidth, tx_bandwidth, utilization). `over 10s` averages\n"
     "each value with avg_over(VALUE, 10s), as a policy would."},
    {"path", "path A B",
     "the path between two hosts or switches: switches, hops, bandwidth, latency",
     "Evaluates path, hops, path_bandwidth, available_bandwidth and (between two\n"
     "hosts) latency, exactly as a policy would."},
    {"hops", "hops A B", "number of switches on the path between two hosts or switches",
     "The same as the expression hops(\"A\", \"B\")."},
    {"latency", "latency A B", "measured latency between two hosts",
     "The same as the expression latency(\"A\", \"B\")."},
    {"explain", "explain [POLICY]",
     "a dry run of the active policy (or POLICY from its file): the trigger, the chosen "
     "container, every candidate's score",
     "Nothing migrates. Parameter overrides apply to the active policy."},
    {"decisions", "decisions [N]", "the N most recent decisions (default 10), newest first", ""},
    {"migrations", "migrations [N]",
     "the N most recent migrations (default 10), newest first, with their timings", ""},
    {"migrate", "migrate CONTAINER to HOST", "migrate a container now (needs a running manager)",
     ""},
    {"policy", "policy show", "the active policy: file, hash, parameters, source", ""},
    {"reload", "reload", "reload the active policy from its file",
     "Connected, the manager reloads its configured policy; offline, the --policy file\n"
     "is read again. A policy with errors is refused and the old one stays active."},
}};

std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// A line is a command when its first word names one and the rest are plain
// words (names, numbers, durations); `hosts - free_hosts()` is an expression.
bool plainWord(const std::string& w) {
  if (w.empty() || !(std::isalnum(static_cast<unsigned char>(w[0])) || w[0] == '_')) return false;
  for (char c : w)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' ||
          c == ':'))
      return false;
  return true;
}

// One command being run: the line, its words, the backend.
class Run {
 public:
  Run(std::string_view line, std::vector<Word> words, ReplBackend& backend)
      : line_(line), words_(std::move(words)), backend_(backend) {}

  ReplReply dispatch() {
    const std::string& name = words_[0].text;
    if (name == "help") return help();
    if (name == "hosts") return hosts();
    if (name == "switches") return switches();
    if (name == "links") return links();
    if (name == "containers") return containers();
    if (name == "bandwidth") return bandwidth();
    if (name == "path") return path();
    if (name == "hops") return pairExpression("hops");
    if (name == "latency") return pairExpression("latency");
    if (name == "explain") return explain();
    if (name == "decisions") return history(true);
    if (name == "migrations") return history(false);
    if (name == "migrate") return migrate();
    if (name == "policy") return policyShow();
    if (name == "reload") return withoutArguments() ? backend_.reload() : *error_;
    return errorAt(line_, 1, "unknown command '" + name + "'");
  }

 private:
  std::size_t argc() const { return words_.size() - 1; }
  const Word& arg(std::size_t i) const { return words_[i + 1]; }

  ReplReply usage() {
    const CommandHelp* c = findReplCommand(words_[0].text);
    std::size_t col = argc() > 0 ? arg(0).column() : line_.size() + 1;
    return errorAt(line_, col, "usage: " + std::string(c->usage));
  }

  bool withoutArguments() {
    if (argc() == 0) return true;
    error_ =
        errorAt(line_, arg(0).column(),
                "'" + words_[0].text + "' takes no arguments (try 'help " + words_[0].text + "')");
    return false;
  }

  // The state, or null with error_ set.
  std::shared_ptr<const lang::NetworkState> state() {
    auto s = backend_.state();
    if (!s) {
      error_ = errorAt(line_, 1, "no network state: " + s.error().message);
      return nullptr;
    }
    return *s;
  }

  // Value of one expression for a table cell: its text and JSON, or n/a.
  std::pair<std::string, nlohmann::json> cell(const std::string& expr,
                                              const lang::NetworkState& s) {
    auto e = evaluate(expr, s, nullptr);
    if (!e.value) return {"n/a", nullptr};
    return {lang::formatValue(*e.value, s), valueToJson(*e.value, s)};
  }

  ReplReply help() {
    if (argc() == 0) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& c : kCommands)
        rows.push_back({std::string(c.usage), std::string(c.summary)});
      rows.push_back({"EXPRESSION", "any expression of the policy language, e.g. count(hosts)"});
      std::string text = formatTable(rows);
      text += "\nhelp BUILTIN describes a built-in function; `roam builtins` lists them all.";
      nlohmann::json cmds = nlohmann::json::array();
      for (const auto& c : kCommands)
        cmds.push_back({{"name", c.name}, {"usage", c.usage}, {"summary", c.summary}});
      return okReply(text, {{"commands", cmds}});
    }
    if (argc() > 1) return usage();
    const std::string& topic = arg(0).text;
    if (const CommandHelp* c = findReplCommand(topic)) {
      std::string text = std::string(c->usage) + "\n  " + std::string(c->summary);
      if (!c->details.empty()) text += "\n\n" + std::string(c->details);
      return okReply(text, {{"name", c->name},
                            {"usage", c->usage},
                            {"summary", c->summary},
                            {"details", c->details}});
    }
    if (const lang::BuiltinDecl* b = lang::findBuiltin(topic)) {
      std::string text = std::string(b->signature) + "\n  " + std::string(b->summary) +
                         "\n  example: " + std::string(b->example);
      return okReply(text, {{"name", b->name},
                            {"signature", b->signature},
                            {"summary", b->summary},
                            {"example", b->example},
                            {"category", lang::categoryName(b->category)}});
    }
    if (const lang::GlobalDecl* g = lang::findGlobal(topic)) {
      std::string text =
          std::string(g->name) + ": " + lang::typeName(g->type) + "\n  " + std::string(g->summary);
      return okReply(
          text, {{"name", g->name}, {"type", lang::typeName(g->type)}, {"summary", g->summary}});
    }
    return errorAt(line_, arg(0).column(), "no command or built-in called '" + topic + "'");
  }

  static std::string labelsText(const lang::Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=" + v;
    return out.empty() ? "-" : out;
  }

  static nlohmann::json labelsJson(const lang::Labels& labels) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& [k, v] : labels) o[k] = v;
    return o;
  }

  ReplReply hosts() {
    if (!withoutArguments()) return *error_;
    auto s = state();
    if (!s) return *error_;
    std::map<std::string, std::vector<std::string>> onHost;
    for (const auto& c : s->containers()) onHost[c.host].push_back(c.name);
    std::vector<std::vector<std::string>> rows{
        {"HOST", "IP", "SWITCH:PORT", "CAPACITY", "CONTAINERS", "LABELS"}};
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& h : s->hosts()) {
      std::string cs;
      for (const auto& c : onHost[h.name]) cs += (cs.empty() ? "" : ",") + c;
      rows.push_back({h.name, h.ip, h.switchName + ":" + std::to_string(h.port),
                      lang::formatQuantity(h.capacityBps, lang::kRate), cs.empty() ? "-" : cs,
                      labelsText(h.labels)});
      arr.push_back({{"name", h.name},
                     {"ip", h.ip},
                     {"mac", h.mac},
                     {"switch", h.switchName},
                     {"port", h.port},
                     {"capacity_bps", h.capacityBps},
                     {"containers", onHost[h.name]},
                     {"labels", labelsJson(h.labels)}});
    }
    return okReply(formatTable(rows), {{"hosts", arr}});
  }

  ReplReply switches() {
    if (!withoutArguments()) return *error_;
    auto s = state();
    if (!s) return *error_;
    std::vector<std::vector<std::string>> rows{{"SWITCH", "DPID", "HOSTS"}};
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& sw : s->switches()) {
      std::vector<std::string> attached;
      for (const auto& h : s->hosts())
        if (h.switchName == sw.name) attached.push_back(h.name);
      std::string hs;
      for (const auto& h : attached) hs += (hs.empty() ? "" : ",") + h;
      rows.push_back({sw.name, sw.dpid, hs.empty() ? "-" : hs});
      arr.push_back({{"name", sw.name}, {"dpid", sw.dpid}, {"hosts", attached}});
    }
    return okReply(formatTable(rows), {{"switches", arr}});
  }

  ReplReply links() {
    if (!withoutArguments()) return *error_;
    auto s = state();
    if (!s) return *error_;
    std::vector<std::vector<std::string>> rows{
        {"SRC:PORT", "DST:PORT", "CAPACITY", "BANDWIDTH", "UTILIZATION"}};
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& l : s->links()) {
      std::string at = quoted(l.src) + ", " + std::to_string(l.srcPort);
      auto bw = cell("bandwidth(" + at + ")", *s);
      auto util = cell("utilization(" + at + ")", *s);
      rows.push_back({l.src + ":" + std::to_string(l.srcPort),
                      l.dst + ":" + std::to_string(l.dstPort),
                      lang::formatQuantity(l.capacityBps, lang::kRate), bw.first, util.first});
      arr.push_back({{"src", l.src},
                     {"src_port", l.srcPort},
                     {"dst", l.dst},
                     {"dst_port", l.dstPort},
                     {"capacity_bps", l.capacityBps},
                     {"bandwidth_bps", bw.second},
                     {"utilization", util.second}});
    }
    return okReply(formatTable(rows), {{"links", arr}});
  }

  ReplReply containers() {
    if (!withoutArguments()) return *error_;
    auto s = state();
    if (!s) return *error_;
    std::vector<std::vector<std::string>> rows{{"CONTAINER", "HOST", "IMAGE", "LABELS"}};
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& c : s->containers()) {
      rows.push_back({c.name, c.host, c.image.empty() ? "-" : c.image, labelsText(c.labels)});
      arr.push_back({{"name", c.name},
                     {"host", c.host},
                     {"image", c.image},
                     {"labels", labelsJson(c.labels)}});
    }
    return okReply(formatTable(rows), {{"containers", arr}});
  }

  ReplReply bandwidth() {
    std::vector<const Word*> targets;
    const Word* window = nullptr;
    for (std::size_t i = 0; i < argc(); ++i) {
      if (arg(i).text == "over") {
        if (i + 1 >= argc())
          return errorAt(line_, line_.size() + 1, "expected a duration after 'over', such as 10s");
        window = &arg(i + 1);
        if (i + 2 < argc())
          return errorAt(line_, arg(i + 2).column(),
                         "unexpected '" + arg(i + 2).text +
                             "'; usage: bandwidth [HOST|SWITCH] [over DURATION]");
        break;
      }
      targets.push_back(&arg(i));
    }
    if (targets.size() > 1)
      return errorAt(line_, targets[1]->column(), "usage: bandwidth [HOST|SWITCH] [over DURATION]");
    auto s = state();
    if (!s) return *error_;
    if (window) {
      auto w = evaluate(window->text, *s, nullptr);
      if (!w.value || w.type != lang::Type::number(lang::kDuration))
        return errorAt(line_, window->column(),
                       "expected a duration after 'over', such as 10s, got '" + window->text + "'");
    }
    auto wrap = [&](const std::string& e) {
      return window ? "avg_over(" + e + ", " + window->text + ")" : e;
    };
    nlohmann::json meta = {{"window", window ? nlohmann::json(window->text) : nlohmann::json()}};
    if (targets.empty() || s->hostIndex(targets[0]->text) >= 0) {
      std::vector<std::vector<std::string>> rows{{"HOST", "BANDWIDTH", "RX", "TX", "UTILIZATION"}};
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& h : s->hosts()) {
        if (!targets.empty() && h.name != targets[0]->text) continue;
        std::string q = "(" + quoted(h.name) + ")";
        auto bw = cell(wrap("host_bandwidth" + q), *s);
        auto rx = cell(wrap("host_rx_bandwidth" + q), *s);
        auto tx = cell(wrap("host_tx_bandwidth" + q), *s);
        auto util = cell(wrap("host_utilization" + q), *s);
        rows.push_back({h.name, bw.first, rx.first, tx.first, util.first});
        arr.push_back({{"host", h.name},
                       {"bandwidth_bps", bw.second},
                       {"rx_bps", rx.second},
                       {"tx_bps", tx.second},
                       {"utilization", util.second}});
      }
      meta["hosts"] = arr;
      return okReply(formatTable(rows), meta);
    }
    const std::string& sw = targets[0]->text;
    if (s->switchIndex(sw) < 0)
      return errorAt(line_, targets[0]->column(), "no host or switch called '" + sw + "'");
    // The switch's ports: its hosts' and its links' ends.
    std::map<int, std::string> ports;
    for (const auto& h : s->hosts())
      if (h.switchName == sw) ports[h.port] = h.name;
    for (const auto& l : s->links()) {
      if (l.src == sw) ports[l.srcPort] = l.dst;
      if (l.dst == sw) ports[l.dstPort] = l.src;
    }
    std::vector<std::vector<std::string>> rows{
        {"PORT", "TO", "BANDWIDTH", "RX", "TX", "UTILIZATION"}};
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& [port, peer] : ports) {
      std::string at = "(" + quoted(sw) + ", " + std::to_string(port) + ")";
      auto bw = cell(wrap("bandwidth" + at), *s);
      auto rx = cell(wrap("rx_bandwidth" + at), *s);
      auto tx = cell(wrap("tx_bandwidth" + at), *s);
      auto util = cell(wrap("utilization" + at), *s);
      rows.push_back({std::to_string(port), peer, bw.first, rx.first, tx.first, util.first});
      arr.push_back({{"port", port},
                     {"to", peer},
                     {"bandwidth_bps", bw.second},
                     {"rx_bps", rx.second},
                     {"tx_bps", tx.second},
                     {"utilization", util.second}});
    }
    meta["switch"] = sw;
    meta["ports"] = arr;
    return okReply(formatTable(rows), meta);
  }

  // Checks that argument i names a host or switch; sets error_ otherwise.
  bool isNode(const lang::NetworkState& s, std::size_t i, bool hostOnly) {
    const Word& w = arg(i);
    if (s.hostIndex(w.text) >= 0 || (!hostOnly && s.switchIndex(w.text) >= 0)) return true;
    error_ = errorAt(
        line_, w.column(),
        std::string(hostOnly ? "no host" : "no host or switch") + " called '" + w.text + "'");
    return false;
  }

  // `hops A B`, `latency A B`: the built-in of the same name.
  ReplReply pairExpression(const std::string& builtin) {
    if (argc() != 2) return usage();
    auto s = state();
    if (!s) return *error_;
    bool hostOnly = builtin == "latency";
    if (!isNode(*s, 0, hostOnly) || !isNode(*s, 1, hostOnly)) return *error_;
    std::string expr = builtin + "(" + quoted(arg(0).text) + ", " + quoted(arg(1).text) + ")";
    auto e = evaluate(expr, *s, nullptr);
    if (!e.value)
      return errorAt(line_, arg(0).column(),
                     e.diagnostics.empty() ? "cannot evaluate " + expr : e.diagnostics[0].message);
    std::string text = lang::formatValue(*e.value, *s);
    return okReply(text, {{"expression", expr},
                          {"type", lang::typeName(e.type)},
                          {"value", valueToJson(*e.value, *s)},
                          {"text", text}});
  }

  ReplReply path() {
    if (argc() != 2) return usage();
    auto s = state();
    if (!s) return *error_;
    if (!isNode(*s, 0, false) || !isNode(*s, 1, false)) return *error_;
    std::string ab = "(" + quoted(arg(0).text) + ", " + quoted(arg(1).text) + ")";
    auto p = evaluate("path" + ab, *s, nullptr);
    if (!p.value)
      return errorAt(line_, arg(0).column(),
                     p.diagnostics.empty() ? "no path" : p.diagnostics[0].message);
    auto hops = cell("hops" + ab, *s);
    auto bw = cell("path_bandwidth" + ab, *s);
    auto avail = cell("available_bandwidth" + ab, *s);
    bool hosts = s->hostIndex(arg(0).text) >= 0 && s->hostIndex(arg(1).text) >= 0;
    std::pair<std::string, nlohmann::json> latency{"-", nullptr};
    if (hosts) latency = cell("latency" + ab, *s);
    std::string text = formatTable({{"path:", lang::formatValue(*p.value, *s)},
                                    {"hops:", hops.first},
                                    {"path bandwidth:", bw.first},
                                    {"available bandwidth:", avail.first},
                                    {"latency:", latency.first}});
    return okReply(text, {{"from", arg(0).text},
                          {"to", arg(1).text},
                          {"path", valueToJson(*p.value, *s)},
                          {"hops", hops.second},
                          {"path_bandwidth_bps", bw.second},
                          {"available_bandwidth_bps", avail.second},
                          {"latency_s", latency.second}});
  }

  std::shared_ptr<const ActivePolicy> activeOrError() {
    auto p = backend_.activePolicy();
    if (!p)
      error_ = errorAt(line_, 1,
                       "no policy is loaded (start the REPL with --policy FILE, or connect to a "
                       "manager)");
    return p;
  }

  ReplReply explain() {
    if (argc() > 1) return usage();
    auto active = activeOrError();
    if (!active) return *error_;
    const lang::Policy* policy = active->policy;
    const lang::PolicyFile* file = active->file;
    if (argc() == 1 && arg(0).text != policy->name) {
      auto found = active->set->find(arg(0).text);
      if (!found) return errorAt(line_, arg(0).column(), found.error().message);
      policy = found->policy;
      file = found->file;
    }
    auto s = state();
    if (!s) return *error_;
    lang::DecideOptions options;
    if (policy == active->policy) options.params = active->source.params;
    auto result = lang::decide(*policy, file->path, *s, options);
    if (!result.decision) {
      ReplReply r = errorReply(line_, result.diagnostics);
      // Quote the policy's own lines for errors inside it.
      std::string text;
      for (const auto& d : result.diagnostics)
        text += lang::formatDiagnostic(
            d, d.file == file->path ? std::string_view(file->source) : std::string_view());
      while (!text.empty() && text.back() == '\n') text.pop_back();
      r.text = text;
      return r;
    }
    return okReply(lang::decisionToText(*result.decision), lang::decisionToJson(*result.decision));
  }

  ReplReply history(bool decisions) {
    std::size_t limit = 10;
    if (argc() > 1) return usage();
    if (argc() == 1) {
      const std::string& n = arg(0).text;
      bool digits = !n.empty() && n.size() < 7 &&
                    std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (!digits || std::stoul(n) == 0)
        return errorAt(line_, arg(0).column(), "expected a positive count, got '" + n + "'");
      limit = std::stoul(n);
    }
    nlohmann::json items =
        decisions ? backend_.recentDecisions(limit) : backend_.recentMigrations(limit);
    if (!items.is_array()) items = nlohmann::json::array();
    auto str = [](const nlohmann::json& j, const char* key) -> std::string {
      if (!j.contains(key) || j[key].is_null()) return "-";
      return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
    };
    auto num = [](const nlohmann::json& j,
                  std::initializer_list<const char*> keys) -> std::optional<double> {
      for (const char* k : keys)
        if (j.contains(k) && j[k].is_number()) return j[k].get<double>();
      return std::nullopt;
    };
    auto secs = [](std::optional<double> s) {
      return s ? lang::formatQuantity(*s, lang::kDuration) : std::string("-");
    };
    std::vector<std::vector<std::string>> rows;
    if (decisions) {
      rows.push_back({"TIME", "POLICY", "TRIGGERED", "CONTAINER", "MOVE", "DECISION TIME"});
      for (const auto& d : items) {
        auto t = num(d, {"time", "t", "evaluated_at"});
        bool triggered = d.value("triggered", false);
        std::string move = d.contains("destination") && d["destination"].is_string()
                               ? str(d, "source") + " -> " + str(d, "destination")
                               : "-";
        rows.push_back({t ? formatTime(*t) : "-", str(d, "policy"), triggered ? "yes" : "no",
                        str(d, "container"), move,
                        secs(num(d, {"decision_seconds", "decision_s", "elapsed_s"}))});
      }
    } else {
      rows.push_back({"STARTED", "CONTAINER", "MOVE", "STATE", "MODE", "DECISION TIME",
                      "MIGRATION TIME", "KEY TIME", "FREEZE", "MEMORY", "POLICY"});
      for (const auto& m : items) {
        auto t = num(m, {"started_t"});
        std::string state = str(m, "state");
        if (m.contains("error") && m["error"].is_string() && !m["error"].get<std::string>().empty())
          state += " (" + m["error"].get<std::string>() + ")";
        std::string policy = str(m, "policy");
        if (policy.empty()) policy = "manual";
        // Key gathering: MTD migrations only (0 for the others).
        auto key = num(m, {"key_seconds"});
        if (key && *key <= 0) key.reset();
        // An MTD migration's destination is known only from its DONE.
        std::string destination = str(m, "destination");
        if (destination.empty()) destination = "?";
        // The mode it ran in once the source's DONE said so (auto resolves to
        // checkpoint or snapshot), else the one asked for.
        std::string mode = str(m, "reported_mode");
        if (mode == "-" || mode.empty()) mode = str(m, "mode");
        // The freeze, and a checkpoint migration's split of it (CRIU's dump,
        // the final delta and images on the wire, the restore, the address's
        // move).
        auto ms = [](double v) { return lang::formatQuantity(v / 1000, lang::kDuration); };
        std::string freeze = "-";
        const double freezeMs = num(m, {"freeze_ms"}).value_or(0);
        if (freezeMs > 0) freeze = ms(freezeMs);
        const auto split = m.find("freeze_split_ms");
        if (freezeMs > 0 && split != m.end() && split->is_object())
          freeze += " (dump " + ms(num(*split, {"dump"}).value_or(0)) + " + transfer " +
                    ms(num(*split, {"transfer"}).value_or(0)) + " + restore " +
                    ms(num(*split, {"restore"}).value_or(0)) + " + redirect " +
                    ms(num(*split, {"redirect"}).value_or(0)) + ")";
        std::string memory = "-";
        if (m.contains("memory_bytes") && m["memory_bytes"].is_number())
          memory = lang::formatQuantity(m["memory_bytes"].get<double>() * 8, lang::kData);
        rows.push_back({t ? formatTime(*t) : "-", str(m, "container"),
                        str(m, "source") + " -> " + destination, state, mode,
                        secs(num(m, {"decision_seconds"})), secs(num(m, {"migration_seconds"})),
                        secs(key), freeze, memory, policy});
      }
    }
    std::string text = items.empty()
                           ? std::string(decisions ? "no decisions yet" : "no migrations yet")
                           : formatTable(rows);
    return okReply(text, {{decisions ? "decisions" : "migrations", items}});
  }

  ReplReply migrate() {
    if (argc() != 3 || arg(1).text != "to") return usage();
    if (auto r = backend_.state(); r.ok()) {
      const auto& s = *r;
      if (s->containerIndex(arg(0).text) < 0)
        return errorAt(line_, arg(0).column(), "no container called '" + arg(0).text + "'");
      if (s->hostIndex(arg(2).text) < 0)
        return errorAt(line_, arg(2).column(), "no host called '" + arg(2).text + "'");
    }
    ReplReply r = backend_.migrate(arg(0).text, arg(2).text);
    if (!r.ok && r.text.rfind("<repl>", 0) != 0) return errorAt(line_, 1, r.text);
    return r;
  }

  ReplReply policyShow() {
    if (argc() != 1 || arg(0).text != "show") return usage();
    auto active = activeOrError();
    if (!active) return *error_;
    const lang::Policy& p = *active->policy;
    // The policy's source: from its start to the next policy of the file.
    const std::string& src = active->file->source;
    std::size_t begin = std::min<std::size_t>(p.loc.offset, src.size());
    std::size_t end = src.size();
    for (const auto& other : active->file->policies)
      if (other.loc.offset > begin && other.loc.offset < end) end = other.loc.offset;
    std::string source = src.substr(begin, end - begin);
    while (!source.empty() && std::isspace(static_cast<unsigned char>(source.back())))
      source.pop_back();

    auto read = backend_.state();
    auto s = read.ok() ? *read : nullptr;
    std::vector<std::vector<std::string>> rows{
        {"policy:", p.name + (p.description.empty() ? "" : " \"" + p.description + "\"")},
        {"file:", active->source.file},
        {"hash:", active->contentHash},
        {"loaded:", formatTime(active->loadedAt) + " UTC"}};
    nlohmann::json params = nlohmann::json::array();
    if (s) {
      auto values = lang::resolveParams(p, active->source.params, *s);
      for (std::size_t i = 0; i < p.params.size() && i < values.values.size(); ++i) {
        bool overridden = false;
        for (const auto& o : active->source.params) overridden |= o.name == p.params[i].name;
        std::string v = lang::formatValue(values.values[i], *s);
        rows.push_back({i == 0 ? "params:" : "",
                        p.params[i].name + " = " + v + (overridden ? " (overridden)" : "")});
        params.push_back({{"name", p.params[i].name},
                          {"value", valueToJson(values.values[i], *s)},
                          {"text", v},
                          {"overridden", overridden}});
      }
    }
    std::string text = formatTable(rows) + "\n" + source;
    return okReply(text, {{"policy", p.name},
                          {"description", p.description},
                          {"file", active->source.file},
                          {"content_hash", active->contentHash},
                          {"loaded_at", active->loadedAt},
                          {"params", params},
                          {"source", source}});
  }

  std::string_view line_;
  std::vector<Word> words_;
  ReplBackend& backend_;
  std::optional<ReplReply> error_;
};

}  // namespace

std::span<const CommandHelp> replCommands() {
  return kCommands;
}

const CommandHelp* findReplCommand(std::string_view name) {
  for (const auto& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace repl

ReplSession::ReplSession(ReplBackend& backend) : backend_(backend) {}

ReplReply ReplSession::execute(std::string_view line) {
  auto words = repl::splitWords(line);
  if (words.empty()) return repl::okReply("", nullptr);
  bool command = repl::findReplCommand(words[0].text) != nullptr;
  for (std::size_t i = 1; command && i < words.size(); ++i)
    command = repl::plainWord(words[i].text);
  if (command) return repl::Run(line, std::move(words), backend_).dispatch();

  auto read = backend_.state();
  if (!read) return repl::errorAt(line, 1, "no network state: " + read.error().message);
  const auto& state = *read;
  auto active = backend_.activePolicy();
  auto e = repl::evaluate(line, *state, active.get());
  if (!e.value) return repl::errorReply(line, e.diagnostics);
  std::string text = lang::formatValue(*e.value, *state);
  return repl::okReply(text, {{"expression", std::string(line)},
                              {"type", lang::typeName(e.type)},
                              {"value", repl::valueToJson(*e.value, *state)},
                              {"text", text}});
}

}  // namespace roam::runtime
