// Input files on the command line end to end: directories, FIFOs and devices
// given as a policy, a state or a configuration are refused at once with an
// error located at the file; files have a size limit.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "cli/run_command.hpp"
#include "temp_dir.hpp"

namespace {

using roamtest::roam;
using roamtest::Run;
using roamtest::TempDir;

const std::string kPolicy = "policies/load-balancing/bandwidth.policy";
const std::string kState = "examples/states/paper-heterogeneous.json";

std::string write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

// The special files of every kind, made fresh in `dir`.
std::vector<std::pair<std::string, std::string>> specialFiles(const TempDir& dir) {
  const auto fifo = (dir.path / "fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::filesystem::create_directory(dir.path / "sub");
  return {{(dir.path / "sub").string(), "is a directory, not a file"},
          {fifo, "is a named pipe (FIFO), not a regular file"},
          {"/dev/zero", "is a character device, not a regular file"}};
}

// Runs `roam ARGS`, which must return promptly (a FIFO or /dev/zero must not be read on).
Run quickly(const std::string& args) {
  const auto start = std::chrono::steady_clock::now();
  Run r = roamtest::shell("cd " + std::string(ROAM_SOURCE_DIR) + " && timeout 10 " +
                          std::string(ROAM_BINARY) + " " + args + " </dev/null");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  return r;
}

}  // namespace

TEST_CASE("roam check refuses a directory, a FIFO or a device as a policy", "[cli]") {
  TempDir tmp;
  for (const auto& [file, why] : specialFiles(tmp)) {
    INFO(file);
    auto r = roam("check " + file);
    CHECK(r.status == 1);
    CHECK(r.out.empty());  // never "ok: 0 policies"
    CHECK(r.err.find(file + ":1:1: error: cannot read policy file: " + why) == 0);
    CHECK(r.err.find("1 error in 1 file\n") != std::string::npos);
  }
  // A directory: the error says how to check what is in it.
  auto dir = roam("check " + (tmp.path / "sub").string());
  CHECK(dir.err.find("(to check the policies in it, give them: " +
                     (tmp.path / "sub" / "*.policy").string() + ")") != std::string::npos);
}

TEST_CASE("roam check refuses a file over 16 MiB and says the limit", "[cli]") {
  TempDir tmp;
  auto big = write(tmp.path / "big.policy", "");
  REQUIRE(::truncate(big.c_str(), (16 << 20) + 1) == 0);
  auto r = roam("check " + big);
  CHECK(r.status == 1);
  CHECK(r.err.find(big + ":1:1: error: cannot read policy file: is 16777217 bytes; an input file "
                         "may have at most 16 MiB") == 0);
}

TEST_CASE("roam eval and roam repl refuse special files as the policy or the state", "[cli]") {
  TempDir tmp;
  for (const auto& [file, why] : specialFiles(tmp)) {
    INFO(file);
    auto policy = quickly("eval " + file + " --state " + kState);
    CHECK(policy.status == 1);
    CHECK(policy.err.find(file + ":1:1: error: cannot read policy file: " + why) == 0);

    auto state = quickly("eval " + kPolicy + " --state " + file);
    CHECK(state.status == 1);
    CHECK(state.err == file + ":1:1: error: cannot read \"" + file + "\": " + why + "\n");

    auto repl = quickly("repl --state " + file + " -e hosts");
    CHECK(repl.status != 0);
    CHECK(repl.err.find(file + ":1:1: error: cannot read \"" + file + "\": " + why) !=
          std::string::npos);
  }
}

TEST_CASE("roam manager refuses special files as its configuration, policy or state", "[cli]") {
  TempDir tmp;
  const auto common = " --vib " + (tmp.path / "vib.sqlite").string() + " --admin-socket " +
                      (tmp.path / "m.sock").string() + " --duration 1s --dry-run";
  for (const auto& [file, why] : specialFiles(tmp)) {
    INFO(file);
    auto config = quickly("manager --config " + file + common);
    CHECK(config.status == 1);
    CHECK(config.err.find(file + ":1:1: error: cannot read the configuration: " + why) !=
          std::string::npos);

    auto policy = quickly("manager --policy " + file + " --state " + kState + common);
    CHECK(policy.status == 1);
    CHECK(policy.err.find(file + ":1:1: error: cannot read policy file: " + why) !=
          std::string::npos);

    auto state = quickly("manager --policy " + kPolicy + " --state " + file + common);
    CHECK(state.status == 1);
    CHECK(state.err.find(file + ":1:1: error: cannot read \"" + file + "\": " + why) !=
          std::string::npos);
    std::filesystem::remove(tmp.path / "vib.sqlite");
  }
}

TEST_CASE("roam eval locates an empty or missing policy file at the file", "[cli]") {
  TempDir tmp;
  auto empty = write(tmp.path / "empty.policy", "# nothing here yet\n");
  auto r = roam("eval " + empty + " --state " + kState);
  CHECK(r.status == 1);
  CHECK(r.err == empty + ":1:1: error: no policy defined in this file\n");

  auto missing = (tmp.path / "missing.policy").string();
  auto m = roam("eval " + missing + " --state " + kState);
  CHECK(m.status == 1);
  CHECK(m.err == missing + ":1:1: error: cannot read policy file: No such file or directory\n");
}

TEST_CASE("roam vib export refuses to write its state over the VIB it reads", "[cli]") {
  TempDir tmp;
  const auto vib = write(tmp.path / "vib.sqlite", "the database");
  std::filesystem::create_symlink(vib, tmp.path / "out.json");
  for (const auto& out :
       {vib, (tmp.path / "." / "vib.sqlite").string(), (tmp.path / "out.json").string()}) {
    INFO(out);
    auto r = roam("vib export " + vib + " --state " + out);
    CHECK(r.status == 2);
    CHECK(r.err.find("error: --state " + out + " is the same file as vib-file " + vib +
                     "; refusing to overwrite an input\n") != std::string::npos);
    CHECK(roamtest::slurp(vib) == "the database");
  }
}

TEST_CASE("roam manager and roam measure refuse an output that is one of their inputs", "[cli]") {
  TempDir tmp;
  const auto policy =
      write(tmp.path / "p.policy", roamtest::slurp(std::string(ROAM_SOURCE_DIR) + "/" + kPolicy));
  const auto before = roamtest::slurp(policy);
  auto log =
      roam("manager --policy " + policy + " --state " + kState + " --decision-log " + policy +
           " --vib " + (tmp.path / "vib.sqlite").string() + " --duration 1s --dry-run");
  CHECK(log.status == 2);
  CHECK(log.err.find("error: --decision-log " + policy + " is the same file as --policy " + policy +
                     "; refusing to overwrite an input\n") != std::string::npos);
  auto vib = roam("manager --policy " + policy + " --state " + kState + " --vib " + policy +
                  " --duration 1s --dry-run");
  CHECK(vib.status == 2);
  CHECK(vib.err.find("error: --vib " + policy + " is the same file as --policy") !=
        std::string::npos);
  CHECK(roamtest::slurp(policy) == before);

  const auto topology = write(tmp.path / "topo.json", "{}");
  auto measure = roam("measure --controller ryu=http://127.0.0.1:1 --vib " + topology +
                      " --topology " + topology + " --duration 1s");
  CHECK(measure.status == 2);
  CHECK(measure.err.find("error: --vib " + topology + " is the same file as --topology") !=
        std::string::npos);
  CHECK(roamtest::slurp(topology) == "{}");
}

TEST_CASE("roam names an unknown subcommand and suggests the closest", "[cli]") {
  auto chek = roam("chek x.policy");
  CHECK(chek.status == 2);
  CHECK(chek.out.empty());
  const std::string at = "<command-line>:1:" + std::to_string(std::string(ROAM_BINARY).size() + 2);
  CHECK(chek.err == at + ": error: unknown command 'chek' (did you mean 'check'?)\n"
                         "run 'roam --help' for usage\n");
  auto nested = roam("certs isue dir h1");
  CHECK(nested.status == 2);
  CHECK(nested.err.find("error: unknown certs command 'isue' (did you mean 'issue'?)\n") !=
        std::string::npos);
  auto far = roam("frobnicate");
  CHECK(far.status == 2);
  CHECK(far.err.find("error: unknown command 'frobnicate' (commands: check, eval,") !=
        std::string::npos);
  // Known commands and the top-level options still work.
  CHECK(roam("--version").status == 0);
  CHECK(roam("check --help").status == 0);
}

TEST_CASE("roam check prints control characters and bidi overrides from a file escaped", "[cli]") {
  TempDir tmp;
  auto path = write(tmp.path / "evil.policy", "policy p { when { \x1b[2J \xe2\x80\xae } }\n");
  auto r = roam("check " + path);
  CHECK(r.status == 1);
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find("\xe2\x80\xae") == std::string::npos);
  CHECK(r.err.find("  policy p { when { \\x1b[2J \\u202e } }\n") != std::string::npos);
}

TEST_CASE("roam check prints at most 50 errors and says how many more there were", "[cli]") {
  TempDir tmp;
  std::string text;
  for (int i = 0; i < 120; ++i) text += "policy p" + std::to_string(i) + " { }\n";
  auto path = write(tmp.path / "many.policy", text);
  auto r = roam("check " + path);
  CHECK(r.status == 1);
  std::size_t headlines = 0;
  for (std::size_t at = r.err.find(": error: "); at != std::string::npos;
       at = r.err.find(": error: ", at + 1))
    ++headlines;
  CHECK(headlines == 50);
  CHECK(r.err.find(" more not shown: only the first 50 are printed)\n") != std::string::npos);
}
