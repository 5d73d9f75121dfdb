#pragma once
/// ReferenceBook: the matching rules of docs/matching.md written as plainly as possible, to check
/// the engine's OrderBook against (tests/engine/differential_test.cpp). Speed does not matter
/// here: a side is a std::map of price levels holding FIFO queues, look-ups are linear scans,
/// and fill-or-kill is a dry run of the matching loop on a copy of the book.
///
/// Order ids are not predicted: their encoding is the engine's pool business, not a matching
/// rule. place() takes the id the engine returned for the same command and uses it if the
/// reference accepts the order too (a disagreement shows up as different events).
///
/// Points the doc leaves open follow the engine and are marked "(engine)" below.
/// Not thread-safe; test-only.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "core/ids.hpp"
#include "engine/event.hpp"
#include "engine/order_book.hpp"
#include "engine/reason.hpp"
#include "engine/types.hpp"

namespace cx::engine::testing {

/// A live order of the reference book, resting or waiting for its trigger.
struct RefOrder {
  OrderId id = 0;
  std::uint64_t arrival = 0;  ///< placement order: cancel-all, GTT and trigger tie-breaks
  std::uint64_t queued = 0;   ///< when it joined the back of its level: time priority
  TraderId trader = 0;
  ClientOrderId client_id = 0;
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::GTC;
  TriggerKind trigger_kind = TriggerKind::None;
  SelfTradePrevention stp = SelfTradePrevention::ExpireTaker;
  bool post_only = false;
  bool reduce_only = false;
  Price price = 0;  ///< limit price, or a market order's protection price
  Qty qty = 0;      ///< total, filled part included
  Qty remaining = 0;
  Price trigger = 0;
  Timestamp expire_at = 0;
};

class ReferenceBook {
 public:
  /// Orders price levels best first: bids high to low, asks low to high.
  struct Better {
    Side side;
    bool operator()(Price a, Price b) const { return side == Side::Buy ? a > b : a < b; }
  };
  /// One side of the book: best level first; in a level, the front of the queue trades first.
  using Levels = std::map<Price, std::deque<RefOrder>, Better>;

  explicit ReferenceBook(BookSpec spec) : spec_(spec) {}

  // ---- Commands: same contracts as OrderBook's; events are appended to `out`. ----

  /// `id` is the id the engine gave this order (0 if it rejected it). Returns the id if the
  /// reference accepts the order, else 0.
  OrderId place(const NewOrder& req, OrderId id, Timestamp now, EventBuffer& out) {
    begin(now, out);
    Reason r = validate(req, now);
    if (r == Reason::None) r = check_against_book(req);
    if (r != Reason::None) {
      Event& e = push(EventType::Rejected);
      e.side = req.side;  // (engine) a rejected order echoes its side, price and quantity
      e.reason = r;
      e.trader = req.trader;
      e.price = req.price;
      e.qty = req.qty;
      finish();
      return 0;
    }
    RefOrder o;
    o.id = id;
    o.arrival = next_arrival_++;
    o.trader = req.trader;
    o.client_id = req.client_id;
    o.side = req.side;
    o.type = req.type;
    o.tif = req.tif;
    o.trigger_kind = req.trigger_kind;
    o.stp = req.stp;
    o.post_only = req.post_only;
    o.reduce_only = req.reduce_only;
    o.price = req.price;
    o.qty = o.remaining = req.qty;
    o.trigger = req.trigger_kind == TriggerKind::None ? 0 : req.trigger;
    o.expire_at = req.expire_at;
    push_order_event(EventType::Accepted, o);
    if (o.trigger_kind != TriggerKind::None)
      pending_.push_back(o);  // kept in arrival order
    else
      execute(o);
    finish();
    return id;
  }

  bool cancel(TraderId trader, OrderId id, Timestamp now, EventBuffer& out) {
    begin(now, out);
    const bool ok = cancel_target(trader, id, 0);
    finish();
    return ok;
  }

  bool cancel_by_client_id(TraderId trader, ClientOrderId cid, Timestamp now, EventBuffer& out) {
    begin(now, out);
    const bool ok = cancel_target(trader, 0, cid);
    finish();
    return ok;
  }

  /// Every live order of `trader`, most recently placed first.
  std::size_t cancel_all(TraderId trader, Timestamp now, EventBuffer& out) {
    begin(now, out);
    const std::vector<RefOrder> mine = live_of(trader);
    for (const RefOrder& o : mine)
      push_removed(EventType::Cancelled, *take(o.id), Reason::CancelAll);
    finish();
    return mine.size();
  }

