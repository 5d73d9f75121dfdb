#pragma once
/// One side of a book: the slots of its price levels, by price, best first on request.
///
/// A 64-ary bitmap trie over tick numbers (price / tick). A node has 64 children and a bit for
/// each one present; leaves hold level slots. Finding, adding or removing a level walks one node
/// per six bits of the price range the side spans (three nodes for 260,000 ticks), and the best
/// level after the best is found with one bit scan per node: no search, and no moving of other
/// levels however many there are. The root grows when a price falls outside the range it
/// covers, so the trie is only as deep as the side's price range needs. A node takes 264 bytes
/// and there is a leaf for each 64-tick span holding a level: some 300 bytes a level when levels
/// are far apart, a few bytes a level when they are dense.
///
/// Ranks: for bids the best is the highest price, for asks the lowest. A price becomes a rank
/// (the tick number for bids, its complement for asks) so that better is always larger.
/// Not thread-safe. Allocates only when it needs a node and has no spare one (see reserve()).

#include <bit>
#include <cstdint>
#include <vector>

#include "core/ids.hpp"
#include "engine/types.hpp"

namespace cx::engine {

class PriceLadder {
 public:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;

  /// `tick` > 0; every price given to the ladder is a positive multiple of it.
  PriceLadder(Side side, Price tick)
      : flip_(side == Side::Buy ? 0 : ~std::uint64_t{0}), side_(side), tick_(tick) {
    // Exact division by the tick: a shift for its power of two, then a multiply by the inverse
    // of its odd part modulo 2^64 (Newton's iteration).
    auto odd = static_cast<std::uint64_t>(tick);
    while ((odd & 1) == 0) {
      odd >>= 1;
      ++shift_;
    }
    std::uint64_t inv = odd;
    for (int i = 0; i < 5; ++i) inv *= 2 - odd * inv;
    inverse_ = inv;
    nodes_.push_back(Node{});  // the root
    set_root(0, 0);
  }

  Side side() const noexcept { return side_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }

  /// The rank of a price: larger is better.
  std::uint64_t rank_of(Price price) const noexcept {
    return ((static_cast<std::uint64_t>(price) >> shift_) * inverse_) ^ flip_;
  }
  Price price_of(std::uint64_t rank) const noexcept {
    return static_cast<Price>(rank ^ flip_) * tick_;
  }

  // The best level. The ladder must not be empty.
  std::uint64_t best_rank() const noexcept { return best_rank_; }
  Price best_price() const noexcept { return price_of(best_rank_); }
  std::uint32_t best_level() const noexcept { return best_level_; }
  void pop_best() noexcept { erase_rank(best_rank_); }

  /// The level slot at `price`, or kNone.
  std::uint32_t find(Price price) const noexcept {
    const std::uint64_t r = rank_of(price);
    if ((r & root_mask_) != root_base_) return kNone;
    std::uint32_t n = 0;
    for (unsigned h = height_; h > 0; --h) {
      const Node& node = nodes_[n];
      const unsigned i = digit(r, h);
      if (!(node.bits >> i & 1)) return kNone;
      n = node.child[i];
    }
    const Node& leaf = nodes_[n];
    const unsigned i = digit(r, 0);
    return leaf.bits >> i & 1 ? leaf.child[i] : kNone;
  }

  /// The level slot at `price`; if there is none, inserts the slot `make()` returns.
  template <class Make>
  std::uint32_t find_or_insert(Price price, Make&& make) {
    const std::uint64_t r = rank_of(price);
    if ((r & root_mask_) != root_base_) [[unlikely]]
      cover(r);
    std::uint32_t n = 0;
    for (unsigned h = height_; h > 0; --h) {
      const unsigned i = digit(r, h);
      if (!(nodes_[n].bits >> i & 1)) {
        const std::uint32_t c = new_node();  // may move nodes_
        nodes_[n].child[i] = c;
        nodes_[n].bits |= std::uint64_t{1} << i;
      }
      n = nodes_[n].child[i];
    }
    Node& leaf = nodes_[n];
    const unsigned i = digit(r, 0);
    if (leaf.bits >> i & 1) return leaf.child[i];
    const std::uint32_t level = make();
    leaf.child[i] = level;
    leaf.bits |= std::uint64_t{1} << i;
    if (size_++ == 0 || r > best_rank_) {
      best_rank_ = r;
      best_level_ = level;
    }
    return level;
  }

  /// Adds a level at `price`, which must not be present.
  void insert(Price price, std::uint32_t level) {
    find_or_insert(price, [level] { return level; });
  }

  /// Removes the level at `price`, which must be present.
  void erase(Price price) noexcept { erase_rank(rank_of(price)); }

  /// Calls f(level slot) for each level, best first, until f returns false.
  template <class F>
  void for_each(F&& f) const {
    if (size_ != 0) visit(0, height_, f);
  }

