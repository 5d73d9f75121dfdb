// Random trading through the real exchange, projected with random commits, crashes and
// overlapping re-feeds: the store must end exactly as one uninterrupted projection, and agree
// with the exchange (open orders, fees, points, fills, klines).

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>

#include "store_fixture.hpp"

namespace cx::store::test {
namespace {

struct Sim {
  explicit Sim(std::uint64_t seed) : rng(seed) {}

  std::int64_t pick(std::int64_t lo, std::int64_t hi) {  // inclusive
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  }
  bool chance(int percent) { return pick(0, 99) < percent; }

  NewOrder random_order(const Exchange& x, MarketId market) {
    NewOrder o;
    const auto n = static_cast<std::int64_t>(traders);
    o.trader = static_cast<TraderId>(chance(5) ? n : pick(0, n - 1));  // now and then unknown
    o.side = chance(50) ? Side::Buy : Side::Sell;
    o.price = pick(97, 103) * 100;
    o.qty = pick(1, 20) * 100;
    const auto r = pick(0, 99);
    if (r < 10) {
      o.type = OrderType::Market;
      o.tif = chance(50) ? TimeInForce::IOC : TimeInForce::FOK;
    } else if (r < 20) {
      o.tif = TimeInForce::IOC;
    } else if (r < 25) {
      o.tif = TimeInForce::FOK;
    } else if (r < 35) {
      o.tif = TimeInForce::GTT;
      o.expire_at = ts + pick(1, 120'000);
    }
    if (o.type == OrderType::Limit && o.tif == TimeInForce::GTC && chance(10)) o.post_only = true;
    if (chance(5)) {
      o.trigger_kind = chance(50) ? TriggerKind::Stop : TriggerKind::TakeProfit;
      o.trigger = pick(95, 105) * 100;
    }
    o.stp = static_cast<SelfTradePrevention>(pick(0, 3));
    if (market < x.market_count() && x.market(market).spec.kind != MarketKind::Spot && chance(10))
      o.reduce_only = true;
    return o;
  }

  std::string random_cid() {
    if (chance(55)) return {};
    if (chance(20) && next_cid > 1) return "c" + std::to_string(pick(1, next_cid - 1));
    return "c" + std::to_string(next_cid++);
  }

  OrderId known_id() {
    if (ids.empty() || chance(5)) return static_cast<OrderId>(pick(1, 1'000'000));
    return ids[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(ids.size()) - 1))];
  }

  CommandBody random_trading(const Exchange& x, bool in_batch) {
    const auto r = pick(0, 99);
    const auto trader = static_cast<TraderId>(pick(0, static_cast<std::int64_t>(traders) - 1));
    const auto mode = chance(80) ? Mode::Paper : Mode::Real;
    if (r < 55) {
      const auto n = static_cast<std::int64_t>(markets);
      const auto market = static_cast<MarketId>(chance(5) ? n : pick(0, n - 1));
      return PlaceOrder{market, random_order(x, market), random_cid()};
    }
    if (r < 75) {
      if (chance(30)) return CancelOrder{mode, trader, 0, random_cid()};
      return CancelOrder{mode, trader, known_id(), {}};
    }
    if (r < 90) {
      AmendOrder a;
      a.mode = mode;
      a.amend = AmendRequest{trader, known_id(), 0, chance(50) ? pick(95, 105) * 100 : 0,
                             chance(50) ? pick(1, 30) * 100 : 0};
      if (chance(20)) {
        a.amend.order_id = 0;
        a.market = static_cast<MarketId>(pick(0, static_cast<std::int64_t>(markets) - 1));
        a.client_order_id = random_cid();
      }
      return a;
    }
    if (r < 97 || !in_batch) {
      std::optional<MarketId> market;
      if (chance(60)) market = static_cast<MarketId>(pick(0, static_cast<std::int64_t>(markets)));
      return CancelAll{mode, trader, market};
    }
    return Deposit{Mode::Paper, trader, kUSDC, 1};  // not allowed in a batch
  }

