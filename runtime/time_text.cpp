#include "runtime/time_text.hpp"

#include <cmath>
#include <ctime>
#include <exception>

#include "lang/units.hpp"

namespace roam::runtime {

std::optional<double> parseDuration(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (value < 0 || !std::isfinite(value)) return std::nullopt;
  const std::string suffix = text.substr(used);
  if (suffix.empty()) return value;
  auto unit = lang::findUnit(suffix);
  if (!unit || unit->dimension != lang::kDuration) return std::nullopt;
  return value * unit->scale;
}

std::string formatTime(double secondsSinceEpoch, const char* format, TimeZone zone) {
  std::time_t secs = static_cast<std::time_t>(secondsSinceEpoch);
  std::tm tm{};
  if (zone == TimeZone::utc)
    gmtime_r(&secs, &tm);
  else
    localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace roam::runtime
