#include "oracle/simulated_source.hpp"

#include <algorithm>

#include "core/int128.hpp"

namespace cx::oracle {

SimulatedSource::SimulatedSource(std::uint64_t seed, std::map<std::string, std::int64_t> start)
    : rng_(seed * 0x9E3779B97F4A7C15ULL + 1), prices_(std::move(start)) {}

std::uint64_t SimulatedSource::next() noexcept {
  // splitmix64
  std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

void SimulatedSource::resume(const std::string& underlying, std::int64_t price) {
  if (price > 0) prices_[underlying] = price;
}

Result<std::vector<Quote>> SimulatedSource::poll(Timestamp now) {
  std::vector<Quote> out;
  out.reserve(prices_.size());
  for (auto& [underlying, price] : prices_) {
    // k in [0, 2000]: a move of (k - 1000) / 2,000,000 of the price, i.e. within +-0.05%.
    const auto k = static_cast<std::int64_t>(next() % 2001);
    const auto move = static_cast<std::int64_t>(static_cast<i128>(price) * (k - 1000) / 2'000'000);
    price = std::max<std::int64_t>(1, price + move);
    out.push_back({underlying, price, now});
  }
  return out;
}

}  // namespace cx::oracle
