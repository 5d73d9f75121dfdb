#pragma once
/// Small money helpers shared by the exchange's files.

#include <climits>
#include <cstdint>
#include <string_view>

#include "core/flat_hash_map.hpp"
#include "core/ids.hpp"
#include "core/int128.hpp"

namespace cx::engine {

/// ceil(v * bps / 10000) for v >= 0: fees and margins round in the exchange's favour.
inline Amount bps_ceil(Amount v, std::int64_t bps) noexcept {
  std::int64_t p;
  if (!__builtin_mul_overflow(v, bps, &p) && p <= INT64_MAX - 9'999) [[likely]]
    return (p + 9'999) / 10'000;  // a division by a constant: a multiply
  const i128 wide = static_cast<i128>(v) * bps;
  return static_cast<Amount>((wide + 9'999) / 10'000);
}

/// The 64-bit key a client order id text gets in the book (FNV-1a, mixed; never 0).
inline std::uint64_t cid_hash(std::string_view s) noexcept {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : s) h = (h ^ static_cast<std::uint8_t>(c)) * 1099511628211ULL;
  h = mix64(h);
  return h == 0 ? 1 : h;
}

}  // namespace cx::engine
