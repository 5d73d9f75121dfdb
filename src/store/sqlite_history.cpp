// SqliteReadStore: reads of the projected history (markets, orders, trades, klines, points).

#include <algorithm>
#include <string>

#include "store/codes.hpp"
#include "store/sqlite_read_store.hpp"
#include "store/try.hpp"

namespace cx::store {

namespace {

std::int64_t clamp_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::clamp<std::size_t>(limit, 1, kMaxPageSize));
}

// ---- markets

constexpr std::string_view kMarketCols =
    "SELECT id, mode, symbol, kind, status, underlying, base, quote, price_scale, qty_scale, "
    "quote_scale FROM markets ";

engine::MarketStatus market_status(std::string_view s) {
  return codes::parse(s, engine::MarketStatus::Settled).value_or(engine::MarketStatus::Active);
}

MarketInfo read_market(const Stmt& s) {
  MarketInfo m;
  m.id = static_cast<MarketId>(s.int64(0));
  m.mode = codes::mode(s.text(1));
  m.symbol = s.text(2);
  m.kind = engine::market_kind_from(s.text(3)).value_or(engine::MarketKind::Spot);
  m.status = market_status(s.text(4));
  m.underlying = s.text(5);
  m.base = static_cast<engine::AssetId>(s.int64(6));
  m.quote = static_cast<engine::AssetId>(s.int64(7));
  m.price_scale = static_cast<int>(s.int64(8));
  m.qty_scale = static_cast<int>(s.int64(9));
  m.quote_scale = static_cast<int>(s.int64(10));
  return m;
}

// ---- orders

constexpr std::string_view kOrderCols =
    "SELECT o.hid, o.order_id, o.trader, o.mode, o.market, o.client_order_id, o.side, o.type, "
    "o.tif, o.trigger_kind, o.trigger_price, o.expire_at, o.post_only, o.reduce_only, o.stp, "
    "o.price, o.qty, o.filled, o.remaining, o.filled_notional, o.fees, o.status, o.reason, "
    "o.created_seq, o.created_at, o.updated_seq, o.updated_at, o.triggered_at, "
    "m.symbol, m.price_scale, m.qty_scale, m.quote_scale "
    "FROM orders o LEFT JOIN markets m ON m.id = o.market ";

OrderRecord read_order(const Stmt& s) {
  OrderRecord o;
  o.hid = s.uint64(0);
  o.order_id = s.is_null(1) ? 0 : s.uint64(1);
  o.trader = static_cast<TraderId>(s.int64(2));
  o.mode = codes::mode(s.text(3));
  o.market = static_cast<MarketId>(s.int64(4));
  o.client_order_id = s.text(5);
  o.side = codes::side(s.text(6));
  if (!s.is_null(7)) {
    OrderTerms t;
    t.type = codes::parse(s.text(7), engine::OrderType::Market).value_or(t.type);
    t.tif = codes::parse(s.text(8), engine::TimeInForce::GTT).value_or(t.tif);
    t.trigger_kind =
        codes::parse(s.text(9), engine::TriggerKind::TakeProfit).value_or(t.trigger_kind);
    t.trigger_price = s.int64(10);
    t.expire_at = s.int64(11);
    t.post_only = s.int64(12) != 0;
    t.reduce_only = s.int64(13) != 0;
    t.stp = codes::parse(s.text(14), engine::SelfTradePrevention::ExpireBoth).value_or(t.stp);
    o.terms = t;
  }
  o.price = s.int64(15);
  o.qty = s.int64(16);
  o.filled = s.int64(17);
  o.remaining = s.int64(18);
  o.filled_notional = s.int64(19);
  o.fees = s.int64(20);
  o.status = order_status_from(s.text(21)).value_or(OrderStatus::Open);
  o.reason = s.text(22);
  o.created_seq = s.uint64(23);
  o.created_at = s.int64(24);
  o.updated_seq = s.uint64(25);
  o.updated_at = s.int64(26);
  o.triggered_at = s.opt_int64(27);
  o.symbol = s.text(28);
  o.price_scale = static_cast<int>(s.int64(29));
  o.qty_scale = static_cast<int>(s.int64(30));
  o.quote_scale = static_cast<int>(s.int64(31));
  return o;
}

// ---- trades and fills

