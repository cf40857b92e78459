#pragma once
// A port-stats reading as one line of text ("1:10,20,1,2@5.5;2:...;" or
// "error: MESSAGE"), so that two readers' results compare with == and a
// difference prints readably. Shared by the unit test and the differential
// fuzzer of RyuPortStatsReader.

#include <cstdio>
#include <string>
#include <vector>

#include "runtime/measure/controller_backend.hpp"

namespace roamtest {

inline std::string portStatsText(
    const roam::runtime::Result<std::vector<roam::runtime::PortStats>>& r) {
  if (!r) return "error: " + r.error().message();
  std::string s;
  for (const auto& p : *r) {
    s += std::to_string(p.port) + ":";
    if (p.counters) {
      const auto& c = *p.counters;
      s += std::to_string(c.rxBytes) + "," + std::to_string(c.txBytes) + "," +
           std::to_string(c.rxPackets) + "," + std::to_string(c.txPackets);
      if (c.durationSeconds) {
        char exact[32];  // every bit of the double, so no difference hides
        std::snprintf(exact, sizeof exact, "@%.17g", *c.durationSeconds);
        s += exact;
      }
    }
    s += ";";
  }
  return s;
}

}  // namespace roamtest
