#include "lang/value.hpp"

#include <algorithm>
#include <cmath>

namespace roam::lang {

namespace {

const std::vector<Value>& emptyItems() {
  static const std::vector<Value> kEmpty;
  return kEmpty;
}

}  // namespace

Value Value::makeSet(std::vector<Value> elements) {
  // Filtering or mapping a set usually keeps its order: check before sorting.
  auto strictlyAfter = [](const Value& a, const Value& b) { return !valueLess(a, b); };
  if (std::adjacent_find(elements.begin(), elements.end(), strictlyAfter) != elements.end()) {
    std::sort(elements.begin(), elements.end(), valueLess);
    elements.erase(std::unique(elements.begin(), elements.end(), valueEqual), elements.end());
  }
  Value v;
  v.kind = ValueKind::Set;
  v.items = std::make_shared<const std::vector<Value>>(std::move(elements));
  return v;
}

Value Value::makeList(std::vector<Value> elements) {
  Value v;
  v.kind = ValueKind::List;
  v.items = std::make_shared<const std::vector<Value>>(std::move(elements));
  return v;
}

const std::vector<Value>& Value::elements() const {
  return items ? *items : emptyItems();
}

bool valueLess(const Value& a, const Value& b) {
  if (a.kind != b.kind) return a.kind < b.kind;
  switch (a.kind) {
    case ValueKind::Null:
      return false;
    case ValueKind::Bool:
      return a.boolean < b.boolean;
    case ValueKind::Number:
      return a.number < b.number;
    case ValueKind::String:
      return a.text < b.text;
    case ValueKind::Host:
    case ValueKind::Switch:
    case ValueKind::Container:
    case ValueKind::Link:
      return a.index < b.index;
    case ValueKind::Labels:
      return a.labels < b.labels;
    case ValueKind::Scheme:
      return a.text != b.text ? a.text < b.text : a.number < b.number;
    case ValueKind::Set:
    case ValueKind::List:
      return std::lexicographical_compare(a.elements().begin(), a.elements().end(),
                                          b.elements().begin(), b.elements().end(), valueLess);
  }
  return false;
}

bool valueEqual(const Value& a, const Value& b) {
  return !valueLess(a, b) && !valueLess(b, a);
}

std::string entityName(const Value& v, const NetworkState& state) {
  switch (v.kind) {
    case ValueKind::Host:
      return state.hosts()[v.index].name;
    case ValueKind::Switch:
      return state.switches()[v.index].name;
    case ValueKind::Container:
      return state.containers()[v.index].name;
    case ValueKind::Link: {
      const auto& l = state.links()[v.index];
      return l.src + ":" + std::to_string(l.srcPort) + "-" + l.dst + ":" +
             std::to_string(l.dstPort);
    }
    case ValueKind::String:
      return v.text;
    default:
      return formatValue(v, state);
  }
}

std::string formatValue(const Value& v, const NetworkState& state) {
  switch (v.kind) {
    case ValueKind::Null:
      return "null";
    case ValueKind::Bool:
      return v.boolean ? "true" : "false";
    case ValueKind::Number:
      return formatQuantity(v.number, v.dim);
    case ValueKind::String:
      return "\"" + v.text + "\"";
    case ValueKind::Host:
    case ValueKind::Switch:
    case ValueKind::Container:
    case ValueKind::Link:
      return entityName(v, state);
    case ValueKind::Labels: {
      std::string out = "{";
      for (const auto& [k, val] : *v.labels) {
        if (out.size() > 1) out += ", ";
        out += k + "=" + val;
      }
      return out + "}";
    }
    case ValueKind::Scheme:
      return v.text + "(" + (v.text == "prf" ? std::string() : formatQuantity(v.number, kNumber)) +
             ")";
    case ValueKind::Set:
    case ValueKind::List: {
      std::string out = v.kind == ValueKind::Set ? "{" : "[";
      bool first = true;
      for (const auto& e : v.elements()) {
        if (!first) out += ", ";
        first = false;
        out += formatValue(e, state);
      }
      return out + (v.kind == ValueKind::Set ? "}" : "]");
    }
  }
  return "?";
}

}  // namespace roam::lang