constexpr std::string_view kTradeCols =
    "SELECT t.id, t.seq, t.ts, t.mode, t.market, t.price, t.qty, t.notional, t.taker_side, "
    "t.taker, t.taker_order, t.taker_fee, t.maker, t.maker_order, t.maker_fee, "
    "m.symbol, m.price_scale, m.qty_scale, m.quote_scale "
    "FROM trades t LEFT JOIN markets m ON m.id = t.market ";

TradeRecord read_trade(const Stmt& s) {
  TradeRecord t;
  t.id = s.uint64(0);
  t.seq = s.uint64(1);
  t.ts = s.int64(2);
  t.mode = codes::mode(s.text(3));
  t.market = static_cast<MarketId>(s.int64(4));
  t.price = s.int64(5);
  t.qty = s.int64(6);
  t.notional = s.int64(7);
  t.taker_side = codes::side(s.text(8));
  t.taker = static_cast<TraderId>(s.int64(9));
  t.taker_order = s.uint64(10);
  t.taker_fee = s.int64(11);
  t.maker = static_cast<TraderId>(s.int64(12));
  t.maker_order = s.uint64(13);
  t.maker_fee = s.int64(14);
  t.symbol = s.text(15);
  t.price_scale = static_cast<int>(s.int64(16));
  t.qty_scale = static_cast<int>(s.int64(17));
  t.quote_scale = static_cast<int>(s.int64(18));
  return t;
}

constexpr std::string_view kFillCols =
    "SELECT f.id, f.trade_id, f.seq, f.ts, f.trader, f.mode, f.market, f.order_id, "
    "f.client_order_id, f.side, f.maker, f.price, f.qty, f.notional, f.fee, "
    "m.symbol, m.price_scale, m.qty_scale, m.quote_scale "
    "FROM fills f LEFT JOIN markets m ON m.id = f.market ";

FillRecord read_fill(const Stmt& s) {
  FillRecord f;
  f.id = s.uint64(0);
  f.trade_id = s.uint64(1);
  f.seq = s.uint64(2);
  f.ts = s.int64(3);
  f.trader = static_cast<TraderId>(s.int64(4));
  f.mode = codes::mode(s.text(5));
  f.market = static_cast<MarketId>(s.int64(6));
  f.order_id = s.uint64(7);
  f.client_order_id = s.text(8);
  f.side = codes::side(s.text(9));
  f.maker = s.int64(10) != 0;
  f.price = s.int64(11);
  f.qty = s.int64(12);
  f.notional = s.int64(13);
  f.fee = s.int64(14);
  f.symbol = s.text(15);
  f.price_scale = static_cast<int>(s.int64(16));
  f.qty_scale = static_cast<int>(s.int64(17));
  f.quote_scale = static_cast<int>(s.int64(18));
  return f;
}

Kline read_kline(const Stmt& s, MarketId market, KlineInterval interval) {
  Kline k;
  k.market = market;
  k.interval = interval;
  k.open_time = s.int64(0);
  k.close_time = s.int64(1);
  k.open = s.int64(2);
  k.high = s.int64(3);
  k.low = s.int64(4);
  k.close = s.int64(5);
  k.volume = s.int64(6);
  k.quote_volume = s.int64(7);
  k.trades = s.int64(8);
  return k;
}

constexpr std::string_view kPointsCols =
    "SELECT p.trader, COALESCE(t.name, ''), p.points, p.limit_orders, p.volume, p.profit, "
    "p.seq, p.ts, p.pnl FROM paper_points p LEFT JOIN traders t ON t.id = p.trader ";

PointsEntry read_points(const Stmt& s) {
  PointsEntry p;
  p.trader = static_cast<TraderId>(s.int64(0));
  p.name = s.text(1);
  p.points = s.int64(2);
  p.limit_orders = s.int64(3);
  p.volume = s.int64(4);
  p.profit = s.int64(5);
  p.seq = s.uint64(6);
  p.ts = s.int64(7);
  p.pnl = s.int64(8);
  return p;
}

/// Reads up to `limit` + 1 rows into a page; the extra row only says there is a next page.
template <class T, class Read, class Id>
Result<Page<T>> read_page(Stmt& s, std::int64_t limit, Read read, Id id) {
  Page<T> page;
  for (;;) {
    CX_TRY(row, s.step());
    if (!row) break;
    if (static_cast<std::int64_t>(page.items.size()) == limit) {
      page.next = id(page.items.back());
      break;
    }
    page.items.push_back(read(s));
  }
  return page;
}

}  // namespace

Result<SeqNo> SqliteReadStore::projected_seq() {
  CX_TRY(st, projection_state());
  return st.last_seq;
}

