#include "engine/order_book.hpp"

#include <algorithm>

// The commands are built from small helpers; the hot ones are forced inline (so a plain order
// is one straight run of code with its pointers in registers) and the rare paths are kept out
// of line (so they cost the common case neither registers nor code).
#define CX_HOT [[gnu::always_inline]] inline
#define CX_RARE [[gnu::noinline, gnu::cold]]

namespace cx::engine {

namespace {

inline bool gtt_later(const auto& a, const auto& b) noexcept {
  return a.at != b.at ? a.at > b.at : a.seq > b.seq;
}

inline bool rising_trigger(TriggerKind k, Side s) noexcept {
  return (k == TriggerKind::Stop) == (s == Side::Buy);
}

/// The order of Depth events: bids from the highest price down, then asks from the lowest up.
inline std::uint64_t depth_rank(Side side, Price price) noexcept {
  const auto p = static_cast<std::uint64_t>(price);
  return side == Side::Buy ? 0x7FFF'FFFF'FFFF'FFFFull - p : 0x8000'0000'0000'0000ull + p;
}

}  // namespace

OrderBook::OrderBook(BookSpec spec, OrderPool* pool)
    : spec_(spec),
      tick_(spec.tick > 0 ? spec.tick : 1),
      lot_(spec.lot > 0 ? spec.lot : 1),
      own_pool_(pool ? nullptr : std::make_unique<OrderPool>()),
      pool_(pool ? pool : own_pool_.get()),
      orders_(pool_->table()),
      bids_(Side::Buy, spec.tick > 0 ? spec.tick : 1),
      asks_(Side::Sell, spec.tick > 0 ? spec.tick : 1),
      unit_tick_(spec.tick <= 1),
      unit_lot_(spec.lot <= 1) {
  dirty_.reserve(64);
  fired_.reserve(64);
}

void OrderBook::reserve(std::uint32_t orders, std::uint32_t levels) {
  pool_->reserve(orders);
  levels_.reserve(levels);
  bids_.reserve(levels);
  asks_.reserve(levels);
  dirty_.reserve(levels);
  cids_.reserve(orders);
}

// ---------------------------------------------------------------- command frame

CX_HOT void OrderBook::begin(Timestamp now, EventBuffer& out) {
  out_ = &out;
  if (!gtt_.empty() && gtt_.front().at <= now) [[unlikely]]
    expire_due(now);
}

/// Appends `e` to the command's output. Growing the buffer stays out of line, and the compiler
/// is told there is room afterwards, so the common case builds the event in place.
CX_HOT Event& OrderBook::append(const Event& e) {
  EventBuffer& out = *out_;
  if (out.size() == out.capacity()) [[unlikely]]
    grow_output();
  if (out.size() == out.capacity()) __builtin_unreachable();
  out.push_back(e);
  return out.back();
}

CX_RARE void OrderBook::grow_output() {
  out_->reserve(2 * out_->capacity() + 64);
}

CX_HOT Event& OrderBook::emit(EventType type, const Order& o, Reason reason) {
  return append(Event{.type = type,
                      .side = o.side,
                      .reason = reason,
                      .market = spec_.market,
                      .trader = o.trader,
                      .order_id = o.id,
                      .price = o.price,
                      .qty = o.qty,
                      .remaining = o.remaining});
}

CX_HOT void OrderBook::emit_depth(const Level& lv) {
  append(Event{.type = EventType::Depth,
               .side = lv.side,
               .market = spec_.market,
               .count = lv.count,
               .price = lv.price,
               .qty = lv.total});
}

void OrderBook::reject(const NewOrder& o, Reason r) {
  append(Event{.type = EventType::Rejected,
               .side = o.side,
               .reason = r,
               .market = spec_.market,
               .trader = o.trader,
               .price = o.price,
               .qty = o.qty});
}

void OrderBook::reject_target(TraderId trader, OrderId id, ClientOrderId, Reason r) {
  append(Event{.type = EventType::Rejected,
               .reason = r,
               .market = spec_.market,
               .trader = trader,
               .order_id = id});
}

// ---------------------------------------------------------------- levels and depth

CX_HOT void OrderBook::mark_dirty(std::uint32_t level) {
  if (dirty_.size() == dirty_.capacity()) [[unlikely]]
    grow_dirty();
  if (dirty_.size() == dirty_.capacity()) __builtin_unreachable();  // as in append()
  dirty_.push_back(level);
}

CX_RARE void OrderBook::grow_dirty() {
  dirty_.reserve(2 * dirty_.capacity() + 64);
}

/// Records the level's state before this command first changes it, for finish().
CX_HOT void OrderBook::touch(std::uint32_t level) {
  Level& lv = level_at(level);
  if (lv.stamp == stamp_) return;
  lv.stamp = stamp_;
  lv.old_total = lv.total;
  lv.old_count = lv.count;
  mark_dirty(level);
}

/// A new level record, not yet on the ladder or in dirty_.
CX_HOT std::uint32_t OrderBook::alloc_level(Side side, Price price) {
  const std::uint32_t l = levels_.alloc();
  level_at(l) = Level{.price = price, .side = side};
  return l;
}

/// A level for a price with none on the ladder (the caller inserts it), tracked for finish(). If
/// this command emptied a level at that price, its record continues, so the level gets one Depth
/// event that compares against its state before the command.
std::uint32_t OrderBook::new_level(Side side, Price price) {
  if (emptied_ != 0) {
    for (const std::uint32_t l : dirty_) {
      const Level& lv = level_at(l);
      if (lv.count == 0 && lv.side == side && lv.price == price) return l;
    }
  }
  const std::uint32_t l = alloc_level(side, price);
  level_at(l).stamp = stamp_;  // its state before the command: empty
  mark_dirty(l);
  return l;
}

/// Appends the order to the level's queue.
CX_HOT void OrderBook::link_to_level(Order& o, std::uint32_t slot, Level& lv, std::uint32_t l) {
  o.level = l;
  o.next = kNil;
  o.prev = lv.tail;
  if (lv.tail != kNil)
    order_at(lv.tail).next = slot;
  else
    lv.head = slot;
  lv.tail = slot;
  lv.total += o.remaining;
  ++lv.count;
}

/// Takes the order out of its level's queue (the level stays on the ladder, even if empty).
CX_HOT void OrderBook::unlink_from_queue(Order& o, Level& lv) {
  if (o.prev != kNil)
    order_at(o.prev).next = o.next;
  else
    lv.head = o.next;
  if (o.next != kNil)
    order_at(o.next).prev = o.prev;
  else
    lv.tail = o.prev;
  lv.total -= o.remaining;
  --lv.count;
  o.level = kNil;
  o.prev = o.next = kNil;
}

/// dirty_ in Depth event order. A command touches few levels, mostly in order already (a taker
/// consumes the opposite side best first).
void OrderBook::sort_dirty() noexcept {
  auto rank = [this](std::uint32_t l) {
    const Level& lv = level_at(l);
    return depth_rank(lv.side, lv.price);
  };
  std::uint32_t* d = dirty_.data();
  const std::size_t n = dirty_.size();
  if (n > 16) {
    std::sort(d, d + n, [&](std::uint32_t a, std::uint32_t b) { return rank(a) < rank(b); });
    return;
  }
  std::uint64_t last = rank(d[0]);  // the largest rank of the sorted prefix
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint32_t x = d[i];
    const std::uint64_t r = rank(x);
    if (r >= last) {
      last = r;
      continue;
    }
    std::size_t j = i;
    for (; j > 0 && r < rank(d[j - 1]); --j) d[j] = d[j - 1];
    d[j] = x;
  }
}

