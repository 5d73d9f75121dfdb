#pragma once
/// What a price source reports: the price of one underlying ("BTC") in USD at a time. Prices
/// are integers at a fixed scale (kOracleScale decimals) so the median and the conversion to a
/// market's price units are exact; floating point appears only where an outside JSON document
/// gives a number, and is rounded to the scale there (price_from_double).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace cx::oracle {

inline constexpr int kOracleScale = 8;  ///< oracle prices are counts of 10^-8 USD

struct Quote {
  std::string underlying;  ///< upper case, e.g. "BTC"
  std::int64_t price = 0;  ///< 10^-8 units, > 0
  Timestamp ts = 0;        ///< when the source observed it (ms since the epoch)
};

/// "60123.45" -> 6012345000000. Rejects non-positive prices and more than 8 decimals.
[[nodiscard]] Result<std::int64_t> price_from_text(std::string_view text);
/// A JSON number -> 10^-8 units, rounded to nearest. Rejects NaN, infinities, values <= 0 and
/// values too large for int64 at the scale.
[[nodiscard]] Result<std::int64_t> price_from_double(double value);
/// An oracle price in a market's price units (truncated toward zero); nullopt when it is 0 there
/// or the scale is out of range.
[[nodiscard]] std::optional<std::int64_t> to_market_units(std::int64_t price,
                                                          int price_scale) noexcept;
/// Upper-cased copy ("btc" -> "BTC").
std::string upper(std::string_view s);

}  // namespace cx::oracle
