// Price history (one point per market and minute), the PAPER leaderboard by realised PnL and
// the income rows (funding), through the real exchange and projector.
#include <gtest/gtest.h>

#include "store_fixture.hpp"

namespace cx::store::test {
namespace {

TEST(PriceHistory, KeepsTheLastIndexAndMarkOfEachMinute) {
  StoreVenue v;
  const MarketId m = v.spot("sBTC/USDC");
  const Timestamp t0 = utc(2024, 4, 1, 12, 0, 0);
  v.at(t0 + 1'000).run(PriceUpdate{m, 100'00, 100'50});
  v.at(t0 + 40'000).run(PriceUpdate{m, 101'00, 101'25});  // same minute: replaces
  v.at(t0 + 61'000).run(PriceUpdate{m, 102'00, 102'10});
  v.at(t0 + 185'000).run(PriceUpdate{m, 99'00, 99'05});
  PriceQuery q;
  q.market = m;
  auto all = ok(v.store->price_history(q));
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].minute, t0);
  EXPECT_EQ(all[0].index, 101'00);
  EXPECT_EQ(all[0].mark, 101'25);
  EXPECT_EQ(all[0].ts, t0 + 40'000);
  EXPECT_EQ(all[1].minute, t0 + 60'000);
  EXPECT_EQ(all[2].minute, t0 + 180'000);
  EXPECT_EQ(all[2].index, 99'00);
  q.limit = 2;  // the latest two, oldest first
  auto latest = ok(v.store->price_history(q));
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0].minute, t0 + 60'000);
  q.from = t0 + 60'000;
  q.to = t0 + 180'000;
  auto range = ok(v.store->price_history(q));
  ASSERT_EQ(range.size(), 1u);
  EXPECT_EQ(range[0].index, 102'00);
}

TEST(PriceHistory, SurvivesARestartOfTheStore) {
  StoreVenue v;
  const MarketId m = v.spot("sBTC/USDC");
  v.at(120'000).run(PriceUpdate{m, 100'00, 0});
  v.reopen();
  PriceQuery q;
  q.market = m;
  auto all = ok(v.store->price_history(q));
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].minute, 120'000);
  EXPECT_EQ(all[0].index, 100'00);
  EXPECT_EQ(all[0].mark, v.x.market(m).mark);
}

TEST(PnlLeaderboard, RanksByRealisedPnlOfPaperPositions) {
  StoreVenue v;
  const TraderId alice = v.trader("alice");
  const TraderId bob = v.trader("bob");
  const TraderId carol = v.trader("carol");
  MarketSpec s = v.spot_spec("BTC-PERP");
  s.kind = MarketKind::Perp;
  s.maker_fee_bps = 0;
  s.taker_fee_bps = 0;
  const MarketId m = v.create(s);
  v.run(PriceUpdate{m, 100'00, 100'00});
  // alice buys 1 from bob at 100 and sells it to carol at 110 (+10 USDC); bob buys his short
  // back from carol at 120 (-20 USDC), carol closing her long (+10 USDC).
  ASSERT_NE(v.place(m, sell(bob, 100'00, 1'0000)), 0u);
  ASSERT_NE(v.place(m, buy(alice, 100'00, 1'0000)), 0u);
  v.run(PriceUpdate{m, 110'00, 110'00});
  ASSERT_NE(v.place(m, buy(carol, 110'00, 1'0000)), 0u);
  ASSERT_NE(v.place(m, sell(alice, 110'00, 1'0000)), 0u);
  v.run(PriceUpdate{m, 120'00, 120'00});
  ASSERT_NE(v.place(m, sell(carol, 120'00, 1'0000)), 0u);
  ASSERT_NE(v.place(m, buy(bob, 120'00, 1'0000)), 0u);

  auto board = ok(v.store->pnl_leaderboard(10, 0));
  ASSERT_EQ(board.size(), 3u);
  EXPECT_EQ(board[0].trader, alice);  // ties go to the lower trader id
  EXPECT_EQ(board[0].pnl, 10 * kUsdc);
  EXPECT_EQ(board[0].rank, 1);
  EXPECT_EQ(board[1].trader, carol);
  EXPECT_EQ(board[1].pnl, 10 * kUsdc);
  EXPECT_EQ(board[2].trader, bob);
  EXPECT_EQ(board[2].pnl, -20 * kUsdc);
  EXPECT_EQ(board[2].rank, 3);
  // The same as the exchange's positions say.
  for (const auto& e : board) {
    Amount pnl = 0;
    for (const auto& p : v.x.account(Mode::Paper, e.trader).positions)
      pnl += p.realized + p.funding;
    EXPECT_EQ(e.pnl, pnl) << e.name;
  }
  auto page = ok(v.store->pnl_leaderboard(1, 2));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].trader, bob);
  EXPECT_EQ(page[0].rank, 3);
}

TEST(Income, FundingPaymentsAreRowsOfEachTraderNewestFirst) {
  StoreVenue v;
  const TraderId alice = v.trader("alice");
  const TraderId bob = v.trader("bob");
  MarketSpec s = v.spot_spec("BTC-PERP");
  s.kind = MarketKind::Perp;
  const MarketId m = v.create(s);
  v.run(PriceUpdate{m, 100'00, 100'00});
  ASSERT_NE(v.place(m, sell(bob, 100'00, 10'0000)), 0u);
  ASSERT_NE(v.place(m, buy(alice, 100'00, 10'0000)), 0u);  // alice long 10, bob short 10
  // The mark trades above the index: longs pay shorts, twice.
  for (int period = 0; period < 2; ++period) {
    v.run(PriceUpdate{m, 100'00, 100'50});
    v.run(FundingSample{m});
    v.run(FundingSettle{m});
  }
  IncomeQuery q;
  q.trader = alice;
  auto page = ok(v.store->income(q));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_FALSE(page.next.has_value());
  EXPECT_GT(page.items[0].id, page.items[1].id);  // newest first
  Amount sum = 0;
  for (const IncomeRecord& r : page.items) {
    EXPECT_EQ(r.kind, IncomeKind::Funding);
    EXPECT_EQ(r.market, std::optional<MarketId>(m));
    EXPECT_EQ(r.symbol, "BTC-PERP");
    EXPECT_LT(r.amount, 0);  // paid
    sum += r.amount;
  }
  // The rows add up to what the exchange's position says.
  const auto& pos = v.x.account(Mode::Paper, alice).positions;
  ASSERT_EQ(pos.size(), 1u);
  EXPECT_EQ(sum, pos[0].funding);
  q.trader = bob;
  auto received = ok(v.store->income(q));
  ASSERT_EQ(received.items.size(), 2u);
  EXPECT_GT(received.items[0].amount, 0);
  // Pages by cursor, and filters by kind.
  q.limit = 1;
  auto first = ok(v.store->income(q));
  ASSERT_EQ(first.items.size(), 1u);
  ASSERT_TRUE(first.next.has_value());
  q.before = first.next;
  auto second = ok(v.store->income(q));
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].id, received.items[1].id);
  q = IncomeQuery{};
  q.trader = bob;
  q.kind = IncomeKind::LiquidationPenalty;
  EXPECT_TRUE(ok(v.store->income(q)).items.empty());
}

}  // namespace
}  // namespace cx::store::test