/// Emits the Depth events of the command and frees the levels it emptied.
void OrderBook::finish() {
  if (dirty_.size() > 1) sort_dirty();
  for (const std::uint32_t l : dirty_) {
    const Level& lv = level_at(l);
    if (lv.total != lv.old_total || lv.count != lv.old_count) emit_depth(lv);
    if (lv.count == 0) levels_.free(l);  // emptied: off the ladder already
  }
  // The next command that touches a level gets a new stamp.
  dirty_.clear();
  emptied_ = 0;
  if (++stamp_ == 0) [[unlikely]]
    restamp();
}

/// The stamp wrapped: no level may look touched by the new stamps.
CX_RARE void OrderBook::restamp() {
  for (std::uint32_t s = 0; s < levels_.high_water(); ++s) level_at(s).stamp = 0;
  stamp_ = 1;
}

// ---------------------------------------------------------------- order records and lists

CX_HOT std::uint32_t OrderBook::alloc_order(const NewOrder& r) {
  const std::uint32_t slot = pool_->alloc();
  Order& o = order_at(slot);
  const auto gen = static_cast<std::uint32_t>(o.id >> 32);  // 0 in a slot never used
  const auto bits = static_cast<std::uint8_t>(
      static_cast<unsigned>(r.stp) << 5 | static_cast<unsigned>(r.post_only) * Order::kPostOnly |
      static_cast<unsigned>(r.reduce_only) * Order::kReduceOnly);
  o = Order{.id = make_order_id(slot, gen == 0 ? 1 : gen),
            .price = r.price,
            .qty = r.qty,
            .remaining = r.qty,
            .client_id = r.client_id,
            .expire_at = r.expire_at,
            .trader = r.trader,
            .market = spec_.market,
            .side = r.side,
            .type = r.type,
            .tif = r.tif,
            .bits = bits};
  return slot;
}

