// roam: policy-programmable container migration. One executable, subcommands.

#include <iostream>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  roam::cli::CommandLine line{std::vector<std::string>(argv, argv + argc)};
  CLI::App app{"roam: policy-programmable container migration for SDN"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "roam 0.1.0");

  const std::vector<roam::cli::Command> commands{
      roam::cli::addCheckCommand(app, line),    roam::cli::addEvalCommand(app, line),
      roam::cli::addBuiltinsCommand(app, line), roam::cli::addVibCommand(app, line),
      roam::cli::addMeasureCommand(app, line),  roam::cli::addCertsCommand(app, line),
      roam::cli::addAgentCommand(app, line),    roam::cli::addMigrateCommand(app, line),
      roam::cli::addPingCommand(app, line),     roam::cli::addStatusCommand(app, line),
      roam::cli::addReplCommand(app, line),     roam::cli::addManagerCommand(app, line),
      roam::cli::addRedirectCommand(app, line),
  };

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
