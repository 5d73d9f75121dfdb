#pragma once
/// Prices and costs. Amounts are micro-credits in an int64: 1 credit = 1,000,000 units, shown
/// like US dollars with six decimals ("1.500000"). No floating point anywhere.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "gateway/service.hpp"

namespace cx::gateway {

/// Micro-credits per credit.
inline constexpr std::int64_t kMicroPerCredit = 1'000'000;

/// What one request consumed. All fields are counts and must be >= 0.
struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t images = 0;
  std::int64_t media_ms = 0;  ///< length of audio or video produced, in milliseconds
  std::int64_t requests = 0;
};

/// A model's price list, in micro-credits. All fields must be >= 0.
struct Price {
  std::int64_t per_million_input = 0;   ///< per 1,000,000 input tokens
  std::int64_t per_million_output = 0;  ///< per 1,000,000 output tokens
  std::int64_t per_image = 0;
  std::int64_t per_second = 0;  ///< per second of media (charged per millisecond, rounded up)
  std::int64_t per_request = 0;
};

/// Prices per (service, model). The model "*" is the service's default price.
/// Threading: any thread; `find` takes a shared lock, `set` an exclusive one.
class PriceTable {
 public:
  /// Sets (or replaces) the price of `model` for `service`; "*" sets the service's default.
  /// Negative fields are not checked here; `cost` refuses them.
  void set(Service service, std::string model, Price price);

  /// Removes a price; returns whether there was one.
  bool erase(Service service, std::string_view model);

  /// The exact model's price, else the service's "*" price, else nullopt (not for sale).
  [[nodiscard]] std::optional<Price> find(Service service, std::string_view model) const;

  /// Cost of `usage` at `price`, exact (128-bit intermediates):
  ///   ceil((input_tokens * per_million_input + output_tokens * per_million_output) / 1e6)
  ///   + images * per_image + ceil(media_ms * per_second / 1000) + requests * per_request.
  /// Rounding is up, in the platform's favour. Errors: NegativeNotAllowed if a field of either
  /// argument is negative; Overflow if the total does not fit an int64 (no clamping: the
  /// caller decides, typically by refusing the request or charging what the hold covers).
  [[nodiscard]] static Result<std::int64_t> cost(const Price& price, const Usage& usage);

 private:
  mutable std::shared_mutex mu_;
  std::array<std::map<std::string, Price, std::less<>>, kServiceCount> prices_;
};

/// A token count estimated from text: ceil(bytes / 4), the usual rule of thumb for English
/// with BPE tokenizers. Used to pre-check a request's affordability before it is forwarded and
/// to count the output of a stream that was cut short (when the provider's usage report never
/// arrived). Never negative; 0 for empty text.
[[nodiscard]] std::int64_t estimate_tokens(std::string_view text) noexcept;

/// Micro-credits as credits with exactly six decimals: 1500000 -> "1.500000", -1 -> "-0.000001".
[[nodiscard]] std::string format_credits(std::int64_t micro);

}  // namespace cx::gateway
