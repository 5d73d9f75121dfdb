#pragma once
/// A fixed-seed PRNG whose output is the same on every platform and standard library
/// (std::uniform_int_distribution is not specified bit-for-bit, so benchmarks avoid it).

#include <cstdint>

namespace cx::bench {

/// splitmix64 (Steele, Lea, Flood 2014): tiny, fast, passes BigCrush; enough for workloads.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept : s_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n) for 0 < n <= 2^32 (Lemire's multiply-shift on 32 random bits; the bias,
  /// below n / 2^32, is far under anything a workload can show).
  std::uint64_t below(std::uint64_t n) noexcept { return ((next() >> 32) * n) >> 32; }
  /// Uniform in [lo, hi].
  std::int64_t between(std::int64_t lo, std::int64_t hi) noexcept {
    return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
  }
  /// Uniform in [0, 1).
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t s_;
};

}  // namespace cx::bench
