#include "lang/ast.hpp"

namespace roam::lang {

const char* opSpelling(Op op) {
  switch (op) {
    case Op::None:
      return "?";
    case Op::Neg:
      return "-";
    case Op::Not:
      return "not";
    case Op::Add:
      return "+";
    case Op::Sub:
      return "-";
    case Op::Mul:
      return "*";
    case Op::Div:
      return "/";
    case Op::Mod:
      return "%";
    case Op::Eq:
      return "==";
    case Op::Ne:
      return "!=";
    case Op::Lt:
      return "<";
    case Op::Le:
      return "<=";
    case Op::Gt:
      return ">";
    case Op::Ge:
      return ">=";
    case Op::In:
      return "in";
    case Op::NotIn:
      return "not in";
    case Op::And:
      return "and";
    case Op::Or:
      return "or";
  }
  return "?";
}

bool isComparison(Op op) {
  switch (op) {
    case Op::Eq:
    case Op::Ne:
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge:
    case Op::In:
    case Op::NotIn:
      return true;
    default:
      return false;
  }
}

}  // namespace roam::lang
