// Orders through the exchange: collateral checks and locks, the book call, then settlement of
// the book's events (fills, cancels, expiries) against balances and positions.
#include <algorithm>
#include <string>

#include "core/decimal.hpp"
#include "core/int128.hpp"
#include "engine/exchange.hpp"
#include "engine/money.hpp"

namespace cx::engine {

namespace {

inline bool valid_cid(std::string_view s) noexcept {
  if (s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_' || c == '.' || c == ':';
  });
}

inline Qty abs_qty(Qty q) noexcept {
  return q < 0 ? -q : q;
}

}  // namespace

AssetId Exchange::lock_asset(const Market& m, Side side) const noexcept {
  if (m.spec.kind == MarketKind::Spot && side == Side::Sell) return m.spec.base;
  return m.spec.quote;
}

std::optional<Amount> Exchange::lock_per_lot(const Market& m, const NewOrder& o,
                                             Price price) const {
  const MarketSpec& s = m.spec;
  auto n1 = notional(m, price, s.lot);
  if (!n1) return std::nullopt;
  const Amount fee = bps_ceil(*n1, std::max(s.maker_fee_bps, s.taker_fee_bps));
  switch (s.kind) {
    case MarketKind::Spot:
      if (o.side == Side::Buy) return *n1 + fee;
      return s.lot * pow10(kAssets[s.base].scale - s.qty_scale);
    case MarketKind::Perp:
    case MarketKind::Future:
      // A reduce-only order can only shrink risk: it needs no margin, only its fees.
      return o.reduce_only ? fee : bps_ceil(*n1, s.initial_margin_bps) + fee;
    case MarketKind::Option: {
      if (o.side == Side::Buy) return *n1 + fee;
      if (o.reduce_only) return fee;
      auto r1 = notional(m, std::max(m.index, s.strike), s.lot);
      if (!r1) return std::nullopt;
      return bps_ceil(*r1, s.initial_margin_bps) + fee;
    }
  }
  return std::nullopt;
}

const Position* Exchange::find_position(const Account& a, MarketId market) {
  auto it = std::lower_bound(a.positions.begin(), a.positions.end(), market,
                             [](const Position& p, MarketId id) { return p.market < id; });
  return it != a.positions.end() && it->market == market ? &*it : nullptr;
}

Qty Exchange::reduce_only_open(const Market& m, TraderId t, Side side) const {
  Qty open = 0;
  m.book->for_each_of_trader(t, [&](const Order& o) {
    if (o.side == side && o.has(Order::kReduceOnly)) open += o.remaining;
  });
  return open;
}

Position& Exchange::position(Account& a, MarketId market) {
  auto it = std::lower_bound(a.positions.begin(), a.positions.end(), market,
                             [](const Position& p, MarketId id) { return p.market < id; });
  if (it == a.positions.end() || it->market != market) {
    Position p;
    p.market = market;
    it = a.positions.insert(it, p);
  }
  return *it;
}

// ---------------------------------------------------------------- place

