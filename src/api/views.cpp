#include "api/views.hpp"

#include "api/http_util.hpp"
#include "core/decimal.hpp"
#include "engine/asset.hpp"
#include "engine/types.hpp"

namespace cx::api {

namespace json = boost::json;
using engine::EventType;

namespace {

std::string dec(std::int64_t v, int scale) {
  return format_decimal(v, scale);
}
std::string id_text(std::uint64_t id) {
  return std::to_string(id);
}

/// The order type as the client named it: LIMIT, MARKET, STOP_LIMIT, TAKE_PROFIT_MARKET, ...
std::string type_text(engine::OrderType type, engine::TriggerKind trigger) {
  std::string t(engine::to_string(type));
  if (trigger == engine::TriggerKind::None) return t;
  return std::string(engine::to_string(trigger)) + "_" + t;
}

}  // namespace

std::optional<net::Response> rejection_response(const CommandResult& r) {
  for (const json::value& v : r.events) {
    const json::object& o = v.as_object();
    if (o.at("event").as_string() != "rejected") continue;
    const std::string reason(o.at("reason").as_string());
    const std::string cls(o.at("reasonClass").as_string());
    unsigned status = 422;
    if (cls == "MALFORMED") status = 400;
    if (cls == "NOT_FOUND") status = 404;
    if (cls == "CONFLICT") status = 409;
    return error_response(status, reason, "rejected: " + reason);
  }
  return std::nullopt;
}

json::object order_record_json(const store::OrderRecord& o) {
  json::object j{{"orderId", id_text(o.order_id)},
                 {"clientOrderId", o.client_order_id},
                 {"mode", mode_name(o.mode)},
                 {"market", o.symbol},
                 {"side", engine::to_string(o.side)},
                 {"price", dec(o.price, o.price_scale)},
                 {"qty", dec(o.qty, o.qty_scale)},
                 {"filledQty", dec(o.filled, o.qty_scale)},
                 {"remainingQty", dec(o.remaining, o.qty_scale)},
                 {"filledNotional", dec(o.filled_notional, o.quote_scale)},
                 {"fees", dec(o.fees, o.quote_scale)},
                 {"status", store::to_string(o.status)},
                 {"createdAt", o.created_at},
                 {"updatedAt", o.updated_at},
                 {"cursor", o.hid}};
  if (!o.reason.empty()) j["reason"] = o.reason;
  if (o.terms) {
    j["type"] = type_text(o.terms->type, o.terms->trigger_kind);
    j["timeInForce"] = engine::to_string(o.terms->tif);
    j["postOnly"] = o.terms->post_only;
    j["reduceOnly"] = o.terms->reduce_only;
    if (o.terms->trigger_kind != engine::TriggerKind::None) {
      j["triggerPrice"] = dec(o.terms->trigger_price, o.price_scale);
    }
    if (o.terms->tif == engine::TimeInForce::GTT) j["expireAt"] = o.terms->expire_at;
  }
  return j;
}

json::object fill_record_json(const store::FillRecord& f) {
  return json::object{{"id", id_text(f.id)},
                      {"tradeId", id_text(f.trade_id)},
                      {"ts", f.ts},
                      {"mode", mode_name(f.mode)},
                      {"market", f.symbol},
                      {"orderId", id_text(f.order_id)},
                      {"clientOrderId", f.client_order_id},
                      {"side", engine::to_string(f.side)},
                      {"liquidity", f.maker ? "MAKER" : "TAKER"},
                      {"price", dec(f.price, f.price_scale)},
                      {"qty", dec(f.qty, f.qty_scale)},
                      {"notional", dec(f.notional, f.quote_scale)},
                      {"fee", dec(f.fee, f.quote_scale)},
                      {"cursor", f.id}};
}

json::object income_record_json(const store::IncomeRecord& r) {
  json::object j{{"id", id_text(r.id)},
                 {"ts", r.ts},
                 {"mode", mode_name(r.mode)},
                 {"kind", store::to_string(r.kind)},
                 {"asset", engine::kAssets[engine::kUSDC].symbol},
                 {"amount", dec(r.amount, engine::kAssets[engine::kUSDC].scale)},
                 {"cursor", r.id}};
  if (r.market) {
    j["market"] = r.symbol;
  } else {
    j["market"] = nullptr;
  }
  return j;
}

json::object trade_record_json(const store::TradeRecord& t) {
  return json::object{{"id", id_text(t.id)},
                      {"ts", t.ts},
                      {"market", t.symbol},
                      {"price", dec(t.price, t.price_scale)},
                      {"qty", dec(t.qty, t.qty_scale)},
                      {"notional", dec(t.notional, t.quote_scale)},
                      {"takerSide", engine::to_string(t.taker_side)},
                      {"cursor", t.id}};
}

json::object kline_json(const store::Kline& k, int price_scale, int qty_scale, int quote_scale) {
  return json::object{{"interval", store::to_string(k.interval)},
                      {"openTime", k.open_time},
                      {"closeTime", k.close_time},
                      {"open", dec(k.open, price_scale)},
                      {"high", dec(k.high, price_scale)},
                      {"low", dec(k.low, price_scale)},
                      {"close", dec(k.close, price_scale)},
                      {"volume", dec(k.volume, qty_scale)},
                      {"quoteVolume", dec(k.quote_volume, quote_scale)},
                      {"trades", k.trades}};
}

json::object points_json(const store::PointsEntry& p) {
  json::object j{{"traderId", p.name},
                 {"points", p.points},
                 {"limitOrders", p.limit_orders},
                 {"volume", dec(p.volume, 6)},
                 {"realizedProfit", dec(p.profit, 6)},
                 {"realizedPnl", dec(p.pnl, 6)}};
  if (p.rank > 0) {
    j["rank"] = p.rank;
  } else {
    j["rank"] = nullptr;
  }
  return j;
}

namespace {

/// Builds the order view of placement `accepted` (index into r.raw) from the events after it.
json::object order_from_events(const CommandResult& r, std::size_t accepted,
                               const engine::Exchange& x) {
  const engine::ExEvent& a = r.raw[accepted];
  const engine::Market& m = x.market(a.market);
  const int qs = m.spec.qty_scale;
  const int quote = engine::kAssets[m.spec.quote].scale;
  const json::object& aj = r.events[accepted].as_object();
  Qty filled = 0;
  Qty remaining = a.qty;
  Amount notional = 0;
  Amount fees = 0;
  std::string status;
  std::string reason;
  json::array fills;
  for (std::size_t i = accepted + 1; i < r.raw.size(); ++i) {
    const engine::ExEvent& e = r.raw[i];
    if (e.type == EventType::Fill && e.order_id == a.order_id) {
      filled += e.qty;
      remaining = e.remaining;
      notional += e.notional;
      fees += e.taker_fee;
      fills.push_back(json::object{{"price", dec(e.price, m.spec.price_scale)},
                                   {"qty", dec(e.qty, qs)},
                                   {"notional", dec(e.notional, quote)},
                                   {"fee", dec(e.taker_fee, quote)},
                                   {"liquidity", "TAKER"},
                                   {"makerOrderId", id_text(e.maker_id)}});
    } else if (e.type == EventType::Fill && e.maker_id == a.order_id) {
      // Resting, then taken by a later order of the same batch.
      filled += e.qty;
      remaining = e.maker_remaining;
      notional += e.notional;
      fees += e.maker_fee;
      fills.push_back(json::object{{"price", dec(e.price, m.spec.price_scale)},
                                   {"qty", dec(e.qty, qs)},
                                   {"notional", dec(e.notional, quote)},
                                   {"fee", dec(e.maker_fee, quote)},
                                   {"liquidity", "MAKER"},
                                   {"makerOrderId", id_text(a.order_id)},
                                   {"takerOrderId", id_text(e.order_id)}});
    } else if ((e.type == EventType::Expired || e.type == EventType::Cancelled) &&
               e.order_id == a.order_id) {
      status = e.type == EventType::Expired ? "EXPIRED" : "CANCELLED";
      reason = engine::to_string(e.reason);
      remaining = 0;
    }
  }
  if (status.empty()) {
    status = remaining == 0 ? "FILLED" : (filled > 0 ? "PARTIAL" : "OPEN");
  }
  json::object o{{"orderId", id_text(a.order_id)},
                 {"clientOrderId", aj.at("clientOrderId")},
                 {"mode", mode_name(m.spec.mode)},
                 {"market", m.spec.symbol},
                 {"side", engine::to_string(a.side)},
                 {"price", dec(a.price, m.spec.price_scale)},
                 {"qty", dec(a.qty, qs)},
                 {"filledQty", dec(filled, qs)},
                 {"remainingQty", dec(remaining, qs)},
                 {"filledNotional", dec(notional, quote)},
                 {"fees", dec(fees, quote)},
                 {"status", status},
                 {"fills", std::move(fills)}};
  if (!reason.empty()) o["reason"] = reason;
  return o;
}

}  // namespace

json::object placement_result_json(CommandResult& r, const engine::Exchange& x) {
  json::array orders;
  for (std::size_t i = 0; i < r.raw.size(); ++i) {
    if (r.raw[i].type == EventType::Accepted) orders.push_back(order_from_events(r, i, x));
  }
  json::object out;
  out.reserve(4);
  if (orders.size() == 1) {
    out["order"] = orders[0];
  }
  out["orders"] = std::move(orders);
  out["seq"] = r.seq;
  out["events"] = std::move(r.events);
  return out;
}

json::object live_or_known_order_json(const engine::Exchange& x, OrderId id, MarketId market,
                                      std::string_view cid, engine::Mode mode, Qty qty,
                                      Qty remaining, std::string_view closed) {
  const engine::Market& m = x.market(market);
  json::object o{{"orderId", id_text(id)},
                 {"clientOrderId", cid},
                 {"mode", mode_name(mode)},
                 {"market", m.spec.symbol}};
  bool live = false;
  if (x.market_of(id)) {
    x.for_each_open_order([&](const engine::Market& mk, const engine::Order& ord) {
      if (ord.id != id) return;
      live = true;
      o["side"] = engine::to_string(ord.side);
      o["price"] = dec(ord.price, mk.spec.price_scale);
      o["qty"] = dec(ord.qty, mk.spec.qty_scale);
      o["remainingQty"] = dec(ord.remaining, mk.spec.qty_scale);
      o["filledQty"] = dec(ord.qty - ord.remaining, mk.spec.qty_scale);
      o["status"] = ord.remaining < ord.qty ? "PARTIAL" : "OPEN";
    });
  }
  if (!live) {
    // Gone from the book: filled, or removed with what it had left.
    const int qs = m.spec.qty_scale;
    o["qty"] = dec(qty, qs);
    o["filledQty"] = dec(qty - remaining, qs);
    o["remainingQty"] = dec(0, qs);
    o["status"] = closed.empty() ? (remaining == 0 ? "FILLED" : "CANCELLED") : std::string(closed);
  }
  return o;
}

json::object open_orders_json(const engine::Exchange& x, std::string_view trader, engine::Mode mode,
                              std::string_view market) {
  json::array out;
  const auto tid = x.trader_id(trader);
  if (tid) {
    x.for_each_open_order([&](const engine::Market& m, const engine::Order& o) {
      if (o.trader != *tid || m.spec.mode != mode) return;
      if (!market.empty() && m.spec.symbol != market) return;
      const int ps = m.spec.price_scale;
      const int qs = m.spec.qty_scale;
      json::object j{{"orderId", id_text(o.id)},
                     {"clientOrderId", x.client_order_id_of(o.id)},
                     {"mode", mode_name(mode)},
                     {"market", m.spec.symbol},
                     {"side", engine::to_string(o.side)},
                     {"type", engine::to_string(o.type)},
                     {"timeInForce", engine::to_string(o.tif)},
                     {"price", dec(o.price, ps)},
                     {"qty", dec(o.qty, qs)},
                     {"filledQty", dec(o.qty - o.remaining, qs)},
                     {"remainingQty", dec(o.remaining, qs)},
                     {"status", o.pending_trigger() ? "PENDING_TRIGGER"
                                                    : (o.remaining < o.qty ? "PARTIAL" : "OPEN")}};
      if (o.pending_trigger()) j["triggerPrice"] = dec(o.trigger(), ps);
      if (o.tif == engine::TimeInForce::GTT) j["expireAt"] = o.expire_at;
      out.push_back(std::move(j));
    });
  }
  return json::object{{"mode", mode_name(mode)}, {"orders", std::move(out)}};
}

json::object balances_json(const engine::Exchange& x, std::string_view trader, engine::Mode mode) {
  json::array out;
  if (const auto tid = x.trader_id(trader)) {
    const engine::Account& a = x.account(mode, *tid);
    for (engine::AssetId asset = 0; asset < engine::kAssetCount; ++asset) {
      const engine::Balance& b = a.assets[asset];
      if (b.balance == 0 && b.pending == 0) continue;
      const int s = engine::kAssets[asset].scale;
      out.push_back(json::object{{"asset", engine::kAssets[asset].symbol},
                                 {"balance", dec(b.balance, s)},
                                 {"pending", dec(b.pending, s)},
                                 {"available", dec(b.balance - b.pending, s)}});
    }
  }
  return json::object{{"mode", mode_name(mode)}, {"balances", std::move(out)}};
}

json::object positions_json(const engine::Exchange& x, std::string_view trader, engine::Mode mode) {
  json::array out;
  if (const auto tid = x.trader_id(trader)) {
    const engine::Account& a = x.account(mode, *tid);
    for (const engine::Position& p : a.positions) {
      const engine::Market& m = x.market(p.market);
      const int quote = engine::kAssets[m.spec.quote].scale;
      json::object j{{"market", m.spec.symbol},          {"size", dec(p.size, m.spec.qty_scale)},
                     {"cost", dec(p.cost, quote)},       {"realizedPnl", dec(p.realized, quote)},
                     {"funding", dec(p.funding, quote)}, {"mark", dec(m.mark, m.spec.price_scale)}};
      if (p.size != 0 && m.mark != 0) {
        if (auto value = engine::Exchange::notional(m, m.mark, p.size < 0 ? -p.size : p.size)) {
          const Amount signed_value = p.size < 0 ? -*value : *value;
          j["unrealizedPnl"] = dec(signed_value - p.cost, quote);
        }
      }
      out.push_back(std::move(j));
    }
  }
  return json::object{{"mode", mode_name(mode)}, {"positions", std::move(out)}};
}

json::object market_json(const engine::Exchange& x, const engine::Market& m) {
  (void)x;
  const engine::MarketSpec& s = m.spec;
  const int quote = engine::kAssets[s.quote].scale;
  json::object j{{"symbol", s.symbol},
                 {"mode", mode_name(s.mode)},
                 {"kind", engine::to_string(s.kind)},
                 {"status", engine::to_string(m.status)},
                 {"underlying", s.underlying},
                 {"quote", engine::kAssets[s.quote].symbol},
                 {"tickSize", dec(s.tick, s.price_scale)},
                 {"lotSize", dec(s.lot, s.qty_scale)},
                 {"minSize", dec(s.min_qty, s.qty_scale)},
                 {"makerFeeBps", s.maker_fee_bps},
                 {"takerFeeBps", s.taker_fee_bps},
                 {"index", dec(m.index, s.price_scale)},
                 {"mark", dec(m.mark, s.price_scale)}};
  if (s.kind == engine::MarketKind::Spot) j["base"] = engine::kAssets[s.base].symbol;
  if (s.kind == engine::MarketKind::Future || s.kind == engine::MarketKind::Option) {
    j["expiry"] = s.expiry;
  }
  if (s.kind == engine::MarketKind::Option) {
    j["strike"] = dec(s.strike, s.price_scale);
    j["optionType"] = s.is_call ? "CALL" : "PUT";
  }
  if (s.kind != engine::MarketKind::Spot) {
    j["initialMarginBps"] = s.initial_margin_bps;
    j["maintenanceMarginBps"] = s.maintenance_margin_bps;
    j["openInterest"] = dec(m.stats.open_interest, s.qty_scale);
  }
  const engine::StatWindow w = m.stats.rolling_24h(x.now());
  j["volume24h"] = dec(w.volume, quote);
  j["trades24h"] = w.trades;
  return j;
}

}  // namespace cx::api
