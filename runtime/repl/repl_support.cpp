#include "runtime/repl/repl_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>

#include "lang/checker.hpp"
#include "lang/decision.hpp"
#include "lang/evaluator.hpp"
#include "lang/parser.hpp"
#include "runtime/time_text.hpp"

namespace roam::runtime::repl {

std::vector<Word> splitWords(std::string_view line) {
  std::vector<Word> words;
  std::size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (i < line.size()) {
    while (i < line.size() && space(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !space(line[i])) ++i;
    if (i > start) words.push_back({std::string(line.substr(start, i - start)), start});
  }
  return words;
}

namespace {

std::string withoutTrailingNewlines(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

nlohmann::json diagnosticJson(const lang::Diagnostic& d) {
  return {{"code", d.code},
          {"message", d.message},
          {"file", d.file},
          {"line", d.location.line},
          {"column", d.location.column}};
}

}  // namespace

ReplReply errorReply(std::string_view line, const lang::Diagnostics& diagnostics) {
  ReplReply r;
  r.ok = false;
  std::string text;
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& d : diagnostics) {
    // Only diagnostics about the line itself can quote it.
    text += lang::formatDiagnostic(d, d.file == kReplFile ? line : std::string_view());
    errors.push_back(diagnosticJson(d));
  }
  r.text = withoutTrailingNewlines(std::move(text));
  r.json = {{"ok", false}, {"errors", std::move(errors)}};
  return r;
}

ReplReply errorAt(std::string_view line, std::size_t column, const std::string& message) {
  lang::Diagnostic d;
  d.code = lang::codes::kReplError;
  d.message = message;
  d.file = kReplFile;
  d.location = lang::locationAt(line, column > 0 ? column - 1 : 0);
  return errorReply(line, {d});
}

ReplReply okReply(std::string text, nlohmann::json json) {
  ReplReply r;
  r.ok = true;
  r.text = withoutTrailingNewlines(std::move(text));
  r.json = std::move(json);
  return r;
}

Evaluation evaluate(std::string_view text, const lang::NetworkState& state,
                    const ActivePolicy* active) {
  Evaluation out;
  auto parsed = lang::parseExpression(text, kReplFile);
  if (!parsed.expr) {
    out.diagnostics = std::move(parsed.diagnostics);
    return out;
  }
  const lang::Policy* policy = active ? active->policy : nullptr;
  lang::ExpressionScope scope;
  scope.policy = policy;
  auto checked = lang::checkExpression(*parsed.expr, scope, kReplFile);
  if (lang::hasErrors(checked.diagnostics)) {
    out.diagnostics = std::move(checked.diagnostics);
    return out;
  }
  out.type = parsed.expr->type;
  try {
    lang::Evaluator ev(policy, checked.frameSize, state, 1);
    if (policy) {
      // The parameters' slots hold their values (defaults or overrides), as
      // in a decision, so `threshold` and the lets built on it work here.
      auto params = lang::resolveParams(*policy, active->source.params, state);
      if (!params.diagnostics.empty()) {
        out.diagnostics = std::move(params.diagnostics);
        return out;
      }
      for (std::size_t i = 0; i < policy->params.size(); ++i)
        ev.setSlot(policy->params[i].slot, params.values[i]);
    }
    out.value = ev.eval(*parsed.expr);
  } catch (const lang::EvalError& e) {
    // An error inside a let of the policy is located in the policy's file.
    // The location is in the REPL entry when its line and column agree with
    // its offset there (an entry may span lines; a let's location in its
    // file does not match the entry's text).
    bool inLine = false;
    if (e.loc.offset <= text.size()) {
      lang::Location at = lang::locationAt(text, e.loc.offset);
      inLine = at.line == e.loc.line && at.column == e.loc.column;
    }
    std::string file = kReplFile;
    if (!inLine && active && active->file) file = active->file->path;
    out.diagnostics.push_back(
        {lang::codes::kEvalError, e.message, file, e.loc, lang::Severity::Error});
  }
  return out;
}

nlohmann::json valueToJson(const lang::Value& v, const lang::NetworkState& state) {
  using lang::ValueKind;
  switch (v.kind) {
    case ValueKind::Null:
      return nullptr;
    case ValueKind::Bool:
      return v.boolean;
    case ValueKind::Number:
      if (!std::isfinite(v.number)) return lang::formatValue(v, state);
      // Whole numbers print as integers (3, not 3.0).
      if (v.number == std::floor(v.number) && std::fabs(v.number) < 1e15)
        return static_cast<std::int64_t>(v.number);
      return v.number;
    case ValueKind::String:
      return v.text;
    case ValueKind::Host:
    case ValueKind::Switch:
    case ValueKind::Container:
      return lang::entityName(v, state);
    case ValueKind::Link: {
      if (v.index < 0 || static_cast<std::size_t>(v.index) >= state.links().size())
        return lang::formatValue(v, state);
      const auto& l = state.links()[v.index];
      return {{"src", l.src},
              {"src_port", l.srcPort},
              {"dst", l.dst},
              {"dst_port", l.dstPort},
              {"capacity_bps", l.capacityBps}};
    }
    case ValueKind::Labels: {
      nlohmann::json o = nlohmann::json::object();
      if (v.labels)
        for (const auto& [k, value] : *v.labels) o[k] = value;
      return o;
    }
    case ValueKind::Scheme:
      return {{"scheme", v.text}, {"k", v.number}};
    case ValueKind::Set:
    case ValueKind::List: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& e : v.elements()) a.push_back(valueToJson(e, state));
      return a;
    }
  }
  return nullptr;
}

std::string formatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], row[i].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string formatTime(double secondsSinceEpoch) {
  if (!std::isfinite(secondsSinceEpoch)) return "-";
  return runtime::formatTime(secondsSinceEpoch, "%Y-%m-%d %H:%M:%S", TimeZone::utc);
}

}  // namespace roam::runtime::repl
