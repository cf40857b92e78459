// libFuzzer target: the fast port-stats reader (simdjson) against the careful
// parser (nlohmann) on the same bytes. Any answer on which they differ -- a
// value, a port, an error message -- aborts, as do crashes, hangs and leaks.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "port_stats_text.hpp"
#include "runtime/measure/ryu_backend.hpp"
#include "runtime/measure/ryu_port_stats_reader.hpp"

using roam::runtime::parseRyuPortStats;
using roam::runtime::RyuPortStatsReader;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static RyuPortStatsReader reader;  // reused, as the backend reuses it
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string careful = roamtest::portStatsText(parseRyuPortStats(text, 1));
  const std::string fast = roamtest::portStatsText(reader.read(text, 1));
  if (careful != fast) {
    std::fprintf(stderr, "readers disagree\n careful: %s\n fast:    %s\n", careful.c_str(),
                 fast.c_str());
    std::abort();
  }
  return 0;
}
