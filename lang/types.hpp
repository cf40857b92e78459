#pragma once
// Static types of policy expressions.

#include <string>

#include "lang/units.hpp"

namespace roam::lang {

enum class TypeKind {
  Error,   // already reported; suppresses follow-on errors
  Any,     // accepts anything (used only inside builtin signatures)
  Number,  // with a Dimension
  Bool,
  String,
  Host,
  Switch,
  Container,
  Link,
  Labels,  // a container's or host's labels: field access yields strings
  Scheme,  // an MTD secret-sharing scheme (shamir(k), fountain(k), prf())
  Set,     // unordered, duplicates removed; element kind in `elem`
  List,    // ordered (paths, samples with replacement); element kind in `elem`
};

struct Type {
  TypeKind kind = TypeKind::Error;
  Dimension dim{};                  // Number, or element of Set/List of numbers
  TypeKind elem = TypeKind::Error;  // Set/List element

  static Type error() { return {}; }
  static Type any() { return {TypeKind::Any}; }
  static Type number(Dimension d = kNumber) { return {TypeKind::Number, d}; }
  static Type boolean() { return {TypeKind::Bool}; }
  static Type string() { return {TypeKind::String}; }
  static Type host() { return {TypeKind::Host}; }
  static Type switch_() { return {TypeKind::Switch}; }
  static Type container() { return {TypeKind::Container}; }
  static Type link() { return {TypeKind::Link}; }
  static Type labels() { return {TypeKind::Labels}; }
  static Type scheme() { return {TypeKind::Scheme}; }
  static Type setOf(Type e) { return {TypeKind::Set, e.dim, e.kind}; }
  static Type listOf(Type e) { return {TypeKind::List, e.dim, e.kind}; }

  bool isError() const { return kind == TypeKind::Error; }
  bool isCollection() const { return kind == TypeKind::Set || kind == TypeKind::List; }
  Type element() const { return {elem, dim}; }
  bool isEntity() const {
    return kind == TypeKind::Host || kind == TypeKind::Switch || kind == TypeKind::Container;
  }

  friend bool operator==(const Type&, const Type&) = default;
};

// "rate", "set of hosts", "list of switches", "bool", ...
std::string typeName(const Type& t);

}  // namespace roam::lang
