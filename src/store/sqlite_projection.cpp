// SqliteReadStore: the ProjectionSink side (the projector's writes).

#include "store/sqlite_read_store.hpp"
#include "store/try.hpp"

namespace cx::store {

namespace {

constexpr std::string_view kStateKeys[] = {"last_seq", "last_ts", "next_hid", "next_trade_id"};

Result<void> insert_fill(Db& db, const TradeRecord& t, bool maker, std::string_view cid) {
  CX_TRY(q, db.query("INSERT INTO fills (id, trade_id, seq, ts, trader, mode, market, order_id, "
                     "client_order_id, side, maker, price, qty, notional, fee) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  const Side side = maker ? engine::opposite(t.taker_side) : t.taker_side;
  q->bind_all(t.id * 2 + (maker ? 1u : 0u), t.id, t.seq, t.ts, maker ? t.maker : t.taker,
              engine::to_string(t.mode), t.market, maker ? t.maker_order : t.taker_order, cid,
              engine::to_string(side), maker, t.price, t.qty, t.notional,
              maker ? t.maker_fee : t.taker_fee);
  return q->run();
}

}  // namespace

Result<ProjectionState> SqliteReadStore::projection_state() {
  CX_TRY(q, db_.query("SELECT key, value FROM meta"));
  ProjectionState st;
  for (;;) {
    CX_TRY(row, q->step());
    if (!row) break;
    const std::string_view key = q->text(0);
    const std::int64_t v = q->int64(1);
    if (key == "last_seq")
      st.last_seq = static_cast<SeqNo>(v);
    else if (key == "last_ts")
      st.last_ts = v;
    else if (key == "next_hid")
      st.next_hid = static_cast<std::uint64_t>(v);
    else if (key == "next_trade_id")
      st.next_trade_id = static_cast<std::uint64_t>(v);
  }
  return st;
}

Result<void> SqliteReadStore::begin_projection() {
  if (projection_tx_)
    return fail(ErrorCode::InvalidArgument, "read store: a projection transaction is open");
  CX_TRY(tx, Transaction::begin(db_));
  projection_tx_.emplace(std::move(tx));
  return {};
}

Result<void> SqliteReadStore::commit_projection(const ProjectionState& st) {
  if (!projection_tx_)
    return fail(ErrorCode::InvalidArgument, "read store: no projection transaction to commit");
  const std::int64_t values[] = {static_cast<std::int64_t>(st.last_seq), st.last_ts,
                                 static_cast<std::int64_t>(st.next_hid),
                                 static_cast<std::int64_t>(st.next_trade_id)};
  for (std::size_t i = 0; i < std::size(kStateKeys); ++i) {
    CX_TRY(q, db_.query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"));
    if (auto r = q->bind_all(kStateKeys[i], values[i]).run(); !r) {
      projection_tx_.reset();
      return r;
    }
  }
  auto r = projection_tx_->commit();
  projection_tx_.reset();
  return r;
}

void SqliteReadStore::rollback_projection() noexcept {
  projection_tx_.reset();
}

Result<void> SqliteReadStore::put_trader(TraderId id, std::string_view name, SeqNo seq,
                                         Timestamp ts) {
  CX_TRY(q, db_.query("INSERT OR REPLACE INTO traders (id, name, registered_seq, registered_at) "
                      "VALUES (?, ?, ?, ?)"));
  return q->bind_all(id, name, seq, ts).run();
}

Result<void> SqliteReadStore::put_market(const MarketInfo& m, SeqNo seq, Timestamp ts) {
  CX_TRY(q, db_.query("INSERT OR REPLACE INTO markets (id, mode, symbol, kind, status, "
                      "underlying, base, quote, price_scale, qty_scale, quote_scale, "
                      "created_seq, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return q
      ->bind_all(m.id, engine::to_string(m.mode), m.symbol, engine::to_string(m.kind),
                 engine::to_string(m.status), m.underlying, int{m.base}, int{m.quote},
                 m.price_scale, m.qty_scale, m.quote_scale, seq, ts)
      .run();
}

Result<void> SqliteReadStore::set_market_status(MarketId id, engine::MarketStatus status) {
  CX_TRY(q, db_.query("UPDATE markets SET status = ? WHERE id = ?"));
  return q->bind_all(engine::to_string(status), id).run();
}

Result<void> SqliteReadStore::insert_order(const OrderRecord& o) {
  CX_TRY(q, db_.query(
                "INSERT INTO orders (hid, order_id, trader, mode, market, client_order_id, side, "
                "type, tif, trigger_kind, trigger_price, expire_at, post_only, reduce_only, stp, "
                "price, qty, filled, remaining, filled_notional, fees, status, reason, "
                "created_seq, created_at, updated_seq, updated_at, triggered_at) VALUES (?, ?, ?, "
                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  Stmt& s = *q;
  s.bind(1, o.hid);
  if (o.order_id != 0) s.bind(2, o.order_id);
  s.bind(3, o.trader).bind(4, engine::to_string(o.mode)).bind(5, o.market);
  s.bind(6, o.client_order_id).bind(7, engine::to_string(o.side));
  if (o.terms) {
    const OrderTerms& t = *o.terms;
    s.bind(8, engine::to_string(t.type)).bind(9, engine::to_string(t.tif));
    s.bind(10, engine::to_string(t.trigger_kind)).bind(11, t.trigger_price);
    s.bind(12, t.expire_at).bind(13, t.post_only).bind(14, t.reduce_only);
    s.bind(15, engine::to_string(t.stp));
  }
  s.bind(16, o.price).bind(17, o.qty).bind(18, o.filled).bind(19, o.remaining);
  s.bind(20, o.filled_notional).bind(21, o.fees).bind(22, to_string(o.status));
  s.bind(23, o.reason).bind(24, o.created_seq).bind(25, o.created_at);
  s.bind(26, o.updated_seq).bind(27, o.updated_at).bind(28, o.triggered_at);
  return s.run();
}

Result<void> SqliteReadStore::update_order(const OrderChange& c) {
  CX_TRY(q, db_.query(
                "UPDATE orders SET filled = filled + ?1, filled_notional = filled_notional + ?2, "
                "fees = fees + ?3, price = COALESCE(?4, price), qty = COALESCE(?5, qty), "
                "remaining = COALESCE(?6, remaining), status = COALESCE(?7, status), "
                "reason = COALESCE(?8, reason), triggered_at = COALESCE(?9, triggered_at), "
                "updated_seq = ?10, updated_at = ?11 WHERE order_id = ?12"));
  Stmt& s = *q;
  s.bind(1, c.filled_add).bind(2, c.notional_add).bind(3, c.fee_add);
  s.bind(4, c.price).bind(5, c.qty).bind(6, c.remaining);
  if (c.status) s.bind(7, to_string(*c.status));
  if (c.reason) s.bind(8, engine::to_string(*c.reason));
  s.bind(9, c.triggered_at).bind(10, c.seq).bind(11, c.ts).bind(12, c.order_id);
  return s.run();
}

Result<void> SqliteReadStore::insert_trade(const TradeRecord& t, std::string_view taker_cid,
                                           std::string_view maker_cid) {
  CX_TRY(q, db_.query("INSERT INTO trades (id, seq, ts, mode, market, price, qty, notional, "
                      "taker_side, taker, taker_order, taker_fee, maker, maker_order, maker_fee) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  CX_CHECK(q->bind_all(t.id, t.seq, t.ts, engine::to_string(t.mode), t.market, t.price, t.qty,
                       t.notional, engine::to_string(t.taker_side), t.taker, t.taker_order,
                       t.taker_fee, t.maker, t.maker_order, t.maker_fee)
               .run());
  CX_CHECK(insert_fill(db_, t, false, taker_cid));
  return insert_fill(db_, t, true, maker_cid);
}

Result<std::optional<Kline>> SqliteReadStore::kline(MarketId market, KlineInterval interval,
                                                    Timestamp open_time) {
  CX_TRY(q, db_.query("SELECT close_time, open, high, low, close, volume, quote_volume, trades "
                      "FROM klines WHERE market = ? AND period = ? AND open_time = ?"));
  CX_TRY(row, q->bind_all(market, to_string(interval), open_time).step());
  if (!row) return std::optional<Kline>{};
  const Stmt& s = *q;
  return std::optional<Kline>{Kline{market, interval, open_time, s.int64(0), s.int64(1), s.int64(2),
                                    s.int64(3), s.int64(4), s.int64(5), s.int64(6), s.int64(7)}};
}

Result<void> SqliteReadStore::put_kline(const Kline& k) {
  CX_TRY(q, db_.query("INSERT OR REPLACE INTO klines (market, period, open_time, close_time, "
                      "open, high, low, close, volume, quote_volume, trades) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  return q
      ->bind_all(k.market, to_string(k.interval), k.open_time, k.close_time, k.open, k.high, k.low,
                 k.close, k.volume, k.quote_volume, k.trades)
      .run();
}

Result<void> SqliteReadStore::put_points(const PointsEntry& p) {
  CX_TRY(q, db_.query("INSERT OR REPLACE INTO paper_points (trader, points, limit_orders, "
                      "volume, profit, seq, ts, pnl) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
  CX_CHECK(q->bind_all(p.trader, p.points, p.limit_orders, p.volume, p.profit, p.seq, p.ts, p.pnl)
               .run());
  CX_TRY(d, db_.query("INSERT OR REPLACE INTO paper_points_daily (trader, day, points, "
                      "limit_orders, volume, profit) VALUES (?, ?, ?, ?, ?, ?)"));
  return d
      ->bind_all(p.trader, bucket_start(KlineInterval::D1, p.ts), p.points, p.limit_orders,
                 p.volume, p.profit)
      .run();
}

Result<void> SqliteReadStore::put_income(const IncomeRecord& r) {
  CX_TRY(q, db_.query("INSERT INTO income (seq, ts, mode, trader, market, kind, amount) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  return q
      ->bind_all(r.seq, r.ts, engine::to_string(r.mode), r.trader, r.market, to_string(r.kind),
                 r.amount)
      .run();
}

Result<void> SqliteReadStore::put_price(const PricePoint& p) {
  CX_TRY(q, db_.query("INSERT OR REPLACE INTO price_history (market, minute, idx, mark, ts) "
                      "VALUES (?, ?, ?, ?, ?)"));
  return q->bind_all(p.market, p.minute, p.index, p.mark, p.ts).run();
}

}  // namespace cx::store
