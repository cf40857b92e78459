// The command line as typed: columns, located mistakes, the flags that
// several commands share (runtime/command_line.hpp).

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "runtime/command_line.hpp"
#include "temp_dir.hpp"

using roam::runtime::CommandError;
using roam::runtime::CommandLine;
using roam::runtime::ControllerFlag;

namespace {

const CommandLine kLine{{"roam", "eval", "--param", "x", "--controller", "ryu=ftp://h"}};

}  // namespace

TEST_CASE("command line: columns and arguments", "[runtime][cli]") {
  CHECK(kLine.columnOf(0) == 1);
  CHECK(kLine.columnOf(1) == 6);
  CHECK(kLine.columnOf(2) == 11);
  CHECK(kLine.columnOf(99) == 46);  // past the end: after the whole line
  CHECK(kLine.find("--param") == 2);
  CHECK(kLine.find("ftp") == 5);  // no argument equal to it: the first containing it
  CHECK(kLine.find("--nope") == -1);
}

TEST_CASE("command line: mistakes are located at their argument", "[runtime][cli]") {
  auto at = roam::runtime::commandLineMistake(kLine, 3, "bad");
  CHECK(at.status == 2);
  CHECK(at.text == "<command-line>:1:19: error: bad\n");
  CHECK(roam::runtime::commandLineMistake(kLine, -1, "no policy").text ==
        "<command-line>:1:1: error: no policy\n");
  CHECK(roam::runtime::flagMistake(kLine, "--controller", "m").text ==
        "<command-line>:1:21: error: m\n");
}

TEST_CASE("command line: --param NAME=VALUE", "[runtime][cli]") {
  auto ok = roam::runtime::parseParamFlags({"threshold=5Mbps", "n=3"}, kLine);
  REQUIRE(ok.ok());
  const auto& params = ok.value();
  REQUIRE(params.size() == 2);
  CHECK(params[0].name == "threshold");
  CHECK(params[0].value == "5Mbps");
  CHECK(params[0].origin == "<param threshold>");

  auto bad = roam::runtime::parseParamFlags({"n=3", "x"}, kLine);
  REQUIRE(!bad.ok());
  CHECK(bad.error().text == "<command-line>:1:19: error: --param expects NAME=VALUE, got 'x'\n");
  CHECK(!roam::runtime::parseParamFlags({"=3"}, kLine).ok());
}

TEST_CASE("command line: --controller KIND=URL", "[runtime][cli]") {
  auto ok =
      roam::runtime::parseControllerFlag("floodlight=https://c:8080", {"ryu", "floodlight"}, kLine);
  REQUIRE(ok.ok());
  CHECK(ok.value().kind == "floodlight");
  CHECK(ok.value().url == "https://c:8080");

  auto error = [](const std::string& text, const std::vector<std::string>& kinds) {
    auto r = roam::runtime::parseControllerFlag(text, kinds, kLine);
    REQUIRE(!r.ok());
    CHECK(r.error().status == 2);
    return r.error().text;
  };
  CHECK(error("floodlight=http://c", {"ryu"}) ==
        "<command-line>:1:1: error: --controller expects ryu=URL, got 'floodlight=http://c'\n");
  CHECK(error("ryu=", {"ryu", "floodlight"}) ==
        "<command-line>:1:34: error: --controller expects ryu=URL or floodlight=URL, got "
        "'ryu='\n");
  CHECK(error("ryu=ftp://h", {"ryu"}) ==
        "<command-line>:1:34: error: --controller URL must start with http:// or https://\n");
}

TEST_CASE("command line: --seed is a decimal 0..2^64-1, never wrapped or octal", "[runtime][cli]") {
  const CommandLine line{{"roam", "eval", "p.policy", "--seed", "X"}};
  auto seed = [&](const std::string& text) { return roam::runtime::parseSeedFlag(text, line); };
  REQUIRE(seed("0").ok());
  CHECK(seed("0").value() == 0);
  CHECK(seed("42").value() == 42);
  CHECK(seed("18446744073709551615").value() == 18446744073709551615ULL);
  auto wrapped = seed("18446744073709551616");
  REQUIRE_FALSE(wrapped.ok());
  CHECK(wrapped.error().status == 2);
  CHECK(wrapped.error().text ==
        "<command-line>:1:1: error: --seed must be <= 18446744073709551615, got "
        "'18446744073709551616'\n");
  const CommandLine typed{{"roam", "eval", "p.policy", "--seed", "010"}};
  auto octal = roam::runtime::parseSeedFlag("010", typed);
  REQUIRE_FALSE(octal.ok());
  CHECK(octal.error().text ==
        "<command-line>:1:27: error: --seed must be written without a leading zero, got '010'\n");
  for (const char* bad : {"-1", "+1", "", "1e3", "0x10", " 1", "1.0"}) {
    INFO(bad);
    auto r = seed(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().text.find("--seed expects a whole number from 0 to 18446744073709551615") !=
          std::string::npos);
  }
}

TEST_CASE("command line: an output that is an input is refused, by file identity",
          "[runtime][cli]") {
  roamtest::TempDir tmp;
  const auto in = (tmp.path / "vib.sqlite").string();
  std::ofstream(in) << "db";
  std::filesystem::create_symlink(in, tmp.path / "link.json");
  const CommandLine line{{"roam", "vib", "export", in, "--state", "x"}};
  using roam::runtime::refuseOutputOverInput;

  CHECK(refuseOutputOverInput(line, {{"--state", (tmp.path / "new.json").string()}},
                              {{"vib-file", in}})
            .ok());
  CHECK(refuseOutputOverInput(line, {{"--state", ""}}, {{"vib-file", in}}).ok());

  for (const auto& spelling :
       {in, (tmp.path / "." / "vib.sqlite").string(), (tmp.path / "link.json").string()}) {
    INFO(spelling);
    auto same = refuseOutputOverInput(line, {{"--state", spelling}}, {{"vib-file", in}});
    REQUIRE_FALSE(same.ok());
    CHECK(same.error().status == 2);
    CHECK(same.error().text.find("error: --state " + spelling + " is the same file as vib-file " +
                                 in + "; refusing to overwrite an input\n") != std::string::npos);
  }
}

TEST_CASE("command line: an unknown command is named, with the closest one", "[runtime][cli]") {
  const CommandLine line{{"roam", "vib", "exprt"}};
  auto close = roam::runtime::unknownCommand(line, 2, "vib", {"export"});
  CHECK(close.status == 2);
  CHECK(close.text ==
        "<command-line>:1:10: error: unknown vib command 'exprt' (did you mean 'export'?)\n");
  const CommandLine far{{"roam", "frobnicate"}};
  CHECK(roam::runtime::unknownCommand(far, 1, "", {"check", "eval"}).text ==
        "<command-line>:1:6: error: unknown command 'frobnicate' (commands: check, eval)\n");
}
