#pragma once
/// A token-bucket rate limiter keyed by strings (an email, an IP address, a user id).
///
/// Each key has a bucket of `capacity` tokens that refills by one token every
/// `refill_ms_per_token` milliseconds, up to `capacity`. A request takes one token or is refused
/// with the time until the next token. Integer arithmetic only (the bucket is kept as a
/// "theoretical arrival time", GCRA): the same calls give the same answers on every machine.
///
/// Memory: at most `max_keys` buckets are kept. A full bucket carries no information (it is
/// what an unknown key gets), so full buckets are dropped first. Only when every bucket is
/// still refilling does the limiter evict the ones nearest to full, an eighth of a shard at a
/// time; an evicted key starts again with a full bucket. So under a flood of distinct keys the
/// limits of the least-recently-limited keys may be forgotten, never those of busy keys first.
///
/// Threading: all member functions may be called from any thread concurrently (the buckets are
/// split into shards by key hash, each with its own mutex).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/ids.hpp"

namespace cx::auth {

class RateLimiter {
 public:
  /// Throws std::invalid_argument if `capacity` is 0, `refill_ms_per_token` < 1, `max_keys` is
  /// 0, or capacity x refill overflows 64 bits (start-up configuration errors).
  RateLimiter(std::uint32_t capacity, std::int64_t refill_ms_per_token,
              std::size_t max_keys = 100000);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  /// Takes a token from `key`'s bucket at time `now` (ms). Returns nullopt when allowed (a
  /// token was taken), else the milliseconds (>= 1) until a token will be available: the
  /// Retry-After. A refused request takes nothing. Time running backwards counts as no time.
  [[nodiscard]] std::optional<std::int64_t> take(std::string_view key, Timestamp now);

  /// Number of buckets currently kept (for tests and metrics).
  [[nodiscard]] std::size_t size() const;

  std::uint32_t capacity() const noexcept { return capacity_; }
  std::int64_t refill_ms_per_token() const noexcept { return interval_; }

 private:
  struct Shard;
  std::uint32_t capacity_;
  std::int64_t interval_;   ///< ms per token
  std::int64_t tolerance_;  ///< (capacity - 1) x interval: how far ahead of now a bucket may run
  std::size_t per_shard_;   ///< buckets kept per shard
  std::size_t shard_count_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace cx::auth