CX_HOT void OrderBook::link_trader(Order& o) {
  const std::uint32_t slot = slot_of(o.id);
  if (o.trader >= trader_head_.size()) [[unlikely]]
    grow_traders(o.trader);
  std::uint32_t& head = trader_head_[o.trader];
  o.trader_prev = kNil;
  o.trader_next = head;
  if (head != kNil) order_at(head).trader_prev = slot;
  head = slot;
  o.set(Order::kInTraderList, true);
  ++live_;
}

CX_RARE void OrderBook::grow_traders(TraderId trader) {
  trader_head_.resize(trader + std::size_t{1}, kNil);
}

CX_HOT void OrderBook::unlink_trader(Order& o) {
  if (o.trader_prev != kNil)
    order_at(o.trader_prev).trader_next = o.trader_next;
  else
    trader_head_[o.trader] = o.trader_next;
  if (o.trader_next != kNil) order_at(o.trader_next).trader_prev = o.trader_prev;
  o.set(Order::kInTraderList, false);
  --live_;
}

/// Returns the slot to the pool; the order leaves its trader's list and the client id index.
CX_HOT void OrderBook::release(Order& o) {
  const std::uint32_t slot = slot_of(o.id);
  if (o.has(Order::kCidRegistered)) [[unlikely]]
    cids_.erase(CidKey{o.trader, o.client_id});
  if (o.has(Order::kInTraderList)) unlink_trader(o);
  const auto gen = static_cast<std::uint32_t>(o.id >> 32) + 1;
  o.id = make_order_id(slot, gen == 0 ? 1 : gen);  // stale ids never match again
  o.level = kNil;
  o.bits = 0;
  pool_->free(slot);
}

CX_HOT Order* OrderBook::live(OrderId id) noexcept {
  const std::uint32_t slot = slot_of(id);
  if (id == 0 || slot >= pool_->high_water()) return nullptr;
  Order& o = order_at(slot);
  if (o.id != id || o.market != spec_.market || o.level == kNil) return nullptr;
  return &o;
}

CX_HOT Order* OrderBook::live_of(TraderId trader, OrderId id, ClientOrderId cid) noexcept {
  if (id == 0) {
    if (cid == 0) return nullptr;
    const std::uint32_t* s = cids_.find(CidKey{trader, cid});
    return s ? &order_at(*s) : nullptr;
  }
  Order* o = live(id);
  return (o && o->trader == trader) ? o : nullptr;
}

