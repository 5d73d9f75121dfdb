#include "engine/order_book.hpp"

#include <algorithm>

namespace cx::engine {

namespace {

/// Does a taker on `side` with limit `limit` trade with a level at `level_price`?
inline bool crosses(Side side, Price limit, Price level_price) noexcept {
  return side == Side::Buy ? level_price <= limit : level_price >= limit;
}

inline bool gtt_later(const auto& a, const auto& b) noexcept {
  return a.at != b.at ? a.at > b.at : a.seq > b.seq;
}

inline bool rising_trigger(TriggerKind k, Side s) noexcept {
  return (k == TriggerKind::Stop) == (s == Side::Buy);
}

}  // namespace

OrderBook::OrderBook(BookSpec spec, OrderPool* pool)
    : spec_(spec),
      tick_(spec.tick > 0 ? spec.tick : 1),
      lot_(spec.lot > 0 ? spec.lot : 1),
      own_pool_(pool ? nullptr : std::make_unique<OrderPool>()),
      pool_(pool ? pool : own_pool_.get()) {
  dirty_.reserve(64);
  fired_.reserve(64);
}

void OrderBook::reserve(std::uint32_t orders, std::uint32_t levels) {
  pool_->reserve(orders);
  levels_.reserve(levels);
  bids_.reserve(levels);
  asks_.reserve(levels);
  cids_.reserve(orders);
}

// ---------------------------------------------------------------- command frame

void OrderBook::begin(Timestamp now, EventBuffer& out) {
  out_ = &out;
  ++stamp_;
  dirty_.clear();
  if (!gtt_.empty() && gtt_.front().at <= now) expire_due(now);
}

void OrderBook::finish() {
  // Depth events in a fixed order: bids high to low, then asks low to high. Usually one to three
  // levels changed, so an insertion sort.
  auto before = [](const Dirty& a, const Dirty& b) {
    if (a.side != b.side) return a.side == Side::Buy;
    return a.side == Side::Buy ? a.price > b.price : a.price < b.price;
  };
  for (std::size_t i = 1; i < dirty_.size(); ++i) {
    Dirty d = dirty_[i];
    std::size_t j = i;
    for (; j > 0 && before(d, dirty_[j - 1]); --j) dirty_[j] = dirty_[j - 1];
    dirty_[j] = d;
  }
  for (const Dirty& d : dirty_) {
    Qty total = 0;
    std::uint32_t count = 0;
    if (d.level != kNil) {
      total = levels_[d.level].total;
      count = levels_[d.level].count;
    }
    if (total == d.old_total && count == d.old_count) continue;
    out_->push_back(Event{.type = EventType::Depth,
                          .side = d.side,
                          .market = spec_.market,
                          .count = count,
                          .price = d.price,
                          .qty = total});
  }
  out_ = nullptr;
}

Event& OrderBook::emit(EventType type, const Order& o, Reason reason) {
  out_->push_back(Event{.type = type,
                        .side = o.side,
                        .reason = reason,
                        .market = spec_.market,
                        .trader = o.trader,
                        .order_id = o.id,
                        .price = o.price,
                        .qty = o.qty,
                        .remaining = o.remaining});
  return out_->back();
}

void OrderBook::reject(const NewOrder& o, Reason r) {
  out_->push_back(Event{.type = EventType::Rejected,
                        .side = o.side,
                        .reason = r,
                        .market = spec_.market,
                        .trader = o.trader,
                        .price = o.price,
                        .qty = o.qty});
}

void OrderBook::reject_target(TraderId trader, OrderId id, ClientOrderId, Reason r) {
  out_->push_back(Event{.type = EventType::Rejected,
                        .reason = r,
                        .market = spec_.market,
                        .trader = trader,
                        .order_id = id});
}

// ---------------------------------------------------------------- order records

std::uint32_t OrderBook::alloc_order() {
  std::uint32_t slot = pool_->alloc();
  Order& o = (*pool_)[slot];
  auto gen = static_cast<std::uint32_t>(o.id >> 32);
  if (gen == 0) gen = 1;
  o = Order{};
  o.id = make_order_id(slot, gen);
  o.market = spec_.market;
  return slot;
}

void OrderBook::release(std::uint32_t slot) {
  Order& o = (*pool_)[slot];
  if (o.has(Order::kCidRegistered)) cids_.erase(CidKey{o.trader, o.client_id});
  if (o.has(Order::kInTraderList)) unlink_trader(o);
  auto gen = static_cast<std::uint32_t>(o.id >> 32) + 1;
  o.id = make_order_id(slot, gen == 0 ? 1 : gen);  // stale ids never match again
  o.level = kNil;
  o.bits = 0;
  pool_->free(slot);
}

Order* OrderBook::live(OrderId id) noexcept {
  std::uint32_t slot = slot_of(id);
  if (id == 0 || slot >= pool_->high_water()) return nullptr;
  Order& o = (*pool_)[slot];
  if (o.id != id || o.market != spec_.market || o.level == kNil) return nullptr;
  return &o;
}

Order* OrderBook::live_of(TraderId trader, OrderId id, ClientOrderId cid) noexcept {
  if (id == 0) {
    if (cid == 0) return nullptr;
    const std::uint32_t* s = cids_.find(CidKey{trader, cid});
    return s ? &(*pool_)[*s] : nullptr;
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

void OrderBook::link_trader(std::uint32_t slot) {
  Order& o = (*pool_)[slot];
  if (o.trader >= trader_head_.size()) trader_head_.resize(o.trader + std::size_t{1}, kNil);
  std::uint32_t head = trader_head_[o.trader];
  o.trader_prev = kNil;
  o.trader_next = head;
  if (head != kNil) (*pool_)[head].trader_prev = slot;
  trader_head_[o.trader] = slot;
  o.set(Order::kInTraderList, true);
  ++live_;
}

void OrderBook::unlink_trader(Order& o) {
  if (o.trader_prev != kNil)
    (*pool_)[o.trader_prev].trader_next = o.trader_next;
  else
    trader_head_[o.trader] = o.trader_next;
  if (o.trader_next != kNil) (*pool_)[o.trader_next].trader_prev = o.trader_prev;
  o.set(Order::kInTraderList, false);
  --live_;
}

// ---------------------------------------------------------------- levels and depth

void OrderBook::touch(std::uint32_t level) {
  Level& lv = levels_[level];
  if (lv.stamp == stamp_) return;
  lv.stamp = stamp_;
  lv.dirty = static_cast<std::uint32_t>(dirty_.size());
  dirty_.push_back(Dirty{lv.side, lv.price, lv.total, lv.count, level});
}

std::uint32_t OrderBook::new_level(Side side, Price price) {
  std::uint32_t slot = levels_.alloc();
  Level& lv = levels_[slot];
  lv = Level{};
  lv.side = side;
  lv.price = price;
  lv.stamp = stamp_;
  // The same price may have been emptied earlier in this command: continue its record.
  for (std::size_t i = 0; i < dirty_.size(); ++i) {
    if (dirty_[i].side == side && dirty_[i].price == price) {
      dirty_[i].level = slot;
      lv.dirty = static_cast<std::uint32_t>(i);
      return slot;
    }
  }
  lv.dirty = static_cast<std::uint32_t>(dirty_.size());
  dirty_.push_back(Dirty{side, price, 0, 0, slot});
  return slot;
}

void OrderBook::free_level(std::uint32_t level) {
  Level& lv = levels_[level];
  if (lv.stamp == stamp_) dirty_[lv.dirty].level = kNil;
  lv.stamp = 0;
  levels_.free(level);
}

void OrderBook::unlink_from_level(Order& o) {
  std::uint32_t l = o.level;
  touch(l);
  Level& lv = levels_[l];
  if (o.prev != kNil)
    (*pool_)[o.prev].next = o.next;
  else
    lv.head = o.next;
  if (o.next != kNil)
    (*pool_)[o.next].prev = o.prev;
  else
    lv.tail = o.prev;
  lv.total -= o.remaining;
  o.level = kNil;
  o.prev = o.next = kNil;
  if (--lv.count == 0) {
    ladder(lv.side).erase(lv.price);
    free_level(l);
  }
}

void OrderBook::rest(std::uint32_t slot) {
  Order& o = (*pool_)[slot];
  PriceLadder& l = ladder(o.side);
  std::int64_t key = l.key_of(o.price);
  std::size_t i = l.lower_bound(key);
  std::uint32_t lvl;
  if (i < l.size() && l.at_index(i).key == key) {
    lvl = l.at_index(i).level;
    touch(lvl);
  } else {
    lvl = new_level(o.side, o.price);
    l.insert_at(i, key, lvl);
  }
  Level& lv = levels_[lvl];
  o.level = lvl;
  o.next = kNil;
  o.prev = lv.tail;
  if (lv.tail != kNil)
    (*pool_)[lv.tail].next = slot;
  else
    lv.head = slot;
  lv.tail = slot;
  lv.total += o.remaining;
  ++lv.count;
  if (!o.has(Order::kInTraderList)) link_trader(slot);
  if (o.tif == TimeInForce::GTT && !o.has(Order::kInGttHeap)) {
    o.set(Order::kInGttHeap, true);
    gtt_.push_back(Gtt{o.expire_at, seq_++, o.id});
    std::push_heap(gtt_.begin(), gtt_.end(), [](const Gtt& a, const Gtt& b) { return gtt_later(a, b); });
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
  return !opp.empty() && crosses(side, price, opp.best_price());
}

Reason OrderBook::check(const NewOrder& o, Timestamp now) const {
  // Stateless: the request against the market's rules.
  if (o.qty <= 0) return Reason::InvalidQuantity;
  if (!lot_.divides(o.qty)) return Reason::QtyNotMultipleOfLot;
  if (o.qty < spec_.min_qty) return Reason::QtyBelowMinimum;
  if (o.price <= 0) return Reason::InvalidPrice;
  if (!tick_.divides(o.price)) return Reason::PriceNotMultipleOfTick;
  if (o.type == OrderType::Market &&
      (o.tif == TimeInForce::GTC || o.tif == TimeInForce::GTT))
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

// ---------------------------------------------------------------- commands

OrderId OrderBook::place(const NewOrder& req, Timestamp now, EventBuffer& out) {
  begin(now, out);
  if (Reason r = check(req, now); r != Reason::None) {
    reject(req, r);
    finish();
    return 0;
  }
  std::uint32_t slot = alloc_order();
  Order& o = (*pool_)[slot];
  o.price = req.price;
  o.qty = o.remaining = req.qty;
  o.client_id = req.client_id;
  o.expire_at = req.expire_at;
  o.trader = req.trader;
  o.side = req.side;
  o.type = req.type;
  o.tif = req.tif;
  o.set_stp(req.stp);
  o.set(Order::kPostOnly, req.post_only);
  o.set(Order::kReduceOnly, req.reduce_only);
  OrderId id = o.id;
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
    link_trader(slot);
    if (o.tif == TimeInForce::GTT) {
      o.set(Order::kInGttHeap, true);
      gtt_.push_back(Gtt{o.expire_at, seq_++, o.id});
      std::push_heap(gtt_.begin(), gtt_.end(), [](const Gtt& a, const Gtt& b) { return gtt_later(a, b); });
    }
  } else {
    execute(slot);
  }
  finish();
  return id;
}

void OrderBook::execute(std::uint32_t slot) {
  Order& o = (*pool_)[slot];
  if (o.tif == TimeInForce::FOK && !fok_fillable(o)) {
    emit(EventType::Expired, o, Reason::FokUnfillable).qty = o.remaining;
    release(slot);
    return;
  }
  if (!match(o)) return;  // self-trade prevention expired and released the taker
  if (o.remaining == 0) {
    release(slot);
  } else if (o.type == OrderType::Limit &&
             (o.tif == TimeInForce::GTC || o.tif == TimeInForce::GTT)) {
    rest(slot);
  } else {
    Reason r = o.type == OrderType::Market ? Reason::MarketRemainder : Reason::IocRemainder;
    emit(EventType::Expired, o, r).qty = o.remaining;
    release(slot);
  }
}

bool OrderBook::fok_fillable(const Order& t) const {
  const PriceLadder& opp = ladder(opposite(t.side));
  const SelfTradePrevention stp = t.stp();
  Qty need = t.remaining;
  for (std::size_t r = 0; r < opp.size(); ++r) {
    const PriceLadder::Entry& e = opp.at_rank(r);
    if (!crosses(t.side, t.price, opp.price_of(e.key))) return false;
    const Level& lv = levels_[e.level];
    if (stp == SelfTradePrevention::None) {
      need -= lv.total;
      if (need <= 0) return true;
      continue;
    }
    for (std::uint32_t s = lv.head; s != kNil; s = (*pool_)[s].next) {
      const Order& m = (*pool_)[s];
      if (m.trader == t.trader) {
        if (stp == SelfTradePrevention::ExpireMaker) continue;
        return false;  // matching stops at this order with the taker unfilled
      }
      need -= m.remaining;
      if (need <= 0) return true;
    }
  }
  return false;
}

bool OrderBook::match(Order& t) {
  PriceLadder& opp = ladder(opposite(t.side));
  const SelfTradePrevention stp = t.stp();
  while (t.remaining > 0 && !opp.empty()) {
    const std::uint32_t l = opp.best().level;
    Level& lv = levels_[l];
    if (!crosses(t.side, t.price, lv.price)) break;
    touch(l);
    std::uint32_t s = lv.head;
    while (s != kNil && t.remaining > 0) {
      Order& m = (*pool_)[s];
      const std::uint32_t next = m.next;
      if (m.trader == t.trader && stp != SelfTradePrevention::None) {
        if (stp == SelfTradePrevention::ExpireMaker || stp == SelfTradePrevention::ExpireBoth) {
          emit(EventType::Expired, m, Reason::SelfTrade).qty = m.remaining;
          // Unlink by hand: the level may empty here, which the outer loop handles.
          lv.head = next;
          if (next != kNil)
            (*pool_)[next].prev = kNil;
          else
            lv.tail = kNil;
          lv.total -= m.remaining;
          --lv.count;
          release(s);
        }
        if (stp != SelfTradePrevention::ExpireMaker) {
          if (lv.count == 0) {
            opp.pop_best();
            free_level(l);
          }
          emit(EventType::Expired, t, Reason::SelfTrade).qty = t.remaining;
          release(slot_of(t.id));
          return false;
        }
        s = next;
        continue;
      }
      const Qty q = std::min(t.remaining, m.remaining);
      t.remaining -= q;
      m.remaining -= q;
      lv.total -= q;
      out_->push_back(Event{.type = EventType::Fill,
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
          (*pool_)[next].prev = kNil;
        else
          lv.tail = kNil;
        --lv.count;
        release(s);
      }
      s = next;
    }
    if (lv.count == 0) {
      opp.pop_best();
      free_level(l);
    }
  }
  return true;
}

bool OrderBook::cancel(TraderId trader, OrderId id, Timestamp now, EventBuffer& out) {
  begin(now, out);
  Order* o = live_of(trader, id, 0);
  if (!o) {
    reject_target(trader, id, 0, Reason::OrderNotFound);
    finish();
    return false;
  }
  remove_live(*o);
  emit(EventType::Cancelled, *o, Reason::Cancelled).qty = o->remaining;
  release(slot_of(o->id));
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
  release(slot_of(o->id));
  finish();
  return true;
}

std::size_t OrderBook::cancel_all(TraderId trader, Timestamp now, EventBuffer& out) {
  begin(now, out);
  std::size_t n = 0;
  if (trader < trader_head_.size()) {
    while (trader_head_[trader] != kNil) {
      std::uint32_t s = trader_head_[trader];
      Order& o = (*pool_)[s];
      remove_live(o);
      emit(EventType::Cancelled, o, Reason::CancelAll).qty = o.remaining;
      release(s);
      ++n;
    }
  }
  finish();
  return n;
}

bool OrderBook::amend(const AmendRequest& a, Timestamp now, EventBuffer& out) {
  begin(now, out);
  auto fail = [&](Reason r) {
    reject_target(a.trader, a.order_id, a.client_id, r);
    finish();
    return false;
  };
  Order* op = live_of(a.trader, a.order_id, a.client_id);
  if (!op) return fail(Reason::OrderNotFound);
  Order& o = *op;
  if (!o.on_book()) return fail(Reason::NotAmendable);
  const Price price = a.price != 0 ? a.price : o.price;
  const Qty qty = a.qty != 0 ? a.qty : o.qty;
  if (price < 0) return fail(Reason::InvalidPrice);
  if (!tick_.divides(price)) return fail(Reason::PriceNotMultipleOfTick);
  if (qty < 0) return fail(Reason::InvalidQuantity);
  if (!lot_.divides(qty)) return fail(Reason::QtyNotMultipleOfLot);
  if (qty < spec_.min_qty) return fail(Reason::QtyBelowMinimum);
  if (qty <= o.filled()) return fail(Reason::AmendQtyTooSmall);

  if (price == o.price && qty <= o.qty) {
    // Keeps its place in the queue.
    const Qty cut = o.qty - qty;
    touch(o.level);
    levels_[o.level].total -= cut;
    o.qty = qty;
    o.remaining -= cut;
    emit(EventType::Amended, o);
    finish();
    return true;
  }
  if (o.has(Order::kPostOnly) && crosses_book(o.side, price))
    return fail(Reason::PostOnlyWouldTake);
  const std::uint32_t slot = slot_of(o.id);
  unlink_from_level(o);
  o.remaining = qty - o.filled();
  o.qty = qty;
  o.price = price;
  emit(EventType::Amended, o);
  execute(slot);
  finish();
  return true;
}

void OrderBook::on_price(Price mark, Timestamp now, EventBuffer& out) {
  begin(now, out);
  mark_ = mark;
  fired_.clear();
  triggers_.pop_fired(mark, fired_);
  for (std::uint32_t slot : fired_) {
    Order& o = (*pool_)[slot];
    Event& e = emit(EventType::Triggered, o);
    e.price = o.trigger();
    o.level = kNil;
    o.prev = o.next = kNil;
    execute(slot);
  }
  finish();
}

void OrderBook::advance_time(Timestamp now, EventBuffer& out) {
  begin(now, out);
  finish();
}

void OrderBook::expire_due(Timestamp now) {
  auto later = [](const Gtt& a, const Gtt& b) { return gtt_later(a, b); };
  while (!gtt_.empty() && gtt_.front().at <= now) {
    const OrderId id = gtt_.front().id;
    std::pop_heap(gtt_.begin(), gtt_.end(), later);
    gtt_.pop_back();
    Order* o = live(id);
    if (!o) continue;  // filled or cancelled since
    remove_live(*o);
    emit(EventType::Expired, *o, Reason::GttExpired).qty = o->remaining;
    release(slot_of(id));
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
  for (std::size_t r = 0; r < l.size() && r < n; ++r) {
    const Level& lv = levels_[l.at_rank(r).level];
    v.push_back(LevelView{lv.price, lv.total, lv.count});
  }
  return v;
}

}  // namespace cx::engine