void Exchange::place(const PlaceOrder& c) {
  NewOrder o = c.order;
  const std::string& cid = c.client_order_id;
  if (c.market >= markets_.size()) return reject(Reason::UnknownMarket, o.trader, 0, cid);
  Market& m = *markets_[c.market];
  const Mode mode = m.spec.mode;
  auto fail = [&](Reason r) { reject(r, o.trader, c.market, cid); };
  if (!valid_trader(o.trader)) return fail(Reason::UnknownTrader);
  if (m.status != MarketStatus::Active) return fail(Reason::MarketNotActive);
  if (m.spec.expiry > 0 && now_ >= m.spec.expiry) return fail(Reason::MarketNotActive);  // expired
  o.client_id = 0;
  CidKey key{o.trader << 1 | static_cast<std::uint32_t>(mode), 0};
  if (!cid.empty()) {
    if (!valid_cid(cid)) return fail(Reason::InvalidFlags);
    key.hash = o.client_id = cid_hash(cid);
    if (cids_.find(key)) return fail(Reason::DuplicateClientOrderId);
  }
  if (Reason r = m.book->check(o, now_); r != Reason::None) return fail(r);
  if (!o.reduce_only && stale(m)) return fail(Reason::StaleOraclePrice);
  if (o.reduce_only) {
    if (m.spec.kind == MarketKind::Spot) return fail(Reason::InvalidFlags);
    const Position* p = find_position(acct(mode, o.trader), m.id);
    const Qty size = p ? p->size : 0;
    const bool shrinks = o.side == Side::Buy ? size < 0 : size > 0;
    // Together with the trader's other reduce-only orders on that side, never past flat.
    if (!shrinks || o.qty + reduce_only_open(m, o.trader, o.side) > abs_qty(size))
      return fail(Reason::ReduceOnlyWouldIncrease);
  }
  auto per_lot = lock_per_lot(m, o, o.price);
  if (!per_lot) return fail(Reason::NotionalTooLarge);
  const i128 total128 = static_cast<i128>(*per_lot) * (o.qty / m.spec.lot);
  if (total128 > INT64_MAX / 2) return fail(Reason::NotionalTooLarge);
  const auto total = static_cast<Amount>(total128);
  const AssetId asset = lock_asset(m, o.side);
  if (available(mode, o.trader, asset) < total)
    return fail(m.spec.kind != MarketKind::Spot && asset == kUSDC ? Reason::InsufficientMargin
                                                                  : Reason::InsufficientBalance);

  Balance& b = bal(mode, o.trader, asset);
  b.pending += total;
  const OrderId id = m.book->place(o, now_, book_ev_);
  if (id == 0) {  // unreachable after check(), kept so a rejection can never leak a lock
    b.pending -= total;
    for (const Event& e : book_ev_) {
      ExEvent& x = out_->emplace_back(e);
      x.mode = static_cast<std::uint8_t>(mode);
      x.cid_ref = remember_cid(cid);
    }
    book_ev_.clear();
    return;
  }
  OrderMeta& mt = meta(id);
  mt.id = id;
  mt.locked = total;
  mt.lock_per_lot = *per_lot;
  mt.cid_hash = key.hash;
  mt.lock_asset = asset;
  mt.mode = mode;
  mt.cid = cid;
  if (!cid.empty()) cids_.insert(key, id);
  if (mode == Mode::Paper && o.type == OrderType::Limit) ++acct(mode, o.trader).limit_orders;
  if (o.tif == TimeInForce::GTT) {
    due_.push_back(Due{o.expire_at, m.id});
    std::push_heap(due_.begin(), due_.end(), due_later);
  }
  settle();
  if (o.reduce_only && m.book->find(id) != nullptr) {
    auto it = std::lower_bound(m.ro_traders.begin(), m.ro_traders.end(), o.trader);
    if (it == m.ro_traders.end() || *it != o.trader) m.ro_traders.insert(it, o.trader);
  }
}

// ---------------------------------------------------------------- amend and cancel

