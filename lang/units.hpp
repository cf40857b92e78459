#pragma once
// Physical dimensions of numbers. A dimension is a pair of exponents over
// bits and seconds, so products and quotients of measurements stay checkable:
// rate = bit/s, duration = s, data = bit, 1/latency = 1/s.

#include <optional>
#include <string>
#include <string_view>

namespace roam::lang {

struct Dimension {
  signed char bits = 0;
  signed char seconds = 0;

  friend bool operator==(Dimension, Dimension) = default;
  bool dimensionless() const { return bits == 0 && seconds == 0; }
  Dimension operator*(Dimension o) const {
    return {static_cast<signed char>(bits + o.bits), static_cast<signed char>(seconds + o.seconds)};
  }
  Dimension operator/(Dimension o) const {
    return {static_cast<signed char>(bits - o.bits), static_cast<signed char>(seconds - o.seconds)};
  }
};

inline constexpr Dimension kNumber{0, 0};
inline constexpr Dimension kRate{1, -1};
inline constexpr Dimension kDuration{0, 1};
inline constexpr Dimension kData{1, 0};

// "number", "rate", "duration", "data", or a formula such as "1/duration".
std::string dimensionName(Dimension d);

// The dimension a parameter type name stands for (number, rate, duration, data).
std::optional<Dimension> dimensionOfTypeName(std::string_view name);

struct Unit {
  std::string_view suffix;  // as written after the number: "Mbps", "ms", "%"
  double scale;             // multiply the written number by this for SI base value
  Dimension dimension;
};

// Looks up a unit suffix; nullopt when unknown. Base values: bits/s, seconds, bits.
std::optional<Unit> findUnit(std::string_view suffix);

// Every known unit, for docs and completion.
const Unit* unitsBegin();
const Unit* unitsEnd();

// Renders a value in its dimension's most readable unit: "9.5 Mbps", "800 ms".
std::string formatQuantity(double value, Dimension d);

}  // namespace roam::lang
