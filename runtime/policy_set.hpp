#pragma once
// Loading .policy files: read, parse, check, and find a policy by name. The
// CLI, the manager and hot reload all go through this, so a policy accepted
// by `roam check` is exactly what the manager runs.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "lang/ast.hpp"

namespace roam::runtime {

class PolicySet {
 public:
  // Reads, parses and checks every file; all errors of all files are reported.
  struct LoadResult {
    std::unique_ptr<PolicySet> set;  // null when any file had errors
    lang::Diagnostics diagnostics;
    std::vector<lang::PolicyFile> failedFiles;  // when set is null: the sources, for rendering
  };
  static LoadResult load(const std::vector<std::string>& paths);
  // For text already in memory (REPL, tests).
  static LoadResult fromSource(std::string path, std::string source);

  const std::vector<lang::PolicyFile>& files() const { return files_; }
  std::size_t policyCount() const;

  struct Found {
    const lang::Policy* policy = nullptr;
    const lang::PolicyFile* file = nullptr;
  };
  // The policy called `name`; with an empty name, the only policy there is.
  // Otherwise why not: NotFound (unknown name, with the known ones; no policy
  // at all) or BadInput (no name and several policies).
  roam::Result<Found> find(const std::string& name) const;

  // Source text of a file by path (for quoting lines in diagnostics).
  std::string_view sourceOf(const std::string& path) const;

 private:
  // The text of a policy file, or why it cannot be read (readFile's contract).
  using ReadSource = std::function<roam::Result<std::string>(const std::string& path)>;
  // Reads (through `read`), parses and checks `paths`: the one path of load and fromSource.
  static LoadResult loadWith(const std::vector<std::string>& paths, const ReadSource& read);

  std::vector<lang::PolicyFile> files_;
};

// Renders diagnostics with source lines and carets; each diagnostic's source
// is looked up by file name among `sources`. At most the first
// kMaxRenderedDiagnostics, then one line saying how many more there were.
inline constexpr std::size_t kMaxRenderedDiagnostics = 50;
std::string renderDiagnostics(const lang::Diagnostics& ds,
                              const std::vector<lang::PolicyFile>& sources);

// Reads a whole input file through lang::readInputFile (regular files of at
// most 16 MiB), or ErrorCode::Io with why not ("No such file or directory",
// "is a directory, not a file").
roam::Result<std::string> readFile(const std::string& path);

}  // namespace roam::runtime