void Exchange::amend(const AmendOrder& c) {
  AmendRequest a = c.amend;
  const std::string& cid = c.client_order_id;
  auto fail = [&](Reason r, MarketId mk) { reject(r, a.trader, mk, cid, a.order_id); };
  if (!valid_trader(a.trader)) return fail(Reason::UnknownTrader, 0);
  if (a.order_id == 0) {
    if (cid.empty() || c.market >= markets_.size()) return fail(Reason::OrderNotFound, 0);
    const Mode mode = markets_[c.market]->spec.mode;
    const OrderId* id =
        cids_.find(CidKey{a.trader << 1 | static_cast<std::uint32_t>(mode), cid_hash(cid)});
    if (!id) return fail(Reason::OrderNotFound, c.market);
    a.order_id = *id;
  }
  const std::uint32_t slot = slot_of(a.order_id);
  if (slot >= pool_.high_water() || pool_[slot].id != a.order_id || pool_[slot].level == kNil ||
      pool_[slot].trader != a.trader)
    return fail(Reason::OrderNotFound, 0);
  const Order& o = pool_[slot];
  Market& m = *markets_[o.market];
  const Mode mode = m.spec.mode;
  if (mode != c.mode) return fail(Reason::OrderNotFound, 0);
  if (m.status != MarketStatus::Active) return fail(Reason::MarketNotActive, m.id);
  a.client_id = 0;

  OrderMeta& mt = meta(a.order_id);
  const Price price = a.price != 0 ? a.price : o.price;
  const Qty qty = a.qty != 0 ? a.qty : o.qty;
  Amount delta = 0;
  Amount new_locked = mt.locked;
  Amount new_per_lot = mt.lock_per_lot;
  if (price > 0 && qty > o.filled() && qty % m.spec.lot == 0 && o.on_book()) {
    if (o.has(Order::kReduceOnly)) {
      const Position* p = find_position(acct(mode, a.trader), m.id);
      const Qty others = reduce_only_open(m, a.trader, o.side) - o.remaining;
      if (qty - o.filled() + others > abs_qty(p ? p->size : 0))
        return fail(Reason::ReduceOnlyWouldIncrease, m.id);
    }
    NewOrder shape;
    shape.side = o.side;
    shape.type = o.type;
    shape.reduce_only = o.has(Order::kReduceOnly);
    auto per_lot = lock_per_lot(m, shape, price);
    if (!per_lot) return fail(Reason::NotionalTooLarge, m.id);
    const i128 nl = static_cast<i128>(*per_lot) * ((qty - o.filled()) / m.spec.lot);
    if (nl > INT64_MAX / 2) return fail(Reason::NotionalTooLarge, m.id);
    new_locked = static_cast<Amount>(nl);
    new_per_lot = *per_lot;
    delta = new_locked - mt.locked;
    if (qty > o.qty && !o.has(Order::kReduceOnly) && stale(m))
      return fail(Reason::StaleOraclePrice, m.id);
    if (delta > 0 && available(mode, a.trader, mt.lock_asset) < delta)
      return fail(m.spec.kind != MarketKind::Spot && mt.lock_asset == kUSDC
                      ? Reason::InsufficientMargin
                      : Reason::InsufficientBalance,
                  m.id);
  }
  Balance& b = bal(mode, a.trader, mt.lock_asset);
  b.pending += delta;
  const Amount old_locked = mt.locked;
  const Amount old_per_lot = mt.lock_per_lot;
  mt.locked = new_locked;
  mt.lock_per_lot = new_per_lot;
  if (!m.book->amend(a, now_, book_ev_)) {
    b.pending -= delta;
    mt.locked = old_locked;
    mt.lock_per_lot = old_per_lot;
    for (const Event& e : book_ev_) {
      ExEvent& x = out_->emplace_back(e);
      x.mode = static_cast<std::uint8_t>(mode);
      x.cid_ref = remember_cid(mt.cid);
    }
    book_ev_.clear();
    return;
  }
  settle();
}

void Exchange::cancel(const CancelOrder& c) {
  const std::string& cid = c.client_order_id;
  auto fail = [&](Reason r) { reject(r, c.trader, 0, cid, c.order_id); };
  if (!valid_trader(c.trader)) return fail(Reason::UnknownTrader);
  OrderId id = c.order_id;
  if (id == 0) {
    if (cid.empty()) return fail(Reason::OrderNotFound);
    const OrderId* found =
        cids_.find(CidKey{c.trader << 1 | static_cast<std::uint32_t>(c.mode), cid_hash(cid)});
    if (!found) return fail(Reason::OrderNotFound);
    id = *found;
  }
  const std::uint32_t slot = slot_of(id);
  if (slot >= pool_.high_water() || pool_[slot].id != id || pool_[slot].level == kNil ||
      pool_[slot].trader != c.trader || markets_[pool_[slot].market]->spec.mode != c.mode)
    return fail(Reason::OrderNotFound);
  Market& m = *markets_[pool_[slot].market];
  m.book->cancel(c.trader, id, now_, book_ev_);
  settle();
}

