#pragma once
// In-memory tar archives for the fixture Docker engine and its tests: what the
// real engine streams (`docker save`, GET archive) and parses (`docker load`,
// PUT archive, layer diffs). Plain ustar, with the prefix field for long
// names on both sides; enough for what the agent writes and reads.

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace roamtest {

struct TarMember {
  std::string name;  // relative; directories end without '/'
  char type = '0';   // '0' file, '5' directory
  std::string content;
};

inline std::string writeTar(const std::vector<TarMember>& members) {
  std::string out;
  for (const auto& m : members) {
    std::array<char, 512> h{};
    std::string name = m.name + (m.type == '5' ? "/" : "");
    std::string prefix;
    if (name.size() > 100) {
      const auto cut = name.rfind('/', name.size() - 2);
      prefix = name.substr(0, cut);
      name = name.substr(cut + 1);
    }
    std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
    std::snprintf(h.data() + 100, 8, "%07o", m.type == '5' ? 0755 : 0644);
    std::snprintf(h.data() + 108, 8, "%07o", 0);
    std::snprintf(h.data() + 116, 8, "%07o", 0);
    std::snprintf(h.data() + 124, 12, "%011zo", m.type == '5' ? std::size_t{0} : m.content.size());
    std::snprintf(h.data() + 136, 12, "%011o", 0);
    std::memset(h.data() + 148, ' ', 8);
    h[156] = m.type;
    std::memcpy(h.data() + 257, "ustar", 6);
    std::memcpy(h.data() + 263, "00", 2);
    std::memcpy(h.data() + 345, prefix.data(), std::min<std::size_t>(prefix.size(), 155));
    unsigned sum = 0;
    for (char c : h) sum += static_cast<unsigned char>(c);
    std::snprintf(h.data() + 148, 8, "%06o", sum);
    h[155] = ' ';
    out.append(h.data(), h.size());
    if (m.type != '5') {
      out += m.content;
      out.resize((out.size() + 511) / 512 * 512, '\0');
    }
  }
  out.resize(out.size() + 1024, '\0');  // the end-of-archive marker
  return out;
}

// The members of TAR, or nullopt when it is not a well-formed ustar archive
// (bad checksum, truncated, no end marker).
inline std::optional<std::vector<TarMember>> readTar(const std::string& tar) {
  std::vector<TarMember> members;
  std::size_t at = 0;
  while (true) {
    if (at + 512 > tar.size()) return std::nullopt;
    const char* h = tar.data() + at;
    if (std::all_of(h, h + 512, [](char c) { return c == 0; })) return members;
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i)
      sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
    if (std::strtoul(std::string(h + 148, 8).c_str(), nullptr, 8) != sum) return std::nullopt;
    TarMember m;
    m.name = std::string(h, strnlen(h, 100));
    if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != 0)
      m.name = std::string(h + 345, strnlen(h + 345, 155)) + "/" + m.name;
    while (m.name.starts_with("./")) m.name.erase(0, 2);
    while (!m.name.empty() && m.name.back() == '/') m.name.pop_back();
    m.type = h[156] == '\0' ? '0' : h[156];
    const std::size_t size = std::strtoull(std::string(h + 124, 12).c_str(), nullptr, 8);
    const std::size_t data = m.type == '5' ? 0 : size;
    if (at + 512 + data > tar.size()) return std::nullopt;
    m.content = tar.substr(at + 512, data);
    if (!m.name.empty()) members.push_back(std::move(m));
    at += 512 + (data + 511) / 512 * 512;
  }
}

}  // namespace roamtest