  /// Pre-allocates nodes for about `levels` levels (a leaf each at worst, and the nodes above),
  /// so that adding levels does not allocate.
  void reserve(std::size_t levels) {
    const std::size_t nodes = levels + levels / 2 + 2 * kMaxHeight;
    if (nodes > nodes_.capacity()) nodes_.reserve(nodes);
    spare_.reserve(nodes);
  }

 private:
  static constexpr unsigned kMaxHeight = 10;  ///< 11 digits of 6 bits cover a 64-bit rank

  struct Node {
    std::uint64_t bits = 0;     ///< which children are present
    std::uint32_t child[64]{};  ///< node index (height > 0) or level slot (leaves)
  };

  static unsigned digit(std::uint64_t r, unsigned h) noexcept {
    return static_cast<unsigned>(r >> (6 * h)) & 63;
  }
  /// The ranks below a node of height h differ only in the bits this mask clears.
  static std::uint64_t node_mask(unsigned h) noexcept {
    return h >= kMaxHeight ? 0 : ~std::uint64_t{0} << (6 * (h + 1));
  }

  void set_root(unsigned height, std::uint64_t r) noexcept {
    height_ = height;
    root_mask_ = node_mask(height);
    root_base_ = r & root_mask_;
  }

  /// Grows the root until it covers `r`: the old root becomes a child of a new one. An empty
  /// trie just moves its root's range.
  [[gnu::noinline]] void cover(std::uint64_t r) {
    if (size_ == 0) return set_root(0, r);
    while ((r & root_mask_) != root_base_) {
      const std::uint32_t old_root = new_node();
      nodes_[old_root] = nodes_[0];
      const unsigned i = digit(root_base_, height_ + 1);
      nodes_[0].child[i] = old_root;
      nodes_[0].bits = std::uint64_t{1} << i;
      set_root(height_ + 1, root_base_);
    }
  }

  /// A node with no children (its child slots are read only under a set bit).
  std::uint32_t new_node() {
    if (!spare_.empty()) {
      const std::uint32_t n = spare_.back();
      spare_.pop_back();
      nodes_[n].bits = 0;
      return n;
    }
    nodes_.push_back(Node{});
    spare_.reserve(nodes_.size());  // so freeing a node never allocates
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  void erase_rank(std::uint64_t r) noexcept {
    std::uint32_t path[kMaxHeight + 1];  // path[h]: the node of height h above r
    std::uint32_t n = 0;
    for (unsigned h = height_; h > 0; --h) {
      path[h] = n;
      n = nodes_[n].child[digit(r, h)];
    }
    path[0] = n;
    // Clear r's bit from the leaf up, freeing nodes left empty, up to the first node that keeps
    // other children.
    unsigned h = 0;
    for (;; ++h) {
      Node& node = nodes_[path[h]];
      node.bits &= ~(std::uint64_t{1} << digit(r, h));
      if (node.bits != 0 || h == height_) break;
      spare_.push_back(path[h]);
    }
    if (--size_ == 0) return set_root(0, 0);  // only the root is left
    if (r != best_rank_) return;
    // The best left is the highest rank under the node kept: every child above r's there and
    // every branch above r's higher up is empty (r was the best).
    std::uint64_t rank = r & node_mask(h);
    n = path[h];
    for (;; --h) {
      const Node& node = nodes_[n];
      const auto i = static_cast<unsigned>(std::bit_width(node.bits) - 1);
      rank |= std::uint64_t{i} << (6 * h);
      if (h == 0) {
        best_rank_ = rank;
        best_level_ = node.child[i];
        return;
      }
      n = node.child[i];
    }
  }

  template <class F>
  bool visit(std::uint32_t n, unsigned h, F& f) const {
    const Node& node = nodes_[n];
    for (std::uint64_t bits = node.bits; bits != 0;) {
      const auto i = static_cast<unsigned>(std::bit_width(bits) - 1);
      bits &= ~(std::uint64_t{1} << i);
      if (h == 0 ? !f(node.child[i]) : !visit(node.child[i], h - 1, f)) return false;
    }
    return true;
  }

  std::vector<Node> nodes_;           ///< nodes_[0] is the root
  std::vector<std::uint32_t> spare_;  ///< free node indices
  std::uint64_t root_mask_ = 0;       ///< node_mask(height_)
  std::uint64_t root_base_ = 0;       ///< the bits every rank under the root shares
  std::uint64_t best_rank_ = 0;
  std::uint64_t flip_;  ///< 0 for bids, all ones for asks
  std::uint32_t best_level_ = kNone;
  unsigned height_ = 0;  ///< of the root; leaves have height 0
  std::size_t size_ = 0;
  Side side_;
  Price tick_;
  unsigned shift_ = 0;
  std::uint64_t inverse_ = 1;
};

}  // namespace cx::engine
