#include "runtime/policy_set.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lang/checker.hpp"
#include "lang/input_file.hpp"
#include "lang/parser.hpp"

namespace roam::runtime {

roam::Result<std::string> readFile(const std::string& path) {
  auto read = lang::readInputFile(path);
  if (!read.text) return roam::makeError(roam::ErrorCode::Io, std::move(read.error));
  return std::move(*read.text);
}

PolicySet::LoadResult PolicySet::load(const std::vector<std::string>& paths) {
  return loadWith(paths, readFile);
}

PolicySet::LoadResult PolicySet::fromSource(std::string path, std::string source) {
  return loadWith({std::move(path)},
                  [&](const std::string&) { return roam::Result<std::string>(std::move(source)); });
}

PolicySet::LoadResult PolicySet::loadWith(const std::vector<std::string>& paths,
                                          const ReadSource& read) {
  LoadResult result;
  auto set = std::make_unique<PolicySet>();
  for (const auto& path : paths) {
    auto text = read(path);
    if (!text) {
      std::string message = "cannot read policy file: " + text.error().message;
      if (std::filesystem::is_directory(path))
        message += " (to check the policies in it, give them: " +
                   (std::filesystem::path(path) / "*.policy").string() + ")";
      result.diagnostics.push_back(
          {lang::codes::kIoError, message, path, {}, lang::Severity::Error});
      continue;
    }
    auto parsed = lang::parsePolicyFile(path, std::move(*text));
    result.diagnostics.insert(result.diagnostics.end(), parsed.diagnostics.begin(),
                              parsed.diagnostics.end());
    set->files_.push_back(std::move(parsed.file));
  }
  auto checked = lang::checkPolicyFiles(set->files_);
  result.diagnostics.insert(result.diagnostics.end(), checked.begin(), checked.end());
  // Report in file order, and in source order within each file.
  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [&](const lang::Diagnostic& a, const lang::Diagnostic& b) {
                     if (a.file != b.file) {
                       auto rank = [&](const std::string& f) {
                         return std::find(paths.begin(), paths.end(), f) - paths.begin();
                       };
                       return rank(a.file) < rank(b.file);
                     }
                     return a.location.offset < b.location.offset;
                   });
  if (!lang::hasErrors(result.diagnostics))
    result.set = std::move(set);
  else
    result.failedFiles = std::move(set->files_);  // kept for quoting source lines
  return result;
}

std::size_t PolicySet::policyCount() const {
  std::size_t n = 0;
  for (const auto& f : files_) n += f.policies.size();
  return n;
}

roam::Result<PolicySet::Found> PolicySet::find(const std::string& name) const {
  std::vector<Found> all;
  for (const auto& f : files_)
    for (const auto& p : f.policies) all.push_back({&p, &f});
  auto names = [&] {
    std::string s;
    for (const auto& a : all) s += (s.empty() ? "" : ", ") + a.policy->name;
    return s;
  };
  if (name.empty()) {
    if (all.size() == 1) return all.front();
    if (all.empty()) return roam::makeError(roam::ErrorCode::NotFound, "no policy defined");
    return roam::makeError(roam::ErrorCode::BadInput, "there are " + std::to_string(all.size()) +
                                                          " policies; choose one with --policy (" +
                                                          names() + ")");
  }
  for (const auto& a : all)
    if (a.policy->name == name) return a;
  return roam::makeError(roam::ErrorCode::NotFound,
                         "no policy named '" + name + "' (defined: " + names() + ")");
}

std::string_view PolicySet::sourceOf(const std::string& path) const {
  for (const auto& f : files_)
    if (f.path == path) return f.source;
  return {};
}

std::string renderDiagnostics(const lang::Diagnostics& ds,
                              const std::vector<lang::PolicyFile>& sources) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& d : ds) {
    if (shown == kMaxRenderedDiagnostics) break;
    ++shown;
    std::string_view source;
    for (const auto& f : sources)
      if (f.path == d.file) source = f.source;
    out += lang::formatDiagnostic(d, source);
  }
  if (shown < ds.size())
    out += "(" + std::to_string(ds.size() - shown) + " more not shown: only the first " +
           std::to_string(kMaxRenderedDiagnostics) + " are printed)\n";
  return out;
}

}  // namespace roam::runtime
