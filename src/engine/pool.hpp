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

/// A slab of T in one vector, addressed by 32-bit slots: the cheapest lookup, for records that
/// are few (a book's price levels). Growing moves every record, so a caller holds no T& across
/// alloc(); reserve() sizes it up front. Freed slots are reused last-in first-out. Not
/// thread-safe.
template <class T>
class FlatPool {
 public:
  /// Allocates a slot; its record holds what its last user left (a default T if new).
  std::uint32_t alloc() {
    if (!free_.empty()) {
      const std::uint32_t s = free_.back();
      free_.pop_back();
      return s;
    }
    records_.emplace_back();
    return static_cast<std::uint32_t>(records_.size() - 1);
  }
  void free(std::uint32_t s) { free_.push_back(s); }

  T& operator[](std::uint32_t s) noexcept { return records_[s]; }
  const T& operator[](std::uint32_t s) const noexcept { return records_[s]; }

  /// Slots ever handed out; valid slots are [0, high_water()).
  std::uint32_t high_water() const noexcept { return static_cast<std::uint32_t>(records_.size()); }

  void reserve(std::uint32_t n) {
    records_.reserve(n);
    free_.reserve(n);
  }

 private:
  std::vector<T> records_;
  std::vector<std::uint32_t> free_;
};

}  // namespace cx::engine
