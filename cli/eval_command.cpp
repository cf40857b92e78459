#include <iostream>

#include "cli/commands.hpp"
#include "lang/decision.hpp"
#include "lang/state_json.hpp"
#include "runtime/policy_set.hpp"
#include "runtime/vib/vib_export.hpp"

namespace roam::cli {

namespace {

struct EvalArgs {
  std::string policyFile;
  std::string policyName;
  std::string stateFile;
  std::string vibFile;
  std::string window = "10s";
  std::string seed = "1";
  std::vector<std::string> params;
  bool json = false;
};

struct LoadedState {
  std::unique_ptr<lang::InMemoryState> state;  // null after printing the errors
};

LoadedState loadState(const EvalArgs& a, const CommandLine& line) {
  if (a.vibFile.empty()) {
    auto loaded = lang::loadStateFile(a.stateFile);
    if (!loaded.state)
      for (const auto& d : loaded.diagnostics) std::cerr << lang::formatHeadline(d) << "\n";
    return {std::move(loaded.state)};
  }
  auto window = runtime::parseDuration(a.window);
  if (!window) {
    commandLineError(line, line.find(a.window),
                     "--window expects a duration such as 10s or 500ms, got '" + a.window + "'");
    return {};
  }
  auto snap = runtime::latestVibSnapshot(a.vibFile, *window);
  if (!snap) {
    vibError(a.vibFile, snap.error().message);
    return {};
  }
  return {std::move(*snap)};
}

}  // namespace

Command addEvalCommand(CLI::App& app, const CommandLine& line) {
  auto* cmd = app.add_subcommand(
      "eval", "Evaluate a policy once on a network state and print the decision");
  auto a = std::make_shared<EvalArgs>();
  cmd->add_option("policy-file", a->policyFile, "the .policy file")->required();
  cmd->add_option("--policy", a->policyName, "policy name (needed when the file has several)");
  auto* state = cmd->add_option("--state", a->stateFile, "network state snapshot (STATE.json)");
  auto* vib = cmd->add_option("--vib", a->vibFile,
                              "evaluate on the latest snapshot of this VIB (SQLite) instead");
  state->excludes(vib);
  cmd->add_option("--window", a->window,
                  "with --vib: samples up to this long before the newest one (default 10s)");
  cmd->add_option("--seed", a->seed, "seed for every random choice (default 1)");
  cmd->add_option("--param", a->params, "override a parameter: NAME=VALUE, e.g. threshold=5Mbps");
  cmd->add_flag("--json", a->json, "print one JSON object");
  return {cmd, [a, &line] {
            if (a->stateFile.empty() == a->vibFile.empty()) {
              commandLineError(line, -1, "eval needs exactly one of --state FILE or --vib FILE");
              return 2;
            }
            lang::DecideOptions options;
            auto seed = runtime::parseSeedFlag(a->seed, line);
            if (!seed.ok()) return report(seed.error());
            options.seed = seed.value();
            auto params = valueOrReport(runtime::parseParamFlags(a->params, line));
            if (!params) return 1;
            options.params = std::move(*params);

            auto loaded = runtime::PolicySet::load({a->policyFile});
            if (!loaded.set) {
              std::cerr << runtime::renderDiagnostics(loaded.diagnostics, loaded.failedFiles);
              return 1;
            }
            if (loaded.set->policyCount() == 0) {
              std::cerr << a->policyFile << ":1:1: error: no policy defined in this file\n";
              return 1;
            }
            auto found = loaded.set->find(a->policyName);
            if (!found) {
              int at = a->policyName.empty() ? line.find(a->policyFile) : line.find(a->policyName);
              commandLineError(line, at, found.error().message);
              return 1;
            }

            auto state = loadState(*a, line);
            if (!state.state) return 1;

            auto result = lang::decide(*found->policy, found->file->path, *state.state, options);
            if (!result.decision) {
              for (const auto& d : result.diagnostics) {
                std::string_view source = d.file == found->file->path
                                              ? std::string_view(found->file->source)
                                              : std::string_view();
                for (const auto& p : options.params)
                  if (d.file == p.origin) source = p.value;
                std::cerr << lang::formatDiagnostic(d, source);
              }
              return 1;
            }
            if (a->json)
              std::cout << lang::decisionToJson(*result.decision).dump(2) << "\n";
            else
              std::cout << lang::decisionToText(*result.decision);
            return 0;
          }};
}

}  // namespace roam::cli
