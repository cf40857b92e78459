#pragma once
// Reference documentation generated from the built-in table, so the docs
// cannot drift from what the checker accepts (a test compares them).

#include <string>

namespace roam::lang {

// The "Built-in reference" section of docs/language.md, between its markers.
std::string builtinReferenceMarkdown();

}  // namespace roam::lang
