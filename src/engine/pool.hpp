#pragma once
/// A slab of T addressed by 32-bit slots, in fixed-size chunks so growing never moves a live
/// record (no multi-millisecond copy on the engine thread) and RSS tracks what is used.
/// Freed slots are reused last-in first-out, which is deterministic. Not thread-safe.
///
/// The chunk table has a fixed capacity (for 2^MaxSlotBits slots) allocated once and never
/// moved, so a caller may keep table() across growth and index it without going through the
/// pool: `table[s >> ChunkBits][s & (kChunk - 1)]`. Only the entries in use are ever touched,
/// so the table costs address space, not memory.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace cx::engine {

template <class T, unsigned ChunkBits = 14, unsigned MaxSlotBits = 32>
class Pool {
 public:
  static constexpr unsigned kChunkBits = ChunkBits;
  static constexpr std::uint32_t kChunk = 1u << ChunkBits;
  static constexpr std::size_t kMaxChunks = std::size_t{1} << (MaxSlotBits - ChunkBits);

  Pool() : table_(new T*[kMaxChunks]) {}  // entries past chunks_ are never read
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  ~Pool() {
    for (std::size_t i = 0; i < chunks_; ++i) delete[] table_[i];
  }

  /// Allocates a slot. A slot never used before holds a default T; a reused one holds what its
  /// last user left. Allocates memory only when every chunk is full.
  std::uint32_t alloc() {
    std::uint32_t s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
    } else {
      if (size_ == chunks_ * kChunk) [[unlikely]]
        add_chunk();
      s = size_++;
    }
    ++live_;
    prefetch_next();
    return s;
  }
  void free(std::uint32_t s) {
    free_.push_back(s);
    --live_;
  }

  T& operator[](std::uint32_t s) noexcept { return table_[s >> ChunkBits][s & (kChunk - 1)]; }
  const T& operator[](std::uint32_t s) const noexcept {
    return table_[s >> ChunkBits][s & (kChunk - 1)];
  }
  /// The chunk table; valid for the pool's life.
  T* const* table() const noexcept { return table_.get(); }

  /// Slots ever handed out (live or free); valid slots are [0, high_water()).
  std::uint32_t high_water() const noexcept { return size_; }
  std::uint32_t live() const noexcept { return live_; }

  /// Pre-allocates chunks for `n` records and the free list.
  void reserve(std::uint32_t n) {
    while (chunks_ * kChunk < n) add_chunk();
    free_.reserve(n);
  }

 private:
  friend struct StateIo;

  /// Brings the record the next alloc() returns into cache, so that its caller (who writes the
  /// record at once) does not wait for it.
  void prefetch_next() const noexcept {
    if (!free_.empty())
      __builtin_prefetch(&(*this)[free_.back()], 1);
    else if (size_ < chunks_ * kChunk)
      __builtin_prefetch(&(*this)[size_], 1);
  }

  void add_chunk() {
    if (chunks_ == kMaxChunks) throw std::length_error("Pool: every slot is in use");
    table_[chunks_] = new T[kChunk]();
    ++chunks_;
  }

  std::unique_ptr<T*[]> table_;
  std::size_t chunks_ = 0;
  std::vector<std::uint32_t> free_;
  std::uint32_t size_ = 0;
  std::uint32_t live_ = 0;
};

}  // namespace cx::engine
