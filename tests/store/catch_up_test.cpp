// Start-up catch-up: a store that lags the journal is brought level by replaying it.

#include <gtest/gtest.h>

#include "journal/durable_exchange.hpp"
#include "store/catch_up.hpp"
#include "store_fixture.hpp"

namespace cx::store::test {
namespace {

/// A durable exchange whose commands are projected live into `ref` and, up to `lag_until`,
/// into `lag` (the store that fell behind).
struct CatchUpTest : ::testing::Test {
  TempDir dir;
  std::unique_ptr<journal::DurableExchange> d;
  std::unique_ptr<SqliteReadStore> ref = open_store(dir / "ref.db");
  std::unique_ptr<Projector> ref_proj = ok(Projector::open(*ref));
  std::unique_ptr<SqliteReadStore> lag = open_store(dir / "lag.db");
  std::unique_ptr<Projector> lag_proj = ok(Projector::open(*lag));
  SeqNo lag_until = 0;
  ExEventBuffer ev;
  Timestamp ts = utc(2024, 4, 1);

  void SetUp() override {
    journal::DurableOptions opt;
    opt.remove_old_segments = false;
    d = ok(journal::DurableExchange::open(dir / "data", opt));
  }

  void submit(CommandBody body) {
    ts += 7'000;
    Command c{0, ts, std::move(body)};
    Command kept = c;  // submit() takes the command; capture() wants it too
    ev.clear();
    kept.seq = ok(d->submit(std::move(c), ev));
    CommandRecord r;
    capture(kept.seq, kept.ts, ev, d->exchange(), &kept, r);
    ok(ref_proj->apply(r));
    if (kept.seq <= lag_until) ok(lag_proj->apply(r));
  }

  /// Traders, a market and `n` orders that trade, cancel and get refused now and then.
  void trade(int n) {
    for (const char* name : {"ann", "ben", "cat"}) submit(RegisterTrader{name});
    submit(CreateMarket{spot_spec("sBTC/USDC")});
    for (TraderId t = 0; t < 3; ++t) submit(Deposit{Mode::Paper, t, kSBTC, 10 * kBtc});
    for (int i = 0; i < n; ++i) {
      const auto t = static_cast<TraderId>(i % 3);
      const Price p = 100'00 + (i * 7) % 9 - 4;
      if (i % 11 == 10) {
        submit(CancelOrder{Mode::Paper, t, 0, "o" + std::to_string(i - 4)});
      } else {
        const NewOrder o = i % 2 ? NewOrder(buy(t, p, 100 + i % 5 * 100))
                                 : NewOrder(sell(t, p, 100 + i % 3 * 100));
        submit(
            PlaceOrder{0, o, i % 13 == 0 ? "o" + std::to_string(i - 13) : "o" + std::to_string(i)});
      }
      if (i % 10 == 9) {
        ok(d->commit());
        ok(ref_proj->commit());
        if (d->last_seq() <= lag_until) ok(lag_proj->commit());
        if (i == 119) ok(d->snapshot_sync());  // the state after seq 127
      }
    }
    ok(d->commit());
    ok(ref_proj->commit());
  }

  /// The lagging store reopened, as after a crash: whatever it had not committed is gone.
  void restart_lagging_store() {
    lag_proj.reset();
    lag.reset();
    lag = open_store(dir / "lag.db");
    lag_proj = ok(Projector::open(*lag));
  }
};

TEST_F(CatchUpTest, FromASnapshotBeforeTheStoresLastSeq) {
  lag_until = 200;
  trade(300);
  restart_lagging_store();
  const SeqNo behind = lag_proj->committed_seq();
  ASSERT_GT(behind, 127u);  // the snapshot is older than the store
  ASSERT_LT(behind, d->last_seq());
  auto info = ok(catch_up(dir / "data", *lag_proj, d->exchange().config(), d->last_seq(), 16));
  EXPECT_EQ(info.snapshot_seq, 127u);
  EXPECT_EQ(info.projected, d->last_seq() - behind);
  EXPECT_EQ(lag_proj->committed_seq(), d->last_seq());
  EXPECT_EQ(ref_proj->stats().unmatched, 0u);
  EXPECT_EQ(first_difference(dump_history(lag->db()), dump_history(ref->db())), "");
}

TEST_F(CatchUpTest, FromTheStartWhenEverySnapshotIsTooNew) {
  lag_until = 50;
  trade(300);
  restart_lagging_store();
  auto info = ok(catch_up(dir / "data", *lag_proj, d->exchange().config(), d->last_seq()));
  EXPECT_EQ(info.snapshot_seq, 0u);
  EXPECT_EQ(info.replayed, d->last_seq());
  EXPECT_EQ(first_difference(dump_history(lag->db()), dump_history(ref->db())), "");
  // Level already: nothing to do.
  auto again = ok(catch_up(dir / "data", *lag_proj, d->exchange().config(), d->last_seq()));
  EXPECT_EQ(again.projected, 0u);
}

TEST_F(CatchUpTest, AStoreAheadOfTheJournalIsRefused) {
  lag_until = 1'000'000;
  trade(30);
  auto r = catch_up(dir / "data", *ref_proj, d->exchange().config(), d->last_seq() - 5);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::Corrupt);
  EXPECT_NE(r.error().message.find("ahead of the journal"), std::string::npos);
}

TEST_F(CatchUpTest, AJournalThatEndsTooSoonIsRefused) {
  lag_until = 10;
  trade(30);
  restart_lagging_store();
  auto r = catch_up(dir / "data", *lag_proj, d->exchange().config(), d->last_seq() + 3);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("ends at seq"), std::string::npos) << r.error().message;
  EXPECT_EQ(lag_proj->committed_seq(), d->last_seq()) << "what could be projected was kept";
}

}  // namespace
}  // namespace cx::store::test
