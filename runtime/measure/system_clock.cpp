#include "runtime/measure/system_clock.hpp"

#include <chrono>
#include <thread>

namespace roam::runtime {

double SystemClock::now() const {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

void SystemClock::sleepUntil(double t) {
  const double wait = t - now();
  if (wait > 0) std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

}  // namespace roam::runtime
