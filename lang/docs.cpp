#include "lang/docs.hpp"

#include "lang/builtins.hpp"

namespace roam::lang {

namespace {

// A table cell: a bare '|' would end the cell, even inside a code span.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string builtinReferenceMarkdown() {
  std::string out = "<!-- BEGIN GENERATED: roam builtins --markdown -->\n";
  for (BuiltinCategory category :
       {BuiltinCategory::Measurement, BuiltinCategory::Topology, BuiltinCategory::Selection,
        BuiltinCategory::Aggregate, BuiltinCategory::Temporal, BuiltinCategory::Mtd,
        BuiltinCategory::Misc}) {
    std::string title = categoryName(category);
    title[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(title[0])));
    out += "\n### " + title + "\n\n| function | meaning | example |\n| --- | --- | --- |\n";
    for (const auto& b : builtinTable())
      if (b.category == category)
        out += "| `" + cell(b.signature) + "` | " + cell(b.summary) + " | `" + cell(b.example) +
               "` |\n";
  }
  out += "\n### Predefined names\n\n| name | type | meaning |\n| --- | --- | --- |\n";
  for (const auto& g : globalTable())
    out += "| `" + std::string(g.name) + "` | " + typeName(g.type) + " | " +
           std::string(g.summary) + " |\n";
  out += "\n### Fields\n\n| of | field | type | meaning |\n| --- | --- | --- | --- |\n";
  for (TypeKind k : {TypeKind::Host, TypeKind::Switch, TypeKind::Container, TypeKind::Link})
    for (const auto& f : fieldsOf(k))
      out += "| " + typeName(Type{k}) + " | `" + std::string(f.name) + "` | " + typeName(f.type) +
             " | " + std::string(f.summary) + " |\n";
  out += "\n<!-- END GENERATED -->\n";
  return out;
}

}  // namespace roam::lang