const Order* OrderBook::find(OrderId id) const noexcept {
  return const_cast<OrderBook*>(this)->live(id);
}

const Order* OrderBook::find_by_client_id(TraderId trader, ClientOrderId cid) const noexcept {
  return const_cast<OrderBook*>(this)->live_of(trader, 0, cid);
}

inline void OrderBook::unlink_from_level(Order& o) {
  const std::uint32_t l = o.level;
  touch(l);
  Level& lv = level_at(l);
  unlink_from_queue(o, lv);
  if (lv.count == 0) {
    ladder(lv.side).erase(lv.price);
    ++emptied_;  // the record lives on until finish()
  }
}

void OrderBook::remove_live(Order& o) {
  if (o.on_book()) {
    unlink_from_level(o);
  } else if (o.pending_trigger()) {
    triggers_.remove(o.has(Order::kRisingTrigger), o.trigger(), slot_of(o.id));
    o.level = kNil;
    o.prev = o.next = kNil;
  }
}

// ---------------------------------------------------------------- validation

bool OrderBook::crosses_book(Side side, Price price) const noexcept {
  const PriceLadder& opp = ladder(opposite(side));
  return !opp.empty() && opp.best_rank() >= opp.rank_of(price);
}

/// The common order: GTC limit, no client id, trigger or post-only, in valid units. It passes
/// every check; any other order goes through all of them.
CX_HOT bool OrderBook::plain_passes(const NewOrder& o) const noexcept {
  return o.type == OrderType::Limit && o.tif == TimeInForce::GTC &&
         o.trigger_kind == TriggerKind::None && !o.post_only && o.client_id == 0 && o.qty > 0 &&
         o.qty >= spec_.min_qty && o.price > 0 && (unit_lot_ || lot_.divides(o.qty)) &&
         (unit_tick_ || tick_.divides(o.price));
}

Reason OrderBook::check(const NewOrder& o, Timestamp now) const {
  if (plain_passes(o)) return Reason::None;
  // Stateless: the request against the market's rules.
  if (o.qty <= 0) return Reason::InvalidQuantity;
  if (!lot_.divides(o.qty)) return Reason::QtyNotMultipleOfLot;
  if (o.qty < spec_.min_qty) return Reason::QtyBelowMinimum;
  if (o.price <= 0) return Reason::InvalidPrice;
  if (!tick_.divides(o.price)) return Reason::PriceNotMultipleOfTick;
  if (o.type == OrderType::Market && (o.tif == TimeInForce::GTC || o.tif == TimeInForce::GTT))
    return Reason::InvalidTimeInForce;
  if (o.post_only && (o.type == OrderType::Market || o.tif == TimeInForce::IOC ||
                      o.tif == TimeInForce::FOK || o.trigger_kind != TriggerKind::None))
    return Reason::InvalidFlags;
  if (o.trigger_kind != TriggerKind::None) {
    if (o.trigger <= 0) return Reason::InvalidTrigger;
    if (!tick_.divides(o.trigger)) return Reason::PriceNotMultipleOfTick;
  }
  if (o.tif == TimeInForce::GTT && o.expire_at <= now) return Reason::ExpireTimeInPast;
  // Against the book.
  if (o.client_id != 0 && cids_.find(CidKey{o.trader, o.client_id}) != nullptr)
    return Reason::DuplicateClientOrderId;
  if (o.trigger_kind != TriggerKind::None && mark_) {
    bool rising = rising_trigger(o.trigger_kind, o.side);
    if (rising ? *mark_ >= o.trigger : *mark_ <= o.trigger) return Reason::WouldTriggerImmediately;
  }
  if (o.post_only && crosses_book(o.side, o.price)) return Reason::PostOnlyWouldTake;
  return Reason::None;
}

// ---------------------------------------------------------------- matching

void OrderBook::push_gtt(const Order& o) {
  gtt_.push_back(Gtt{o.expire_at, seq_++, o.id});
  std::push_heap(gtt_.begin(), gtt_.end(),
                 [](const Gtt& a, const Gtt& b) { return gtt_later(a, b); });
}

