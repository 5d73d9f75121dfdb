#include "store/schema.hpp"

#include <array>

namespace cx::store {

namespace {

// Conventions: times are INTEGER milliseconds since the epoch; money, prices and quantities are
// INTEGER units at the scale the markets table (or the asset) gives; engine ids are INTEGER
// (order ids stored bit-for-bit as signed 64-bit); enums are their stable upper-case codes.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES
  ('last_seq', 0), ('last_ts', 0), ('next_hid', 1), ('next_trade_id', 1);

CREATE TABLE users (
  id         TEXT PRIMARY KEY,
  email      TEXT NOT NULL COLLATE NOCASE UNIQUE,
  created_at INTEGER NOT NULL,
  roles      TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;

CREATE TABLE api_keys (
  id           INTEGER PRIMARY KEY,
  prefix       TEXT NOT NULL UNIQUE,
  kind         TEXT NOT NULL CHECK (kind IN ('userAk', 'traderAk', 'providerAk')),
  user_id      TEXT NOT NULL REFERENCES users (id),
  hash         TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
  label        TEXT NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);
CREATE INDEX api_keys_user ON api_keys (user_id, id);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
  user_id    TEXT NOT NULL REFERENCES users (id),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE traders (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  registered_seq INTEGER NOT NULL,
  registered_at INTEGER NOT NULL
);

CREATE TABLE markets (
  id          INTEGER PRIMARY KEY,
  mode        TEXT NOT NULL,
  symbol      TEXT NOT NULL,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL,
  underlying  TEXT NOT NULL,
  base        INTEGER NOT NULL,
  quote       INTEGER NOT NULL,
  price_scale INTEGER NOT NULL,
  qty_scale   INTEGER NOT NULL,
  quote_scale INTEGER NOT NULL,
  created_seq INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (mode, symbol)
);

CREATE TABLE orders (
  hid             INTEGER PRIMARY KEY,
  order_id        INTEGER UNIQUE,
  trader          INTEGER NOT NULL,
  mode            TEXT NOT NULL,
  market          INTEGER NOT NULL,
  client_order_id TEXT NOT NULL DEFAULT '',
  side            TEXT NOT NULL,
  type            TEXT,
  tif             TEXT,
  trigger_kind    TEXT,
  trigger_price   INTEGER,
  expire_at       INTEGER,
  post_only       INTEGER,
  reduce_only     INTEGER,
  stp             TEXT,
  price           INTEGER NOT NULL,
  qty             INTEGER NOT NULL,
  filled          INTEGER NOT NULL,
  remaining       INTEGER NOT NULL,
  filled_notional INTEGER NOT NULL,
  fees            INTEGER NOT NULL,
  status          TEXT NOT NULL,
  reason          TEXT NOT NULL DEFAULT '',
  created_seq     INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_seq     INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  triggered_at    INTEGER
);
CREATE INDEX orders_trader ON orders (trader, mode, hid);
CREATE INDEX orders_trader_market ON orders (trader, mode, market, hid);
CREATE INDEX orders_open ON orders (trader, mode, hid) WHERE status IN ('OPEN', 'PARTIAL');
CREATE INDEX orders_client_id ON orders (trader, mode, client_order_id, hid)
  WHERE client_order_id <> '';

CREATE TABLE trades (
  id           INTEGER PRIMARY KEY,
  seq          INTEGER NOT NULL,
  ts           INTEGER NOT NULL,
  mode         TEXT NOT NULL,
  market       INTEGER NOT NULL,
  price        INTEGER NOT NULL,
  qty          INTEGER NOT NULL,
  notional     INTEGER NOT NULL,
  taker_side   TEXT NOT NULL,
  taker        INTEGER NOT NULL,
  taker_order  INTEGER NOT NULL,
  taker_fee    INTEGER NOT NULL,
  maker        INTEGER NOT NULL,
  maker_order  INTEGER NOT NULL,
  maker_fee    INTEGER NOT NULL
);
CREATE INDEX trades_market ON trades (market, id);

CREATE TABLE fills (
  id              INTEGER PRIMARY KEY,
  trade_id        INTEGER NOT NULL,
  seq             INTEGER NOT NULL,
  ts              INTEGER NOT NULL,
  trader          INTEGER NOT NULL,
  mode            TEXT NOT NULL,
  market          INTEGER NOT NULL,
  order_id        INTEGER NOT NULL,
  client_order_id TEXT NOT NULL,
  side            TEXT NOT NULL,
  maker           INTEGER NOT NULL,
  price           INTEGER NOT NULL,
  qty             INTEGER NOT NULL,
  notional        INTEGER NOT NULL,
  fee             INTEGER NOT NULL
);
CREATE INDEX fills_trader ON fills (trader, mode, id);
CREATE INDEX fills_trader_market ON fills (trader, mode, market, id);

CREATE TABLE klines (
  market       INTEGER NOT NULL,
  period       TEXT NOT NULL,
  open_time    INTEGER NOT NULL,
  close_time   INTEGER NOT NULL,
  open         INTEGER NOT NULL,
  high         INTEGER NOT NULL,
  low          INTEGER NOT NULL,
  close        INTEGER NOT NULL,
  volume       INTEGER NOT NULL,
  quote_volume INTEGER NOT NULL,
  trades       INTEGER NOT NULL,
  PRIMARY KEY (market, period, open_time)
) WITHOUT ROWID;

CREATE TABLE paper_points (
  trader       INTEGER PRIMARY KEY,
  points       INTEGER NOT NULL,
  limit_orders INTEGER NOT NULL,
  volume       INTEGER NOT NULL,
  profit       INTEGER NOT NULL,
  seq          INTEGER NOT NULL,
  ts           INTEGER NOT NULL
);
CREATE INDEX paper_points_rank ON paper_points (points DESC, trader);

CREATE TABLE paper_points_daily (
  trader       INTEGER NOT NULL,
  day          INTEGER NOT NULL,
  points       INTEGER NOT NULL,
  limit_orders INTEGER NOT NULL,
  volume       INTEGER NOT NULL,
  profit       INTEGER NOT NULL,
  PRIMARY KEY (trader, day)
) WITHOUT ROWID;
)sql";

// Version 2: realised PnL per PAPER trader, for the leaderboard by PnL (rows written before it
// hold 0 until the trader's next fill, funding, settlement or deleveraging), and the price
// history: the last index and mark of each market per minute.
constexpr const char* kV2 = R"sql(
ALTER TABLE paper_points ADD COLUMN pnl INTEGER NOT NULL DEFAULT 0;
CREATE INDEX paper_points_pnl ON paper_points (pnl DESC, trader);

CREATE TABLE price_history (
  market  INTEGER NOT NULL,
  minute  INTEGER NOT NULL,
  idx     INTEGER NOT NULL,
  mark    INTEGER NOT NULL,
  ts      INTEGER NOT NULL,
  PRIMARY KEY (market, minute)
) WITHOUT ROWID;
)sql";

// Version 3: income, the cash a trader received or paid outside trading (funding, settlement,
// liquidation penalties, insurance), for GET /api/income.
constexpr const char* kV3 = R"sql(
CREATE TABLE income (
  id      INTEGER PRIMARY KEY,
  seq     INTEGER NOT NULL,
  ts      INTEGER NOT NULL,
  mode    TEXT NOT NULL,
  trader  INTEGER NOT NULL,
  market  INTEGER,
  kind    TEXT NOT NULL,
  amount  INTEGER NOT NULL
);
CREATE INDEX income_trader ON income (trader, mode, id DESC);
)sql";

constexpr std::array<Migration, 3> kMigrations{{
    {1, "read store: accounts, history, klines, points", kV1},
    {2, "paper_points.pnl (leaderboard by realised PnL), price_history", kV2},
    {3, "income (funding, settlement, penalties, insurance)", kV3},
}};

}  // namespace

std::span<const Migration> read_store_migrations() noexcept {
  return kMigrations;
}

}  // namespace cx::store