void Exchange::cancel_all(const CancelAll& c) {
  if (!valid_trader(c.trader)) return reject(Reason::UnknownTrader, c.trader);
  if (c.market) {
    if (*c.market >= markets_.size() || markets_[*c.market]->spec.mode != c.mode)
      return reject(Reason::UnknownMarket, c.trader);
    markets_[*c.market]->book->cancel_all(c.trader, now_, book_ev_);
    settle();
    return;
  }
  for (auto& m : markets_) {
    if (m->spec.mode != c.mode) continue;
    m->book->cancel_all(c.trader, now_, book_ev_);
    settle();
  }
}

// ---------------------------------------------------------------- settlement

void Exchange::settle() {
  for (const Event& be : book_ev_) {
    ExEvent& e = out_->emplace_back(be);
    if (e.market < markets_.size())
      e.mode = static_cast<std::uint8_t>(markets_[e.market]->spec.mode);
    switch (e.type) {
      case EventType::Fill:
        settle_fill(e);
        break;
      case EventType::Cancelled:
      case EventType::Expired:
        e.cid_ref = remember_cid(client_order_id_of(e.order_id));
        order_gone(e.trader, e.order_id);
        break;
      case EventType::Accepted:
      case EventType::Amended:
      case EventType::Triggered:
        e.cid_ref = remember_cid(client_order_id_of(e.order_id));
        break;
      default:
        break;
    }
  }
  book_ev_.clear();
}

void Exchange::release_lots(TraderId trader, OrderMeta& mt, Qty qty, Qty lot) {
  const Amount r = (qty / lot) * mt.lock_per_lot;
  mt.locked -= r;
  bal(mt.mode, trader, mt.lock_asset).pending -= r;
}

void Exchange::order_gone(TraderId trader, OrderId id) {
  OrderMeta& mt = meta(id);
  if (mt.id != id) return;
  bal(mt.mode, trader, mt.lock_asset).pending -= mt.locked;
  if (mt.cid_hash != 0)
    cids_.erase(CidKey{trader << 1 | static_cast<std::uint32_t>(mt.mode), mt.cid_hash});
  mt.id = 0;
  mt.locked = 0;
  mt.cid_hash = 0;
  mt.cid.clear();
}

void Exchange::settle_fill(ExEvent& e) {
  Market& m = *markets_[e.market];
  const MarketSpec& s = m.spec;
  const Mode mode = s.mode;
  const Qty q = e.qty;
  const Amount n = notional(m, e.price, q).value_or(INT64_MAX / 4);
  const Amount tfee = bps_ceil(n, s.taker_fee_bps);
  const Amount mfee = bps_ceil(n, s.maker_fee_bps);
  const TraderId taker = e.trader;
  const TraderId maker = e.maker_trader;
  release_lots(taker, meta(e.order_id), q, s.lot);
  release_lots(maker, meta(e.maker_id), q, s.lot);

  const bool taker_buys = e.side == Side::Buy;
  const TraderId buyer = taker_buys ? taker : maker;
  const TraderId seller = taker_buys ? maker : taker;
  const Amount buyer_fee = taker_buys ? tfee : mfee;
  const Amount seller_fee = taker_buys ? mfee : tfee;
  switch (s.kind) {
    case MarketKind::Spot: {
      const Amount base = q * pow10(kAssets[s.base].scale - s.qty_scale);
      bal(mode, buyer, s.quote).balance -= n + buyer_fee;
      bal(mode, buyer, s.base).balance += base;
      bal(mode, seller, s.base).balance -= base;
      bal(mode, seller, s.quote).balance += n - seller_fee;
      break;
    }
    case MarketKind::Perp:
    case MarketKind::Future:
      bal(mode, buyer, s.quote).balance -= buyer_fee;
      bal(mode, seller, s.quote).balance -= seller_fee;
      apply_position(mode, buyer, m, e.price, q);
      apply_position(mode, seller, m, e.price, -q);
      break;
    case MarketKind::Option:
      bal(mode, buyer, s.quote).balance -= n + buyer_fee;
      bal(mode, seller, s.quote).balance += n - seller_fee;
      apply_position(mode, buyer, m, e.price, q);
      apply_position(mode, seller, m, e.price, -q);
      break;
  }
  system_[index(mode)].fees[s.quote] += tfee + mfee;
  add_stats(m, n, tfee + mfee);
  // Cash or positions changed: the margin check at the end of the command re-keys the risk
  // index (spot only matters to accounts that hold derivative positions).
  const auto& margined = has_positions_[index(mode)];
  if (s.kind != MarketKind::Spot || margined[buyer]) touch(mode, buyer);
  if (s.kind != MarketKind::Spot || margined[seller]) touch(mode, seller);
  if (mode == Mode::Paper) {
    acct(mode, taker).volume += n;
    if (maker != taker) acct(mode, maker).volume += n;  // a self-trade is one trader's volume once
  }
  e.notional = n;
  e.taker_fee = tfee;
  e.maker_fee = mfee;
  e.cid_ref = remember_cid(client_order_id_of(e.order_id));
  e.maker_cid_ref = remember_cid(client_order_id_of(e.maker_id));
  if (e.maker_remaining == 0) order_gone(maker, e.maker_id);
  if (e.remaining == 0) order_gone(taker, e.order_id);
}

