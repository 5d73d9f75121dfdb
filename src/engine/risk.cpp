// Margin and the risk index: equity and maintenance of an account, the per-market index of
// positions by liquidation key, and the end-of-command margin check (docs/margin.md).
#include <algorithm>

#include "core/int128.hpp"
#include "engine/exchange.hpp"
#include "engine/money.hpp"

namespace cx::engine {

namespace {

inline Qty abs_qty(Qty q) noexcept {
  return q < 0 ? -q : q;
}

/// Rounding of the integer notionals (floor) and margins (ceil) differs from the exact line by a
/// few units; keys are computed for this much cushion so rounding never hides an account.
constexpr Amount kKeySlack = 4;

Price clamp_price(i128 v) noexcept {
  if (v > INT64_MAX) return INT64_MAX;
  if (v < INT64_MIN) return INT64_MIN;
  return static_cast<Price>(v);
}

struct Contribution {
  Amount upnl = 0;  ///< unrealised PnL at mark (0 without a mark)
  Amount mm = 0;    ///< maintenance margin
  Amount im = 0;    ///< initial margin
};

Contribution contribution(const Market& m, const Position& p) {
  Contribution c;
  if (p.size == 0) return c;
  const MarketSpec& s = m.spec;
  if (s.kind == MarketKind::Perp || s.kind == MarketKind::Future) {
    const Amount cost = p.cost < 0 ? -p.cost : p.cost;
    Amount value = cost;
    if (m.mark > 0) {
      value = Exchange::notional(m, m.mark, abs_qty(p.size)).value_or(INT64_MAX / 4);
      c.upnl = Exchange::upnl_at_mark(m, p);
    }
    c.mm = bps_ceil(value, s.maintenance_margin_bps);
    c.im = bps_ceil(value, s.initial_margin_bps);
  } else if (s.kind == MarketKind::Option && p.size < 0) {
    c.upnl = Exchange::upnl_at_mark(m, p);
    const Amount v =
        Exchange::notional(m, std::max(m.index, s.strike), -p.size).value_or(INT64_MAX / 4);
    c.mm = bps_ceil(v, s.maintenance_margin_bps);
    c.im = bps_ceil(v, s.initial_margin_bps);
  }
  return c;
}

}  // namespace

Amount Exchange::upnl_at_mark(const Market& m, const Position& p) noexcept {
  if (p.size == 0 || m.mark <= 0) return 0;
  const Amount value = notional(m, m.mark, abs_qty(p.size)).value_or(INT64_MAX / 4);
  switch (m.spec.kind) {
    case MarketKind::Perp:
    case MarketKind::Future:
      return (p.size > 0 ? value : -value) - p.cost;
    case MarketKind::Option:
      // The premium is already in the seller's cash; what it owes is buying the option back.
      return p.size < 0 ? -value : 0;
    case MarketKind::Spot:
      break;
  }
  return 0;
}

MarginState Exchange::margin(Mode mode, TraderId t) const {
  MarginState ms;
  const Account& a = account(mode, t);
  ms.equity = a.assets[kUSDC].balance;
  for (const Position& p : a.positions) {
    if (p.size == 0) continue;
    const Market& m = *markets_[p.market];
    const Contribution c = contribution(m, p);
    ms.equity += c.upnl;
    ms.maintenance += c.mm;
    ms.initial += c.im;
    if (m.spec.kind == MarketKind::Perp || m.spec.kind == MarketKind::Future) ms.has_futures = true;
  }
  return ms;
}

bool Exchange::stale(const Market& m) const noexcept {
  if (config_.oracle_max_age_ms <= 0 || m.spec.kind == MarketKind::Spot) return false;
  return m.risk.price_ts < 0 || now_ - m.risk.price_ts > config_.oracle_max_age_ms;
}

void Exchange::reindex(Mode mode, TraderId t) {
  Account& a = acct(mode, t);
  i128 total = a.assets[kUSDC].balance;
  std::size_t open = 0;
  for (const Position& p : a.positions) {
    if (p.size == 0) continue;
    const Contribution c = contribution(*markets_[p.market], p);
    total += c.upnl - c.mm;
    ++open;
  }
  for (Position& p : a.positions) {
    Market& m = *markets_[p.market];
    RiskIndex& ix = m.risk_index;
    const std::uint32_t was = p.indexed;
    if (p.size == 0) {
      if ((was & kIndexSide) == kIndexLong) ix.longs.erase({p.liq_key, t});
      if ((was & kIndexSide) == kIndexShort) ix.shorts.erase({p.liq_key, t});
      if (was & kIndexHolder) ix.holders.erase(t);
      if (was & kIndexMulti) ix.multi.erase(t);
      p.indexed = 0;
      continue;
    }
    std::uint32_t now = kIndexHolder;
    if (!(was & kIndexHolder)) ix.holders.insert(t);
    if (open >= 2) {
      now |= kIndexMulti;
      if (!(was & kIndexMulti)) ix.multi.insert(t);
    } else if (was & kIndexMulti) {
      ix.multi.erase(t);
    }
    if (m.spec.kind != MarketKind::Perp && m.spec.kind != MarketKind::Future) {
      p.indexed = now;
      continue;
    }
    const Contribution c = contribution(m, p);
    // Everything but this position's own margin line: cash, other PnL, other margins.
    const i128 other = total - (c.upnl - c.mm);
    const i128 mmr = m.spec.maintenance_margin_bps;
    Price key = 0;
    std::uint32_t side = kIndexLong;
    if (p.size > 0) {
      // equity - MM = other - cost + size x P x k x (1 - mmr) < slack  <=>  P < num / den
      const i128 num = (static_cast<i128>(p.cost) - other + kKeySlack) * 10'000 * m.div;
      const i128 den = static_cast<i128>(p.size) * m.mult * (10'000 - mmr);
      if (den == 0)
        key = num > 0 ? INT64_MAX : 0;
      else if (num > 0)
        key = clamp_price(num / den + 1);
    } else {
      // other - cost - |size| x P x k x (1 + mmr) < slack  <=>  P > num / den
      const i128 num = (other - p.cost - kKeySlack) * 10'000 * m.div;
      const i128 den = static_cast<i128>(-p.size) * m.mult * (10'000 + mmr);
      key = num < 0 ? -1 : clamp_price(num / den);
      side = kIndexShort;
    }
    if ((was & kIndexSide) != side || p.liq_key != key) {
      if ((was & kIndexSide) == kIndexLong) ix.longs.erase({p.liq_key, t});
      if ((was & kIndexSide) == kIndexShort) ix.shorts.erase({p.liq_key, t});
      (side == kIndexLong ? ix.longs : ix.shorts).insert({key, t});
      p.liq_key = key;
    }
    p.indexed = now | side;
  }
}

void Exchange::rebuild_risk_index() {
  for (std::size_t mi = 0; mi < kModeCount; ++mi) {
    for (TraderId t = 0; t < accounts_[mi].size(); ++t) {
      for (const Position& p : accounts_[mi][t].positions) {
        RiskIndex& ix = markets_[p.market]->risk_index;
        if ((p.indexed & kIndexSide) == kIndexLong) ix.longs.insert({p.liq_key, t});
        if ((p.indexed & kIndexSide) == kIndexShort) ix.shorts.insert({p.liq_key, t});
        if (p.indexed & kIndexHolder) ix.holders.insert(t);
        if (p.indexed & kIndexMulti) ix.multi.insert(t);
      }
    }
  }
}

void Exchange::touch_at_risk(const Market& m) {
  const Mode mode = m.spec.mode;
  const RiskIndex& ix = m.risk_index;
  if (m.spec.kind == MarketKind::Perp || m.spec.kind == MarketKind::Future) {
    for (auto it = ix.longs.rbegin(); it != ix.longs.rend() && it->first > m.mark; ++it)
      touch(mode, it->second);
    for (auto it = ix.shorts.begin(); it != ix.shorts.end() && it->first < m.mark; ++it)
      touch(mode, it->second);
    for (TraderId t : ix.multi) touch(mode, t);
  } else if (m.spec.kind == MarketKind::Option) {
    // Short options are margined at max(index, strike): re-check the market's holders.
    for (TraderId t : ix.holders) touch(mode, t);
  }
}

void Exchange::run_risk(MarketId trigger) {
  while (!touched_.empty() || !ro_dirty_.empty()) {
    if (!ro_dirty_.empty()) trim_reduce_only();  // before the margin check sees the locks
    if (touched_.empty()) break;
    risk_batch_.swap(touched_);
    touched_.clear();
    std::sort(risk_batch_.begin(), risk_batch_.end());
    risk_batch_.erase(std::unique(risk_batch_.begin(), risk_batch_.end()), risk_batch_.end());
    for (std::uint64_t k : risk_batch_)
      check_account(static_cast<Mode>(k >> 32), static_cast<TraderId>(k), trigger);
    risk_batch_.clear();
  }
}

void Exchange::check_account(Mode mode, TraderId t, MarketId trigger) {
  Account& a = acct(mode, t);
  Balance& usdc = a.assets[kUSDC];
  if (usdc.balance < 0) {
    // Negative cash with a profit at mark: realise that much of the profit (docs/margin.md).
    Amount need = -usdc.balance;
    for (Position& p : a.positions) {
      if (need == 0) break;
      const Market& m = *markets_[p.market];
      if (m.spec.kind != MarketKind::Perp && m.spec.kind != MarketKind::Future) continue;
      const Amount profit = contribution(m, p).upnl;
      if (profit <= 0) continue;
      const Amount r = std::min(need, profit);
      p.cost += r;
      p.realized += r;
      usdc.balance += r;
      system_[index(mode)].clearing[kUSDC] -= r;
      need -= r;
      ExEvent& e = push_event(*out_);
      e.type = EventType::ProfitRealized;
      e.mode = static_cast<std::uint8_t>(mode);
      e.market = p.market;
      e.trader = t;
      e.asset = kUSDC;
      e.qty = p.size;
      e.amount = r;
    }
  }
  if (a.liquidated_in != commands_) {
    const MarginState ms = margin(mode, t);
    // Any position that needs maintenance (perps, futures, short options) below it.
    if (((ms.has_futures || ms.maintenance > 0) && ms.equity < ms.maintenance) ||
        usdc.balance < 0) {
      liquidate(mode, t, trigger);  // re-keys the account when done
      return;
    }
  }
  reindex(mode, t);
  if (usdc.balance < 0) cover_deficit(mode, t);
  if (usdc.pending > usdc.balance) cancel_everything(mode, t, Reason::MarginCall);
}

void Exchange::cover_deficit(Mode mode, TraderId t) {
  Balance& b = bal(mode, t, kUSDC);
  if (b.balance >= 0) return;
  Amount& fund = system_[index(mode)].insurance[kUSDC];
  const Amount cover = std::min(-b.balance, std::max<Amount>(fund, 0));
  auto event = [&](EventType type, Amount amount) {
    ExEvent& e = push_event(*out_);
    e.type = type;
    e.mode = static_cast<std::uint8_t>(mode);
    e.trader = t;
    e.asset = kUSDC;
    e.amount = amount;
  };
  if (cover > 0) {
    b.balance += cover;
    fund -= cover;
    event(EventType::InsurancePaid, cover);
  }
  if (b.balance < 0) {
    // Nothing left to deleverage: the loss stays visible as a negative fund.
    const Amount rest = -b.balance;
    b.balance = 0;
    fund -= rest;
    event(EventType::InsuranceShortfall, rest);
  }
}

void Exchange::cancel_everything(Mode mode, TraderId t, Reason why) {
  for (auto& m : markets_) {
    if (m->spec.mode != mode) continue;
    if (m->book->cancel_all(t, now_, book_ev_) == 0) continue;
    for (Event& e : book_ev_)
      if (e.type == EventType::Cancelled) e.reason = why;
    settle();
  }
}

}  // namespace cx::engine
