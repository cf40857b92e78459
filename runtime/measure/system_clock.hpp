#pragma once
// The wall clock, for the real collectors.

#include "runtime/measure/clock.hpp"

namespace roam::runtime {

class SystemClock final : public Clock {
 public:
  double now() const override;
  void sleepUntil(double t) override;
};

}  // namespace roam::runtime
