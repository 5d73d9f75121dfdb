#pragma once
/// A slab of T addressed by 32-bit slots, in fixed-size chunks so growing never moves a live
/// record (no multi-millisecond copy on the engine thread) and RSS tracks what is used.
/// Freed slots are reused last-in first-out, which is deterministic. Not thread-safe.

#include <cstdint>
#include <memory>
#include <vector>

namespace cx::engine {

template <class T, unsigned ChunkBits = 14>
class Pool {
 public:
  static constexpr std::uint32_t kChunk = 1u << ChunkBits;

  /// Allocates a slot holding a default T. Allocates memory only when every chunk is full.
  std::uint32_t alloc() {
    std::uint32_t s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
    } else {
      if (size_ == chunks_.size() * kChunk) chunks_.push_back(std::make_unique<T[]>(kChunk));
      s = size_++;
    }
    ++live_;
    return s;
  }
  void free(std::uint32_t s) {
    free_.push_back(s);
    --live_;
  }

  T& operator[](std::uint32_t s) noexcept { return chunks_[s >> ChunkBits][s & (kChunk - 1)]; }
  const T& operator[](std::uint32_t s) const noexcept {
    return chunks_[s >> ChunkBits][s & (kChunk - 1)];
  }

  /// Slots ever handed out (live or free); valid slots are [0, high_water()).
  std::uint32_t high_water() const noexcept { return size_; }
  std::uint32_t live() const noexcept { return live_; }

  /// Pre-allocates chunks for `n` records and the free list.
  void reserve(std::uint32_t n) {
    while (chunks_.size() * kChunk < n) chunks_.push_back(std::make_unique<T[]>(kChunk));
    free_.reserve(n);
  }

 private:
  friend struct StateIo;
  std::vector<std::unique_ptr<T[]>> chunks_;
  std::vector<std::uint32_t> free_;
  std::uint32_t size_ = 0;
  std::uint32_t live_ = 0;
};

}  // namespace cx::engine
