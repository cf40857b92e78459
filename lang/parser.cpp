#include "lang/parser.hpp"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <utility>

#include <tao/pegtl.hpp>

#include "lang/diagnostic_codes.hpp"
#include "lang/grammar.hpp"
#include "lang/parse_actions.hpp"
#include "lang/parse_builder.hpp"
#include "lang/parse_errors.hpp"

namespace roam::lang {

namespace {

namespace g = grammar;
namespace pegtl = tao::pegtl;
using parsing::Action;
using parsing::Builder;
using parsing::Control;

// A garbage file would otherwise yield one diagnostic per line.
constexpr std::size_t kMaxDiagnostics = 100;
// Locations hold 32-bit offsets; recovery relies on them being exact.
constexpr std::size_t kMaxSourceSize = UINT32_MAX;

Diagnostic diagnosticFrom(const pegtl::parse_error& e, const std::string& file) {
  Diagnostic d{codes::kParseError, std::string(e.message()), file, {}};
  if (!e.positions().empty()) {
    const auto& p = e.positions().front();
    d.location = {static_cast<std::uint32_t>(p.line), static_cast<std::uint32_t>(p.column),
                  static_cast<std::uint32_t>(p.byte)};
  }
  return d;
}

std::size_t lineStart(std::string_view src, std::size_t offset) {
  offset = std::min(offset, src.size());
  if (offset == 0) return 0;
  const std::size_t nl = src.rfind('\n', offset - 1);
  return nl == std::string_view::npos ? 0 : nl + 1;
}

// Where parsing resumes after an error: the first line after the line of the
// failed policy's keyword (and not before the error's line) that starts, after
// blanks, with the word `policy`. npos when there is none.
std::size_t resumeOffset(std::string_view src, std::size_t attemptStart, std::size_t errorOffset) {
  const std::size_t nl = src.find('\n', std::min(attemptStart, src.size()));
  if (nl == std::string_view::npos) return std::string_view::npos;
  std::size_t line = std::max(nl + 1, lineStart(src, errorOffset));
  const char* end = src.data() + src.size();
  while (line < src.size()) {
    std::size_t p = line;
    while (p < src.size() && (src[p] == ' ' || src[p] == '\t')) ++p;
    if (parsing::startsWithPolicyWord(src.data() + p, end)) return line;
    const std::size_t next = src.find('\n', p);
    if (next == std::string_view::npos) break;
    line = next + 1;
  }
  return std::string_view::npos;
}

Diagnostic internalError(const std::string& file, const char* what) {
  return {codes::kParseError, std::string("internal parser error: ") + what, file, {}};
}

}  // namespace

ParseResult parsePolicyFile(std::string path, std::string source) {
  ParseResult result;
  result.file.path = std::move(path);
  result.file.source = std::move(source);
  const std::string& file = result.file.path;
  const std::string_view src = result.file.source;
  Diagnostics& diags = result.diagnostics;

  if (src.size() > kMaxSourceSize) {
    diags.push_back({codes::kParseError, "file too large to parse (4 GiB or more)", file, {}});
    return result;
  }
  try {
    Builder builder(file, diags, &result.file.policies);
    std::size_t offset = 0;
    std::size_t line = 1;
    for (;;) {
      pegtl::memory_input<> in(src.data() + offset, src.data() + src.size(), file, offset, line, 1);
      try {
        for (;;) {
          builder.beginStep();
          if (!pegtl::parse<g::file_step, Action, Control>(in, builder) || in.empty()) break;
        }
        break;
      } catch (const pegtl::parse_error& e) {
        Diagnostic d = diagnosticFrom(e, file);
        const std::size_t errorOffset = d.location.offset;
        const std::uint32_t errorLine = d.location.line;
        diags.push_back(std::move(d));
        const std::size_t attemptStart = builder.inPolicy() ? builder.policyOffset() : errorOffset;
        const std::size_t resume = resumeOffset(src, attemptStart, errorOffset);
        if (resume == std::string_view::npos) break;
        if (diags.size() >= kMaxDiagnostics) {
          diags.push_back({codes::kParseError,
                           "too many errors; the rest of the file was not parsed", file,
                           locationAt(src, resume), Severity::Note});
          break;
        }
        // Count lines only from the error's line on, so recovery stays linear.
        const std::size_t from = lineStart(src, errorOffset);
        line = errorLine + static_cast<std::size_t>(
                               std::count(src.begin() + static_cast<std::ptrdiff_t>(from),
                                          src.begin() + static_cast<std::ptrdiff_t>(resume), '\n'));
        offset = resume;
      }
    }
  } catch (const std::exception& e) {
    diags.push_back(internalError(file, e.what()));
  } catch (...) {
    diags.push_back(internalError(file, "unknown exception"));
  }
  std::stable_sort(diags.begin(), diags.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.location.offset < b.location.offset;
  });
  return result;
}

ExpressionParse parseExpression(std::string_view source, std::string file) {
  ExpressionParse result;
  if (source.size() > kMaxSourceSize) {
    result.diagnostics.push_back({codes::kParseError, "expression too large to parse", file, {}});
    return result;
  }
  try {
    Builder builder(file, result.diagnostics, nullptr);
    const char* begin = source.empty() ? "" : source.data();
    pegtl::memory_input<> in(begin, begin + source.size(), file);
    try {
      builder.beginStep();
      if (pegtl::parse<g::expression_input, Action, Control>(in, builder) &&
          result.diagnostics.empty()) {
        result.expr = builder.takeExpression();
        if (!result.expr) result.diagnostics.push_back(internalError(file, "no expression built"));
      }
    } catch (const pegtl::parse_error& e) {
      result.diagnostics.push_back(diagnosticFrom(e, file));
    }
  } catch (const std::exception& e) {
    result.diagnostics.push_back(internalError(file, e.what()));
  } catch (...) {
    result.diagnostics.push_back(internalError(file, "unknown exception"));
  }
  if (!result.diagnostics.empty()) result.expr.reset();
  return result;
}

}  // namespace roam::lang