/// Puts the order at the back of its price level (a new level if there is none).
inline void OrderBook::rest(Order& o) {
  const std::uint32_t slot = slot_of(o.id);
  const std::uint32_t l =
      ladder(o.side).find_or_insert(o.price, [&] { return new_level(o.side, o.price); });
  touch(l);  // a no-op for a new level
  link_to_level(o, slot, level_at(l), l);
  if (!o.has(Order::kInTraderList)) link_trader(o);
  if (o.tif == TimeInForce::GTT && !o.has(Order::kInGttHeap)) [[unlikely]] {
    o.set(Order::kInGttHeap, true);
    push_gtt(o);
  }
}

/// Rests a new GTC order on its level, which this command has not emptied (so it needs no
/// depth tracking); returns the level.
CX_HOT std::uint32_t OrderBook::rest_plain(Order& o) {
  const std::uint32_t l =
      ladder(o.side).find_or_insert(o.price, [&] { return alloc_level(o.side, o.price); });
  link_to_level(o, slot_of(o.id), level_at(l), l);
  link_trader(o);
  return l;
}

bool OrderBook::fok_fillable(const Order& t) const {
  const PriceLadder& opp = ladder(opposite(t.side));
  const std::uint64_t limit = opp.rank_of(t.price);
  const SelfTradePrevention stp = t.stp();
  Qty need = t.remaining;
  bool fillable = false;
  opp.for_each([&](std::uint32_t l) {
    const Level& lv = level_at(l);
    if (opp.rank_of(lv.price) < limit) return false;
    if (stp == SelfTradePrevention::None) {
      need -= lv.total;
      fillable = need <= 0;
      return !fillable;
    }
    for (std::uint32_t s = lv.head; s != kNil; s = order_at(s).next) {
      const Order& m = order_at(s);
      if (m.trader == t.trader) {
        if (stp == SelfTradePrevention::ExpireMaker) continue;
        return false;  // matching stops at this order with the taker unfilled
      }
      need -= m.remaining;
      if (need <= 0) {
        fillable = true;
        return false;
      }
    }
    return true;
  });
  return fillable;
}

template <bool kTouch>
inline bool OrderBook::match(Order& t) {
  PriceLadder& opp = ladder(opposite(t.side));
  const std::uint64_t limit = opp.rank_of(t.price);  // levels ranked at least this cross
  const SelfTradePrevention stp = t.stp();
  while (!opp.empty() && opp.best_rank() >= limit) {
    const std::uint32_t l = opp.best_level();
    Level& lv = level_at(l);
    const Qty total_before = lv.total;
    if constexpr (kTouch)
      touch(l);
    else
      mark_dirty(l);
    std::uint32_t s = lv.head;
    while (s != kNil && t.remaining > 0) {
      Order& m = order_at(s);
      const std::uint32_t next = m.next;
      if (m.trader == t.trader && stp != SelfTradePrevention::None) [[unlikely]] {
        if (stp == SelfTradePrevention::ExpireMaker || stp == SelfTradePrevention::ExpireBoth) {
          emit(EventType::Expired, m, Reason::SelfTrade).qty = m.remaining;
          // Unlink by hand: the level may empty here, which the outer loop handles.
          lv.head = next;
          if (next != kNil)
            order_at(next).prev = kNil;
          else
            lv.tail = kNil;
          lv.total -= m.remaining;
          --lv.count;
          release(m);
        }
        if (stp != SelfTradePrevention::ExpireMaker) {
          if (lv.count == 0) {
            opp.pop_best();
            ++emptied_;
          }
          // Without touch(), a level listed as it was reached is unlisted if it did not change
          // (its total falls with every maker that trades or expires).
          if (!kTouch && lv.total == total_before) dirty_.pop_back();
          emit(EventType::Expired, t, Reason::SelfTrade).qty = t.remaining;
          release(t);
          return false;
        }
        s = next;
        continue;
      }
      const Qty q = std::min(t.remaining, m.remaining);
      t.remaining -= q;
      m.remaining -= q;
      lv.total -= q;
      append(Event{.type = EventType::Fill,
                   .side = t.side,
                   .market = spec_.market,
                   .trader = t.trader,
                   .maker_trader = m.trader,
                   .order_id = t.id,
                   .maker_id = m.id,
                   .price = lv.price,
                   .qty = q,
                   .remaining = t.remaining,
                   .maker_remaining = m.remaining});
      if (m.remaining == 0) {
        lv.head = next;
        if (next != kNil)
          order_at(next).prev = kNil;
        else
          lv.tail = kNil;
        --lv.count;
        release(m);
      }
      s = next;
    }
    if (lv.count == 0) {
      opp.pop_best();
      ++emptied_;  // the record lives on until finish()
    }
    if (t.remaining == 0) break;
  }
  return true;
}

