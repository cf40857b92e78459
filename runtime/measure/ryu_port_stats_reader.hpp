#pragma once
// Port statistics are the collectors' bulk: 1,000 switches x 48 ports at 1 Hz
// is ~16 MB of JSON a second, and building nlohmann's DOM for it took half a
// core. This reader decodes the usual, well-formed answer with simdjson's
// validating tape parser and hands every other input (malformed, unusual
// shapes, counters written as strings or floats) to parseRyuPortStats, which
// reports the located error. Both therefore give the same result for every
// input; the reader only decides faster when the answer is ordinary.

#include <memory>
#include <string_view>
#include <vector>

#include "runtime/measure/controller_backend.hpp"

namespace roam::runtime {

class RyuPortStatsReader {
 public:
  RyuPortStatsReader();
  ~RyuPortStatsReader();
  RyuPortStatsReader(RyuPortStatsReader&&) noexcept;
  RyuPortStatsReader& operator=(RyuPortStatsReader&&) noexcept;

  // The answer of GET /stats/port/<dpid>, as parseRyuPortStats reads it.
  Result<std::vector<PortStats>> read(std::string_view text, Dpid dpid);

  // How many answers the fast path decided (tests, benchmarks).
  std::size_t fastReads() const { return fastReads_; }

 private:
  // The parser keeps its buffers between answers; simdjson.h stays out of
  // this header because it is large.
  struct Parser;
  std::unique_ptr<Parser> parser_;
  std::size_t fastReads_ = 0;
};

}  // namespace roam::runtime