Result<std::optional<TraderId>> SqliteReadStore::trader_id(std::string_view name) {
  CX_TRY(q, db_.query("SELECT id FROM traders WHERE name = ?"));
  CX_TRY(row, q->bind(1, name).step());
  if (!row) return std::optional<TraderId>{};
  return std::optional<TraderId>{static_cast<TraderId>(q->int64(0))};
}

Result<std::optional<std::string>> SqliteReadStore::trader_name(TraderId id) {
  CX_TRY(q, db_.query("SELECT name FROM traders WHERE id = ?"));
  CX_TRY(row, q->bind(1, id).step());
  if (!row) return std::optional<std::string>{};
  return std::optional<std::string>{std::string(q->text(0))};
}

Result<std::optional<MarketInfo>> SqliteReadStore::market(MarketId id) {
  CX_TRY(q, db_.query(std::string(kMarketCols) + "WHERE id = ?"));
  CX_TRY(row, q->bind(1, id).step());
  if (!row) return std::optional<MarketInfo>{};
  return std::optional<MarketInfo>{read_market(*q)};
}

Result<std::optional<MarketInfo>> SqliteReadStore::market_by_symbol(Mode mode,
                                                                    std::string_view symbol) {
  CX_TRY(q, db_.query(std::string(kMarketCols) + "WHERE mode = ? AND symbol = ?"));
  CX_TRY(row, q->bind_all(engine::to_string(mode), symbol).step());
  if (!row) return std::optional<MarketInfo>{};
  return std::optional<MarketInfo>{read_market(*q)};
}

Result<std::vector<MarketInfo>> SqliteReadStore::markets(std::optional<Mode> mode) {
  CX_TRY(q, db_.query(std::string(kMarketCols) + "WHERE ?1 IS NULL OR mode = ?1 ORDER BY id"));
  if (mode) q->bind(1, engine::to_string(*mode));
  std::vector<MarketInfo> out;
  for (;;) {
    CX_TRY(row, q->step());
    if (!row) break;
    out.push_back(read_market(*q));
  }
  return out;
}

Result<std::optional<OrderRecord>> SqliteReadStore::order(OrderId id) {
  CX_TRY(q, db_.query(std::string(kOrderCols) + "WHERE o.order_id = ?"));
  CX_TRY(row, q->bind(1, id).step());
  if (!row) return std::optional<OrderRecord>{};
  return std::optional<OrderRecord>{read_order(*q)};
}

Result<std::optional<OrderRecord>> SqliteReadStore::order_by_client_id(TraderId trader, Mode mode,
                                                                       std::string_view cid) {
  if (cid.empty()) return std::optional<OrderRecord>{};
  CX_TRY(q, db_.query(std::string(kOrderCols) +
                      "WHERE o.trader = ? AND o.mode = ? AND o.client_order_id = ? AND "
                      "o.client_order_id <> '' AND o.status <> 'REJECTED' "
                      "ORDER BY o.hid DESC LIMIT 1"));
  CX_TRY(row, q->bind_all(trader, engine::to_string(mode), cid).step());
  if (!row) return std::optional<OrderRecord>{};
  return std::optional<OrderRecord>{read_order(*q)};
}

Result<Page<OrderRecord>> SqliteReadStore::orders(const OrderQuery& f) {
  if (f.statuses.bits == 0) return Page<OrderRecord>{};
  // Built from fixed fragments only (status codes are our own constants), so the statement
  // cache holds at most one statement per combination of filters.
  std::string sql(kOrderCols);
  sql += "WHERE o.trader = ?1 AND o.mode = ?2";
  if (f.market) sql += " AND o.market = ?3";
  if (f.statuses.bits != StatusSet::all().bits) {
    sql += " AND o.status IN (";
    bool first = true;
    for (unsigned i = 0; i <= static_cast<unsigned>(OrderStatus::Rejected); ++i) {
      const auto s = static_cast<OrderStatus>(i);
      if (!f.statuses.has(s)) continue;
      if (!first) sql += ", ";
      first = false;
      sql += '\'';
      sql += to_string(s);
      sql += '\'';
    }
    sql += ')';
  }
  if (f.from) sql += " AND o.created_at >= ?4";
  if (f.to) sql += " AND o.created_at < ?5";
  if (f.before) sql += " AND o.hid < ?6";
  sql += " ORDER BY o.hid DESC LIMIT ?7";
  CX_TRY(q, db_.query(sql));
  const std::int64_t limit = clamp_limit(f.limit);
  q->bind(1, f.trader).bind(2, engine::to_string(f.mode));
  if (f.market) q->bind(3, *f.market);
  if (f.from) q->bind(4, *f.from);
  if (f.to) q->bind(5, *f.to);
  if (f.before) q->bind(6, *f.before);
  q->bind(7, limit + 1);
  return read_page<OrderRecord>(*q, limit, read_order, [](const OrderRecord& o) { return o.hid; });
}

