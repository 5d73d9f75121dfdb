#pragma once
/// One side of a book: its price levels sorted so the best is at the back of a contiguous
/// vector. Most activity is near the top, so inserting or erasing a level moves few entries.
/// Keys are the price for bids and the negated price for asks, so "better" is always "larger".

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/ids.hpp"
#include "engine/types.hpp"

namespace cx::engine {

class PriceLadder {
 public:
  struct Entry {
    std::int64_t key;     ///< price (bids) or -price (asks); ascending, best last
    std::uint32_t level;  ///< slot in the book's level pool
  };

  explicit PriceLadder(Side side) : side_(side) {}

  Side side() const noexcept { return side_; }
  std::int64_t key_of(Price p) const noexcept { return side_ == Side::Buy ? p : -p; }
  Price price_of(std::int64_t key) const noexcept { return side_ == Side::Buy ? key : -key; }

  bool empty() const noexcept { return levels_.empty(); }
  std::size_t size() const noexcept { return levels_.size(); }
  const Entry& best() const noexcept { return levels_.back(); }
  Price best_price() const noexcept { return price_of(levels_.back().key); }
  void pop_best() noexcept { levels_.pop_back(); }

  /// The i-th best level (0 = best).
  const Entry& at_rank(std::size_t i) const noexcept { return levels_[levels_.size() - 1 - i]; }

  const Entry& at_index(std::size_t i) const noexcept { return levels_[i]; }

  /// Index of the first entry whose key is >= key (searches from the top, where most are).
  std::size_t lower_bound(std::int64_t key) const noexcept {
    std::size_t n = levels_.size();
    // Short linear scan from the best end, then binary search over the rest.
    std::size_t i = n;
    for (int k = 0; k < 4 && i > 0; ++k) {
      if (levels_[i - 1].key < key) return i;
      --i;
    }
    auto it = std::lower_bound(levels_.begin(), levels_.begin() + static_cast<std::ptrdiff_t>(i),
                               key, [](const Entry& e, std::int64_t k) { return e.key < k; });
    return static_cast<std::size_t>(it - levels_.begin());
  }

  /// Level slot at `price`, or kNil-like `none` if absent.
  std::uint32_t find(Price price, std::uint32_t none) const noexcept {
    std::int64_t key = key_of(price);
    std::size_t i = lower_bound(key);
    return (i < levels_.size() && levels_[i].key == key) ? levels_[i].level : none;
  }

  void insert_at(std::size_t i, std::int64_t key, std::uint32_t level) {
    levels_.insert(levels_.begin() + static_cast<std::ptrdiff_t>(i), Entry{key, level});
  }

  /// Removes the level at `price` (which must be present).
  void erase(Price price) noexcept {
    std::int64_t key = key_of(price);
    if (levels_.back().key == key) {
      levels_.pop_back();
      return;
    }
    std::size_t i = lower_bound(key);
    levels_.erase(levels_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void reserve(std::size_t n) { levels_.reserve(n); }

 private:
  std::vector<Entry> levels_;
  Side side_;
};

}  // namespace cx::engine
