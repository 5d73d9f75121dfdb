#pragma once
/// Time for the gateway: milliseconds since the Unix epoch, injected so that tests drive it.

#include <cstdint>
#include <functional>

namespace cx::gateway {

/// Returns milliseconds since the Unix epoch. Must be callable from any thread.
using Clock = std::function<std::int64_t()>;

/// The system clock (std::chrono::system_clock) in milliseconds since the Unix epoch.
[[nodiscard]] std::int64_t system_now_ms() noexcept;

}  // namespace cx::gateway