/// Matches the order against the book, then rests, releases or expires what is left.
inline void OrderBook::execute(Order& o) {
  if (o.tif == TimeInForce::FOK && !fok_fillable(o)) [[unlikely]] {
    emit(EventType::Expired, o, Reason::FokUnfillable).qty = o.remaining;
    release(o);
    return;
  }
  if (!match<true>(o)) [[unlikely]]
    return;  // self-trade prevention expired and released the taker
  if (o.remaining == 0) {
    release(o);
  } else if (o.type == OrderType::Limit && (o.tif == TimeInForce::GTC || o.tif == TimeInForce::GTT))
      [[likely]] {
    rest(o);
  } else {
    const Reason r = o.type == OrderType::Market ? Reason::MarketRemainder : Reason::IocRemainder;
    emit(EventType::Expired, o, r).qty = o.remaining;
    release(o);
  }
}

// ---------------------------------------------------------------- commands

[[gnu::flatten]] OrderId OrderBook::place(const NewOrder& req, Timestamp now, EventBuffer& out) {
  begin(now, out);
  if (!plain_passes(req)) [[unlikely]]
    return place_checked(req, now);
  const std::uint32_t slot = alloc_order(req);
  Order& o = order_at(slot);
  const OrderId id = o.id;
  emit(EventType::Accepted, o);
  if (!dirty_.empty()) [[unlikely]] {
    execute_and_finish(o);  // expiries changed levels already: track them all
  } else if (!crosses_book(o.side, o.price)) [[likely]] {
    emit_depth(level_at(rest_plain(o)));  // it only rests: its level is the one that changes
  } else {
    match_plain(o);
  }
  return id;
}

/// A plain order that trades, in a command that has changed nothing before: the levels that
/// change are the opposite ones it trades with (in Depth order already, best first) and its own
/// if it rests, so they are reported without touch() and sorting.
[[gnu::noinline, gnu::flatten]] void OrderBook::match_plain(Order& o) {
  const bool bid = o.side == Side::Buy;  // a bid is reported before the asks it traded with
  std::uint32_t own = kNil;
  if (match<false>(o)) {  // else self-trade prevention expired and released it
    if (o.remaining == 0)
      release(o);
    else
      own = rest_plain(o);
  }
  if (own != kNil && bid) emit_depth(level_at(own));
  for (const std::uint32_t l : dirty_) {
    const Level& lv = level_at(l);
    emit_depth(lv);
    if (lv.count == 0) levels_.free(l);  // emptied: off the ladder already
  }
  if (own != kNil && !bid) emit_depth(level_at(own));
  dirty_.clear();
  emptied_ = 0;
}

/// execute() and finish(), out of line so that place() stays a short function.
[[gnu::noinline, gnu::flatten]] void OrderBook::execute_and_finish(Order& o) {
  execute(o);
  finish();
}

