#pragma once
/// The whole exchange state as bytes, for snapshots (docs/journal.md, "Snapshots"). Loading a
/// saved state gives an exchange that behaves exactly like the one saved, down to the order ids
/// it assigns next. No I/O here: the journal module writes and reads the files.

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "core/error.hpp"
#include "engine/exchange.hpp"

namespace cx::engine {

/// 3 added Market::funding_clock; version 2 states still load (with the clock unknown, -1).
inline constexpr std::uint32_t kStateVersion = 3;
inline constexpr std::uint32_t kOldestStateVersion = 2;

/// Appends the state of `x` to `out`. Reads `x` only.
void save_state(const Exchange& x, std::vector<std::byte>& out);

/// Rebuilds an exchange from bytes written by save_state. Fails with Corrupt on anything
/// inconsistent (wrong version, truncated, out-of-range indices); never reads out of bounds.
[[nodiscard]] Result<std::unique_ptr<Exchange>> load_state(std::span<const std::byte> bytes);

}  // namespace cx::engine
