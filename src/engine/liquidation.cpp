// Liquidation: an account below maintenance margin loses its orders, its positions close against
// the book within a slippage bound (never past the price the insurance fund can cover), what the
// book cannot take is auto-deleveraged against ranked opposite positions, a penalty goes to the
// insurance fund and the fund covers any deficit (docs/margin.md, "Liquidation").
#include <algorithm>
#include <vector>

#include "core/int128.hpp"
#include "engine/exchange.hpp"
#include "engine/money.hpp"

namespace cx::engine {

namespace {

inline Qty abs_qty(Qty q) noexcept {
  return q < 0 ? -q : q;
}

Price ceil_tick(i128 p, Price tick) noexcept {
  if (p <= 0) return 0;
  const i128 r = (p + tick - 1) / tick * tick;
  return r > INT64_MAX / 2 ? INT64_MAX / 2 / tick * tick : static_cast<Price>(r);
}
Price floor_tick(i128 p, Price tick) noexcept {
  if (p <= 0) return 0;
  const i128 r = p / tick * tick;
  return r > INT64_MAX / 2 ? INT64_MAX / 2 / tick * tick : static_cast<Price>(r);
}

/// The worst price at which closing all of `p` keeps the account's loss within its cash, its
/// other positions' PnL at mark and the insurance fund (taker fee included). 0: no bound.
Price bankruptcy_price(const Market& m, const Position& p, i128 other, Amount fund) {
  const i128 fee = m.spec.taker_fee_bps;
  const i128 q = abs_qty(p.size);
  if (p.size > 0) {
    // value x (1 - fee) >= cost - other - fund
    const i128 need = static_cast<i128>(p.cost) - other - fund;
    if (need <= 0) return 0;
    const i128 den = q * m.mult * (10'000 - fee);
    const i128 v = (need * 10'000 * m.div + den - 1) / den;
    return v > INT64_MAX / 2 ? INT64_MAX / 2 : static_cast<Price>(v);
  }
  // value x (1 + fee) <= other + fund - cost
  const i128 room = other + fund - p.cost;
  if (room <= 0) return 0;
  const i128 v = room * 10'000 * m.div / (q * m.mult * (10'000 + fee));
  return v > INT64_MAX / 2 ? INT64_MAX / 2 : static_cast<Price>(v);
}

}  // namespace

void Exchange::liquidate(Mode mode, TraderId t, MarketId trigger) {
  acct(mode, t).liquidated_in = commands_;
  {
    const MarginState ms = margin(mode, t);
    ExEvent& e = push_event(*out_);
    e.type = EventType::Liquidation;
    e.mode = static_cast<std::uint8_t>(mode);
    e.trader = t;
    e.market = trigger;
    e.asset = kUSDC;
    e.amount = ms.equity;
    e.notional = ms.maintenance;
  }
  cancel_everything(mode, t, Reason::Liquidation);
  Amount closed = 0;
  for (std::size_t i = 0; i < acct(mode, t).positions.size(); ++i) {
    const Position& p = acct(mode, t).positions[i];
    if (p.size == 0) continue;
    Market& m = *markets_[p.market];
    if (m.status == MarketStatus::Settled || m.status == MarketStatus::Delisted) continue;
    if (m.spec.kind != MarketKind::Perp && m.spec.kind != MarketKind::Future &&
        m.spec.kind != MarketKind::Option)
      continue;
    const Price tick = m.spec.tick;
    const bool is_long = p.size > 0;
    const Price mark = m.mark > 0
                           ? m.mark
                           : static_cast<Price>(static_cast<i128>(p.cost < 0 ? -p.cost : p.cost) *
                                                m.div / (abs_qty(p.size) * m.mult));
    if (m.spec.kind != MarketKind::Option) closed += notional(m, mark, abs_qty(p.size)).value_or(0);
    // What the rest of the account brings: cash and the other positions' PnL at mark.
    auto other = [&] {
      i128 o = bal(mode, t, kUSDC).balance;
      for (const Position& q : acct(mode, t).positions) {
        if (q.size == 0 || q.market == m.id) continue;
        o += upnl_at_mark(*markets_[q.market], q);
      }
      return o;
    };
    const Amount fund = std::max<Amount>(system_[index(mode)].insurance[kUSDC], 0);
    if (m.spec.kind == MarketKind::Option) {
      const Qty before = p.size;
      close_option(mode, t, m, before,
                   static_cast<Amount>(std::clamp<i128>(other() + fund, 0, INT64_MAX / 4)));
      // The penalty counts only what the book took (the rest stays open).
      const Qty left = acct(mode, t).positions[i].size;
      closed += notional(m, mark, abs_qty(before)).value_or(0) -
                notional(m, mark, abs_qty(left)).value_or(0);
      continue;
    }
    if (m.status == MarketStatus::Active && mark > 0) {
      const i128 slip = config_.liquidation_slippage_bps;
      const Price pb = bankruptcy_price(m, p, other(), fund);
      Price limit = is_long ? ceil_tick(static_cast<i128>(mark) * (10'000 - slip) / 10'000, tick)
                            : floor_tick(static_cast<i128>(mark) * (10'000 + slip) / 10'000, tick);
      if (is_long)
        limit = std::max(limit, ceil_tick(pb, tick));
      else if (pb > 0)
        limit = std::min(limit, floor_tick(pb, tick));
      else
        limit = 0;
      close_against_book(mode, t, m, p.size, limit);
    }
    const Position& rest = acct(mode, t).positions[i];
    if (rest.size == 0) continue;
    // The book could not take it all within the bound: deleverage the rest. At the mark when
    // the fund covers the loss there, else towards the bankruptcy price (docs/margin.md).
    const Price pb = bankruptcy_price(m, rest, other(), fund);
    Price target = mark;
    if (is_long && pb > mark) target = ceil_tick(pb, tick);
    if (!is_long && pb < mark) target = pb > 0 ? floor_tick(pb, tick) : tick;
    deleverage(mode, t, m, mark, std::max(target, tick));
  }
  Balance& usdc = bal(mode, t, kUSDC);
  const Amount penalty = std::min(bps_ceil(closed, config_.liquidation_penalty_bps),
                                  std::max<Amount>(usdc.balance, 0));
  if (penalty > 0) {
    usdc.balance -= penalty;
    system_[index(mode)].insurance[kUSDC] += penalty;
    ExEvent& e = push_event(*out_);
    e.type = EventType::LiquidationPenalty;
    e.mode = static_cast<std::uint8_t>(mode);
    e.trader = t;
    e.asset = kUSDC;
    e.amount = penalty;
  }
  cover_deficit(mode, t);
  reindex(mode, t);
}

void Exchange::close_option(Mode mode, TraderId t, Market& m, Qty size, Amount room) {
  // Against the book within the slippage bound of the option's mark; a short is bought back only
  // at a price its cash, other PnL and the fund can pay. What the book cannot take stays open
  // until expiry, where settlement (and its haircut) deals with it. No deleveraging.
  if (m.status != MarketStatus::Active || m.mark <= 0) return;
  if (m.spec.expiry > 0 && now_ >= m.spec.expiry) return;
  const i128 slip = config_.liquidation_slippage_bps;
  const Price tick = m.spec.tick;
  const bool is_long = size > 0;
  Price limit = 0;
  if (is_long) {
    limit = std::max(ceil_tick(static_cast<i128>(m.mark) * (10'000 - slip) / 10'000, tick), tick);
  } else {
    const i128 q = abs_qty(size);
    const i128 pb = room <= 0 ? i128{0}
                              : static_cast<i128>(room) * 10'000 * m.div /
                                    (q * m.mult * (10'000 + m.spec.taker_fee_bps));
    limit = std::min(floor_tick(static_cast<i128>(m.mark) * (10'000 + slip) / 10'000, tick),
                     floor_tick(pb, tick));
  }
  close_against_book(mode, t, m, size, limit);
}

void Exchange::close_against_book(Mode mode, TraderId t, Market& m, Qty size, Price limit) {
  // A market IOC order that locks nothing: its fills settle like any other, with the reason
  // LIQUIDATION. A price of 0 (no acceptable price) sends nothing.
  NewOrder o;
  o.trader = t;
  o.side = size > 0 ? Side::Sell : Side::Buy;
  o.type = OrderType::Market;
  o.tif = TimeInForce::IOC;
  o.price = limit;
  o.qty = abs_qty(size);
  if (limit <= 0 || m.book->check(o, now_) != Reason::None) return;
  const OrderId id = m.book->place(o, now_, book_ev_);
  if (id != 0) {
    OrderMeta& mt = meta(id);
    mt = OrderMeta{};
    mt.id = id;
    mt.mode = mode;
    for (Event& e : book_ev_)
      if (e.type == EventType::Fill && e.order_id == id) e.reason = Reason::Liquidation;
  }
  settle();
}

void Exchange::deleverage(Mode mode, TraderId t, Market& m, Price mark, Price target) {
  const Position* mine = find_position(acct(mode, t), m.id);
  Qty rest = mine ? mine->size : 0;
  if (rest == 0) return;
  // Opposite positions ranked by profit (PnL / cost) x leverage (notional / equity), highest first.
  struct Candidate {
    i128 score;
    TraderId trader;
  };
  std::vector<Candidate> ranked;
  const auto& side = rest > 0 ? m.risk_index.shorts : m.risk_index.longs;
  for (const auto& [key, c] : side) {
    if (c == t) continue;
    const Position* p = find_position(acct(mode, c), m.id);
    if (!p || p->size == 0 || (p->size > 0) == (rest > 0)) continue;
    const Amount value = notional(m, mark, abs_qty(p->size)).value_or(0);
    const Amount pnl = (p->size > 0 ? value : -value) - p->cost;
    const Amount cost = std::max<Amount>(p->cost < 0 ? -p->cost : p->cost, 1);
    const Amount equity = margin(mode, c).equity;
    const i128 profit_bps = static_cast<i128>(pnl) * 10'000 / cost;
    const i128 lev_bps =
        equity > 0 ? static_cast<i128>(value) * 10'000 / equity : static_cast<i128>(INT64_MAX);
    ranked.push_back({profit_bps * lev_bps, c});
  }
  std::sort(ranked.begin(), ranked.end(), [](const Candidate& a, const Candidate& b) {
    return a.score != b.score ? a.score > b.score : a.trader < b.trader;
  });
  for (const Candidate& c : ranked) {
    if (rest == 0) break;
    const Position* p = find_position(acct(mode, c.trader), m.id);
    const Qty x = std::min(abs_qty(rest), abs_qty(p->size));
    const Qty signed_x = rest > 0 ? x : -x;  // the counterparty's change
    // At the target, never better for the counterparty than the mark, and never past the price
    // where the trade would use up the counterparty's own equity at mark: deleveraging moves the
    // loss to the ranked counterparties but never makes one of them bankrupt in turn.
    const i128 room = std::max<Amount>(margin(mode, c.trader).equity, 0);
    const i128 per_price = static_cast<i128>(x) * m.mult;  // notional per price unit x div
    const i128 span = room * m.div / per_price;            // price units of loss it can take
    Price price = mark;
    if (rest > 0) {  // the counterparty is short and buys back: above the mark
      const i128 cap = static_cast<i128>(mark) + span;
      price = static_cast<Price>(std::min<i128>(target, cap / m.spec.tick * m.spec.tick));
      price = std::max(price, mark);
    } else {  // the counterparty is long and sells: below the mark
      const i128 cap = static_cast<i128>(mark) - span;
      const i128 lo = cap <= 0 ? 0 : (cap + m.spec.tick - 1) / m.spec.tick * m.spec.tick;
      price = static_cast<Price>(std::max<i128>(target, lo));
      price = std::min(price, mark);
    }
    price = std::max(price, m.spec.tick);
    apply_position(mode, c.trader, m, price, signed_x);
    apply_position(mode, t, m, price, -signed_x);
    rest -= signed_x;
    ExEvent& e = push_event(*out_);
    e.type = EventType::AutoDeleveraged;
    e.mode = static_cast<std::uint8_t>(mode);
    e.market = m.id;
    e.trader = c.trader;
    e.maker_trader = t;
    e.side = signed_x > 0 ? Side::Buy : Side::Sell;
    e.price = price;
    e.qty = x;
    e.notional = notional(m, price, x).value_or(0);
    touch(mode, c.trader);
  }
}

}  // namespace cx::engine