  bool amend(const AmendRequest& a, Timestamp now, EventBuffer& out) {
    begin(now, out);
    const Reason r = amend_check(a);
    if (r != Reason::None) {
      push_rejected_target(a.trader, a.order_id, a.client_id, r);
      finish();
      return false;
    }
    RefOrder* target = find_target(a.trader, a.order_id, a.client_id);
    // (engine, order_book.hpp) a zero price or quantity keeps the current value.
    const Price price = a.price != 0 ? a.price : target->price;
    const Qty qty = a.qty != 0 ? a.qty : target->qty;
    const Qty filled = target->qty - target->remaining;
    if (price == target->price && qty <= target->qty) {
      // Keeps its place in the queue.
      target->qty = qty;
      target->remaining = qty - filled;
      push_order_event(EventType::Amended, *target);
    } else {
      RefOrder o = *take(target->id);
      o.price = price;
      o.qty = qty;
      o.remaining = qty - filled;
      push_order_event(EventType::Amended, o);
      execute(o);  // like a new order arriving now; (engine) it keeps its arrival for cancel-all
    }
    finish();
    return true;
  }

  void on_price(Price mark, Timestamp now, EventBuffer& out) {
    begin(now, out);
    mark_ = mark;
    // Rising orders in ascending trigger, then falling ones in descending trigger; ties by
    // arrival (pending_ is in arrival order and the sorts are stable).
    std::vector<RefOrder> rising;
    std::vector<RefOrder> falling;
    std::vector<RefOrder> waiting;
    for (const RefOrder& o : pending_) {
      if (!fires(o, mark))
        waiting.push_back(o);
      else if (is_rising(o))
        rising.push_back(o);
      else
        falling.push_back(o);
    }
    pending_ = std::move(waiting);
    std::stable_sort(rising.begin(), rising.end(),
                     [](const RefOrder& a, const RefOrder& b) { return a.trigger < b.trigger; });
    std::stable_sort(falling.begin(), falling.end(),
                     [](const RefOrder& a, const RefOrder& b) { return a.trigger > b.trigger; });
    for (std::vector<RefOrder>* fired : {&rising, &falling}) {
      for (RefOrder& o : *fired) {
        push_order_event(EventType::Triggered, o).price = o.trigger;
        execute(o);
      }
    }
    finish();
  }

  void advance_time(Timestamp now, EventBuffer& out) {
    begin(now, out);
    finish();
  }

  // ---- Queries ----

  const Levels& levels(Side s) const { return s == Side::Buy ? bids_ : asks_; }
  /// Orders waiting for their trigger, in arrival order.
  const std::vector<RefOrder>& pending() const { return pending_; }
  std::optional<Price> mark() const { return mark_; }

  /// Calls f(order) for every live order: bids, asks (best first, FIFO), then pending ones.
  template <class F>
  void for_each_live(F&& f) const {
    for (const Levels* side : {&bids_, &asks_})
      for (const auto& [price, queue] : *side)
        for (const RefOrder& o : queue) f(o);
    for (const RefOrder& o : pending_) f(o);
  }
  std::vector<RefOrder> live() const {
    std::vector<RefOrder> all;
    for_each_live([&](const RefOrder& o) { all.push_back(o); });
    return all;
  }
  std::size_t live_orders() const {
    std::size_t n = 0;
    for_each_live([&](const RefOrder&) { ++n; });
    return n;
  }

  /// The live orders of `trader`, most recently placed first.
  std::vector<RefOrder> live_of(TraderId trader) const {
    std::vector<RefOrder> mine;
    for_each_live([&](const RefOrder& o) {
      if (o.trader == trader) mine.push_back(o);
    });
    std::sort(mine.begin(), mine.end(),
              [](const RefOrder& a, const RefOrder& b) { return a.arrival > b.arrival; });
    return mine;
  }

 private:
  using DepthMap = std::map<Price, std::pair<Qty, std::uint32_t>>;  ///< price -> (qty, count)

  Levels& levels(Side s) { return s == Side::Buy ? bids_ : asks_; }

  // ---- Command frame: expire due GTT orders first, Depth events last. ----

  void begin(Timestamp now, EventBuffer& out) {
    out_ = &out;
    depth_before_[0] = depth_of(bids_);
    depth_before_[1] = depth_of(asks_);
    expire_due(now);
  }

