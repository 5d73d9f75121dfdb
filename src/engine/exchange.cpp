#include "engine/exchange.hpp"

#include <algorithm>
#include <string>

#include "core/decimal.hpp"
#include "core/int128.hpp"
#include "engine/money.hpp"

namespace cx::engine {

StatWindow MarketStats::rolling_24h(Timestamp now) const {
  const std::int64_t hour = now / 3'600'000;
  StatWindow w;
  for (std::size_t i = 0; i < hours.size(); ++i) {
    if (hour_of[i] > hour - 24 && hour_of[i] <= hour && hours[i].trades > 0) {
      w.volume += hours[i].volume;
      w.trades += hours[i].trades;
      w.fees += hours[i].fees;
    }
  }
  return w;
}

Exchange::Exchange(ExchangeConfig config) : config_(config) {}

void Exchange::reserve(std::uint32_t orders, std::uint32_t traders) {
  pool_.reserve(orders);
  meta_.reserve(orders);
  cids_.reserve(orders);
  trader_names_.reserve(traders);
  for (auto& a : accounts_) a.reserve(traders);
  for (auto& h : has_positions_) h.reserve(traders);
}

// ---------------------------------------------------------------- lookups

std::optional<TraderId> Exchange::trader_id(std::string_view name) const {
  auto it = trader_ids_.find(name);
  if (it == trader_ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<MarketId> Exchange::market_id(Mode mode, std::string_view symbol) const {
  auto it = market_ids_.find(std::pair<Mode, std::string>(mode, std::string(symbol)));
  if (it == market_ids_.end()) return std::nullopt;
  return it->second;
}

const Account& Exchange::account(Mode mode, TraderId trader) const {
  return accounts_[index(mode)][trader];
}

std::string_view Exchange::client_order_id(std::uint32_t ref) const {
  return ref == 0 || ref > cid_refs_.size() ? std::string_view{} : cid_refs_[ref - 1];
}

std::string_view Exchange::client_order_id_of(OrderId id) const {
  std::uint32_t s = slot_of(id);
  return s < meta_.size() && meta_[s].id == id ? std::string_view(meta_[s].cid)
                                               : std::string_view{};
}

std::int64_t Exchange::points(Mode mode, TraderId trader) const {
  if (mode != Mode::Paper || !valid_trader(trader)) return 0;
  const Account& a = account(mode, trader);
  return a.limit_orders * config_.points_per_limit_order +
         a.volume / 1'000'000 * config_.points_per_usdc_volume +
         a.profit / 1'000'000 * config_.points_per_usdc_profit;
}

std::optional<Amount> Exchange::notional(const Market& m, Price price, Qty qty) noexcept {
  std::int64_t p;
  if (m.mult == 1 && !__builtin_mul_overflow(price, qty, &p)) [[likely]]
    return m.div == 1 ? p : p / m.div;
  const i128 v = static_cast<i128>(price) * qty * m.mult / m.div;
  if (v > INT64_MAX || v < INT64_MIN) return std::nullopt;
  return static_cast<Amount>(v);
}

Exchange::OrderMeta& Exchange::meta(OrderId id) {
  std::uint32_t s = slot_of(id);
  if (s >= meta_.size()) meta_.resize(s + std::size_t{1});
  return meta_[s];
}

// ---------------------------------------------------------------- apply

void Exchange::apply(const Command& cmd, ExEventBuffer& out) {
  out_ = &out;
  cid_refs_.clear();
  if (cmd.seq != 0) {
    if (last_seq_ != 0 && cmd.seq != last_seq_ + 1) {
      reject(Reason::SeqOutOfOrder);
      out_ = nullptr;
      return;
    }
    last_seq_ = cmd.seq;
  }
  now_ = std::max(now_, cmd.ts);  // time never runs backwards
  ++commands_;
  if (!due_.empty() && due_.front().at <= now_) expire_due();
  dispatch(cmd, cmd.body, false);
  if (!touched_.empty()) run_risk(kNoMarket);
  out_ = nullptr;
}

void Exchange::dispatch(const Command& cmd, const CommandBody& body, bool in_batch) {
  if (in_batch && !std::holds_alternative<PlaceOrder>(body) &&
      !std::holds_alternative<AmendOrder>(body) && !std::holds_alternative<CancelOrder>(body) &&
      !std::holds_alternative<CancelAll>(body)) {
    reject(Reason::NotInBatch);
    return;
  }
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, RegisterTrader>)
          register_trader(c);
        else if constexpr (std::is_same_v<T, CreateMarket>)
          create_market(c);
        else if constexpr (std::is_same_v<T, SetMarketStatus>)
          set_status(c);
        else if constexpr (std::is_same_v<T, Deposit>)
          deposit(c);
        else if constexpr (std::is_same_v<T, Withdraw>)
          withdraw(c);
        else if constexpr (std::is_same_v<T, PlaceOrder>)
          place(c);
        else if constexpr (std::is_same_v<T, AmendOrder>)
          amend(c);
        else if constexpr (std::is_same_v<T, CancelOrder>)
          cancel(c);
        else if constexpr (std::is_same_v<T, CancelAll>)
          cancel_all(c);
        else if constexpr (std::is_same_v<T, PriceUpdate>)
          price_update(c);
        else if constexpr (std::is_same_v<T, ClockTick>)
          (void)c;
        else if constexpr (std::is_same_v<T, FundingSample>)
          funding_sample(c);
        else if constexpr (std::is_same_v<T, FundingSettle>)
          funding_settle(c);
        else if constexpr (std::is_same_v<T, SettleMarket>)
          settle_market(c);
        else if constexpr (std::is_same_v<T, Batch>) {
          if (in_batch) {
            reject(Reason::NotInBatch);
            return;
          }
          for (const Command& sub : c.commands) dispatch(cmd, sub.body, true);
        }
      },
      body);
}

