// `roam certs init DIR` and `roam certs issue DIR NAME [--ip ADDR]... [--force]`: the
// deployment's certificate authority and the agents' certificates
// (docs/security.md).

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "agent/tls/certificates.hpp"
#include "cli/commands.hpp"

namespace roam::cli {

namespace {

struct CertsArgs {
  std::string initDir;
  std::string issueDir;
  std::string name;
  std::vector<std::string> ips;
  bool force = false;
};

int runInit(const CommandLine& line, const CertsArgs& a) {
  if (auto made = agent::initAuthority(a.initDir); !made) {
    commandLineError(line, line.find(a.initDir), made.error().message);
    return 1;
  }
  const std::filesystem::path dir = a.initDir;
  std::cout << "wrote " << (dir / "ca.crt").string() << "\n"
            << "wrote " << (dir / "ca.key").string() << " (mode 0600)\n";
  return 0;
}

int runIssue(const CommandLine& line, const CertsArgs& a) {
  // The argument checks first, so the error points at the offending argument.
  if (auto checked = agent::checkCertificateName(a.name); !checked) {
    commandLineError(line, line.find(a.name), checked.error().message);
    return 1;
  }
  for (const auto& ip : a.ips)
    if (auto checked = agent::checkIpAddress(ip); !checked) {
      commandLineError(line, line.find(ip), checked.error().message);
      return 1;
    }
  const auto existing = a.force ? agent::Existing::replace : agent::Existing::refuse;
  if (auto issued = agent::issueCertificate(a.issueDir, a.name, a.ips, existing); !issued) {
    std::string message = issued.error().message;
    if (issued.error().code == roam::ErrorCode::Conflict) message += " (--force replaces it)";
    commandLineError(line, line.find(a.issueDir), message);
    return 1;
  }
  const std::filesystem::path dir = a.issueDir;
  std::cout << "wrote " << (dir / (a.name + ".crt")).string() << "\n"
            << "wrote " << (dir / (a.name + ".key")).string() << " (mode 0600)\n";
  return 0;
}

}  // namespace

Command addCertsCommand(CLI::App& app, const CommandLine& line) {
  auto* cmd = app.add_subcommand(
      "certs", "Create the deployment's certificate authority and issue certificates");
  cmd->require_subcommand(1);
  auto a = std::make_shared<CertsArgs>();

  auto* init = cmd->add_subcommand(
      "init", "Create DIR (0700) with a new certificate authority: ca.crt and ca.key (0600)");
  init->add_option("dir", a->initDir, "the certificate directory")->required();

  auto* issue = cmd->add_subcommand(
      "issue",
      "Issue DIR/NAME.crt and DIR/NAME.key (0600), signed by DIR/ca.key; never over "
      "existing ones without --force");
  issue->add_option("dir", a->issueDir, "the certificate directory (made by `certs init`)")
      ->required();
  issue->add_option("name", a->name, "the agent's or manager's name (CN and DNS name)")->required();
  issue->add_option("--ip", a->ips, "an IPv4 or IPv6 address the peer is reached at (repeatable)")
      ->allow_extra_args(false);
  issue->add_flag("--force", a->force, "replace an existing NAME.crt and NAME.key");

  return {cmd, [a, init, issue, &line] {
            if (init->parsed()) return runInit(line, *a);
            if (issue->parsed()) return runIssue(line, *a);
            return 2;
          }};
}

}  // namespace roam::cli