  void finish() {
    emit_depth(Side::Buy, depth_before_[0], depth_of(bids_));
    emit_depth(Side::Sell, depth_before_[1], depth_of(asks_));
    out_ = nullptr;
  }

  static DepthMap depth_of(const Levels& side) {
    DepthMap d;
    for (const auto& [price, queue] : side) {
      Qty total = 0;
      for (const RefOrder& o : queue) total += o.remaining;
      d[price] = {total, static_cast<std::uint32_t>(queue.size())};
    }
    return d;
  }

  /// One Depth event per level whose (qty, count) changed, best price first; gone = (0, 0).
  void emit_depth(Side side, const DepthMap& before, const DepthMap& after) {
    std::set<Price, Better> prices(Better{side});
    for (const auto& [price, state] : before) prices.insert(price);
    for (const auto& [price, state] : after) prices.insert(price);
    for (Price p : prices) {
      const auto b = before.find(p);
      const auto a = after.find(p);
      const std::pair<Qty, std::uint32_t> was =
          b == before.end() ? std::pair<Qty, std::uint32_t>{} : b->second;
      const std::pair<Qty, std::uint32_t> now =
          a == after.end() ? std::pair<Qty, std::uint32_t>{} : a->second;
      if (was == now) continue;
      Event& e = push(EventType::Depth);
      e.side = side;
      e.price = p;
      e.qty = now.first;
      e.count = now.second;
    }
  }

  /// GTT orders (resting or pending) with expire_at <= now, earliest first, ties by arrival.
  void expire_due(Timestamp now) {
    std::vector<RefOrder> due;
    for_each_live([&](const RefOrder& o) {
      if (o.tif == TimeInForce::GTT && o.expire_at <= now) due.push_back(o);
    });
    std::sort(due.begin(), due.end(), [](const RefOrder& a, const RefOrder& b) {
      return a.expire_at != b.expire_at ? a.expire_at < b.expire_at : a.arrival < b.arrival;
    });
    for (const RefOrder& o : due) push_removed(EventType::Expired, *take(o.id), Reason::GttExpired);
  }

  // ---- Validation (doc: "Placing an order", the table in its order) ----

  Reason validate(const NewOrder& o, Timestamp now) const {
    if (o.qty <= 0) return Reason::InvalidQuantity;
    if (o.qty % spec_.lot != 0) return Reason::QtyNotMultipleOfLot;
    if (o.qty < spec_.min_qty) return Reason::QtyBelowMinimum;
    if (o.price <= 0) return Reason::InvalidPrice;
    if (o.price % spec_.tick != 0) return Reason::PriceNotMultipleOfTick;
    if (o.type == OrderType::Market && o.tif != TimeInForce::IOC && o.tif != TimeInForce::FOK)
      return Reason::InvalidTimeInForce;
    const bool resting_limit = o.type == OrderType::Limit &&
                               (o.tif == TimeInForce::GTC || o.tif == TimeInForce::GTT) &&
                               o.trigger_kind == TriggerKind::None;
    if (o.post_only && !resting_limit) return Reason::InvalidFlags;
    if (o.trigger_kind != TriggerKind::None) {
      if (o.trigger <= 0) return Reason::InvalidTrigger;
      if (o.trigger % spec_.tick != 0) return Reason::PriceNotMultipleOfTick;
    }
    if (o.tif == TimeInForce::GTT && o.expire_at <= now) return Reason::ExpireTimeInPast;
    return Reason::None;
  }

  Reason check_against_book(const NewOrder& o) const {
    if (o.client_id != 0) {
      bool used = false;
      for_each_live([&](const RefOrder& l) {
        used = used || (l.trader == o.trader && l.client_id == o.client_id);
      });
      if (used) return Reason::DuplicateClientOrderId;
    }
    if (o.trigger_kind != TriggerKind::None && mark_) {
      RefOrder probe;
      probe.side = o.side;
      probe.trigger_kind = o.trigger_kind;
      probe.trigger = o.trigger;
      if (fires(probe, *mark_)) return Reason::WouldTriggerImmediately;
    }
    if (o.post_only && crosses_opposite_best(o.side, o.price)) return Reason::PostOnlyWouldTake;
    return Reason::None;
  }

  bool crosses_opposite_best(Side side, Price price) const {
    const Levels& opp = levels(opposite(side));
    return !opp.empty() && crosses(side, price, opp.begin()->first);
  }

  /// Does a taker on `side` with limit `limit` trade with a level at `level`?
  static bool crosses(Side side, Price limit, Price level) {
    return side == Side::Buy ? level <= limit : level >= limit;
  }

