#pragma once
// Time as the collectors see it, so tests can drive them with a fake clock.

namespace roam::runtime {

class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch (samples and status rows carry this).
  virtual double now() const = 0;
  // Returns at `t` or later (a fake clock simply jumps there).
  virtual void sleepUntil(double t) = 0;
};

}  // namespace roam::runtime
