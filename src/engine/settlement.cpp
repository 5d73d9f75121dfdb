// Expiry: futures and options settle at the time-weighted average of the index over the window
// before expiry (docs/margin.md, "Settlement"). Orders are cancelled, futures close at that price,
// options pay their intrinsic value from shorts to longs, the market becomes SETTLED.
#include <algorithm>
#include <vector>

#include "core/int128.hpp"
#include "engine/exchange.hpp"

namespace cx::engine {

void Exchange::settle_market(const SettleMarket& c) {
  if (c.market >= markets_.size()) return reject(Reason::UnknownMarket);
  Market& m = *markets_[c.market];
  const MarketSpec& s = m.spec;
  if (s.kind != MarketKind::Future && s.kind != MarketKind::Option)
    return reject(Reason::WrongMarketKind, 0, c.market);
  if (m.status == MarketStatus::Settled || m.status == MarketStatus::Delisted)
    return reject(Reason::MarketNotActive, 0, c.market);
  if (now_ < s.expiry) return reject(Reason::NotExpired, 0, c.market);
  MarketRisk& r = m.risk;
  if (r.price_ts < 0) return reject(Reason::InvalidPrice, 0, c.market);  // never had a price
  // Close the TWAP: the last index held from its time until expiry.
  const Timestamp from = std::max(r.price_ts, s.expiry - config_.settlement_window_ms);
  if (s.expiry > from) {
    r.twap_sum += m.index * (s.expiry - from);
    r.twap_ms += s.expiry - from;
  }
  const Price price = r.twap_ms > 0 ? r.twap_sum / r.twap_ms : m.index;
  r.settle_price = price;
  r.price_ts = std::max(r.price_ts, s.expiry);
  const Mode mode = s.mode;

  // Every order leaves, trader by trader in id order.
  for (TraderId t = 0; t < trader_names_.size(); ++t) {
    if (m.book->cancel_all(t, now_, book_ev_) == 0) continue;
    for (Event& e : book_ev_)
      if (e.type == EventType::Cancelled) e.reason = Reason::MarketSettled;
    settle();
  }
  m.status = MarketStatus::Settled;
  {
    ExEvent& e = push_event(*out_);
    e.type = EventType::MarketSettled;
    e.mode = static_cast<std::uint8_t>(mode);
    e.market = m.id;
    e.price = price;
    ExEvent& st = push_event(*out_);
    st.type = EventType::MarketStatus;
    st.mode = static_cast<std::uint8_t>(mode);
    st.market = m.id;
    st.count = static_cast<std::uint32_t>(MarketStatus::Settled);
  }
  const Price intrinsic = s.kind != MarketKind::Option ? 0
                          : s.is_call                  ? std::max<Price>(price - s.strike, 0)
                                                       : std::max<Price>(s.strike - price, 0);
  Amount paid = 0;
  Amount received = 0;
  std::vector<std::pair<TraderId, Amount>> gains;  // winners of this settlement
  const std::vector<TraderId> holders(m.risk_index.holders.begin(), m.risk_index.holders.end());
  for (TraderId t : holders) {
    Account& a = acct(mode, t);
    auto it = std::lower_bound(a.positions.begin(), a.positions.end(), m.id,
                               [](const Position& p, MarketId id) { return p.market < id; });
    if (it == a.positions.end() || it->market != m.id || it->size == 0) continue;
    const Qty size = it->size;
    Amount cash = 0;
    if (s.kind == MarketKind::Future) {
      const Amount before = it->realized;
      apply_position(mode, t, m, price, -size);  // closes at the price, realises through clearing
      cash = a.positions[static_cast<std::size_t>(it - a.positions.begin())].realized - before;
    } else {
      // Intrinsic value x size: longs receive it rounded down, shorts pay it rounded up.
      const Qty q = size < 0 ? -size : size;
      const i128 raw = static_cast<i128>(intrinsic) * q * m.mult;
      if (size > 0) {
        cash = static_cast<Amount>(raw / m.div);
        received += cash;
      } else {
        cash = -static_cast<Amount>((raw + m.div - 1) / m.div);
        paid -= cash;
      }
      Position& p = *it;
      a.assets[kUSDC].balance += cash;
      p.realized += cash - p.cost;
      if (cash - p.cost > 0) a.profit += cash - p.cost;
      if (size > 0) m.stats.open_interest -= size;
      p.size = 0;
      p.cost = 0;
    }
    if (cash > 0) {
      gains.emplace_back(t, cash);
    }
    ExEvent& e = push_event(*out_);
    e.type = EventType::SettlementPaid;
    e.mode = static_cast<std::uint8_t>(mode);
    e.market = m.id;
    e.trader = t;
    e.asset = kUSDC;
    e.price = price;
    e.qty = size;
    e.amount = cash;
    touch(mode, t);
  }
  Amount& fund = system_[index(mode)].insurance[kUSDC];
  fund += paid - received;
  // Losers who cannot pay (equity below zero) are covered by the fund; what the fund cannot
  // cover is taken from this settlement's winners, pro rata to their gains (rounded up, the
  // excess stays in the fund). The margin check then moves the money to the losers.
  auto haircut = [&](i128 beyond, bool cash_only) {
    i128 total = 0;
    for (const auto& g : gains) total += g.second;
    if (total <= 0) return;
    for (auto& [t, gain] : gains) {
      Balance& b = bal(mode, t, kUSDC);
      Amount h = static_cast<Amount>(std::min<i128>(gain, (beyond * gain + total - 1) / total));
      if (cash_only) h = std::min(h, std::max<Amount>(b.balance - b.pending, 0));
      if (h <= 0) continue;
      gain -= h;
      b.balance -= h;
      fund += h;
      touch(mode, t);
      ExEvent& e = push_event(*out_);
      e.type = EventType::SettlementHaircut;
      e.mode = static_cast<std::uint8_t>(mode);
      e.market = m.id;
      e.trader = t;
      e.asset = kUSDC;
      e.amount = h;
    }
  };
  i128 deficit = 0;
  for (TraderId t : holders) deficit += std::max<Amount>(-margin(mode, t).equity, 0);
  const i128 beyond = deficit - std::max<Amount>(fund, 0);
  if (beyond > 0) haircut(beyond, false);
  if (!touched_.empty()) run_risk(m.id);
  // Liquidating the losers can cost more than their equity at mark (the book's slippage): if
  // that left the fund below zero, the winners' remaining gains make it up, as far as their
  // free cash goes (docs/margin.md).
  if (fund < 0) {
    haircut(-static_cast<i128>(fund), true);
    if (!touched_.empty()) run_risk(m.id);
  }
}

}  // namespace cx::engine
