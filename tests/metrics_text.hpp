#pragma once
// Reading a metrics registry's text output (the Prometheus exposition
// format) in tests, and checking it with Prometheus's own promtool.

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "common/metrics/registry.hpp"

namespace roamtest {

// The value of SERIES ("roam_x_total" or "roam_x_total{a=\"b\"}", labels in
// the registry's order) in TEXT, or nullopt when there is no such line.
inline std::optional<double> sampleIn(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
  return std::nullopt;
}

inline std::optional<double> sample(const roam::metrics::Registry& registry,
                                    const std::string& series) {
  return sampleIn(registry.render(), series);
}

// `promtool check metrics` on TEXT: its exit status and output (stderr too).
struct Promtool {
  int status = -1;
  std::string output;
};
inline Promtool promtoolCheck(const std::string& text) {
  char path[] = "/tmp/roam-metrics-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return {};
  ::close(fd);
  std::ofstream(path) << text;
  Promtool result;
  FILE* p = popen(("promtool check metrics < " + std::string(path) + " 2>&1").c_str(), "r");
  if (p) {
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, p)) result.output.append(buf, n);
    int status = pclose(p);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::remove(path);
  return result;
}

}  // namespace roamtest
