#include "lang/units.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace roam::lang {

namespace {

constexpr std::array kUnits{
    Unit{"bps", 1.0, kRate},      Unit{"Kbps", 1e3, kRate},  Unit{"kbps", 1e3, kRate},
    Unit{"Mbps", 1e6, kRate},     Unit{"Gbps", 1e9, kRate},  Unit{"us", 1e-6, kDuration},
    Unit{"ms", 1e-3, kDuration},  Unit{"s", 1.0, kDuration}, Unit{"min", 60.0, kDuration},
    Unit{"h", 3600.0, kDuration}, Unit{"b", 1.0, kData},     Unit{"B", 8.0, kData},
    Unit{"KB", 8e3, kData},       Unit{"MB", 8e6, kData},    Unit{"GB", 8e9, kData},
    Unit{"%", 0.01, kNumber},
};

std::string trimmed(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string dimensionName(Dimension d) {
  if (d == kNumber) return "number";
  if (d == kRate) return "rate";
  if (d == kDuration) return "duration";
  if (d == kData) return "data";
  if (d == Dimension{0, -1}) return "1/duration";
  if (d == Dimension{-1, 1}) return "1/rate";
  if (d == Dimension{-1, 0}) return "1/data";
  std::string out;
  auto term = [&](const char* base, int e) {
    if (e == 0) return;
    if (!out.empty()) out += '*';
    out += base;
    if (e != 1) out += '^' + std::to_string(e);
  };
  term("bit", d.bits);
  term("s", d.seconds);
  return out;
}

std::optional<Dimension> dimensionOfTypeName(std::string_view name) {
  if (name == "number") return kNumber;
  if (name == "rate") return kRate;
  if (name == "duration") return kDuration;
  if (name == "data") return kData;
  return std::nullopt;
}

std::optional<Unit> findUnit(std::string_view suffix) {
  for (const auto& u : kUnits)
    if (u.suffix == suffix) return u;
  return std::nullopt;
}

const Unit* unitsBegin() {
  return kUnits.data();
}
const Unit* unitsEnd() {
  return kUnits.data() + kUnits.size();
}

std::string formatQuantity(double v, Dimension d) {
  double a = std::fabs(v);
  if (d == kRate) {
    if (a >= 1e9) return trimmed(v / 1e9) + " Gbps";
    if (a >= 1e6) return trimmed(v / 1e6) + " Mbps";
    if (a >= 1e3) return trimmed(v / 1e3) + " Kbps";
    return trimmed(v) + " bps";
  }
  if (d == kDuration) {
    if (a != 0 && a < 1e-3) return trimmed(v * 1e6) + " us";
    if (a != 0 && a < 1.0) return trimmed(v * 1e3) + " ms";
    return trimmed(v) + " s";
  }
  if (d == kData) {
    if (a >= 8e9) return trimmed(v / 8e9) + " GB";
    if (a >= 8e6) return trimmed(v / 8e6) + " MB";
    if (a >= 8e3) return trimmed(v / 8e3) + " KB";
    return trimmed(v / 8) + " B";
  }
  if (d == kNumber) return trimmed(v);
  return trimmed(v) + " " + dimensionName(d);
}

}  // namespace roam::lang