  /// The doc's trigger table.
  static bool fires(const RefOrder& o, Price mark) {
    if (o.trigger_kind == TriggerKind::Stop)
      return o.side == Side::Buy ? mark >= o.trigger : mark <= o.trigger;
    return o.side == Side::Buy ? mark <= o.trigger : mark >= o.trigger;
  }
  /// Stop buys and take-profit sells fire as the mark rises.
  static bool is_rising(const RefOrder& o) {
    return (o.trigger_kind == TriggerKind::Stop) == (o.side == Side::Buy);
  }

  // ---- Matching ----

  /// FOK check, then match, then rest or expire the remainder.
  void execute(RefOrder o) {
    if (o.tif == TimeInForce::FOK && !fillable(o)) {
      push_removed(EventType::Expired, o, Reason::FokUnfillable);
      return;
    }
    if (!match(o, levels(opposite(o.side)), out_)) return;
    if (o.remaining == 0) return;
    if (o.type == OrderType::Limit && (o.tif == TimeInForce::GTC || o.tif == TimeInForce::GTT)) {
      o.queued = next_queued_++;
      levels(o.side)[o.price].push_back(o);
      return;
    }
    push_removed(EventType::Expired, o,
                 o.type == OrderType::Market ? Reason::MarketRemainder : Reason::IocRemainder);
  }

  /// FOK: would matching, self-trade prevention included, fill all of `o`? A dry run on a copy.
  bool fillable(const RefOrder& o) {
    Levels copy = levels(opposite(o.side));
    RefOrder probe = o;
    return match(probe, copy, nullptr) && probe.remaining == 0;
  }

  /// While `t` has quantity left and the best level of `opp` crosses its price, trade with that
  /// level front to back at the level's price. Returns false if self-trade prevention expired
  /// the taker. `out` null: a dry run without events.
  bool match(RefOrder& t, Levels& opp, EventBuffer* out) const {
    while (t.remaining > 0 && !opp.empty()) {
      const auto level = opp.begin();
      const Price px = level->first;
      if (!crosses(t.side, t.price, px)) break;
      std::deque<RefOrder>& queue = level->second;
      while (t.remaining > 0 && !queue.empty()) {
        RefOrder& m = queue.front();
        if (m.trader == t.trader && t.stp != SelfTradePrevention::None) {
          const bool expire_maker =
              t.stp == SelfTradePrevention::ExpireMaker || t.stp == SelfTradePrevention::ExpireBoth;
          const bool expire_taker =
              t.stp == SelfTradePrevention::ExpireTaker || t.stp == SelfTradePrevention::ExpireBoth;
          if (expire_maker) {
            if (out) out->push_back(removed(EventType::Expired, m, Reason::SelfTrade));
            queue.pop_front();
          }
          if (expire_taker) {
            if (out) out->push_back(removed(EventType::Expired, t, Reason::SelfTrade));
            if (queue.empty()) opp.erase(level);
            return false;
          }
          continue;
        }
        const Qty q = std::min(t.remaining, m.remaining);
        t.remaining -= q;
        m.remaining -= q;
        if (out) out->push_back(fill(t, m, px, q));
        if (m.remaining == 0) queue.pop_front();
      }
      if (queue.empty()) opp.erase(level);
    }
    return true;
  }

  // ---- Cancel and amend ----

  /// By id if `id` is not 0, else by client id (not 0); only `trader`'s own live orders.
  RefOrder* find_target(TraderId trader, OrderId id, ClientOrderId cid) {
    if (id == 0 && cid == 0) return nullptr;
    for (Levels* side : {&bids_, &asks_})
      for (auto& [price, queue] : *side)
        for (RefOrder& o : queue)
          if (names(o, trader, id, cid)) return &o;
    for (RefOrder& o : pending_)
      if (names(o, trader, id, cid)) return &o;
    return nullptr;
  }
  static bool names(const RefOrder& o, TraderId trader, OrderId id, ClientOrderId cid) {
    if (o.trader != trader) return false;
    return id != 0 ? o.id == id : o.client_id == cid;
  }
  bool is_pending(OrderId id) const {
    return std::any_of(pending_.begin(), pending_.end(),
                       [&](const RefOrder& o) { return o.id == id; });
  }

  bool cancel_target(TraderId trader, OrderId id, ClientOrderId cid) {
    const RefOrder* o = find_target(trader, id, cid);
    if (!o) {
      push_rejected_target(trader, id, cid, Reason::OrderNotFound);
      return false;
    }
    push_removed(EventType::Cancelled, *take(o->id), Reason::Cancelled);
    return true;
  }