Result<Page<FillRecord>> SqliteReadStore::fills(const FillQuery& f) {
  std::string sql(kFillCols);
  sql += "WHERE f.trader = ?1 AND f.mode = ?2";
  if (f.market) sql += " AND f.market = ?3";
  if (f.from) sql += " AND f.ts >= ?4";
  if (f.to) sql += " AND f.ts < ?5";
  if (f.before) sql += " AND f.id < ?6";
  sql += " ORDER BY f.id DESC LIMIT ?7";
  CX_TRY(q, db_.query(sql));
  const std::int64_t limit = clamp_limit(f.limit);
  q->bind(1, f.trader).bind(2, engine::to_string(f.mode));
  if (f.market) q->bind(3, *f.market);
  if (f.from) q->bind(4, *f.from);
  if (f.to) q->bind(5, *f.to);
  if (f.before) q->bind(6, *f.before);
  q->bind(7, limit + 1);
  return read_page<FillRecord>(*q, limit, read_fill, [](const FillRecord& x) { return x.id; });
}

Result<Page<IncomeRecord>> SqliteReadStore::income(const IncomeQuery& iq) {
  std::string sql =
      "SELECT i.id, i.seq, i.ts, i.mode, i.trader, i.market, i.kind, i.amount, "
      "COALESCE(mk.symbol, '') FROM income i LEFT JOIN markets mk ON mk.id = i.market "
      "WHERE i.trader = ?1 AND i.mode = ?2";
  if (iq.market) sql += " AND i.market = ?3";
  if (iq.kind) sql += " AND i.kind = ?4";
  if (iq.before) sql += " AND i.id < ?5";
  sql += " ORDER BY i.id DESC LIMIT ?6";
  CX_TRY(q, db_.query(sql));
  const std::int64_t limit = clamp_limit(iq.limit);
  q->bind(1, iq.trader).bind(2, engine::to_string(iq.mode)).bind(6, limit + 1);
  if (iq.market) q->bind(3, *iq.market);
  if (iq.kind) q->bind(4, to_string(*iq.kind));
  if (iq.before) q->bind(5, *iq.before);
  auto read = [](const Stmt& s) {
    IncomeRecord r;
    r.id = s.uint64(0);
    r.seq = s.uint64(1);
    r.ts = s.int64(2);
    r.mode = codes::mode(s.text(3));
    r.trader = static_cast<TraderId>(s.int64(4));
    if (!s.is_null(5)) r.market = static_cast<MarketId>(s.int64(5));
    r.kind = income_kind_from(s.text(6)).value_or(IncomeKind::Funding);
    r.amount = s.int64(7);
    r.symbol = s.text(8);
    return r;
  };
  return read_page<IncomeRecord>(*q, limit, read, [](const IncomeRecord& r) { return r.id; });
}

Result<Page<TradeRecord>> SqliteReadStore::recent_trades(MarketId market, std::size_t limit_in,
                                                         std::optional<std::uint64_t> before) {
  std::string sql(kTradeCols);
  sql += before ? "WHERE t.market = ?1 AND t.id < ?2 " : "WHERE t.market = ?1 ";
  sql += "ORDER BY t.id DESC LIMIT ?3";
  CX_TRY(q, db_.query(sql));
  const std::int64_t limit = clamp_limit(limit_in);
  q->bind(1, market).bind(3, limit + 1);
  if (before) q->bind(2, *before);
  return read_page<TradeRecord>(*q, limit, read_trade, [](const TradeRecord& t) { return t.id; });
}

