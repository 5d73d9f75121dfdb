#include "oracle/quote.hpp"

#include <cmath>

#include "core/decimal.hpp"

namespace cx::oracle {

Result<std::int64_t> price_from_text(std::string_view text) {
  auto v = parse_decimal(text, kOracleScale, Sign::PositiveOnly);
  if (!v) return std::unexpected(v.error());
  return *v;
}

Result<std::int64_t> price_from_double(double value) {
  if (!std::isfinite(value) || value <= 0) {
    return fail(ErrorCode::InvalidNumber, "price must be a positive finite number");
  }
  const double units = std::round(value * static_cast<double>(pow10(kOracleScale)));
  if (units >= 9.2e18) return fail(ErrorCode::Overflow, "price too large");
  if (units < 1) return fail(ErrorCode::InvalidNumber, "price rounds to zero");
  return static_cast<std::int64_t>(units);
}

std::optional<std::int64_t> to_market_units(std::int64_t price, int price_scale) noexcept {
  if (price_scale < 0 || price_scale > kMaxScale) return std::nullopt;
  std::int64_t out = 0;
  if (price_scale <= kOracleScale) {
    out = price / pow10(kOracleScale - price_scale);
  } else if (!mul_div_trunc(price, pow10(price_scale - kOracleScale), 1, out)) {
    return std::nullopt;
  }
  if (out <= 0) return std::nullopt;
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

}  // namespace cx::oracle
