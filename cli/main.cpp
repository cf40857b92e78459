// roam: policy-programmable container migration. One executable, subcommands.

#include <iostream>
#include <optional>

#include "cli/commands.hpp"

namespace {

// The first argument that should name a subcommand but names none, checked
// before CLI11 parses (which would only say "A subcommand is required").
std::optional<roam::runtime::CommandError> unknownSubcommand(CLI::App& app,
                                                             const roam::cli::CommandLine& line) {
  CLI::App* at = &app;
  std::string parent;
  for (std::size_t i = 1; i < line.args.size(); ++i) {
    auto subs = at->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) break;
    const std::string& arg = line.args[i];
    if (arg.starts_with("-")) continue;  // --help, --version: options of this level
    CLI::App* next = nullptr;
    std::vector<std::string> names;
    for (CLI::App* s : subs) {
      names.push_back(s->get_name());
      if (s->get_name() == arg) next = s;
    }
    if (!next) return roam::runtime::unknownCommand(line, static_cast<int>(i), parent, names);
    parent = (parent.empty() ? "" : parent + " ") + arg;
    at = next;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  roam::cli::CommandLine line{std::vector<std::string>(argv, argv + argc)};
  CLI::App app{"roam: policy-programmable container migration for SDN"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "roam 0.1.0");

  namespace cli = roam::cli;
  std::vector<cli::Command> commands;
  for (cli::AddCommand* add :
       {cli::addCheckCommand, cli::addEvalCommand, cli::addBuiltinsCommand, cli::addVibCommand,
        cli::addMeasureCommand, cli::addCertsCommand, cli::addAgentCommand, cli::addMigrateCommand,
        cli::addPingCommand, cli::addStatusCommand, cli::addReplCommand, cli::addManagerCommand,
        cli::addRedirectCommand})
    commands.push_back(add(app, line));

  if (auto unknown = unknownSubcommand(app, line)) {
    roam::cli::report(*unknown);
    std::cerr << "run 'roam --help' for usage\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    roam::cli::commandLineError(line, -1, e.what());
    std::cerr << "run 'roam --help' for usage\n";
    return 2;
  }
  for (const auto& command : commands)
    if (command.app->parsed()) return command.run();
  return 2;
}
