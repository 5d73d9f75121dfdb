#pragma once
// Helpers for the store tests: a temporary directory, a store opened in it, and a trading venue
// whose every command is projected into the store as it is applied:
//   StoreVenue v;  auto alice = v.trader("alice");  auto m = v.spot("sBTC/USDC");
//   v.at(t).place(m, buy(alice, 100'00, 1'0000), "a1");
//   auto o = v.order(id);  EXPECT_EQ(o.status, OrderStatus::Filled);

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "engine/book_dsl.hpp"
#include "engine/exchange.hpp"
#include "store/capture.hpp"
#include "store/projector.hpp"
#include "store/sqlite_read_store.hpp"

namespace cx::store::test {

using namespace cx::engine;
using engine::testing::buy;
using engine::testing::sell;

/// A fresh directory under /tmp (mkdtemp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/cx_store_test.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Unwraps a Result in a test, failing loudly with its message.
template <class T>
T ok(Result<T> r) {
  if (!r) throw std::runtime_error("unexpected error: " + r.error().message);
  return std::move(*r);
}
inline void ok(Result<void> r) {
  if (!r) throw std::runtime_error("unexpected error: " + r.error().message);
}

inline std::unique_ptr<SqliteReadStore> open_store(const std::filesystem::path& p) {
  return ok(SqliteReadStore::open(p));
}

inline constexpr Amount kUsdc = 1'000'000;
inline constexpr Amount kBtc = 100'000'000;  ///< sBTC units (8 decimals inside the exchange)

/// UTC milliseconds of a civil date and time.
inline Timestamp utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  const sys_days day{year{y} / month{mo} / std::chrono::day{d}};
  return (static_cast<Timestamp>(day.time_since_epoch().count()) * 86'400 + h * 3'600 + mi * 60 +
          s) *
         1'000;
}

/// A sBTC spot market: prices to 0.01 USDC, quantities to 0.0001 BTC, maker 2 bps, taker 5.
inline MarketSpec spot_spec(const std::string& symbol, Mode mode = Mode::Paper) {
  MarketSpec s;
  s.symbol = symbol;
  s.mode = mode;
  s.kind = MarketKind::Spot;
  s.base = kSBTC;
  s.underlying = "BTC";
  s.price_scale = 2;
  s.qty_scale = 4;
  s.maker_fee_bps = 2;
  s.taker_fee_bps = 5;
  return s;
}

/// An exchange whose commands are projected into a store as they are applied. Every command's
/// captured record is kept, so tests can feed them again (restarts, overlapping batches).
struct StoreVenue {
  explicit StoreVenue(ExchangeConfig cfg = {}) : x(cfg) { reopen(); }

  /// Closes and reopens the store and the projector ("restart"), dropping anything uncommitted.
  void reopen() {
    proj.reset();
    store.reset();
    store = open_store(dir / "read.db");
    proj = ok(Projector::open(*store));
  }

  StoreVenue& at(Timestamp t) {
    ts = t;
    return *this;
  }

  void run(CommandBody body) {
    Command c{++seq, ts, std::move(body)};
    ev.clear();
    x.apply(c, ev);
    CommandRecord& r = records.emplace_back();
    capture(c.seq, c.ts, ev, x, &c, r);
    ok(proj->apply(r));
    if (auto_commit) ok(proj->commit());
  }

  TraderId trader(const std::string& name) {
    run(RegisterTrader{name});
    return *x.trader_id(name);
  }
  MarketSpec spot_spec(const std::string& symbol, Mode mode = Mode::Paper) const {
    return test::spot_spec(symbol, mode);
  }
  MarketId create(const MarketSpec& s) {
    run(CreateMarket{s});
    auto id = x.market_id(s.mode, s.symbol);
    EXPECT_TRUE(id.has_value()) << "market " << s.symbol << " was refused";
    return id.value_or(0);
  }
  MarketId spot(const std::string& symbol, Mode mode = Mode::Paper) {
    return create(spot_spec(symbol, mode));
  }
  void deposit(TraderId t, AssetId a, Amount amount, Mode mode = Mode::Paper) {
    run(Deposit{mode, t, a, amount});
  }
  /// Places an order; returns its id (0 if refused).
  OrderId place(MarketId m, const NewOrder& o, std::string cid = {}) {
    run(PlaceOrder{m, o, std::move(cid)});
    for (const ExEvent& e : ev)
      if (e.type == EventType::Accepted) return e.order_id;
    return 0;
  }
  void cancel(TraderId t, OrderId id, Mode mode = Mode::Paper) {
    run(CancelOrder{mode, t, id, {}});
  }
  void amend(TraderId t, OrderId id, Price price, Qty qty, Mode mode = Mode::Paper) {
    AmendOrder a;
    a.mode = mode;
    a.amend = AmendRequest{t, id, 0, price, qty};
    run(a);
  }

  OrderRecord order(OrderId id) {
    auto o = ok(store->order(id));
    EXPECT_TRUE(o.has_value()) << "order " << id << " is not in the store";
    return o.value_or(OrderRecord{});
  }

  TempDir dir;
  std::unique_ptr<SqliteReadStore> store;
  std::unique_ptr<Projector> proj;
  Exchange x;
  ExEventBuffer ev;
  std::vector<CommandRecord> records;
  SeqNo seq = 0;
  Timestamp ts = 1'000;
  bool auto_commit = true;
};

/// Every row of every history table, as text, in a fixed order: two stores hold the same
/// projection exactly when their dumps are equal.
inline std::string dump_history(Db& db) {
  static const char* const kTables[][2] = {
      {"meta", "key"},
      {"traders", "id"},
      {"markets", "id"},
      {"orders", "hid"},
      {"trades", "id"},
      {"fills", "id"},
      {"klines", "market, period, open_time"},
      {"paper_points", "trader"},
      {"paper_points_daily", "trader, day"},
  };
  std::string out;
  for (const auto& t : kTables) {
    out += "## ";
    out += t[0];
    out += '\n';
    Stmt s = ok(db.prepare(std::string("SELECT * FROM ") + t[0] + " ORDER BY " + t[1]));
    const int cols = s.column_count();
    for (;;) {
      if (!ok(s.step())) break;
      for (int c = 0; c < cols; ++c) {
        out += s.is_null(c) ? std::string("NULL") : std::string(s.text(c));
        out += '|';
      }
      out += '\n';
    }
  }
  return out;
}

/// "" when equal, else the first line where two dumps differ (full dumps are too long to read).
inline std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t pa = 0, pb = 0, line = 1;
  std::string section;
  while (pa < a.size() || pb < b.size()) {
    const std::size_t ea = std::min(a.find('\n', pa), a.size());
    const std::size_t eb = std::min(b.find('\n', pb), b.size());
    const std::string la = a.substr(pa, ea - pa), lb = b.substr(pb, eb - pb);
    if (la.rfind("## ", 0) == 0) section = la;
    if (la != lb)
      return "line " + std::to_string(line) + " (" + section + "):\n  got:      " + la +
             "\n  expected: " + lb;
    pa = ea + 1;
    pb = eb + 1;
    ++line;
  }
  return {};
}

}  // namespace cx::store::test
