#include "store/projector.hpp"

#include <algorithm>
#include <string>

#include "store/try.hpp"

namespace cx::store {

using engine::EventType;
using engine::ExEvent;

namespace {

void apply_change(OrderRecord& o, const OrderChange& c) {
  o.filled += c.filled_add;
  o.filled_notional += c.notional_add;
  o.fees += c.fee_add;
  if (c.price) o.price = *c.price;
  if (c.qty) o.qty = *c.qty;
  if (c.remaining) o.remaining = *c.remaining;
  if (c.status) o.status = *c.status;
  if (c.reason) o.reason = engine::to_string(*c.reason);
  if (c.triggered_at) o.triggered_at = c.triggered_at;
  o.updated_seq = c.seq;
  o.updated_at = c.ts;
}

std::uint64_t candle_key(MarketId market, KlineInterval i) {
  return std::uint64_t{market} << 3 | static_cast<std::uint64_t>(i);
}

}  // namespace

Result<std::unique_ptr<Projector>> Projector::open(ProjectionSink& sink) {
  CX_TRY(st, sink.projection_state());
  std::unique_ptr<Projector> p(new Projector(sink));
  p->committed_ = p->state_ = st;
  return p;
}

Projector::~Projector() {
  if (in_tx_) sink_->rollback_projection();
}

Result<void> Projector::apply_batch(SeqNo seq, Timestamp ts, std::span<const ExEvent> events,
                                    const engine::Exchange& x, const engine::Command* cmd) {
  if (seq != 0 && seq <= state_.last_seq) {
    ++stats_.skipped;
    return {};
  }
  capture(seq, ts, events, x, cmd, scratch_);
  return apply(scratch_);
}

Result<void> Projector::apply(const CommandRecord& rec) {
  if (rec.seq == 0)
    return fail(ErrorCode::InvalidArgument, "projector: a command without a sequence number");
  if (rec.seq <= state_.last_seq) {
    ++stats_.skipped;
    return {};
  }
  if (rec.seq != state_.last_seq + 1)
    return fail(ErrorCode::InvalidArgument,
                "projector: gap in the command stream: the read store is at seq " +
                    std::to_string(state_.last_seq) + " and was given seq " +
                    std::to_string(rec.seq) + "; feed it from seq " +
                    std::to_string(state_.last_seq + 1));
  if (!in_tx_) {
    CX_CHECK(sink_->begin_projection());
    in_tx_ = true;
  }
  if (auto r = project(rec); !r) {
    rollback();
    return r;
  }
  ++stats_.commands;
  stats_.events += rec.events.size();
  if (!rec.placements_complete) ++stats_.unmatched;
  return {};
}

Result<void> Projector::project(const CommandRecord& rec) {
  const SeqNo seq = rec.seq;
  const Timestamp ts = std::max(state_.last_ts, rec.ts);  // the engine's clock never runs back
  std::size_t next_placement = 0;
  for (std::size_t i = 0; i < rec.events.size(); ++i) {
    const ExEvent& e = rec.events[i];
    const Placement* pl = nullptr;
    if (next_placement < rec.placements.size() && rec.placements[next_placement].event == i)
      pl = &rec.placements[next_placement++];
    switch (e.type) {
      case EventType::TraderRegistered:
        for (const NewTrader& t : rec.traders)
          if (t.id == e.trader) CX_CHECK(sink_->put_trader(t.id, t.name, seq, ts));
        break;
      case EventType::MarketCreated:
        for (const MarketInfo& m : rec.markets)
          if (m.id == e.market) CX_CHECK(sink_->put_market(m, seq, ts));
        break;
      case EventType::MarketStatus:
        CX_CHECK(sink_->set_market_status(e.market, static_cast<engine::MarketStatus>(e.count)));
        break;
      case EventType::Accepted: {
        OrderRecord o;
        o.hid = state_.next_hid++;
        o.order_id = e.order_id;
        o.trader = e.trader;
        o.mode = static_cast<Mode>(e.mode);
        o.market = e.market;
        o.client_order_id = rec.cid(e.cid_ref);
        o.side = e.side;
        if (pl && !pl->rejected) o.terms = pl->terms;
        o.price = e.price;
        o.qty = e.qty;
        o.remaining = e.remaining;
        o.status = OrderStatus::Open;
        o.created_seq = o.updated_seq = seq;
        o.created_at = o.updated_at = ts;
        new_index_[o.order_id] = new_orders_.size();
        new_orders_.push_back(std::move(o));
        ++stats_.orders;
        break;
      }
      case EventType::Rejected:
        if (pl && pl->rejected) {
          OrderRecord o;
          o.hid = state_.next_hid++;
          o.trader = pl->trader;
          o.mode = pl->mode;
          o.market = pl->market;
          o.client_order_id = pl->client_order_id;
          o.side = pl->side;
          o.terms = pl->terms;
          o.price = pl->price;
          o.qty = pl->qty;
          o.status = OrderStatus::Rejected;
          o.reason = engine::to_string(e.reason);
          o.created_seq = o.updated_seq = seq;
          o.created_at = o.updated_at = ts;
          new_orders_.push_back(std::move(o));
          ++stats_.orders;
          ++stats_.rejected_orders;
        }
        break;
      case EventType::Fill:
        CX_CHECK(on_fill(rec, e, ts));
        break;
      case EventType::Cancelled:
      case EventType::Expired: {
        OrderChange c;
        c.order_id = e.order_id;
        c.remaining = 0;
        c.status = e.type == EventType::Cancelled ? OrderStatus::Cancelled : OrderStatus::Expired;
        c.reason = e.reason;
        c.seq = seq;
        c.ts = ts;
        CX_CHECK(change(c));
        break;
      }
      case EventType::Amended: {
        OrderChange c;
        c.order_id = e.order_id;
        c.price = e.price;
        c.qty = e.qty;
        c.remaining = e.remaining;
        c.seq = seq;
        c.ts = ts;
        CX_CHECK(change(c));
        break;
      }
      case EventType::FundingPaid:
      case EventType::SettlementPaid:
      case EventType::SettlementHaircut:
      case EventType::LiquidationPenalty:
      case EventType::InsurancePaid:
      case EventType::InsuranceShortfall: {
        IncomeRecord r;
        r.seq = seq;
        r.ts = ts;
        r.mode = static_cast<Mode>(e.mode);
        r.trader = e.trader;
        r.amount = e.amount;
        switch (e.type) {
          case EventType::FundingPaid:
            r.kind = IncomeKind::Funding;
            break;
          case EventType::SettlementPaid:
            r.kind = IncomeKind::Settlement;
            break;
          case EventType::SettlementHaircut:
            r.kind = IncomeKind::SettlementHaircut;
            r.amount = -e.amount;
            break;
          case EventType::LiquidationPenalty:
            r.kind = IncomeKind::LiquidationPenalty;
            r.amount = -e.amount;
            break;
          case EventType::InsurancePaid:
            r.kind = IncomeKind::InsurancePaid;
            break;
          default:
            r.kind = IncomeKind::InsuranceShortfall;
            break;
        }
        if (e.type == EventType::FundingPaid || e.type == EventType::SettlementPaid ||
            e.type == EventType::SettlementHaircut)
          r.market = e.market;
        if (r.amount == 0) break;  // only cash that moved
        CX_CHECK(sink_->put_income(r));
        ++stats_.income;
        break;
      }
      case EventType::PriceUpdated: {
        // One row per market and minute: the minute's last index (qty) and mark (price).
        const Timestamp minute = bucket_start(KlineInterval::M1, ts);
        const std::uint64_t key =
            (std::uint64_t{e.market} << 40) ^ static_cast<std::uint64_t>(minute / 60'000);
        auto [it, fresh] = prices_index_.try_emplace(key, prices_.size());
        if (fresh) prices_.push_back({});
        prices_[it->second] = PricePoint{e.market, minute, e.qty, e.price, ts};
        break;
      }
      case EventType::Triggered: {
        OrderChange c;
        c.order_id = e.order_id;
        c.triggered_at = ts;
        c.seq = seq;
        c.ts = ts;
        CX_CHECK(change(c));
        break;
      }
      default:
        break;
    }
  }
  for (const PointsEntry& p : rec.points) {
    // One pending entry per trader and UTC day: each day keeps its last value however the
    // commands are batched (days only move forward, so the vector stays in time order).
    const std::uint64_t key =
        std::uint64_t{p.trader} << 32 |
        static_cast<std::uint32_t>(bucket_start(KlineInterval::D1, ts) / 86'400'000);
    auto [it, fresh] = points_index_.try_emplace(key, points_.size());
    if (fresh) points_.push_back(p);
    PointsEntry& dst = points_[it->second];
    dst = p;
    dst.seq = seq;
    dst.ts = ts;
  }
  state_.last_seq = seq;
  state_.last_ts = ts;
  return {};
}

Result<void> Projector::on_fill(const CommandRecord& rec, const ExEvent& e, Timestamp ts) {
  TradeRecord t;
  t.id = state_.next_trade_id++;
  t.seq = rec.seq;
  t.ts = ts;
  t.mode = static_cast<Mode>(e.mode);
  t.market = e.market;
  t.price = e.price;
  t.qty = e.qty;
  t.notional = e.notional;
  t.taker_side = e.side;
  t.taker = e.trader;
  t.taker_order = e.order_id;
  t.taker_fee = e.taker_fee;
  t.maker = e.maker_trader;
  t.maker_order = e.maker_id;
  t.maker_fee = e.maker_fee;
  CX_CHECK(sink_->insert_trade(t, rec.cid(e.cid_ref), rec.cid(e.maker_cid_ref)));
  ++stats_.trades;

  OrderChange taker;
  taker.order_id = e.order_id;
  taker.filled_add = e.qty;
  taker.notional_add = e.notional;
  taker.fee_add = e.taker_fee;
  taker.remaining = e.remaining;
  taker.status = e.remaining == 0 ? OrderStatus::Filled : OrderStatus::Partial;
  taker.seq = rec.seq;
  taker.ts = ts;
  CX_CHECK(change(taker));

  OrderChange maker = taker;
  maker.order_id = e.maker_id;
  maker.fee_add = e.maker_fee;
  maker.remaining = e.maker_remaining;
  maker.status = e.maker_remaining == 0 ? OrderStatus::Filled : OrderStatus::Partial;
  CX_CHECK(change(maker));

  return kline(e.market, e.price, e.qty, e.notional, ts);
}

Result<void> Projector::change(const OrderChange& c) {
  if (auto it = new_index_.find(c.order_id); it != new_index_.end()) {
    apply_change(new_orders_[it->second], c);
    return {};
  }
  return sink_->update_order(c);
}

Result<void> Projector::kline(MarketId market, Price price, Qty qty, Amount notional,
                              Timestamp ts) {
  for (KlineInterval iv : kKlineIntervals) {
    const Timestamp start = bucket_start(iv, ts);
    auto it = candles_.find(candle_key(market, iv));
    if (it == candles_.end() || it->second.k.open_time != start) {
      std::optional<Kline> existing;
      if (it == candles_.end()) {
        // First touch since opening (or a rollback): the bucket may already be in the store.
        CX_TRY(k, sink_->kline(market, iv, start));
        existing = std::move(k);
        it = candles_.emplace(candle_key(market, iv), Candle{}).first;
      } else if (it->second.dirty) {
        // Time only moves forward, so a later bucket cannot be in the store yet.
        CX_CHECK(sink_->put_kline(it->second.k));
      }
      Candle& c = it->second;
      c.dirty = false;
      if (existing) {
        c.k = *existing;
      } else {
        c.k = Kline{market, iv, start, bucket_end(iv, start), price, price, price, price, 0, 0, 0};
      }
    }
    Kline& k = it->second.k;
    k.high = std::max(k.high, price);
    k.low = std::min(k.low, price);
    k.close = price;
    k.volume += qty;
    k.quote_volume += notional;
    ++k.trades;
    it->second.dirty = true;
  }
  return {};
}

Result<void> Projector::flush() {
  for (const OrderRecord& o : new_orders_) CX_CHECK(sink_->insert_order(o));
  for (auto& [key, c] : candles_)
    if (c.dirty) CX_CHECK(sink_->put_kline(c.k));
  for (const PointsEntry& p : points_) CX_CHECK(sink_->put_points(p));
  for (const PricePoint& p : prices_) CX_CHECK(sink_->put_price(p));
  return {};
}

Result<void> Projector::commit() {
  if (!in_tx_) return {};
  auto r = flush();
  if (r) r = sink_->commit_projection(state_);
  if (!r) {
    rollback();
    return r;
  }
  committed_ = state_;
  in_tx_ = false;
  new_orders_.clear();
  new_index_.clear();
  points_.clear();
  points_index_.clear();
  prices_.clear();
  prices_index_.clear();
  for (auto& [key, c] : candles_) c.dirty = false;
  ++stats_.commits;
  return {};
}

void Projector::rollback() noexcept {
  if (in_tx_) sink_->rollback_projection();
  in_tx_ = false;
  state_ = committed_;
  new_orders_.clear();
  new_index_.clear();
  points_.clear();
  points_index_.clear();
  prices_.clear();
  prices_index_.clear();
  candles_.clear();
}

}  // namespace cx::store
