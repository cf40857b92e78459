#include "runtime/active_policy.hpp"

#include <cstdint>
#include <span>

#include "crypto/sha256.hpp"
#include "lang/memory_state.hpp"

namespace roam::runtime {

std::string contentHash(std::string_view bytes) {
  auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  return "sha256:" + crypto::sha256Hex(std::span<const std::uint8_t>(data, bytes.size()));
}

namespace {

// Quotes the parameter's own text when a diagnostic points into an override.
std::string renderParamDiagnostics(const lang::Diagnostics& ds,
                                   const std::vector<lang::ParamOverride>& params) {
  std::string out;
  for (const auto& d : ds) {
    std::string_view source;
    for (const auto& p : params)
      if (d.file == p.origin) source = p.value;
    out += lang::formatDiagnostic(d, source);
  }
  return out;
}

}  // namespace

PolicyLoad loadActivePolicy(const PolicySource& source, double now) {
  PolicyLoad out;
  auto text = readFile(source.file);
  if (!text) {
    out.errors =
        source.file + ":1:1: error: cannot read policy file: " + text.error().message + "\n";
    return out;
  }
  out.contentHash = contentHash(*text);

  auto loaded = PolicySet::fromSource(source.file, std::move(*text));
  if (!loaded.set) {
    out.errors = renderDiagnostics(loaded.diagnostics, loaded.failedFiles);
    return out;
  }
  std::shared_ptr<const PolicySet> set = std::move(loaded.set);
  auto found = set->find(source.name);
  if (!found) {
    out.errors = source.file + ":1:1: error: " + found.error().message + "\n";
    return out;
  }
  // Overrides are checked against the policy now, so a bad `--param` or
  // configuration value is reported at load time rather than at every decision.
  lang::InMemoryState empty(lang::NetworkData{});
  auto params = lang::resolveParams(*found->policy, source.params, empty);
  if (!params.diagnostics.empty()) {
    out.errors = renderParamDiagnostics(params.diagnostics, source.params);
    return out;
  }

  auto active = std::make_shared<ActivePolicy>();
  active->source = source;
  active->set = set;
  active->policy = found->policy;
  active->file = found->file;
  active->contentHash = out.contentHash;
  active->loadedAt = now;
  out.policy = std::move(active);
  return out;
}

}  // namespace roam::runtime