void Exchange::reject(Reason r, TraderId trader, MarketId market, std::string_view cid,
                      OrderId target) {
  ExEvent& e = push_event(*out_);
  e.type = EventType::Rejected;
  e.reason = r;
  e.trader = trader;
  e.market = market;
  e.order_id = target;
  if (!cid.empty()) {
    e.cid_ref = remember_cid(cid);
  }
  if (market < markets_.size()) e.mode = static_cast<std::uint8_t>(markets_[market]->spec.mode);
}

std::uint32_t Exchange::remember_cid(std::string_view cid) {
  if (cid.empty()) return 0;
  cid_refs_.emplace_back(cid);
  return static_cast<std::uint32_t>(cid_refs_.size());
}

// ---------------------------------------------------------------- traders and money

void Exchange::register_trader(const RegisterTrader& c) {
  if (c.name.empty() || c.name.size() > 128) return reject(Reason::InvalidAmount);
  if (trader_ids_.contains(c.name)) return reject(Reason::DuplicateTrader);
  auto id = static_cast<TraderId>(trader_names_.size());
  trader_names_.push_back(c.name);
  trader_ids_.emplace(c.name, id);
  for (auto& a : accounts_) a.emplace_back();
  for (auto& h : has_positions_) h.push_back(0);
  ExEvent& e = push_event(*out_);
  e.type = EventType::TraderRegistered;
  e.trader = id;
  if (config_.paper_grant > 0) deposit(Deposit{Mode::Paper, id, kUSDC, config_.paper_grant});
}

void Exchange::deposit(const Deposit& c) {
  if (!valid_trader(c.trader)) return reject(Reason::UnknownTrader, c.trader);
  if (c.asset >= kAssetCount) return reject(Reason::UnknownAsset, c.trader);
  if (c.amount <= 0) return reject(Reason::InvalidAmount, c.trader);
  Balance& b = bal(c.mode, c.trader, c.asset);
  SystemAccounts& s = system_[index(c.mode)];
  if (b.balance > INT64_MAX - c.amount || s.deposits[c.asset] > INT64_MAX - c.amount)
    return reject(Reason::InvalidAmount, c.trader);
  b.balance += c.amount;
  s.deposits[c.asset] += c.amount;
  if (!acct(c.mode, c.trader).positions.empty()) touch(c.mode, c.trader);
  ExEvent& e = push_event(*out_);
  e.type = EventType::Deposited;
  e.mode = static_cast<std::uint8_t>(c.mode);
  e.trader = c.trader;
  e.asset = c.asset;
  e.amount = c.amount;
}

void Exchange::withdraw(const Withdraw& c) {
  if (!valid_trader(c.trader)) return reject(Reason::UnknownTrader, c.trader);
  if (c.asset >= kAssetCount) return reject(Reason::UnknownAsset, c.trader);
  if (c.amount <= 0) return reject(Reason::InvalidAmount, c.trader);
  if (available(c.mode, c.trader, c.asset) < c.amount)
    return reject(Reason::InsufficientBalance, c.trader);
  bal(c.mode, c.trader, c.asset).balance -= c.amount;
  system_[index(c.mode)].withdrawals[c.asset] += c.amount;
  if (!acct(c.mode, c.trader).positions.empty()) touch(c.mode, c.trader);
  ExEvent& e = push_event(*out_);
  e.type = EventType::Withdrawn;
  e.mode = static_cast<std::uint8_t>(c.mode);
  e.trader = c.trader;
  e.asset = c.asset;
  e.amount = c.amount;
}

