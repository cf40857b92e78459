#include "lang/parse_errors.hpp"

#include <cstddef>
#include <string_view>

namespace roam::lang::parsing {

namespace {

namespace pegtl = tao::pegtl;

bool isReservedWord(std::string_view w) {
  pegtl::memory_input<> in(w.data(), w.data() + w.size(), "");
  return pegtl::parse<pegtl::seq<g::reserved, pegtl::eof>>(in);
}

// The word starting at `p` (identifier rules, including inner dashes).
std::string_view wordAt(const char* p, const char* end) {
  const char* q = p;
  if (q == end || !(isAlpha(*q) || *q == '_')) return {};
  ++q;
  while (q != end) {
    if (isIdentChar(*q)) {
      ++q;
    } else if (*q == '-' && q + 1 != end && (isAlpha(q[1]) || isDigit(q[1]))) {
      q += 2;
    } else {
      break;
    }
  }
  return {p, static_cast<std::size_t>(q - p)};
}

}  // namespace

std::string describeToken(const char* p, const char* end) {
  if (p == nullptr || p >= end) return "end of file";
  const char c = *p;
  if (std::string_view w = wordAt(p, end); !w.empty())
    return (isReservedWord(w) ? "reserved word '" : "'") + clipped(w) + "'";
  if (isDigit(c)) {
    const char* q = p;
    while (q != end && (isIdentChar(*q) || *q == '.' || *q == '%')) ++q;
    return "'" + clipped({p, static_cast<std::size_t>(q - p)}) + "'";
  }
  if (c == '"') return "a string";
  if (c > ' ' && c < 0x7f) return std::string("'") + c + "'";
  static constexpr char kHex[] = "0123456789abcdef";
  const auto byte = static_cast<unsigned char>(c);
  return std::string("byte 0x") + kHex[byte >> 4] + kHex[byte & 0xf];
}

bool startsWithPolicyWord(const char* p, const char* end) {
  return wordAt(p, end) == "policy";
}

void raiseError(const Builder& b, const ErrorText& e, const char* end) {
  const char* at = b.failedStart().data;
  const bool atBoundary = at == nullptr || at >= end || startsWithPolicyWord(at, end);
  const char* text = e.unexpected != nullptr && !atBoundary ? e.unexpected : e.text;
  Location loc = toLocation(b.failedStart());
  if (e.back != 0 && loc.column > e.back) {
    loc.column -= e.back;
    loc.offset -= e.back;
  }
  b.fail(b.expand(text, describeToken(at, end)), loc);
}

}  // namespace roam::lang::parsing
