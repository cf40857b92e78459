// `roam measure` as a library (runtime/measure/measure_run.hpp): its flags,
// the files it cannot use, and a run stopped as by a signal. The collectors
// themselves are tested in measure_service.test.cpp.

#include <cmath>
#include <sstream>

#include <catch2/catch.hpp>

#include "file_text.hpp"
#include "runtime/measure/measure_run.hpp"
#include "temp_dir.hpp"

using roam::runtime::CommandError;
using roam::runtime::CommandLine;
using roam::runtime::MeasureFlags;
using roam::runtime::MeasureSettings;

namespace {

MeasureFlags validFlags() {
  MeasureFlags f;
  f.controller = "ryu=http://127.0.0.1:8080";
  f.vib = "v.sqlite";
  return f;
}

std::string errorOf(const MeasureFlags& flags, const CommandLine& line) {
  auto r = roam::runtime::checkMeasureFlags(flags, line);
  REQUIRE(!r.ok());
  CHECK(r.error().status == 2);
  return r.error().text;
}

}  // namespace

TEST_CASE("measure run: flags and their defaults", "[runtime][measure]") {
  auto flags = validFlags();
  flags.bandwidthInterval = "500ms";
  flags.duration = "2min";
  auto r = roam::runtime::checkMeasureFlags(flags, CommandLine{});
  REQUIRE(r.ok());
  const auto& s = r.value();
  CHECK(s.kind == "ryu");
  CHECK(s.url == "http://127.0.0.1:8080");
  CHECK(s.vib == "v.sqlite");
  CHECK(s.bandwidthInterval == 0.5);
  CHECK(s.aggregateInterval == 5);
  CHECK(s.topologyInterval == 5);
  CHECK(s.timeout == 2);
  CHECK(s.retention == 3600);
  CHECK(s.duration == 120);

  flags.duration.clear();
  auto forever = roam::runtime::checkMeasureFlags(flags, CommandLine{});
  REQUIRE(forever.ok());
  CHECK(std::isinf(forever.value().duration));
}

TEST_CASE("measure run: flag mistakes are located", "[runtime][measure]") {
  auto flags = validFlags();
  SECTION("--controller") {
    flags.controller = "pox=http://c";
    CHECK(errorOf(flags, CommandLine{{"roam", "measure", "--controller", "pox=http://c"}}) ==
          "<command-line>:1:27: error: --controller expects ryu=URL or floodlight=URL, got "
          "'pox=http://c'\n");
  }
  SECTION("an interval that is not a positive duration") {
    flags.retention = "0s";
    CHECK(errorOf(flags, CommandLine{{"roam", "measure", "--retention", "0s"}}) ==
          "<command-line>:1:26: error: --retention expects a positive duration such as 1s, 500ms "
          "or 2min, got '0s'\n");
  }
  SECTION("--duration") {
    flags.duration = "later";
    CHECK(errorOf(flags, CommandLine{{"roam", "measure", "--duration", "later"}}) ==
          "<command-line>:1:25: error: --duration expects a positive duration such as 30s or "
          "2min, got 'later'\n");
  }
}

TEST_CASE("measure run: files it cannot use end it with status 1", "[runtime][measure]") {
  roamtest::TempDir dir("roam-measure-run");
  auto settings = roam::runtime::checkMeasureFlags(validFlags(), CommandLine{}).value();
  std::atomic<bool> stop{false};
  int armed = 0;
  std::ostringstream out, err;

  SECTION("a topology file with an error") {
    settings.topology = (dir.path / "topo.json").string();
    REQUIRE(roamtest::writeText(settings.topology, "[1]"));
    CHECK(roam::runtime::runMeasurement(
              settings, stop, [&] { ++armed; }, out, err) == 1);
    CHECK(err.str() ==
          settings.topology + ":1:1: error: the top level must be a JSON object, got an array\n");
  }
  SECTION("a VIB that cannot be opened") {
    settings.vib = dir.path.string();
    CHECK(roam::runtime::runMeasurement(
              settings, stop, [&] { ++armed; }, out, err) == 1);
    CHECK(err.str() == "roam measure: " + settings.vib + ": is a directory, not a VIB file\n");
  }
  CHECK(armed == 0);
  CHECK(out.str().empty());
}

TEST_CASE("measure run: a stop before the first poll ends it cleanly", "[runtime][measure]") {
  roamtest::TempDir dir("roam-measure-run");
  auto settings = roam::runtime::checkMeasureFlags(validFlags(), CommandLine{}).value();
  settings.vib = (dir.path / "v.sqlite").string();
  std::atomic<bool> stop{false};
  std::ostringstream out, err;
  // As the CLI's signal handler would, once everything is open.
  CHECK(roam::runtime::runMeasurement(
            settings, stop, [&] { stop = true; }, out, err) == 0);
  CHECK(out.str().empty());
  CHECK(err.str().find(" measuring ryu at http://127.0.0.1:8080 into " + settings.vib + "\n") !=
        std::string::npos);
  CHECK(err.str().ends_with(" stopped by signal\n"));
}
