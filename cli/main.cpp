// roam: policy-programmable container migration. One executable, subcommands.

#include <iostream>

#include "cli/commands.hpp"

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
