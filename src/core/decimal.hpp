#pragma once
/// Fixed-point decimals: a value is an int64 count of 10^-scale units. Money, prices and
/// quantities never touch floating point. Parsing and formatting are exact.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cx {

/// Largest supported scale (10^18 fits in int64).
inline constexpr int kMaxScale = 18;

/// 10^n for 0 <= n <= 18.
constexpr std::int64_t pow10(int n) noexcept {
  std::int64_t r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

enum class Sign : std::uint8_t { PositiveOnly, NonNegative, Any };

/// Parses a plain decimal string ("123", "0.5", "-1.25", ".5" is rejected) into units of
/// 10^-scale. Rejects, with a clear error: empty input, anything but digits and one '.',
/// exponents, leading '+', more fractional digits than `scale` (TooManyDecimals; trailing
/// zeros beyond the scale are accepted: "1.500" at scale 2 is 150), overflow of int64,
/// a '-' unless `sign` is Any, and zero when `sign` is PositiveOnly.
/// Thread-safe, allocates only for the error message.
[[nodiscard]] Result<std::int64_t> parse_decimal(std::string_view text, int scale,
                                                 Sign sign = Sign::Any);

/// Formats `units` at `scale` with exactly `scale` fractional digits ("1.50" for 150 at 2);
/// no fractional part when scale is 0.
[[nodiscard]] std::string format_decimal(std::int64_t units, int scale);

/// Like format_decimal but trims trailing fractional zeros ("1.5"; "2" for 200 at 2).
[[nodiscard]] std::string format_decimal_trimmed(std::int64_t units, int scale);

/// Number of fractional digits needed to write `units` at `scale` exactly (0..scale).
[[nodiscard]] int decimals_used(std::int64_t units, int scale) noexcept;

/// a * b / d rounded toward zero, with a 128-bit intermediate; false on overflow or d == 0.
[[nodiscard]] bool mul_div_trunc(std::int64_t a, std::int64_t b, std::int64_t d,
                                 std::int64_t& out) noexcept;
/// a * b / d rounded toward +infinity (the exchange's side for fees); false on overflow or d == 0.
[[nodiscard]] bool mul_div_ceil(std::int64_t a, std::int64_t b, std::int64_t d,
                                std::int64_t& out) noexcept;

}  // namespace cx
