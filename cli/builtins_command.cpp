#include <iostream>

#include "cli/commands.hpp"
#include "lang/builtins.hpp"
#include "lang/docs.hpp"

namespace roam::cli {

Command addBuiltinsCommand(CLI::App& app, const CommandLine&) {
  auto* cmd = app.add_subcommand("builtins", "List the built-in functions, names and fields");
  auto markdown = std::make_shared<bool>(false);
  cmd->add_flag("--markdown", *markdown, "print the reference section of docs/language.md");
  return {cmd, [markdown] {
            if (*markdown) {
              std::cout << lang::builtinReferenceMarkdown();
              return 0;
            }
            for (const auto& b : lang::builtinTable())
              std::cout << b.signature << "\n    " << b.summary << "\n";
            return 0;
          }};
}

}  // namespace roam::cli
