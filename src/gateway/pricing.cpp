#include "gateway/pricing.hpp"

#include <limits>
#include <mutex>

#include "core/decimal.hpp"
#include "core/int128.hpp"

namespace cx::gateway {

namespace {

constexpr i128 kInt64Max = std::numeric_limits<std::int64_t>::max();

/// ceil(a / d) for a >= 0, d > 0.
constexpr i128 ceil_div(i128 a, i128 d) noexcept {
  return (a + d - 1) / d;
}

}  // namespace

void PriceTable::set(Service service, std::string model, Price price) {
  std::unique_lock lock(mu_);
  prices_[static_cast<std::size_t>(service)].insert_or_assign(std::move(model), price);
}

bool PriceTable::erase(Service service, std::string_view model) {
  std::unique_lock lock(mu_);
  auto& m = prices_[static_cast<std::size_t>(service)];
  auto it = m.find(model);
  if (it == m.end()) return false;
  m.erase(it);
  return true;
}

std::optional<Price> PriceTable::find(Service service, std::string_view model) const {
  std::shared_lock lock(mu_);
  const auto& m = prices_[static_cast<std::size_t>(service)];
  auto it = m.find(model);
  if (it == m.end()) it = m.find(std::string_view("*"));
  if (it == m.end()) return std::nullopt;
  return it->second;
}

Result<std::int64_t> PriceTable::cost(const Price& p, const Usage& u) {
  if (p.per_million_input < 0 || p.per_million_output < 0 || p.per_image < 0 || p.per_second < 0 ||
      p.per_request < 0)
    return fail(ErrorCode::NegativeNotAllowed, "price fields must not be negative");
  if (u.input_tokens < 0 || u.output_tokens < 0 || u.images < 0 || u.media_ms < 0 || u.requests < 0)
    return fail(ErrorCode::NegativeNotAllowed, "usage counts must not be negative");
  // Each product of two int64 values below 2^63 is below 2^126, the sum of two below 2^127:
  // every step fits an i128. The running total is checked after each term.
  const i128 tokens =
      i128{u.input_tokens} * p.per_million_input + i128{u.output_tokens} * p.per_million_output;
  i128 total = ceil_div(tokens, 1'000'000);
  if (total > kInt64Max) return fail(ErrorCode::Overflow, "cost overflows");
  total += i128{u.images} * p.per_image;
  if (total > kInt64Max) return fail(ErrorCode::Overflow, "cost overflows");
  total += ceil_div(i128{u.media_ms} * p.per_second, 1000);
  if (total > kInt64Max) return fail(ErrorCode::Overflow, "cost overflows");
  total += i128{u.requests} * p.per_request;
  if (total > kInt64Max) return fail(ErrorCode::Overflow, "cost overflows");
  return static_cast<std::int64_t>(total);
}

std::int64_t estimate_tokens(std::string_view text) noexcept {
  return static_cast<std::int64_t>(text.size() / 4 + (text.size() % 4 != 0 ? 1 : 0));
}

std::string format_credits(std::int64_t micro) {
  return format_decimal(micro, 6);
}

}  // namespace cx::gateway
