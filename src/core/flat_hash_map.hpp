#pragma once
/// Open-addressing hash map with linear probing and backward-shift deletion (no tombstones).
/// Built for the engine thread: no allocation unless it grows, keys and values are trivially
/// copyable. Iteration order depends on hashing, so nothing observable may iterate it.
/// Not thread-safe.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cx {

/// A strong 64-bit mixer (splitmix64 finaliser).
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

template <class K, class V, class Hash>
class FlatHashMap {
 public:
  explicit FlatHashMap(std::size_t capacity = 16) { rehash(round_up(capacity * 2)); }

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  /// Makes room for `n` entries without growing.
  void reserve(std::size_t n) {
    if (n * 2 > slots_.size()) rehash(round_up(n * 2));
  }

  /// Pointer to the value for `key`, or nullptr. Valid until the next insert or erase.
  V* find(const K& key) noexcept {
    std::size_t i = index(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) return &slots_[i].value;
      i = (i + 1) & mask_;
    }
    return nullptr;
  }
  const V* find(const K& key) const noexcept { return const_cast<FlatHashMap*>(this)->find(key); }

  /// Inserts key -> value; returns false (and changes nothing) if the key is present.
  bool insert(const K& key, const V& value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) rehash(slots_.size() * 2);
    std::size_t i = index(key);
    while (slots_[i].used) {
      if (slots_[i].key == key) return false;
      i = (i + 1) & mask_;
    }
    slots_[i] = Slot{key, value, true};
    ++size_;
    return true;
  }

  /// Removes `key`; returns whether it was present.
  bool erase(const K& key) noexcept {
    std::size_t i = index(key);
    while (true) {
      if (!slots_[i].used) return false;
      if (slots_[i].key == key) break;
      i = (i + 1) & mask_;
    }
    // Backward-shift: pull later members of the probe run into the hole.
    std::size_t hole = i;
    std::size_t j = (i + 1) & mask_;
    while (slots_[j].used) {
      std::size_t home = index(slots_[j].key);
      // Move j into the hole if its home is not cyclically within (hole, j].
      bool between = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
      if (!between) {
        slots_[hole] = slots_[j];
        hole = j;
      }
      j = (j + 1) & mask_;
    }
    slots_[hole].used = false;
    --size_;
    return true;
  }

  void clear() noexcept {
    for (auto& s : slots_) s.used = false;
    size_ = 0;
  }

  /// Visits every entry in storage order (hash-dependent: sort before anything observable).
  template <class F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s.used) f(s.key, s.value);
  }

 private:
  struct Slot {
    K key{};
    V value{};
    bool used = false;
  };

  static std::size_t round_up(std::size_t n) noexcept {
    std::size_t c = 16;
    while (c < n) c <<= 1;
    return c;
  }
  std::size_t index(const K& key) const noexcept { return Hash{}(key)&mask_; }

  void rehash(std::size_t capacity) {
    std::vector<Slot> old;
    old.swap(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    size_ = 0;
    for (const auto& s : old)
      if (s.used) insert(s.key, s.value);
  }

  std::vector<Slot> slots_;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace cx
