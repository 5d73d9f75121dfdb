#include "gateway/clock.hpp"

#include <chrono>

namespace cx::gateway {

std::int64_t system_now_ms() noexcept {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace cx::gateway
