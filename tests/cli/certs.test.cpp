// `roam certs init` and `roam certs issue` end to end: files, modes, the IP
// SAN, and errors pointing at the offending argument.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include "cli/run_command.hpp"
#include "temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

using roamtest::Run;
using roamtest::shell;

Run roam(const std::string& args) {
  return shell(std::string(ROAM_BINARY) + " " + args);
}

// Column of the argument that follows `before` (the args typed before it, space separated).
int columnAfter(const std::string& before) {
  return static_cast<int>(std::string(ROAM_BINARY).size() + 1 + before.size()) + 1;
}

using TempDir = roamtest::TempDir;

mode_t modeOf(const fs::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

bool haveOpenssl() {
  return std::system("command -v openssl >/dev/null 2>&1") == 0;
}

}  // namespace

TEST_CASE("roam certs init and issue write a CA and a certificate with IP SANs", "[cli]") {
  TempDir tmp;
  const std::string dir = (tmp.path / "certs").string();

  auto init = roam("certs init " + dir);
  INFO(init.err);
  REQUIRE(init.status == 0);
  CHECK(init.out == "wrote " + dir + "/ca.crt\nwrote " + dir + "/ca.key (mode 0600)\n");
  CHECK(modeOf(dir) == 0700);
  CHECK(modeOf(dir + "/ca.key") == 0600);

  auto issue = roam("certs issue " + dir + " h1 --ip 10.0.0.1 --ip fd00::1");
  INFO(issue.err);
  REQUIRE(issue.status == 0);
  CHECK(issue.out == "wrote " + dir + "/h1.crt\nwrote " + dir + "/h1.key (mode 0600)\n");
  CHECK(modeOf(dir + "/h1.key") == 0600);
  CHECK(fs::exists(dir + "/h1.crt"));

  if (!haveOpenssl()) {
    WARN("openssl command not found: the certificate's contents are checked by agent_tests only");
    return;
  }
  auto text = shell("openssl x509 -in " + dir + "/h1.crt -noout -subject -ext subjectAltName");
  INFO(text.err);
  CHECK(text.status == 0);
  CHECK(text.out.find("CN = h1") != std::string::npos);
  CHECK(text.out.find("DNS:h1, IP Address:10.0.0.1, IP Address:FD00:0:0:0:0:0:0:1") !=
        std::string::npos);
  auto verify =
      shell("openssl verify -CAfile " + dir + "/ca.crt -purpose sslclient " + dir + "/h1.crt");
  INFO(verify.err);
  CHECK(verify.status == 0);
  CHECK(verify.out == dir + "/h1.crt: OK\n");
}

TEST_CASE("roam certs init refuses to overwrite a CA", "[cli]") {
  TempDir tmp;
  const std::string dir = tmp.path.string();
  REQUIRE(roam("certs init " + dir).status == 0);
  auto again = roam("certs init " + dir);
  CHECK(again.status == 1);
  CHECK(again.out.empty());
  CHECK(again.err == "<command-line>:1:" + std::to_string(columnAfter("certs init ")) +
                         ": error: " + dir +
                         "/ca.crt: already exists; refusing to overwrite the certificate "
                         "authority\n");
}

TEST_CASE("roam certs issue points at a bad --ip or NAME", "[cli]") {
  TempDir tmp;
  const std::string dir = tmp.path.string();
  REQUIRE(roam("certs init " + dir).status == 0);

  std::string before = "certs issue " + dir + " h1 --ip 10.0.0.1 --ip ";
  auto badIp = roam(before + "10.0.0.256");
  CHECK(badIp.status == 1);
  CHECK(badIp.err == "<command-line>:1:" + std::to_string(columnAfter(before)) +
                         ": error: invalid IP address '10.0.0.256': expected an IPv4 or IPv6 "
                         "address\n");
  CHECK(!fs::exists(dir + "/h1.crt"));

  before = "certs issue " + dir + " ";
  auto badName = roam(before + "bad@name");
  CHECK(badName.status == 1);
  CHECK(badName.err.find("<command-line>:1:" + std::to_string(columnAfter(before)) +
                         ": error: invalid certificate name 'bad@name'") == 0);

  auto noCa = roam("certs issue " + dir + "/missing h1");
  CHECK(noCa.status == 1);
  CHECK(noCa.err.find(": error: " + dir + "/missing/ca.crt: cannot read") != std::string::npos);
}

TEST_CASE("roam certs issue never replaces a certificate without --force", "[cli]") {
  TempDir tmp;
  const std::string dir = (tmp.path / "certs").string();
  REQUIRE(roam("certs init " + dir).status == 0);
  REQUIRE(roam("certs issue " + dir + " h1").status == 0);
  std::ifstream in(dir + "/h1.crt");
  const std::string first((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  auto again = roam("certs issue " + dir + " h1 --ip 10.0.0.1");
  CHECK(again.status == 1);
  CHECK(again.err.find("error: " + dir +
                       "/h1.crt: already exists; refusing to replace it (--force replaces it)\n") !=
        std::string::npos);
  std::ifstream still(dir + "/h1.crt");
  CHECK(std::string((std::istreambuf_iterator<char>(still)), std::istreambuf_iterator<char>()) ==
        first);

  auto forced = roam("certs issue " + dir + " h1 --ip 10.0.0.1 --force");
  INFO(forced.err);
  CHECK(forced.status == 0);
  std::ifstream replaced(dir + "/h1.crt");
  CHECK(std::string((std::istreambuf_iterator<char>(replaced)), std::istreambuf_iterator<char>()) !=
        first);
  CHECK(modeOf(dir + "/h1.key") == 0600);
}

TEST_CASE("roam certs init makes an existing empty directory 0700, refuses a shared one", "[cli]") {
  TempDir tmp;
  const auto dir = tmp.path / "certs";
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms(0755));
  auto init = roam("certs init " + dir.string());
  INFO(init.err);
  CHECK(init.status == 0);
  CHECK(modeOf(dir.string()) == 0700);

  const auto shared = tmp.path / "shared";
  fs::create_directory(shared);
  std::ofstream(shared / "notes.txt") << "x";
  fs::permissions(shared, fs::perms(0755));
  auto refused = roam("certs init " + shared.string());
  CHECK(refused.status == 1);
  CHECK(
      refused.err.find(shared.string() + ": others can read it (mode 0755) and it is not empty") !=
      std::string::npos);
  CHECK(modeOf(shared.string()) == 0755);
  CHECK_FALSE(fs::exists(shared / "ca.key"));
}
