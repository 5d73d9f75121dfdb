#include "store/capture.hpp"

#include <algorithm>
#include <variant>

namespace cx::store {

using engine::EventType;
using engine::ExEvent;
using engine::Reason;

namespace {

OrderTerms terms_of(const engine::NewOrder& o) {
  return OrderTerms{o.type,      o.tif,       o.trigger_kind, o.trigger,
                    o.expire_at, o.post_only, o.reduce_only,  o.stp};
}

// ---- Matching placements to events.
//
// A PlaceOrder, alone or inside a Batch, shows in the events as exactly one Accepted (first of
// its events) or one Rejected. Other sub-commands of a batch show as nothing, a Rejected, or
// events that are neither Accepted nor Rejected. So walking the Accepted and Rejected events
// in order beside the sub-commands pairs each placement with its event, provided a Rejected
// can be told apart: a placement's has order id 0 and never ORDER_NOT_FOUND; an amend's or a
// cancel's carries the target id, or is ORDER_NOT_FOUND / UNKNOWN_TRADER; a cancel-all's is
// UNKNOWN_TRADER or UNKNOWN_MARKET. Where two readings remain (UNKNOWN_TRADER, UNKNOWN_MARKET)
// the exchange decides: such a sub-command was certainly refused. (engine/exchange*.cpp is
// where these shapes come from; tests/store checks the pairing on random batches.)

class Matcher {
 public:
  Matcher(const engine::Exchange& x, const CommandRecord& rec) : x_(x), rec_(rec) {}

  bool unknown_trader(TraderId t) const { return t >= x_.trader_count(); }

  bool place_rejected(const ExEvent& e, const engine::PlaceOrder& p) const {
    return e.type == EventType::Rejected && e.order_id == 0 && e.reason != Reason::OrderNotFound &&
           e.reason != Reason::SeqOutOfOrder && e.reason != Reason::NotInBatch &&
           e.trader == p.order.trader && rec_.cid(e.cid_ref) == p.client_order_id &&
           (e.market == p.market || e.market == 0);
  }
  static bool place_accepted(const ExEvent& e, const engine::PlaceOrder& p) {
    return e.type == EventType::Accepted && e.trader == p.order.trader && e.market == p.market &&
           e.side == p.order.side && e.qty == p.order.qty;
  }

  /// Whether `e` is the refusal of the non-placement sub-command `body`.
  bool refusal_of(const ExEvent& e, const engine::CommandBody& body) const {
    if (e.type != EventType::Rejected) return false;
    if (const auto* a = std::get_if<engine::AmendOrder>(&body)) {
      const TraderId t = a->amend.trader;
      if (e.trader != t) return false;
      if (e.reason == Reason::UnknownTrader) return unknown_trader(t);
      if (a->amend.order_id != 0) return e.order_id == a->amend.order_id;
      return e.order_id != 0 || e.reason == Reason::OrderNotFound;
    }
    if (const auto* c = std::get_if<engine::CancelOrder>(&body)) {
      if (e.trader != c->trader || e.order_id != c->order_id || e.market != 0) return false;
      if (e.reason == Reason::UnknownTrader) return unknown_trader(c->trader);
      return e.reason == Reason::OrderNotFound;
    }
    if (const auto* c = std::get_if<engine::CancelAll>(&body)) {
      if (e.trader != c->trader || e.order_id != 0 || e.market != 0) return false;
      if (e.reason == Reason::UnknownTrader) return unknown_trader(c->trader);
      if (e.reason != Reason::UnknownMarket || !c->market) return false;
      return *c->market >= x_.market_count() || x_.market(*c->market).spec.mode != c->mode;
    }
    return e.reason == Reason::NotInBatch;  // anything else inside a batch
  }

