// Token buckets as GCRA "theoretical arrival times", sharded by key hash.

#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/string_map.hpp"

namespace cx::auth {

namespace {

std::int64_t saturating_add(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<std::int64_t>::max()
                 : std::numeric_limits<std::int64_t>::min();
  return r;
}

}  // namespace

/// One shard: key -> the time at which its bucket will be full again ("TAT"). A bucket holds
/// capacity - (tat - now) / interval tokens (rounded down) when tat > now, and is full when
/// tat <= now.
struct RateLimiter::Shard {
  std::mutex mu;
  StringMap<std::int64_t> tat;
};

RateLimiter::RateLimiter(std::uint32_t capacity, std::int64_t refill_ms_per_token,
                         std::size_t max_keys)
    : capacity_(capacity), interval_(refill_ms_per_token) {
  if (capacity == 0) throw std::invalid_argument("RateLimiter: capacity must be at least 1");
  if (refill_ms_per_token < 1)
    throw std::invalid_argument("RateLimiter: refill interval must be at least 1 ms");
  if (max_keys == 0) throw std::invalid_argument("RateLimiter: max_keys must be at least 1");
  if (__builtin_mul_overflow(static_cast<std::int64_t>(capacity), refill_ms_per_token, &tolerance_))
    throw std::invalid_argument("RateLimiter: capacity x refill interval overflows");
  tolerance_ -= refill_ms_per_token;
  shard_count_ = max_keys >= 1024 ? 16 : 1;
  per_shard_ = max_keys / shard_count_;
  shards_ = std::make_unique<Shard[]>(shard_count_);
}

RateLimiter::~RateLimiter() = default;

std::optional<std::int64_t> RateLimiter::take(std::string_view key, Timestamp now) {
  Shard& s = shards_[std::hash<std::string_view>{}(key) % shard_count_];
  std::lock_guard lock(s.mu);
  auto it = s.tat.find(key);
  if (it == s.tat.end()) {
    if (s.tat.size() >= per_shard_) {
      // Full buckets are the same as absent ones: drop them, losing nothing.
      std::erase_if(s.tat, [now](const auto& kv) { return kv.second <= now; });
      if (s.tat.size() >= per_shard_) {
        // Still no room: forget the eighth of the buckets nearest to full.
        std::vector<std::int64_t> tats;
        tats.reserve(s.tat.size());
        for (const auto& kv : s.tat) tats.push_back(kv.second);
        const std::size_t drop = std::max<std::size_t>(1, tats.size() / 8);
        std::nth_element(tats.begin(), tats.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                         tats.end());
        const std::int64_t cut = tats[drop - 1];
        std::size_t dropped = 0;
        std::erase_if(s.tat, [&](const auto& kv) {
          if (dropped < drop && kv.second <= cut) {
            ++dropped;
            return true;
          }
          return false;
        });
      }
    }
    // A new key's bucket is full: one token goes now.
    s.tat.emplace(std::string(key), saturating_add(now, interval_));
    return std::nullopt;
  }
  const std::int64_t tat = std::max(it->second, now);
  const std::int64_t ahead = tat - now;               // >= 0
  if (ahead > tolerance_) return ahead - tolerance_;  // >= 1
  it->second = saturating_add(tat, interval_);
  return std::nullopt;
}

std::size_t RateLimiter::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += shards_[i].tat.size();
  }
  return n;
}

}  // namespace cx::auth
