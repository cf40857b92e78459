#include "lang/types.hpp"

namespace roam::lang {

namespace {

std::string kindName(TypeKind k, Dimension d, bool plural) {
  std::string s;
  switch (k) {
    case TypeKind::Error:
      return "<error>";
    case TypeKind::Any:
      return plural ? "values" : "any";
    case TypeKind::Number:
      s = dimensionName(d);
      break;
    case TypeKind::Bool:
      s = "bool";
      break;
    case TypeKind::String:
      s = "string";
      break;
    case TypeKind::Host:
      s = "host";
      break;
    case TypeKind::Switch:
      s = plural ? "switche" : "switch";
      break;
    case TypeKind::Container:
      s = "container";
      break;
    case TypeKind::Link:
      s = "link";
      break;
    case TypeKind::Labels:
      return "labels";
    case TypeKind::Scheme:
      s = "scheme";
      break;
    case TypeKind::Set:
      return "set";
    case TypeKind::List:
      return "list";
  }
  if (plural) s += 's';
  return s;
}

}  // namespace

std::string typeName(const Type& t) {
  if (t.kind == TypeKind::Set) return "set of " + kindName(t.elem, t.dim, true);
  if (t.kind == TypeKind::List) return "list of " + kindName(t.elem, t.dim, true);
  return kindName(t.kind, t.dim, false);
}

}  // namespace roam::lang