  Command next(const Exchange& x) {
    ts += chance(3) ? pick(3'600'000, 3 * 86'400'000) : pick(0, 20'000);
    Command c;
    c.ts = chance(3) ? ts - pick(1, 5'000) : ts;  // a late timestamp now and then
    const auto r = pick(0, 99);
    if (r < 72) {
      c.body = random_trading(x, false);
    } else if (r < 85) {
      Batch b;
      const auto n = pick(1, 6);
      for (std::int64_t i = 0; i < n; ++i)
        b.commands.push_back(Command{0, 0, random_trading(x, true)});
      c.body = std::move(b);
    } else if (r < 95) {
      const auto market = static_cast<MarketId>(pick(0, static_cast<std::int64_t>(markets) - 1));
      const Price p = pick(95, 105) * 100;
      c.body = PriceUpdate{market, p, p};
    } else if (r < 98) {
      c.body = ClockTick{};
    } else {
      const auto market = static_cast<MarketId>(pick(0, static_cast<std::int64_t>(markets) - 1));
      c.body = SetMarketStatus{market, chance(25) ? MarketStatus::Paused : MarketStatus::Active};
    }
    return c;
  }

  std::mt19937_64 rng;
  std::size_t traders = 0;
  std::size_t markets = 0;
  Timestamp ts = utc(2024, 1, 31, 23);
  std::int64_t next_cid = 1;
  std::vector<OrderId> ids;
};

/// Runs `n` random commands through a fresh exchange and returns every command's record.
std::vector<CommandRecord> random_history(std::uint64_t seed, std::size_t n, Exchange& x,
                                          std::uint64_t& placements) {
  Sim sim(seed);
  std::vector<CommandRecord> out;
  ExEventBuffer ev;
  SeqNo seq = 0;
  auto run = [&](CommandBody body, Timestamp ts) {
    Command c{++seq, ts, std::move(body)};
    ev.clear();
    x.apply(c, ev);
    for (const ExEvent& e : ev)
      if (e.type == EventType::Accepted) sim.ids.push_back(e.order_id);
    auto count = [&](const CommandBody& b) {
      if (const auto* p = std::get_if<PlaceOrder>(&b))
        if (p->order.trader < x.trader_count() && p->market < x.market_count()) ++placements;
    };
    if (const auto* b = std::get_if<Batch>(&c.body)) {
      for (const Command& s : b->commands) count(s.body);
    } else {
      count(c.body);
    }
    capture(c.seq, c.ts, ev, x, &c, out.emplace_back());
  };
  for (const char* name : {"ann", "ben", "cat", "dan"}) run(RegisterTrader{name}, sim.ts);
  sim.traders = 4;
  MarketSpec perp = spot_spec("BTC-PERP");
  perp.kind = MarketKind::Perp;
  for (const MarketSpec& s :
       {spot_spec("sBTC/USDC"), perp, spot_spec("sETH/USDC"), spot_spec("sBTC/USDC", Mode::Real)})
    run(CreateMarket{s}, sim.ts);
  sim.markets = 4;
  for (TraderId t = 0; t < 4; ++t) {
    run(Deposit{Mode::Paper, t, kSBTC, 50 * kBtc}, sim.ts);
    run(Deposit{Mode::Real, t, kSBTC, 50 * kBtc}, sim.ts);
    run(Deposit{Mode::Real, t, kUSDC, 100'000 * kUsdc}, sim.ts);
  }
  while (out.size() < n) {
    Command c = sim.next(x);
    run(std::move(c.body), c.ts);
  }
  return out;
}

std::int64_t scalar(Db& db, const std::string& sql) {
  Stmt s = ok(db.prepare(sql));
  EXPECT_TRUE(ok(s.step()));
  return s.int64(0);
}

void check_against_exchange(SqliteReadStore& store, const Exchange& x, std::uint64_t placements) {
  Db& db = store.db();
  // Open orders: the same ids with the same remaining quantity.
  std::map<OrderId, Qty> live;
  x.for_each_open_order([&](const Market&, const Order& o) { live[o.id] = o.remaining; });
  std::map<OrderId, Qty> projected;
  Stmt s =
      ok(db.prepare("SELECT order_id, remaining FROM orders WHERE status IN "
                    "('OPEN', 'PARTIAL')"));
  while (ok(s.step())) projected[s.uint64(0)] = s.int64(1);
  EXPECT_EQ(projected, live);
  // Every placement has exactly one row (accepted or refused).
  EXPECT_EQ(static_cast<std::uint64_t>(scalar(db, "SELECT count(*) FROM orders")), placements);
  // Fees, per mode.
  for (Mode m : {Mode::Real, Mode::Paper}) {
    const std::string mode(to_string(m));
    EXPECT_EQ(
        scalar(db, "SELECT COALESCE(sum(taker_fee + maker_fee), 0) FROM trades WHERE mode = '" +
                       mode + "'"),
        x.system(m).fees[kUSDC])
        << mode;
  }
  // Each order's filled quantity and fees are the sums of its fills.
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM orders o WHERE o.order_id IS NOT NULL AND "
                   "(o.filled <> (SELECT COALESCE(sum(qty), 0) FROM fills f WHERE "
                   "f.order_id = o.order_id) OR o.fees <> (SELECT COALESCE(sum(fee), 0) "
                   "FROM fills f WHERE f.order_id = o.order_id))"),
            0);
  // A status agrees with the quantities.
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM orders WHERE (status = 'FILLED' AND "
                   "(remaining <> 0 OR filled <> qty)) OR (status = 'PARTIAL' AND "
                   "(filled = 0 OR remaining = 0)) OR (status = 'OPEN' AND filled <> 0)"),
            0);
  // Klines of every interval add up to the trades.
  EXPECT_EQ(scalar(db,
                   "SELECT count(*) FROM (SELECT k.market, k.period, sum(k.trades) n, "
                   "sum(k.volume) v, sum(k.quote_volume) q FROM klines k GROUP BY k.market, "
                   "k.period) a JOIN (SELECT market, count(*) n, sum(qty) v, sum(notional) q "
                   "FROM trades GROUP BY market) t ON t.market = a.market "
                   "WHERE a.n <> t.n OR a.v <> t.v OR a.q <> t.q"),
            0);
  EXPECT_EQ(scalar(db, "SELECT count(DISTINCT period) FROM klines"),
            scalar(db, "SELECT count(*) FROM trades") > 0 ? 6 : 0);
  // PAPER points.
  for (TraderId t = 0; t < x.trader_count(); ++t) {
    auto p = ok(store.paper_points(t));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->points, x.points(Mode::Paper, t)) << "trader " << t;
  }
}

std::uint64_t seed_from_env(std::uint64_t fallback) {
  const char* s = std::getenv("CX_SEED");
  return s ? std::strtoull(s, nullptr, 10) : fallback;
}

class ProjectorRandom : public ::testing::TestWithParam<std::uint64_t> {};

TEST_P(ProjectorRandom, CrashesAndOverlappingReplaysEndAsOneCleanProjection) {
  const std::uint64_t seed = seed_from_env(GetParam());
  std::printf("ProjectorRandom seed %llu (rerun with CX_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  SCOPED_TRACE("seed " + std::to_string(seed));
  Exchange x;
  std::uint64_t placements = 0;
  const auto records = random_history(seed, 3'000, x, placements);

  TempDir dir;
  // Reference: one command per transaction, never interrupted.
  auto ref = open_store(dir / "ref.db");
  {
    auto p = ok(Projector::open(*ref));
    for (const CommandRecord& r : records) {
      ok(p->apply(r));
      ok(p->commit());
    }
    const ProjectorStats& st = p->stats();
    EXPECT_EQ(st.unmatched, 0u);
    std::printf("ProjectorRandom seed %llu: %llu events, %llu orders (%llu refused), %llu trades\n",
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(st.events),
                static_cast<unsigned long long>(st.orders),
                static_cast<unsigned long long>(st.rejected_orders),
                static_cast<unsigned long long>(st.trades));
  }
  check_against_exchange(*ref, x, placements);

  // Crashy: random batch sizes, crashes that lose the open batch, and restarts that feed again
  // from a random earlier point.
  std::mt19937_64 rng(seed ^ 0x5DEECE66DULL);
  auto pick = [&](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  auto store = open_store(dir / "crashy.db");
  auto proj = ok(Projector::open(*store));
  std::size_t i = 0;
  int crashes = 0;
  while (i < records.size()) {
    const std::size_t batch = pick(1, 200);
    for (std::size_t k = 0; k < batch && i < records.size(); ++k, ++i) ok(proj->apply(records[i]));
    if (pick(0, 3) == 0) {  // crash before committing
      ++crashes;
      proj.reset();
      store.reset();
      store = open_store(dir / "crashy.db");
      proj = ok(Projector::open(*store));
      const SeqNo resume = proj->committed_seq();  // records[k] has seq k + 1
      i = pick(resume > 300 ? resume - 300 : 0, resume);
    } else {
      ok(proj->commit());
    }
  }
  ok(proj->commit());
  std::printf("ProjectorRandom seed %llu: %zu commands, %d crashes\n",
              static_cast<unsigned long long>(seed), records.size(), crashes);
  EXPECT_EQ(first_difference(dump_history(store->db()), dump_history(ref->db())), "");
}

INSTANTIATE_TEST_SUITE_P(Seeds, ProjectorRandom, ::testing::Values(1u, 2u, 3u, 20240401u));

}  // namespace
}  // namespace cx::store::test