Amount Exchange::position_margin(Mode mode, TraderId t) const {
  Amount total = 0;
  for (const Position& p : account(mode, t).positions) {
    if (p.size == 0) continue;
    const Market& m = *markets_[p.market];
    if (m.spec.kind == MarketKind::Option) {
      if (p.size > 0) continue;  // a long option's risk is its premium, already paid
      Price ref = std::max(m.index, m.spec.strike);
      total +=
          bps_ceil(notional(m, ref, -p.size).value_or(INT64_MAX / 4), m.spec.initial_margin_bps);
    } else {
      total += bps_ceil(p.cost < 0 ? -p.cost : p.cost, m.spec.initial_margin_bps);
    }
  }
  return total;
}

Amount Exchange::unrealized_pnl(Mode mode, TraderId t) const {
  Amount pnl = 0;
  for (const Position& p : account(mode, t).positions) {
    if (p.size == 0) continue;
    pnl += upnl_at_mark(*markets_[p.market], p);
  }
  return pnl;
}

Amount Exchange::available(Mode mode, TraderId t, AssetId a) const {
  const Balance& b = account(mode, t).assets[a];
  Amount free = b.balance - b.pending;
  if (a == kUSDC) {
    // Cross margin: open positions hold their initial margin, and a loss at the mark is not
    // available (a profit is, only once realised).
    free -= position_margin(mode, t);
    free += std::min<Amount>(0, unrealized_pnl(mode, t));
  }
  return free;
}

std::optional<MarketId> Exchange::market_of(OrderId id) const {
  const std::uint32_t s = slot_of(id);
  if (s >= pool_.high_water()) return std::nullopt;
  const Order& o = pool_[s];
  if (o.id != id || o.level == kNil) return std::nullopt;
  return o.market;
}

// ---------------------------------------------------------------- markets

void Exchange::create_market(const CreateMarket& c) {
  const MarketSpec& s = c.spec;
  auto bad = [&] { reject(Reason::InvalidMarketSpec); };
  if (s.symbol.empty() || s.symbol.size() > 64) return bad();
  if (market_ids_.contains(std::pair<Mode, std::string>(s.mode, s.symbol)))
    return reject(Reason::DuplicateMarket);
  if (s.price_scale < 0 || s.qty_scale < 0 || s.price_scale + s.qty_scale > kMaxScale) return bad();
  if (s.tick <= 0 || s.lot <= 0 || s.min_qty < s.lot || s.min_qty % s.lot != 0) return bad();
  if (s.maker_fee_bps < 0 || s.maker_fee_bps > 1000 || s.taker_fee_bps < 0 ||
      s.taker_fee_bps > 1000)
    return bad();
  if (s.quote != kUSDC || s.quote >= kAssetCount || s.base >= kAssetCount) return bad();
  if (s.kind == MarketKind::Spot) {
    if (s.base == kUSDC || s.qty_scale > kAssets[s.base].scale) return bad();
  } else {
    if (s.initial_margin_bps <= 0 || s.initial_margin_bps > 10'000 ||
        s.maintenance_margin_bps <= 0 || s.maintenance_margin_bps > s.initial_margin_bps)
      return bad();
  }
  if ((s.kind == MarketKind::Future || s.kind == MarketKind::Option) && s.expiry <= 0) return bad();
  if (s.kind == MarketKind::Option && s.strike <= 0) return bad();

  auto m = std::make_unique<Market>();
  m->spec = s;
  m->id = static_cast<MarketId>(markets_.size());
  const int quote_scale = kAssets[s.quote].scale;
  const int shift = s.price_scale + s.qty_scale - quote_scale;
  m->mult = shift < 0 ? pow10(-shift) : 1;
  m->div = shift > 0 ? pow10(shift) : 1;
  // Every notional must be a whole number of the quote's smallest unit: tick x lot is one.
  if ((static_cast<i128>(s.tick) * s.lot * m->mult) % m->div != 0) return bad();
  m->book = std::make_unique<OrderBook>(BookSpec{m->id, s.tick, s.lot, s.min_qty}, &pool_);
  market_ids_.emplace(std::pair<Mode, std::string>(s.mode, s.symbol), m->id);
  ExEvent& e = push_event(*out_);
  e.type = EventType::MarketCreated;
  e.market = m->id;
  e.mode = static_cast<std::uint8_t>(s.mode);
  markets_.push_back(std::move(m));
}

