#include <iostream>

#include "cli/commands.hpp"
#include "runtime/policy_set.hpp"

namespace roam::cli {

Command addCheckCommand(CLI::App& app, const CommandLine&) {
  auto* cmd = app.add_subcommand("check", "Parse and check .policy files; report every error");
  auto files = std::make_shared<std::vector<std::string>>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("files", *files, "policy files")->required();
  cmd->add_flag("-q,--quiet", *quiet, "print nothing when every file is valid");
  return {cmd, [files, quiet] {
            auto loaded = runtime::PolicySet::load(*files);
            const auto& sources = loaded.set ? loaded.set->files() : loaded.failedFiles;
            std::cerr << runtime::renderDiagnostics(loaded.diagnostics, sources);
            if (!loaded.set) {
              std::size_t errors = 0;
              for (const auto& d : loaded.diagnostics)
                if (d.severity == lang::Severity::Error) ++errors;
              std::cerr << errors << " error" << (errors == 1 ? "" : "s") << " in " << files->size()
                        << " file" << (files->size() == 1 ? "" : "s") << "\n";
              return 1;
            }
            if (!*quiet)
              std::cout << "ok: " << loaded.set->policyCount() << " polic"
                        << (loaded.set->policyCount() == 1 ? "y" : "ies") << " in " << files->size()
                        << " file" << (files->size() == 1 ? "" : "s") << "\n";
            return 0;
          }};
}

}  // namespace roam::cli
