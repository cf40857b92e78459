// libFuzzer target: the parser must accept any bytes without crashing,
// hanging, leaking or throwing (lang/parser.hpp promises it).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lang/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = roam::lang::parsePolicyFile("fuzz.policy", std::string(text));
  // A policy that parsed has the pieces every later phase relies on.
  for (const auto& policy : file.file.policies) {
    if (policy.name.empty()) __builtin_trap();
    for (const auto& param : policy.params)
      if (!param.defaultValue) __builtin_trap();
  }
  for (const auto& d : file.diagnostics)
    if (d.location.offset > size) __builtin_trap();

  auto expr = roam::lang::parseExpression(text, "<fuzz>");
  if ((expr.expr == nullptr) == expr.diagnostics.empty()) __builtin_trap();
  return 0;
}
