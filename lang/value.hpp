#pragma once
// Run-time values of policy expressions. Hosts, switches, containers and
// links are indices into the NetworkState being evaluated, so values are
// cheap to copy; collections share their (immutable) element vectors.

#include <memory>
#include <string>
#include <vector>

#include "lang/network_state.hpp"
#include "lang/types.hpp"
#include "lang/units.hpp"

namespace roam::lang {

enum class ValueKind {
  Null,
  Bool,
  Number,
  String,
  Host,
  Switch,
  Container,
  Link,
  Labels,
  Scheme,
  Set,
  List
};

struct Value;
using Items = std::shared_ptr<const std::vector<Value>>;

struct Value {
  ValueKind kind = ValueKind::Null;
  bool boolean = false;
  double number = 0;               // Number; Scheme: k
  Dimension dim{};                 // Number
  int index = -1;                  // Host/Switch/Container/Link: index in the state
  std::string text;                // String; Scheme: scheme name
  const Labels* labels = nullptr;  // Labels
  Items items;                     // Set (sorted, unique) / List (ordered)

  static Value null() { return {}; }
  static Value fromBool(bool b) {
    Value v;
    v.kind = ValueKind::Bool;
    v.boolean = b;
    return v;
  }
  static Value fromNumber(double n, Dimension d = kNumber) {
    Value v;
    v.kind = ValueKind::Number;
    v.number = n;
    v.dim = d;
    return v;
  }
  static Value fromString(std::string s) {
    Value v;
    v.kind = ValueKind::String;
    v.text = std::move(s);
    return v;
  }
  static Value entity(ValueKind k, int index) {
    Value v;
    v.kind = k;
    v.index = index;
    return v;
  }
  static Value fromLabels(const Labels* l) {
    Value v;
    v.kind = ValueKind::Labels;
    v.labels = l;
    return v;
  }
  static Value scheme(std::string name, double k) {
    Value v;
    v.kind = ValueKind::Scheme;
    v.text = std::move(name);
    v.number = k;
    return v;
  }
  // Sorts and removes duplicates.
  static Value makeSet(std::vector<Value> elements);
  static Value makeList(std::vector<Value> elements);

  const std::vector<Value>& elements() const;
  bool isCollection() const { return kind == ValueKind::Set || kind == ValueKind::List; }
};

// Total order used for sets: by kind, then index/number/text.
bool valueLess(const Value& a, const Value& b);
bool valueEqual(const Value& a, const Value& b);

// Name of an entity value ("h2"), or the text of a string.
std::string entityName(const Value& v, const NetworkState& state);

// Human form: 9.5 Mbps, "h2" -> h2, {h3, h4}, true.
std::string formatValue(const Value& v, const NetworkState& state);

}  // namespace roam::lang
