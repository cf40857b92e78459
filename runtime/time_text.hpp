#pragma once
// Durations and instants as people type and read them: "500ms", "2min",
// "14:03:07". Shared by the configuration files, the command line, the REPL
// and the daemons' logs.

#include <optional>
#include <string>

namespace roam::runtime {

// Seconds in "10s", "500ms", "2min" (any duration unit of the policy
// language) or a bare number of seconds. Negative or non-finite values are
// rejected.
std::optional<double> parseDuration(const std::string& text);

enum class TimeZone { local, utc };

// `secondsSinceEpoch` (truncated to whole seconds) through strftime's `format`.
std::string formatTime(double secondsSinceEpoch, const char* format, TimeZone zone);

}  // namespace roam::runtime