  /// The amend checks in the doc's order; Reason::None if the amend may go ahead.
  Reason amend_check(const AmendRequest& a) {
    const RefOrder* o = find_target(a.trader, a.order_id, a.client_id);
    if (!o) return Reason::OrderNotFound;
    if (is_pending(o->id)) return Reason::NotAmendable;
    const Price price = a.price != 0 ? a.price : o->price;
    const Qty qty = a.qty != 0 ? a.qty : o->qty;
    // (engine) price rules first, then quantity; a negative value is INVALID_PRICE/QUANTITY.
    if (price < 0) return Reason::InvalidPrice;
    if (price % spec_.tick != 0) return Reason::PriceNotMultipleOfTick;
    if (qty < 0) return Reason::InvalidQuantity;
    if (qty % spec_.lot != 0) return Reason::QtyNotMultipleOfLot;
    if (qty < spec_.min_qty) return Reason::QtyBelowMinimum;
    if (qty <= o->qty - o->remaining) return Reason::AmendQtyTooSmall;
    const bool loses_priority = price != o->price || qty > o->qty;
    if (loses_priority && o->post_only && crosses_opposite_best(o->side, price))
      return Reason::PostOnlyWouldTake;
    return Reason::None;
  }

  /// Removes the live order `id` from its level or the trigger queue.
  std::optional<RefOrder> take(OrderId id) {
    for (Levels* side : {&bids_, &asks_}) {
      for (auto level = side->begin(); level != side->end(); ++level) {
        std::deque<RefOrder>& queue = level->second;
        for (auto it = queue.begin(); it != queue.end(); ++it) {
          if (it->id != id) continue;
          RefOrder o = *it;
          queue.erase(it);
          if (queue.empty()) side->erase(level);
          return o;
        }
      }
    }
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->id != id) continue;
      RefOrder o = *it;
      pending_.erase(it);
      return o;
    }
    return std::nullopt;
  }

  // ---- Events (fields per event.hpp; the unlisted ones stay at their defaults) ----

  Event& push(EventType type) {
    Event& e = out_->emplace_back();
    e.type = type;
    e.market = spec_.market;
    return e;
  }

  /// Accepted, Amended, Triggered: the order as it now is.
  Event& push_order_event(EventType type, const RefOrder& o) {
    out_->push_back(order_event(type, o, Reason::None));
    return out_->back();
  }

  void push_removed(EventType type, const RefOrder& o, Reason reason) {
    out_->push_back(removed(type, o, reason));
  }

  void push_rejected_target(TraderId trader, OrderId id, ClientOrderId, Reason r) {
    Event& e = push(EventType::Rejected);
    e.reason = r;
    e.trader = trader;
    e.order_id = id;
  }

  Event order_event(EventType type, const RefOrder& o, Reason reason) const {
    Event e;
    e.type = type;
    e.side = o.side;
    e.reason = reason;
    e.market = spec_.market;
    e.trader = o.trader;
    e.order_id = o.id;
    e.price = o.price;
    e.qty = o.qty;
    e.remaining = o.remaining;
    return e;
  }

  /// Cancelled / Expired: qty is the quantity removed. (engine) `remaining` keeps the order's
  /// remaining quantity from before the removal, and `price` is its limit price.
  Event removed(EventType type, const RefOrder& o, Reason reason) const {
    Event e = order_event(type, o, reason);
    e.qty = o.remaining;
    return e;
  }

  Event fill(const RefOrder& taker, const RefOrder& maker, Price price, Qty q) const {
    Event e;
    e.type = EventType::Fill;
    e.side = taker.side;
    e.market = spec_.market;
    e.trader = taker.trader;
    e.order_id = taker.id;
    e.price = price;
    e.qty = q;
    e.remaining = taker.remaining;
    e.maker_id = maker.id;
    e.maker_trader = maker.trader;
    e.maker_remaining = maker.remaining;
    return e;
  }

  BookSpec spec_;
  Levels bids_{Better{Side::Buy}};
  Levels asks_{Better{Side::Sell}};
  std::vector<RefOrder> pending_;
  std::optional<Price> mark_;
  std::uint64_t next_arrival_ = 1;
  std::uint64_t next_queued_ = 1;
  DepthMap depth_before_[2];
  EventBuffer* out_ = nullptr;
};

}  // namespace cx::engine::testing