/// place() for an order that is not plain: all the checks, client ids and triggers.
[[gnu::noinline]] OrderId OrderBook::place_checked(const NewOrder& req, Timestamp now) {
  if (const Reason r = check(req, now); r != Reason::None) {
    reject(req, r);
    finish();
    return 0;
  }
  const std::uint32_t slot = alloc_order(req);
  Order& o = order_at(slot);
  const OrderId id = o.id;
  emit(EventType::Accepted, o);
  if (req.client_id != 0) {
    cids_.insert(CidKey{req.trader, req.client_id}, slot);
    o.set(Order::kCidRegistered, true);
  }
  if (req.trigger_kind != TriggerKind::None) {
    bool rising = rising_trigger(req.trigger_kind, req.side);
    o.level = kPendingTrigger;
    o.set_trigger(req.trigger);
    o.set(Order::kRisingTrigger, rising);
    triggers_.add(rising, req.trigger, seq_++, slot);
    link_trader(o);
    if (o.tif == TimeInForce::GTT) {
      o.set(Order::kInGttHeap, true);
      push_gtt(o);
    }
  } else {
    execute(o);
  }
  finish();
  return id;
}

[[gnu::flatten]] bool OrderBook::cancel(TraderId trader, OrderId id, Timestamp now,
                                        EventBuffer& out) {
  begin(now, out);
  Order* o = live_of(trader, id, 0);
  if (!o) [[unlikely]] {
    reject_target(trader, id, 0, Reason::OrderNotFound);
    finish();
    return false;
  }
  if (o->on_book() && dirty_.empty()) [[likely]] {
    // Only its level changes.
    const std::uint32_t l = o->level;
    Level& lv = level_at(l);
    unlink_from_queue(*o, lv);
    emit(EventType::Cancelled, *o, Reason::Cancelled).qty = o->remaining;
    release(*o);
    emit_depth(lv);
    if (lv.count == 0) {
      ladder(lv.side).erase(lv.price);
      levels_.free(l);
    }
    return true;
  }
  remove_live(*o);
  emit(EventType::Cancelled, *o, Reason::Cancelled).qty = o->remaining;
  release(*o);
  finish();
  return true;
}

bool OrderBook::cancel_by_client_id(TraderId trader, ClientOrderId cid, Timestamp now,
                                    EventBuffer& out) {
  begin(now, out);
  Order* o = live_of(trader, 0, cid);
  if (!o) {
    reject_target(trader, 0, cid, Reason::OrderNotFound);
    finish();
    return false;
  }
  remove_live(*o);
  emit(EventType::Cancelled, *o, Reason::Cancelled).qty = o->remaining;
  release(*o);
  finish();
  return true;
}

std::size_t OrderBook::cancel_all(TraderId trader, Timestamp now, EventBuffer& out) {
  begin(now, out);
  std::size_t n = 0;
  if (trader < trader_head_.size()) {
    while (trader_head_[trader] != kNil) {
      std::uint32_t s = trader_head_[trader];
      Order& o = order_at(s);
      remove_live(o);
      emit(EventType::Cancelled, o, Reason::CancelAll).qty = o.remaining;
      release(o);
      ++n;
    }
  }
  finish();
  return n;
}

