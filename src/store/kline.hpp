#pragma once
/// Kline (candlestick) intervals and their buckets. Every bucket starts at a UTC boundary:
/// 1m, 5m, 1h and 1d at whole multiples of their length since the Unix epoch; 1w on Monday
/// 00:00 UTC; 1M on the first day of the calendar month, 00:00 UTC. A bucket is the half-open
/// range [open_time, close_time). Times are milliseconds since the epoch (as in commands);
/// times before the epoch bucket the same way (floor, never toward zero).

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/ids.hpp"

namespace cx::store {

enum class KlineInterval : std::uint8_t { M1, M5, H1, D1, W1, MO1 };
inline constexpr std::array<KlineInterval, 6> kKlineIntervals{
    KlineInterval::M1, KlineInterval::M5, KlineInterval::H1,
    KlineInterval::D1, KlineInterval::W1, KlineInterval::MO1};

/// "1m", "5m", "1h", "1d", "1w", "1M" (case matters: 1m is a minute, 1M a month).
std::string_view to_string(KlineInterval i) noexcept;
std::optional<KlineInterval> kline_interval_from(std::string_view s) noexcept;

/// Start of the bucket of `interval` that holds `ts`.
Timestamp bucket_start(KlineInterval interval, Timestamp ts) noexcept;
/// End (exclusive) of the bucket that starts at `start` (a value bucket_start returned).
Timestamp bucket_end(KlineInterval interval, Timestamp start) noexcept;

}  // namespace cx::store