void Exchange::apply_position(Mode mode, TraderId t, Market& m, Price price, Qty dq) {
  Account& a = acct(mode, t);
  has_positions_[index(mode)][t] = 1;
  Position& p = position(a, m.id);
  const Qty before = p.size;
  const Qty sign = dq > 0 ? 1 : -1;
  Qty q = abs_qty(dq);
  if (p.size != 0 && (p.size > 0) != (dq > 0)) {
    const Qty close = std::min(q, abs_qty(p.size));
    const Amount close_n = notional(m, price, close).value_or(0);
    const Amount removed =
        close == abs_qty(p.size)
            ? p.cost
            : static_cast<Amount>(static_cast<i128>(p.cost) * close / abs_qty(p.size));
    const Amount realized = p.size > 0 ? close_n - removed : -removed - close_n;
    p.size += sign * close;
    p.cost -= removed;
    p.realized += realized;
    if (realized > 0) a.profit += realized;
    if (m.spec.kind != MarketKind::Option) {  // option premiums moved in cash at each trade
      a.assets[kUSDC].balance += realized;
      system_[index(mode)].clearing[kUSDC] -= realized;
    }
    q -= close;
  }
  if (q > 0) {
    p.size += sign * q;
    p.cost += sign * notional(m, price, q).value_or(0);
  }
  m.stats.open_interest += std::max<Qty>(p.size, 0) - std::max<Qty>(before, 0);
  if (!m.ro_traders.empty() && std::binary_search(m.ro_traders.begin(), m.ro_traders.end(), t))
    ro_dirty_.push_back(static_cast<std::uint64_t>(m.id) << 32 | t);
}

// ---------------------------------------------------------------- reduce-only

void Exchange::trim_reduce_only() {
  std::sort(ro_dirty_.begin(), ro_dirty_.end());
  ro_dirty_.erase(std::unique(ro_dirty_.begin(), ro_dirty_.end()), ro_dirty_.end());
  std::vector<std::uint64_t> dirty;
  dirty.swap(ro_dirty_);
  for (std::uint64_t k : dirty) {
    Market& m = *markets_[static_cast<MarketId>(k >> 32)];
    const auto t = static_cast<TraderId>(k);
    const Mode mode = m.spec.mode;
    const Position* p = find_position(acct(mode, t), m.id);
    const Qty size = p ? p->size : 0;
    ro_scratch_.clear();
    m.book->for_each_of_trader(t, [&](const Order& o) {
      if (o.has(Order::kReduceOnly))
        ro_scratch_.push_back({o.id, o.side, o.pending_trigger(), o.qty, o.remaining, o.price});
    });
    if (ro_scratch_.empty()) {  // none left: stop watching this trader's position here
      auto it = std::lower_bound(m.ro_traders.begin(), m.ro_traders.end(), t);
      if (it != m.ro_traders.end() && *it == t) m.ro_traders.erase(it);
      continue;
    }
    // Oldest first keep their quantity while the position has room for it; the newest give
    // way. An order on the side that would now grow the position goes entirely.
    const Side closing = size > 0 ? Side::Sell : Side::Buy;
    Qty room = abs_qty(size);
    for (auto it = ro_scratch_.rbegin(); it != ro_scratch_.rend(); ++it) {
      const RoOrder& o = *it;
      const bool fits = size != 0 && o.side == closing;
      if (fits && o.remaining <= room) {
        room -= o.remaining;
        continue;
      }
      const Qty cut = o.remaining - room;
      if (fits && room > 0 && !o.pending && o.qty - cut >= m.book->spec().min_qty &&
          m.book->amend(AmendRequest{t, o.id, 0, o.price, o.qty - cut}, now_, book_ev_)) {
        // Shrunk to the room left: a smaller quantity keeps its place in the queue.
        release_lots(t, meta(o.id), cut, m.spec.lot);
        room = 0;
      } else {
        m.book->cancel(t, o.id, now_, book_ev_);
      }
      for (Event& e : book_ev_)
        if (e.type == EventType::Cancelled || e.type == EventType::Amended)
          e.reason = Reason::ReduceOnlyWouldIncrease;
      settle();
    }
  }
  dirty.clear();
  if (ro_dirty_.empty()) ro_dirty_.swap(dirty);  // keep the capacity
}

