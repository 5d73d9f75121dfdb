#pragma once
/// The order book and matcher of one market: price-time priority, no locks, no I/O, and no
/// allocation on the hot path once its pools and buffers have grown to the working size.
///
/// Threading: single writer. Every member is called from the engine thread only.
/// Determinism: output depends only on the sequence of calls and their arguments.
///
/// Every command follows the same shape (docs/matching.md has the rules):
///   1. GTT orders whose expire_at <= now are expired (so an expired order never trades);
///   2. the command is validated (stateless), then checked against the book; a failure emits
///      one Rejected event and changes nothing;
///   3. it is applied; events are appended to `out` in the order things happened;
///   4. Depth events for every price level whose (quantity, order count) changed, bids from
///      the highest price down, then asks from the lowest up.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/divisor.hpp"
#include "core/flat_hash_map.hpp"
#include "core/ids.hpp"
#include "engine/event.hpp"
#include "engine/order.hpp"
#include "engine/pool.hpp"
#include "engine/price_ladder.hpp"
#include "engine/trigger_book.hpp"
#include "engine/types.hpp"

namespace cx::engine {

/// The market rules a book enforces. All values in the market's price / quantity units.
struct BookSpec {
  MarketId market = 0;
  Price tick = 1;   ///< every price and trigger is a multiple of it
  Qty lot = 1;      ///< every quantity is a multiple of it
  Qty min_qty = 1;  ///< smallest order quantity
};

struct NewOrder {
  TraderId trader = 0;
  ClientOrderId client_id = 0;  ///< 0: none; else unique among the trader's live orders
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::GTC;
  TriggerKind trigger_kind = TriggerKind::None;
  SelfTradePrevention stp = SelfTradePrevention::ExpireTaker;
  bool post_only = false;
  bool reduce_only = false;  ///< carried for the exchange layer; the book does not enforce it
  Price price = 0;           ///< limit price, or a market order's protection price
  Qty qty = 0;
  Price trigger = 0;        ///< stop / take-profit trigger (mark price)
  Timestamp expire_at = 0;  ///< GTT only
};

/// Changes a resting order. Names the order by id, or by client id when order_id is 0.
/// A zero price or qty keeps the current value; qty is the new total (filled part included).
struct AmendRequest {
  TraderId trader = 0;
  OrderId order_id = 0;
  ClientOrderId client_id = 0;
  Price price = 0;
  Qty qty = 0;
};

struct LevelView {
  Price price;
  Qty qty;
  std::uint32_t count;
};

class OrderBook {
 public:
  using OrderPool = Pool<Order>;

  /// `pool` may be shared by several books (an exchange-wide id space); null: the book owns one.
  explicit OrderBook(BookSpec spec, OrderPool* pool = nullptr);
  OrderBook(const OrderBook&) = delete;
  OrderBook& operator=(const OrderBook&) = delete;

  const BookSpec& spec() const noexcept { return spec_; }

  // ---- Commands. Each appends its events to `out` (which it never clears). ----

  /// Places an order. Returns its id, or 0 if it was rejected.
  OrderId place(const NewOrder& order, Timestamp now, EventBuffer& out);
  /// Cancels a live order (resting or waiting for its trigger) of `trader`.
  bool cancel(TraderId trader, OrderId id, Timestamp now, EventBuffer& out);
  bool cancel_by_client_id(TraderId trader, ClientOrderId cid, Timestamp now, EventBuffer& out);
  /// Cancels every live order of `trader` in this book, most recently entered first.
  std::size_t cancel_all(TraderId trader, Timestamp now, EventBuffer& out);
  /// A smaller quantity at the same price keeps time priority; a new price or a larger quantity
  /// re-enters the order at the back of its level, and it may trade as a taker.
  bool amend(const AmendRequest& amend, Timestamp now, EventBuffer& out);
  /// A new mark price: fires the stop / take-profit orders it reaches (docs/matching.md).
  void on_price(Price mark, Timestamp now, EventBuffer& out);
  /// Time passes: expires GTT orders due at `now`.
  void advance_time(Timestamp now, EventBuffer& out);

  // ---- Queries ----

  /// Stateless and state checks of `order` as place() would run them; Reason::None if it passes.
  Reason check(const NewOrder& order, Timestamp now) const;
  /// A live order (resting or pending trigger) of this book, or nullptr.
  const Order* find(OrderId id) const noexcept;
  const Order* find_by_client_id(TraderId trader, ClientOrderId cid) const noexcept;
  std::optional<Price> best_bid() const noexcept;
  std::optional<Price> best_ask() const noexcept;
  /// Up to `n` best levels of `side`, best first.
  std::vector<LevelView> depth(Side side, std::size_t n) const;
  std::size_t level_count(Side side) const noexcept { return ladder(side).size(); }
  /// Resting orders plus orders waiting for a trigger.
  std::size_t live_orders() const noexcept { return live_; }
  std::size_t pending_triggers() const noexcept { return triggers_.size(); }
  /// The last mark price given to on_price, if any.
  std::optional<Price> mark() const noexcept { return mark_; }

  /// Visits resting orders of `side` in priority order (best level first, FIFO within it).
  template <class F>
  void for_each_resting(Side side, F&& f) const {
    ladder(side).for_each([&](std::uint32_t level) {
      for (std::uint32_t s = levels_[level].head; s != kNil; s = (*pool_)[s].next)
        f(static_cast<const Order&>((*pool_)[s]));
      return true;
    });
  }
  /// Visits every live order of `trader`, most recently entered first.
  template <class F>
  void for_each_of_trader(TraderId trader, F&& f) const {
    if (trader >= trader_head_.size()) return;
    for (std::uint32_t s = trader_head_[trader]; s != kNil; s = (*pool_)[s].trader_next)
      f(static_cast<const Order&>((*pool_)[s]));
  }