Result<std::vector<Kline>> SqliteReadStore::klines(const KlineQuery& k) {
  constexpr std::string_view cols =
      "SELECT open_time, close_time, open, high, low, close, volume, quote_volume, trades "
      "FROM klines WHERE market = ?1 AND period = ?2 ";
  const std::int64_t limit = clamp_limit(k.limit);
  std::string sql(cols);
  if (k.from) sql += "AND open_time >= ?3 ";
  if (k.to) sql += "AND open_time < ?4 ";
  sql += k.from ? "ORDER BY open_time LIMIT ?5" : "ORDER BY open_time DESC LIMIT ?5";
  CX_TRY(q, db_.query(sql));
  q->bind(1, k.market).bind(2, to_string(k.interval)).bind(5, limit);
  if (k.from) q->bind(3, *k.from);
  if (k.to) q->bind(4, *k.to);
  std::vector<Kline> out;
  for (;;) {
    CX_TRY(row, q->step());
    if (!row) break;
    out.push_back(read_kline(*q, k.market, k.interval));
  }
  if (!k.from) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<PointsEntry>> SqliteReadStore::leaderboard(std::size_t limit,
                                                              std::size_t offset) {
  CX_TRY(q, db_.query(std::string(kPointsCols) +
                      "ORDER BY p.points DESC, p.trader ASC LIMIT ?1 OFFSET ?2"));
  q->bind(1, clamp_limit(limit)).bind(2, static_cast<std::int64_t>(offset));
  std::vector<PointsEntry> out;
  for (;;) {
    CX_TRY(row, q->step());
    if (!row) break;
    out.push_back(read_points(*q));
    out.back().rank = static_cast<std::int64_t>(offset + out.size());
  }
  return out;
}

Result<std::vector<PricePoint>> SqliteReadStore::price_history(const PriceQuery& pq) {
  const std::int64_t limit = clamp_limit(pq.limit);
  std::string sql = "SELECT minute, idx, mark, ts FROM price_history WHERE market = ?1 ";
  if (pq.from) sql += "AND minute >= ?2 ";
  if (pq.to) sql += "AND minute < ?3 ";
  sql += pq.from ? "ORDER BY minute LIMIT ?4" : "ORDER BY minute DESC LIMIT ?4";
  CX_TRY(q, db_.query(sql));
  q->bind(1, pq.market).bind(4, limit);
  if (pq.from) q->bind(2, *pq.from);
  if (pq.to) q->bind(3, *pq.to);
  std::vector<PricePoint> out;
  for (;;) {
    CX_TRY(row, q->step());
    if (!row) break;
    out.push_back(PricePoint{pq.market, q->int64(0), q->int64(1), q->int64(2), q->int64(3)});
  }
  if (!pq.from) std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<PointsEntry>> SqliteReadStore::pnl_leaderboard(std::size_t limit,
                                                                  std::size_t offset) {
  CX_TRY(q, db_.query(std::string(kPointsCols) +
                      "ORDER BY p.pnl DESC, p.trader ASC LIMIT ?1 OFFSET ?2"));
  q->bind(1, clamp_limit(limit)).bind(2, static_cast<std::int64_t>(offset));
  std::vector<PointsEntry> out;
  for (;;) {
    CX_TRY(row, q->step());
    if (!row) break;
    out.push_back(read_points(*q));
    out.back().rank = static_cast<std::int64_t>(offset + out.size());
  }
  return out;
}

Result<std::optional<PointsEntry>> SqliteReadStore::paper_points(TraderId trader) {
  CX_TRY(q, db_.query(std::string(kPointsCols) + "WHERE p.trader = ?"));
  CX_TRY(row, q->bind(1, trader).step());
  if (!row) return std::optional<PointsEntry>{};
  PointsEntry p = read_points(*q);
  CX_TRY(r, db_.query("SELECT count(*) FROM paper_points "
                      "WHERE points > ?1 OR (points = ?1 AND trader < ?2)"));
  CX_CHECK(r->bind_all(p.points, p.trader).step());
  p.rank = r->int64(0) + 1;
  return std::optional<PointsEntry>{std::move(p)};
}

Result<std::vector<PointsSnapshot>> SqliteReadStore::points_history(TraderId trader, Timestamp from,
                                                                    Timestamp to) {
  CX_TRY(q, db_.query("SELECT day, points, volume, profit, limit_orders FROM paper_points_daily "
                      "WHERE trader = ? AND day >= ? AND day < ? ORDER BY day"));
  q->bind_all(trader, from, to);
  std::vector<PointsSnapshot> out;
  for (;;) {
    CX_TRY(row, q->step());
    if (!row) break;
    out.push_back(PointsSnapshot{q->int64(0), q->int64(1), q->int64(2), q->int64(3), q->int64(4)});
  }
  return out;
}

}  // namespace cx::store
