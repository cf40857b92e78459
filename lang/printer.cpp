#include "lang/printer.hpp"

#include <cmath>
#include <cstdio>

namespace roam::lang {

namespace {

int precedence(const Expr& e) {
  if (e.kind == ExprKind::If) return 0;
  if (e.kind == ExprKind::Unary) return e.op == Op::Not ? 3 : 7;
  if (e.kind != ExprKind::Binary) return 9;
  if (isComparison(e.op)) return 4;
  switch (e.op) {
    case Op::Or:
      return 1;
    case Op::And:
      return 2;
    case Op::Add:
    case Op::Sub:
      return 5;
    default:
      return 6;
  }
}

// The literal as written, in the unit that reads best for its dimension.
std::string numberLiteral(const Expr& e) {
  struct Choice {
    double scale;
    const char* suffix;
  };
  Choice c{1, ""};
  double a = std::fabs(e.number);
  if (e.dimension == kRate) {
    c = a >= 1e9   ? Choice{1e9, "Gbps"}
        : a >= 1e6 ? Choice{1e6, "Mbps"}
        : a >= 1e3 ? Choice{1e3, "Kbps"}
                   : Choice{1, "bps"};
  } else if (e.dimension == kDuration) {
    c = (a != 0 && a < 1) ? Choice{1e-3, "ms"} : Choice{1, "s"};
  } else if (e.dimension == kData) {
    c = a >= 8e6 ? Choice{8e6, "MB"} : a >= 8e3 ? Choice{8e3, "KB"} : Choice{8, "B"};
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.12g%s", e.number / c.scale, c.suffix);
  return buf;
}

std::string wrap(const Expr& child, int parentPrecedence) {
  std::string s = exprToString(child);
  return precedence(child) < parentPrecedence ? "(" + s + ")" : s;
}

std::string binder(const Expr& e) {
  std::string s = e.text + " in " + exprToString(*e.children[0]);
  if (e.filter) s += " where " + exprToString(*e.filter);
  if (e.body) s += ": " + exprToString(*e.body);
  return s;
}

}  // namespace

std::string exprToString(const Expr& e) {
  switch (e.kind) {
    case ExprKind::Number:
      return numberLiteral(e);
    case ExprKind::String:
      return "\"" + e.text + "\"";
    case ExprKind::Bool:
      return e.boolean ? "true" : "false";
    case ExprKind::Name:
      return e.text;
    case ExprKind::Field:
      return wrap(*e.children[0], 9) + "." + e.text;
    case ExprKind::Call: {
      std::string s = e.text + "(";
      for (std::size_t i = 0; i < e.children.size(); ++i) {
        if (i) s += ", ";
        const Expr& a = *e.children[i];
        s += a.kind == ExprKind::Binder && !a.setBuilder ? binder(a) : exprToString(a);
      }
      return s + ")";
    }
    case ExprKind::Unary:
      return e.op == Op::Not ? "not " + wrap(*e.children[0], 3) : "-" + wrap(*e.children[0], 7);
    case ExprKind::Binary: {
      int p = precedence(e);
      return wrap(*e.children[0], p) + " " + opSpelling(e.op) + " " + wrap(*e.children[1], p + 1);
    }
    case ExprKind::If:
      return "if " + exprToString(*e.children[0]) + " then " + exprToString(*e.children[1]) +
             " else " + exprToString(*e.children[2]);
    case ExprKind::SetLiteral: {
      std::string s = "{";
      for (std::size_t i = 0; i < e.children.size(); ++i)
        s += (i ? ", " : "") + exprToString(*e.children[i]);
      return s + "}";
    }
    case ExprKind::Binder:
      return "{" + binder(e) + "}";
  }
  return "?";
}

}  // namespace roam::lang