void Exchange::rebuild_reduce_only_index() {
  for (auto& m : markets_) {
    m->ro_traders.clear();
    for (TraderId t = 0; t < trader_names_.size(); ++t) {
      bool any = false;
      m->book->for_each_of_trader(t, [&](const Order& o) { any |= o.has(Order::kReduceOnly); });
      if (any) m->ro_traders.push_back(t);
    }
  }
}

void Exchange::add_stats(Market& m, Amount n, Amount fees) {
  MarketStats& st = m.stats;
  auto add = [&](StatWindow& w) {
    w.volume += n;
    w.trades += 1;
    w.fees += fees;
  };
  add(st.lifetime);
  // Day and hour change rarely: divide only when the time leaves the current hour.
  if (now_ < st.hour_start || now_ >= st.hour_start + 3'600'000) {
    const std::int64_t hour = now_ / 3'600'000;
    st.hour_start = hour * 3'600'000;
    const std::int64_t day = now_ / 86'400'000;
    if (st.day != day) {
      st.day = day;
      st.today = StatWindow{};
    }
    const auto h = static_cast<std::size_t>(hour % 24);
    if (st.hour_of[h] != hour) {
      st.hour_of[h] = hour;
      st.hours[h] = StatWindow{};
    }
    st.hour_slot = h;
  }
  add(st.today);
  add(st.hours[st.hour_slot]);
}

// ---------------------------------------------------------------- audit

