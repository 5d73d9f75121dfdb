#pragma once
/// Stop and take-profit orders waiting for the mark price. Two queues: "rising" orders fire when
/// the mark rises to their trigger (stop buys, take-profit sells), "falling" ones when it falls
/// to it (stop sells, take-profit buys). Each queue keeps the next order to fire at its back:
/// rising by ascending trigger, falling by descending trigger, ties by arrival.

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/ids.hpp"

namespace cx::engine {

class TriggerBook {
 public:
  struct Entry {
    std::int64_t key;            ///< -trigger (rising) or trigger (falling): the back fires first
    std::uint64_t seq;           ///< arrival; larger is later, so it sits further from the back
    std::uint32_t slot;          ///< order slot
    std::uint32_t reserved = 0;  ///< explicit padding (snapshots copy bytes)
  };

  void add(bool rising, Price trigger, std::uint64_t seq, std::uint32_t slot) {
    auto& q = rising ? rising_ : falling_;
    Entry e{rising ? -trigger : trigger, seq, slot, 0};
    // Sorted ascending by (key, -seq): back = largest key, earliest arrival.
    auto it = std::lower_bound(q.begin(), q.end(), e, before);
    q.insert(it, e);
  }

  /// Removes the entry for `slot`; false if it is not there.
  bool remove(bool rising, Price trigger, std::uint32_t slot) noexcept {
    auto& q = rising ? rising_ : falling_;
    std::int64_t key = rising ? -trigger : trigger;
    auto it = std::lower_bound(q.begin(), q.end(), key,
                               [](const Entry& a, std::int64_t k) { return a.key < k; });
    for (; it != q.end() && it->key == key; ++it) {
      if (it->slot == slot) {
        q.erase(it);
        return true;
      }
    }
    return false;
  }

  /// Pops into `out` (in firing order) every order the mark `price` reaches: rising first,
  /// then falling.
  void pop_fired(Price price, std::vector<std::uint32_t>& out) {
    while (!rising_.empty() && -rising_.back().key <= price) {
      out.push_back(rising_.back().slot);
      rising_.pop_back();
    }
    while (!falling_.empty() && falling_.back().key >= price) {
      out.push_back(falling_.back().slot);
      falling_.pop_back();
    }
  }

  std::size_t size() const noexcept { return rising_.size() + falling_.size(); }

 private:
  friend struct StateIo;
  static bool before(const Entry& a, const Entry& b) noexcept {
    return a.key != b.key ? a.key < b.key : a.seq > b.seq;
  }
  std::vector<Entry> rising_;
  std::vector<Entry> falling_;
};

}  // namespace cx::engine
