#pragma once
/// "Is x a multiple of d?" without a division: d = 2^k * m with m odd; x is a multiple iff its
/// low k bits are zero and (x >> k) * m^-1 (mod 2^64) <= (2^64 - 1) / m. A 64-bit idiv costs tens
/// of cycles; this is a shift, a multiply and a compare. For the book's tick and lot checks.

#include <cstdint>

namespace cx {

class Divisor {
 public:
  constexpr Divisor() noexcept : Divisor(1) {}
  /// `d` must be positive.
  constexpr explicit Divisor(std::int64_t d) noexcept {
    auto u = static_cast<std::uint64_t>(d);
    while ((u & 1) == 0) {
      u >>= 1;
      ++shift_;
    }
    // Newton's iteration for the inverse of an odd number modulo 2^64.
    std::uint64_t inv = u;
    for (int i = 0; i < 5; ++i) inv *= 2 - u * inv;
    inv_ = inv;
    limit_ = ~std::uint64_t{0} / u;
    mask_ = (std::uint64_t{1} << shift_) - 1;
  }

  /// Whether `x` (any sign) is a multiple of the divisor.
  constexpr bool divides(std::int64_t x) const noexcept {
    std::uint64_t u = x < 0 ? 0 - static_cast<std::uint64_t>(x) : static_cast<std::uint64_t>(x);
    if ((u & mask_) != 0) return false;
    return (u >> shift_) * inv_ <= limit_;
  }

 private:
  std::uint64_t inv_ = 1;
  std::uint64_t limit_ = ~std::uint64_t{0};
  std::uint64_t mask_ = 0;
  unsigned shift_ = 0;
};

}  // namespace cx