AuditReport Exchange::audit() const {
  AuditReport r;
  auto problem = [&](std::string s) { r.problems.push_back(std::move(s)); };
  for (std::size_t mi = 0; mi < kModeCount; ++mi) {
    const auto mode = static_cast<Mode>(mi);
    const SystemAccounts& s = system_[mi];
    std::vector<std::array<Amount, kAssetCount>> locks(trader_names_.size());
    for (std::uint32_t slot = 0; slot < meta_.size(); ++slot) {
      const OrderMeta& mt = meta_[slot];
      if (mt.id == 0 || mt.mode != mode) continue;
      const Order& o = pool_[slot];
      if (o.id != mt.id || o.level == kNil)
        problem("order " + std::to_string(mt.id) + " has a lock but is not live");
      if (o.trader < locks.size()) locks[o.trader][mt.lock_asset] += mt.locked;
    }
    // Reduce-only orders never exceed what their position can shed (docs/exchange.md).
    for (const auto& m : markets_) {
      if (m->spec.mode != mode || m->spec.kind == MarketKind::Spot) continue;
      for (TraderId t = 0; t < trader_names_.size(); ++t) {
        const Position* p = find_position(accounts_[mi][t], m->id);
        const Qty size = p ? p->size : 0;
        Qty open = 0;
        bool wrong_side = false;
        m->book->for_each_of_trader(t, [&](const Order& o) {
          if (!o.has(Order::kReduceOnly)) return;
          open += o.remaining;
          wrong_side |= size == 0 || (o.side == Side::Sell) != (size > 0);
        });
        if (open == 0) continue;
        if (wrong_side || open > abs_qty(size))
          problem(trader_names_[t] + " " + m->spec.symbol + ": reduce-only orders of " +
                  std::to_string(open) + " against a position of " + std::to_string(size));
        if (!std::binary_search(m->ro_traders.begin(), m->ro_traders.end(), t))
          problem(trader_names_[t] + " " + m->spec.symbol +
                  ": reduce-only orders not watched (ro_traders)");
      }
    }
    for (std::size_t a = 0; a < kAssetCount; ++a) {
      i128 sum = 0;
      for (TraderId t = 0; t < trader_names_.size(); ++t) {
        const Balance& b = accounts_[mi][t].assets[a];
        sum += b.balance;
        const std::string who = std::string(to_string(mode)) + " " + trader_names_[t] + " " +
                                std::string(kAssets[a].symbol);
        if (b.balance < 0) problem(who + ": negative balance " + std::to_string(b.balance));
        if (b.pending < 0) problem(who + ": negative pending " + std::to_string(b.pending));
        if (b.pending > b.balance)
          problem(who + ": pending " + std::to_string(b.pending) + " above balance " +
                  std::to_string(b.balance));
        if (b.pending != locks[t][a])
          problem(who + ": pending " + std::to_string(b.pending) + " but open orders lock " +
                  std::to_string(locks[t][a]));
      }
      sum += s.fees[a];
      sum += s.insurance[a];
      sum += s.clearing[a];
      const i128 expect = static_cast<i128>(s.deposits[a]) - s.withdrawals[a];
      if (sum != expect)
        problem(std::string(to_string(mode)) + " " + std::string(kAssets[a].symbol) +
                ": balances + fees + insurance + clearing = " +
                std::to_string(static_cast<long long>(sum)) +
                " but deposits - withdrawals = " + std::to_string(static_cast<long long>(expect)));
    }
  }
  // Derivatives: every market's positions net to zero, its open interest is the long side, the
  // risk index holds exactly the open perp/future positions, and funding is zero-sum with the
  // fund's rounding.
  std::vector<i128> net(markets_.size()), longs(markets_.size());
  std::vector<std::size_t> indexed(markets_.size());
  std::array<i128, kModeCount> funding{};
  for (std::size_t mi = 0; mi < kModeCount; ++mi) {
    for (TraderId t = 0; t < accounts_[mi].size(); ++t) {
      for (const Position& p : accounts_[mi][t].positions) {
        net[p.market] += p.size;
        longs[p.market] += std::max<Qty>(p.size, 0);
        funding[mi] += p.funding;
        const Market& m = *markets_[p.market];
        const bool futures = m.spec.kind == MarketKind::Perp || m.spec.kind == MarketKind::Future;
        const bool want = futures && p.size != 0;
        const std::uint32_t side = p.indexed & kIndexSide;
        if (want != (side != 0) || (want && side != (p.size > 0 ? kIndexLong : kIndexShort)) ||
            (p.size != 0) != ((p.indexed & kIndexHolder) != 0))
          problem("position of " + trader_names_[t] + " in " + m.spec.symbol +
                  " is not in the risk index as it should be");
        indexed[p.market] += want ? 1 : 0;
      }
    }
    if (funding[mi] + system_[mi].funding_rounding != 0)
      problem(std::string(to_string(static_cast<Mode>(mi))) + ": funding is not zero-sum");
  }
  for (const auto& m : markets_) {
    if (net[m->id] != 0) problem(m->spec.symbol + ": positions do not net to zero");
    if (m->spec.kind != MarketKind::Spot && longs[m->id] != m->stats.open_interest)
      problem(m->spec.symbol + ": open interest differs from the long positions");
    if (m->risk_index.longs.size() + m->risk_index.shorts.size() != indexed[m->id])
      problem(m->spec.symbol + ": the risk index holds stale entries");
  }
  return r;
}

}  // namespace cx::engine