 private:
  const engine::Exchange& x_;
  const CommandRecord& rec_;
};

void match_placements(const engine::Command& cmd, const engine::Exchange& x, CommandRecord& rec) {
  std::vector<const engine::CommandBody*> subs;
  if (const auto* b = std::get_if<engine::Batch>(&cmd.body)) {
    subs.reserve(b->commands.size());
    for (const engine::Command& c : b->commands) subs.push_back(&c.body);
  } else if (std::holds_alternative<engine::PlaceOrder>(cmd.body)) {
    subs.push_back(&cmd.body);
  } else {
    return;
  }
  const Matcher m(x, rec);
  std::size_t p = 0;
  for (std::size_t i = 0; i < rec.events.size(); ++i) {
    const ExEvent& e = rec.events[i];
    if (e.type != EventType::Accepted && e.type != EventType::Rejected) continue;
    if (e.type == EventType::Rejected && e.reason == Reason::SeqOutOfOrder) {
      rec.placements_complete = false;  // the command was not applied at all
      return;
    }
    bool matched = false;
    while (p < subs.size() && !matched) {
      const engine::CommandBody& body = *subs[p];
      if (const auto* po = std::get_if<engine::PlaceOrder>(&body)) {
        if (Matcher::place_accepted(e, *po)) {
          Placement pl;
          pl.event = i;
          pl.terms = terms_of(po->order);
          rec.placements.push_back(std::move(pl));
        } else if (m.place_rejected(e, *po)) {
          // A refusal names no order; keep it only when it can be attributed.
          if (po->order.trader < x.trader_count() && po->market < x.market_count()) {
            Placement pl;
            pl.event = i;
            pl.rejected = true;
            pl.terms = terms_of(po->order);
            pl.trader = po->order.trader;
            pl.market = po->market;
            pl.mode = x.market(po->market).spec.mode;
            pl.side = po->order.side;
            pl.price = po->order.price;
            pl.qty = po->order.qty;
            pl.client_order_id = po->client_order_id;
            rec.placements.push_back(std::move(pl));
          }
        } else {
          rec.placements_complete = false;  // the events do not read as the command says
          return;
        }
        matched = true;
      } else if (m.refusal_of(e, body)) {
        matched = true;
      }
      ++p;
    }
    if (!matched) {
      rec.placements_complete = false;
      return;
    }
  }
  // Placements left over produced no event at all: impossible unless the events are partial.
  for (; p < subs.size(); ++p)
    if (std::holds_alternative<engine::PlaceOrder>(*subs[p])) rec.placements_complete = false;
}

void touch_points(const engine::Exchange& x, TraderId t, std::vector<PointsEntry>& out) {
  if (t >= x.trader_count()) return;
  for (const PointsEntry& p : out)
    if (p.trader == t) return;
  const engine::Account& a = x.account(Mode::Paper, t);
  PointsEntry p;
  p.trader = t;
  p.points = x.points(Mode::Paper, t);
  p.limit_orders = a.limit_orders;
  p.volume = a.volume;
  p.profit = a.profit;
  for (const engine::Position& pos : a.positions) p.pnl += pos.realized + pos.funding;
  out.push_back(std::move(p));
}

MarketInfo market_info(const engine::Exchange& x, MarketId id) {
  const engine::Market& m = x.market(id);
  const engine::MarketSpec& s = m.spec;
  MarketInfo info;
  info.id = id;
  info.mode = s.mode;
  info.symbol = s.symbol;
  info.kind = s.kind;
  info.status = m.status;
  info.underlying = s.underlying;
  info.base = s.base;
  info.quote = s.quote;
  info.price_scale = s.price_scale;
  info.qty_scale = s.qty_scale;
  info.quote_scale = engine::kAssets[s.quote].scale;
  return info;
}

}  // namespace

void CommandRecord::clear() {
  seq = 0;
  ts = 0;
  events.clear();
  cids.clear();
  traders.clear();
  markets.clear();
  points.clear();
  placements.clear();
  placements_complete = true;
}

void capture(SeqNo seq, Timestamp ts, std::span<const ExEvent> events, const engine::Exchange& x,
             const engine::Command* cmd, CommandRecord& out) {
  out.clear();
  out.seq = seq;
  out.ts = ts;
  out.events.assign(events.begin(), events.end());
  auto keep_cid = [&](std::uint32_t ref) {
    if (ref == 0) return;
    if (out.cids.size() < ref) out.cids.resize(ref);
    if (out.cids[ref - 1].empty()) out.cids[ref - 1] = x.client_order_id(ref);
  };
  const auto paper = static_cast<std::uint8_t>(Mode::Paper);
  for (const ExEvent& e : events) {
    keep_cid(e.cid_ref);
    keep_cid(e.maker_cid_ref);
    switch (e.type) {
      case EventType::TraderRegistered:
        if (e.trader < x.trader_count()) {
          out.traders.push_back(NewTrader{e.trader, x.trader_name(e.trader)});
          touch_points(x, e.trader, out.points);
        }
        break;
      case EventType::MarketCreated:
        if (e.market < x.market_count()) out.markets.push_back(market_info(x, e.market));
        break;
      case EventType::Accepted:
        if (e.mode == paper) touch_points(x, e.trader, out.points);
        break;
      case EventType::Fill:
      case EventType::AutoDeleveraged:
        if (e.mode == paper) {
          touch_points(x, e.trader, out.points);
          touch_points(x, e.maker_trader, out.points);
        }
        break;
      case EventType::FundingPaid:
      case EventType::SettlementPaid:
      case EventType::SettlementHaircut:
      case EventType::ProfitRealized:
        if (e.mode == paper) touch_points(x, e.trader, out.points);  // realised PnL moved
        break;
      default:
        break;
    }
  }
  if (cmd) match_placements(*cmd, x, out);
}

}  // namespace cx::store
