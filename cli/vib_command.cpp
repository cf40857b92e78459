// `roam vib export FILE.sqlite --state OUT.json [--window 10s]`: the VIB's
// latest state in STATE.json form.

#include <cmath>
#include <iostream>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "lang/units.hpp"
#include "runtime/vib/vib_export.hpp"

namespace roam::cli {

namespace {

struct VibArgs {
  std::string vibFile;
  std::string stateFile;
  std::string window = "10s";
};

}  // namespace

void vibError(const std::string& file, const std::string& error) {
  std::cerr << runtime::locatedVibError(file, error) << "\n";
}

Command addVibCommand(CLI::App& app, const CommandLine& line) {
  auto* cmd = app.add_subcommand("vib", "Inspect the VIB (the measurement database)");
  cmd->require_subcommand(1);
  auto* exportCmd =
      cmd->add_subcommand("export", "Write the VIB's latest state as STATE.json (docs/vib.md)");
  auto a = std::make_shared<VibArgs>();
  exportCmd->add_option("vib-file", a->vibFile, "the VIB (an SQLite file)")->required();
  exportCmd->add_option("--state", a->stateFile, "the STATE.json file to write")->required();
  exportCmd->add_option("--window", a->window,
                        "samples up to this long before the newest one (default 10s)");
  return {cmd, [a, exportCmd, &line] {
            if (!exportCmd->parsed()) return 2;
            auto window = runtime::parseDuration(a->window);
            if (!window) {
              commandLineError(
                  line, line.find(a->window),
                  "--window expects a duration such as 10s or 500ms, got '" + a->window + "'");
              return 1;
            }
            if (auto distinct = runtime::refuseOutputOverInput(line, {{"--state", a->stateFile}},
                                                               {{"vib-file", a->vibFile}});
                !distinct.ok())
              return report(distinct.error());
            // Read-only: exporting never creates, migrates or changes the VIB.
            auto result = runtime::exportVibState(a->vibFile, a->stateFile, *window);
            if (!result.ok()) {
              std::cerr << result.error().file << ":1:1: error: " << result.error().message << "\n";
              return 1;
            }
            return 0;
          }};
}

}  // namespace roam::cli