void Exchange::set_status(const SetMarketStatus& c) {
  if (c.market >= markets_.size()) return reject(Reason::UnknownMarket);
  Market& m = *markets_[c.market];
  const MarketStatus from = m.status;
  const bool ok = (c.status == MarketStatus::Paused && from == MarketStatus::Active) ||
                  (c.status == MarketStatus::Active && from == MarketStatus::Paused) ||
                  (c.status == MarketStatus::Delisted &&
                   (from == MarketStatus::Active || from == MarketStatus::Paused));
  if (!ok) return reject(Reason::MarketNotActive, 0, c.market);
  m.status = c.status;
  ExEvent& ev = push_event(*out_);
  ev.type = EventType::MarketStatus;
  ev.market = c.market;
  ev.mode = static_cast<std::uint8_t>(m.spec.mode);
  ev.count = static_cast<std::uint32_t>(c.status);
  if (c.status == MarketStatus::Active && m.mark > 0) {
    // Marks that arrived while paused reach the triggers now.
    m.book->on_price(m.mark, now_, book_ev_);
    settle();
    touch_at_risk(m);
    if (!touched_.empty()) run_risk(m.id);
  }
  if (c.status == MarketStatus::Delisted) {
    // Every live order leaves, trader by trader in id order.
    for (TraderId t = 0; t < trader_names_.size(); ++t) {
      m.book->cancel_all(t, now_, book_ev_);
      settle();
    }
  }
}

void Exchange::price_update(const PriceUpdate& c) {
  if (c.market >= markets_.size()) return reject(Reason::UnknownMarket);
  if (c.index < 0 || c.mark < 0 || (c.mark == 0 && c.index <= 0))
    return reject(Reason::InvalidPrice, 0, c.market);
  Market& m = *markets_[c.market];
  if (m.status == MarketStatus::Settled || m.status == MarketStatus::Delisted)
    return reject(Reason::MarketNotActive, 0, c.market);
  MarketRisk& r = m.risk;
  // Settlement TWAP: the previous index held from its time until now.
  if (m.spec.expiry > 0 && r.price_ts >= 0) {
    const Timestamp from = std::max(r.price_ts, m.spec.expiry - config_.settlement_window_ms);
    const Timestamp to = std::min(now_, m.spec.expiry);
    if (to > from) {
      r.twap_sum += m.index * (to - from);
      r.twap_ms += to - from;
    }
  }
  r.price_ts = now_;
  m.index = c.index;
  m.mark = c.mark != 0 ? c.mark : derived_mark(m);
  ExEvent& e = push_event(*out_);
  e.type = EventType::PriceUpdated;
  e.market = c.market;
  e.mode = static_cast<std::uint8_t>(m.spec.mode);
  e.price = m.mark;
  e.qty = c.index;
  if (m.status != MarketStatus::Active) return;  // triggers wait while paused
  m.book->on_price(m.mark, now_, book_ev_);
  settle();
  touch_at_risk(m);
  if (!touched_.empty()) run_risk(c.market);
}

Price Exchange::derived_mark(Market& m) {
  MarketRisk& r = m.risk;
  if (m.spec.kind == MarketKind::Option) {
    // An option's mark without a quote: its intrinsic value (at least one tick).
    const Price intrinsic = m.spec.is_call ? m.index - m.spec.strike : m.spec.strike - m.index;
    return std::max(intrinsic, m.spec.tick);
  }
  const auto bid = m.book->best_bid();
  const auto ask = m.book->best_ask();
  const Amount sample = bid && ask ? (*bid + *ask) / 2 - m.index : 0;
  r.premium_ema += (sample - r.premium_ema) / (Amount{1} << config_.mark_ema_shift);
  const auto cap =
      static_cast<Amount>(static_cast<i128>(m.index) * config_.mark_premium_cap_bps / 10'000);
  return std::max<Price>(m.index + std::clamp(r.premium_ema, -cap, cap), 1);
}

void Exchange::expire_due() {
  while (!due_.empty() && due_.front().at <= now_) {
    MarketId id = due_.front().market;
    std::pop_heap(due_.begin(), due_.end(), due_later);
    due_.pop_back();
    markets_[id]->book->advance_time(now_, book_ev_);
    settle();
  }
}

}  // namespace cx::engine