[[gnu::flatten]] bool OrderBook::amend(const AmendRequest& a, Timestamp now, EventBuffer& out) {
  begin(now, out);
  auto fail = [&](Reason r) {
    reject_target(a.trader, a.order_id, a.client_id, r);
    finish();
    return false;
  };
  Order* op = live_of(a.trader, a.order_id, a.client_id);
  if (!op) [[unlikely]]
    return fail(Reason::OrderNotFound);
  Order& o = *op;
  if (!o.on_book()) return fail(Reason::NotAmendable);
  const Price price = a.price != 0 ? a.price : o.price;
  const Qty qty = a.qty != 0 ? a.qty : o.qty;
  if (price < 0) return fail(Reason::InvalidPrice);
  if (!unit_tick_ && !tick_.divides(price)) return fail(Reason::PriceNotMultipleOfTick);
  if (qty < 0) return fail(Reason::InvalidQuantity);
  if (!unit_lot_ && !lot_.divides(qty)) return fail(Reason::QtyNotMultipleOfLot);
  if (qty < spec_.min_qty) return fail(Reason::QtyBelowMinimum);
  if (qty <= o.filled()) return fail(Reason::AmendQtyTooSmall);

  if (price == o.price && qty <= o.qty) {
    // Keeps its place in the queue.
    const Qty cut = o.qty - qty;
    touch(o.level);
    level_at(o.level).total -= cut;
    o.qty = qty;
    o.remaining -= cut;
    emit(EventType::Amended, o);
    finish();
    return true;
  }
  const bool crosses = crosses_book(o.side, price);
  if (crosses && o.has(Order::kPostOnly)) return fail(Reason::PostOnlyWouldTake);
  const std::uint32_t slot = slot_of(o.id);
  if (price != o.price && !crosses && dirty_.empty()) [[likely]] {
    // A move that trades nothing, with no level changed yet: two levels change, the one it
    // leaves (reported from a copy: its record may be freed and reused) and the one it joins.
    const std::uint32_t from = o.level;
    Level& old_level = level_at(from);
    unlink_from_queue(o, old_level);
    const Level old = old_level;
    if (old.count == 0) {
      ladder(o.side).erase(old.price);
      levels_.free(from);
    }
    o.remaining = qty - (o.qty - o.remaining);
    o.qty = qty;
    o.price = price;
    emit(EventType::Amended, o);
    const std::uint32_t l =
        ladder(o.side).find_or_insert(price, [&] { return alloc_level(o.side, price); });
    Level& lv = level_at(l);
    link_to_level(o, slot, lv, l);
    const bool old_first = (o.side == Side::Buy) == (old.price > price);
    emit_depth(old_first ? old : lv);
    emit_depth(old_first ? lv : old);
    return true;
  }
  unlink_from_level(o);
  o.remaining = qty - o.filled();
  o.qty = qty;
  o.price = price;
  emit(EventType::Amended, o);
  execute(o);
  finish();
  return true;
}

void OrderBook::on_price(Price mark, Timestamp now, EventBuffer& out) {
  begin(now, out);
  mark_ = mark;
  fired_.clear();
  triggers_.pop_fired(mark, fired_);
  for (std::uint32_t slot : fired_) {
    Order& o = order_at(slot);
    Event& e = emit(EventType::Triggered, o);
    e.price = o.trigger();
    o.level = kNil;
    o.prev = o.next = kNil;
    execute(o);
  }
  finish();
}

void OrderBook::advance_time(Timestamp now, EventBuffer& out) {
  begin(now, out);
  finish();
}

CX_RARE void OrderBook::expire_due(Timestamp now) {
  auto later = [](const Gtt& a, const Gtt& b) { return gtt_later(a, b); };
  while (!gtt_.empty() && gtt_.front().at <= now) {
    const OrderId id = gtt_.front().id;
    std::pop_heap(gtt_.begin(), gtt_.end(), later);
    gtt_.pop_back();
    Order* o = live(id);
    if (!o) continue;  // filled or cancelled since
    remove_live(*o);
    emit(EventType::Expired, *o, Reason::GttExpired).qty = o->remaining;
    release(*o);
  }
}

// ---------------------------------------------------------------- queries

std::optional<Price> OrderBook::best_bid() const noexcept {
  if (bids_.empty()) return std::nullopt;
  return bids_.best_price();
}

std::optional<Price> OrderBook::best_ask() const noexcept {
  if (asks_.empty()) return std::nullopt;
  return asks_.best_price();
}

std::vector<LevelView> OrderBook::depth(Side side, std::size_t n) const {
  const PriceLadder& l = ladder(side);
  std::vector<LevelView> v;
  v.reserve(std::min(n, l.size()));
  l.for_each([&](std::uint32_t level) {
    if (v.size() == n) return false;
    const Level& lv = level_at(level);
    v.push_back(LevelView{lv.price, lv.total, lv.count});
    return true;
  });
  return v;
}

}  // namespace cx::engine