  /// Pre-sizes pools and buffers so the hot path does not allocate.
  void reserve(std::uint32_t orders, std::uint32_t levels);

 private:
  friend struct StateIo;
  struct Level {
    Price price = 0;
    Qty total = 0;
    Qty old_total = 0;  ///< total before the command stamped `stamp` first changed the level
    std::uint32_t head = kNil;
    std::uint32_t tail = kNil;
    std::uint32_t count = 0;
    std::uint32_t old_count = 0;  ///< count likewise
    std::uint32_t stamp = 0;      ///< the last command that touched the level (0: none)
    Side side = Side::Buy;
  };
  struct Gtt {
    Timestamp at;
    std::uint64_t seq;
    OrderId id;
  };
  struct CidKey {
    TraderId trader;
    ClientOrderId cid;
    bool operator==(const CidKey&) const = default;
  };
  struct CidHash {
    std::size_t operator()(const CidKey& k) const noexcept {
      return static_cast<std::size_t>(mix64(k.cid * 0x9E3779B97F4A7C15ULL ^ k.trader));
    }
  };

  /// The record of a slot, through the pool's chunk table without going through the pool.
  Order& order_at(std::uint32_t s) const noexcept {
    return orders_[s >> OrderPool::kChunkBits][s & (OrderPool::kChunk - 1)];
  }
  Level& level_at(std::uint32_t l) noexcept { return levels_[l]; }
  const Level& level_at(std::uint32_t l) const noexcept { return levels_[l]; }
  PriceLadder& ladder(Side s) noexcept { return s == Side::Buy ? bids_ : asks_; }
  const PriceLadder& ladder(Side s) const noexcept { return s == Side::Buy ? bids_ : asks_; }

  // Command frame (see the class comment).
  void begin(Timestamp now, EventBuffer& out);
  void finish();
  Event& append(const Event& e);
  void grow_output();
  Event& emit(EventType type, const Order& o, Reason reason = Reason::None);
  void emit_depth(const Level& lv);
  void reject(const NewOrder& o, Reason r);
  void reject_target(TraderId trader, OrderId id, ClientOrderId cid, Reason r);

  // Placing.
  bool plain_passes(const NewOrder& o) const noexcept;
  OrderId place_checked(const NewOrder& req, Timestamp now);
  std::uint32_t alloc_order(const NewOrder& req);
  void execute(Order& o);
  void execute_and_finish(Order& o);
  void match_plain(Order& o);
  /// Matches `taker` against the book; false if self-trade prevention expired it. kTouch: touch()
  /// each level before it changes; else list each level it changes in dirty_ (for a command that
  /// has changed nothing before, see match_plain()).
  template <bool kTouch>
  bool match(Order& taker);
  bool fok_fillable(const Order& taker) const;
  bool crosses_book(Side side, Price price) const noexcept;
  void rest(Order& o);
  std::uint32_t rest_plain(Order& o);
  void push_gtt(const Order& o);

  // Order records and lists.
  Order* live(OrderId id) noexcept;
  Order* live_of(TraderId trader, OrderId id, ClientOrderId cid) noexcept;
  void release(Order& o);
  void unlink_from_level(Order& o);
  void remove_live(Order& o);  ///< off the book or the trigger queues
  void link_trader(Order& o);
  void grow_traders(TraderId trader);
  void unlink_trader(Order& o);
  void expire_due(Timestamp now);

  // Depth tracking. A command that has changed nothing else when it changes one level, or two
  // on one side (an order resting or moving without trading, a cancel), reports them itself.
  // Otherwise a level is touched before it changes: touch() saves its (total, count) and lists
  // it in dirty_, and finish() reports the listed levels whose state differs, in event order,
  // then frees those left empty. An emptied level's record outlives its ladder entry until then,
  // so a level emptied and made again in one command is reported once. dirty_ is empty between
  // commands.
  void touch(std::uint32_t level);
  void mark_dirty(std::uint32_t level);
  void grow_dirty();
  std::uint32_t alloc_level(Side side, Price price);
  std::uint32_t new_level(Side side, Price price);
  void link_to_level(Order& o, std::uint32_t slot, Level& lv, std::uint32_t l);
  void unlink_from_queue(Order& o, Level& lv);
  void sort_dirty() noexcept;
  void restamp();

  BookSpec spec_;
  Divisor tick_;
  Divisor lot_;
  std::unique_ptr<OrderPool> own_pool_;
  OrderPool* pool_;
  FlatPool<Level> levels_;
  Order* const* orders_;  ///< pool_->table()
  PriceLadder bids_;
  PriceLadder asks_;
  TriggerBook triggers_;
  FlatHashMap<CidKey, std::uint32_t, CidHash> cids_;
  std::vector<std::uint32_t> trader_head_;
  std::vector<Gtt> gtt_;              ///< min-heap on (at, seq); entries of gone orders are skipped
  std::vector<std::uint32_t> dirty_;  ///< levels this command touched, each once
  std::vector<std::uint32_t> fired_;
  std::optional<Price> mark_;
  EventBuffer* out_ = nullptr;  ///< the output of the command running (or of the last one)
  std::uint64_t seq_ = 0;       ///< arrival counter (GTT and trigger tie-breaks)
  std::uint32_t stamp_ = 1;     ///< marks the levels the running command has touched
  std::uint32_t emptied_ = 0;   ///< levels this command emptied (freed when it finishes)
  bool unit_tick_;              ///< tick == 1: every price is on the tick
  bool unit_lot_;               ///< lot == 1
  std::size_t live_ = 0;
};

}  // namespace cx::engine
