// `roam redirect`: installs (or removes) the traffic redirection of a
// migrated container by hand, as the manager does after a migration
// (docs/redirection.md).

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "runtime/manager/redirector.hpp"

namespace roam::cli {

namespace {

struct RedirectArgs {
  std::string container;
  std::string controller;
  std::string home;
  std::string to;
  std::vector<std::string> ports;
  std::vector<std::string> dpids;
  std::string timeout = "5s";
  bool clear = false;
};

// "IP" or "IP,MAC" into `e`; "" or the error.
std::string parseEndpoint(const std::string& text, bool macRequired, runtime::Endpoint& e) {
  const auto comma = text.find(',');
  e.ip = text.substr(0, comma);
  e.mac = comma == std::string::npos ? "" : text.substr(comma + 1);
  if (auto checked = runtime::checkIpv4(e.ip); !checked) return checked.error().message;
  if (e.mac.empty()) return macRequired ? "expects IP,MAC, got '" + text + "'" : "";
  for (auto& c : e.mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return roam::errorText(runtime::checkMac(e.mac));
}

// "1", "0x1" or 16 hex digits, normalised to 16 hex digits; "" when malformed.
std::string normaliseDpid(std::string text) {
  if (text.starts_with("0x") || text.starts_with("0X")) text = text.substr(2);
  if (text.empty() || text.size() > 16 ||
      text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return "";
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::string(16 - text.size(), '0') + text;
}

}  // namespace

Command addRedirectCommand(CLI::App& app, const CommandLine& line) {
  auto* cmd = app.add_subcommand(
      "redirect", "Redirect a migrated container's home address to its new host (flow rules)");
  auto a = std::make_shared<RedirectArgs>();
  cmd->add_option("container", a->container, "the container (names its rules)")->required();
  cmd->add_option("--controller", a->controller, "ryu=URL, e.g. ryu=http://127.0.0.1:8080")
      ->required();
  cmd->add_option("--home", a->home, "IP[,MAC] clients use: the host the container ran on first");
  cmd->add_option("--to", a->to, "IP,MAC of the host the container runs on now");
  cmd->add_option("--port", a->ports,
                  "service port: 80, tcp/80 or udp/53; repeatable (none: all IP traffic)")
      ->allow_extra_args(false);
  cmd->add_option("--dpid", a->dpids, "a switch (hex); repeatable (none: every switch)")
      ->allow_extra_args(false);
  cmd->add_option("--timeout", a->timeout, "HTTP timeout per request (5s)");
  cmd->add_flag("--clear", a->clear, "remove the container's rules instead");
  return {
      cmd, [a, &line]() -> int {
        auto flagError = [&](const std::string& value, const std::string& message) {
          commandLineError(line, line.find(value), message);
          return 2;
        };
        auto controller = valueOrReport(runtime::parseControllerFlag(a->controller, {"ryu"}, line));
        if (!controller) return 2;
        const std::string url = controller->url;

        runtime::Redirect r;
        r.container = a->container;
        if (!a->clear) {
          if (a->home.empty()) return flagError("redirect", "--home IP[,MAC] is required");
          if (a->to.empty()) return flagError("redirect", "--to IP,MAC is required");
          if (auto e = parseEndpoint(a->home, false, r.home); !e.empty())
            return flagError(a->home, "--home: " + e);
          if (auto e = parseEndpoint(a->to, true, r.target); !e.empty())
            return flagError(a->to, "--to: " + e);
          for (const auto& p : a->ports)
            if (!runtime::addServicePort(p, r))
              return flagError(p, "--port expects 1..65535, tcp/PORT or udp/PORT, got '" + p + "'");
        } else if (!a->ports.empty() || !a->to.empty()) {
          return flagError("--clear",
                           "--clear removes every rule of the container; it takes no "
                           "--to or --port");
        }
        for (const auto& d : a->dpids) {
          auto dpid = normaliseDpid(d);
          if (dpid.empty())
            return flagError(d, "--dpid expects a datapath id in hex, got '" + d + "'");
          r.dpids.push_back(dpid);
        }
        auto timeout = runtime::parseDuration(a->timeout);
        if (!timeout || *timeout <= 0)
          return flagError(a->timeout, "--timeout expects a positive duration such as 5s, got '" +
                                           a->timeout + "'");

        runtime::HttpOptions http;
        http.totalTimeoutSeconds = *timeout;
        http.connectTimeoutSeconds = std::min(*timeout, 2.0);
        runtime::RyuFlowRedirector redirector(url, http);
        if (r.dpids.empty()) {
          auto switches = redirector.switches();
          if (!switches) {
            std::cerr << "roam redirect: cannot list the switches: " << switches.error().message()
                      << "\n";
            return 1;
          }
          r.dpids = std::move(*switches);
          if (r.dpids.empty()) {
            std::cerr << "roam redirect: the controller knows no switch\n";
            return 1;
          }
        }

        const auto done =
            a->clear ? redirector.clear(r.container, r.dpids) : redirector.redirect(r);
        if (!done) {
          std::cerr << "roam redirect: " << done.error().message << "\n";
          return 1;
        }
        char cookie[19];
        std::snprintf(cookie, sizeof cookie, "0x%016llx",
                      static_cast<unsigned long long>(runtime::redirectCookie(r.container)));
        if (a->clear)
          std::cout << "cleared " << r.container << " (cookie " << cookie << ") on "
                    << r.dpids.size() << " switch(es)\n";
        else if (r.target.ip == r.home.ip)
          std::cout << r.container << " is home at " << r.home.ip << ": rules removed (cookie "
                    << cookie << ") on " << r.dpids.size() << " switch(es)\n";
        else
          std::cout << "redirected " << r.container << ": " << r.home.ip << " -> " << r.target.ip
                    << " (" << r.target.mac << "), "
                    << runtime::redirectFlows(r).size() / r.dpids.size() << " rule(s) on each of "
                    << r.dpids.size() << " switch(es), cookie " << cookie << "\n";
        return 0;
      }};
}

}  // namespace roam::cli
