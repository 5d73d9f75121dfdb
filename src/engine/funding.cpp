// Perpetual funding: premium samples (mark vs index) and the periodic payment between longs
// and shorts, proportional to position notional at the index (docs/margin.md, "Funding").
#include <algorithm>
#include <vector>

#include "core/int128.hpp"
#include "engine/exchange.hpp"

namespace cx::engine {

void Exchange::funding_sample(const FundingSample& c) {
  if (c.market >= markets_.size()) return reject(Reason::UnknownMarket);
  Market& m = *markets_[c.market];
  if (m.spec.kind != MarketKind::Perp) return reject(Reason::WrongMarketKind, 0, c.market);
  if (m.status == MarketStatus::Delisted) return reject(Reason::MarketNotActive, 0, c.market);
  if (m.index <= 0 || m.mark <= 0) return reject(Reason::InvalidPrice, 0, c.market);
  const auto premium =
      static_cast<std::int64_t>(static_cast<i128>(m.mark - m.index) * 1'000'000 / m.index);
  m.risk.funding_sum_ppm += premium;
  m.risk.funding_samples += 1;
  m.funding_clock.sampled_at = now_;
  ExEvent& e = push_event(*out_);
  e.type = EventType::FundingSampled;
  e.mode = static_cast<std::uint8_t>(m.spec.mode);
  e.market = m.id;
  e.price = m.mark;
  e.qty = m.index;
  e.amount = premium;
}

void Exchange::funding_settle(const FundingSettle& c) {
  if (c.market >= markets_.size()) return reject(Reason::UnknownMarket);
  Market& m = *markets_[c.market];
  if (m.spec.kind != MarketKind::Perp) return reject(Reason::WrongMarketKind, 0, c.market);
  if (m.status == MarketStatus::Delisted) return reject(Reason::MarketNotActive, 0, c.market);
  if (m.index <= 0) return reject(Reason::InvalidPrice, 0, c.market);
  const Mode mode = m.spec.mode;
  MarketRisk& r = m.risk;
  const std::int64_t samples = r.funding_samples;
  std::int64_t rate = samples > 0 ? r.funding_sum_ppm / samples : 0;
  rate = std::clamp(rate + config_.funding_interest_ppm, -config_.funding_clamp_ppm,
                    config_.funding_clamp_ppm);
  r.funding_sum_ppm = 0;
  r.funding_samples = 0;
  m.funding_clock.settled_at = now_;
  // Payers round up, receivers round down: the difference goes to the insurance fund, so the
  // payments are zero-sum to the unit with the fund included.
  Amount paid = 0;
  Amount received = 0;
  const std::vector<TraderId> holders(m.risk_index.holders.begin(), m.risk_index.holders.end());
  for (TraderId t : holders) {
    Account& a = acct(mode, t);
    auto it = std::lower_bound(a.positions.begin(), a.positions.end(), m.id,
                               [](const Position& p, MarketId id) { return p.market < id; });
    if (it == a.positions.end() || it->market != m.id || it->size == 0) continue;
    Position& p = *it;
    const Qty q = p.size < 0 ? -p.size : p.size;
    const i128 raw = static_cast<i128>(m.index) * q * m.mult * (rate < 0 ? -rate : rate);
    const i128 unit = static_cast<i128>(m.div) * 1'000'000;
    const bool pays = (p.size > 0) == (rate > 0);
    Amount amount = 0;
    if (rate != 0 && pays) {
      amount = -static_cast<Amount>((raw + unit - 1) / unit);
      paid -= amount;
    } else if (rate != 0) {
      amount = static_cast<Amount>(raw / unit);
      received += amount;
    }
    a.assets[kUSDC].balance += amount;
    p.funding += amount;
    ExEvent& e = push_event(*out_);
    e.type = EventType::FundingPaid;
    e.mode = static_cast<std::uint8_t>(mode);
    e.market = m.id;
    e.trader = t;
    e.asset = kUSDC;
    e.price = m.index;
    e.qty = p.size;
    e.amount = amount;
    touch(mode, t);
  }
  system_[index(mode)].insurance[kUSDC] += paid - received;
  system_[index(mode)].funding_rounding += paid - received;
  ExEvent& e = push_event(*out_);
  e.type = EventType::FundingSettled;
  e.mode = static_cast<std::uint8_t>(mode);
  e.market = m.id;
  e.asset = kUSDC;
  e.count = static_cast<std::uint32_t>(samples);
  e.price = m.index;
  e.amount = rate;
  e.notional = paid - received;
  if (!touched_.empty()) run_risk(m.id);
}

}  // namespace cx::engine
