// Funding and expiry stories: funding paid and received to the unit, and a future, a call and
// a put settled at a known TWAP of the index.
#include <gtest/gtest.h>

#include "engine/exchange_dsl.hpp"

namespace cx::engine {
namespace {

using namespace cx::engine::testing;

constexpr Amount kUsdc = 1'000'000;
constexpr Qty kContract = 1'0000;

struct LifecycleTest : ::testing::Test {
  Venue v{ExchangeConfig{.paper_grant = 0}};
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  TraderId carol = v.trader("carol");
  Amount fund() const { return v.x.insurance_fund(Mode::Paper); }
};

TEST_F(LifecycleTest, FundingIsPaidByLongsToShortsToTheUnit) {
  MarketId perp = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob, carol}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  v.run(PriceUpdate{perp, 100'00, 100'00});
  v.place(perp, sell(bob, 100'00, 7345));
  v.place(perp, sell(carol, 100'00, 5000));
  v.place(perp, buy(alice, 100'00, 12345));  // alice long 1.2345; bob short 0.7345, carol 0.5
  const Amount a0 = v.bal(alice, kUSDC).balance;
  const Amount b0 = v.bal(bob, kUSDC).balance;
  const Amount c0 = v.bal(carol, kUSDC).balance;

  // Premium samples each minute: mark 0.1% over the index twice, then 0.4%: average 2,000 ppm,
  // plus the 12 ppm interest term: 2,012 ppm for the hour.
  v.run(PriceUpdate{perp, 100'00, 100'10});
  v.run(FundingSample{perp});
  v.run(FundingSample{perp});
  v.run(PriceUpdate{perp, 100'00, 100'40});
  v.run(FundingSample{perp});
  EXPECT_EQ(v.of(EventType::FundingSampled).at(0).amount, 4'000);
  v.run(PriceUpdate{perp, 100'00, 100'00});  // the index is what notionals are valued at
  v.run(FundingSettle{perp});
  auto settled = v.of(EventType::FundingSettled);
  ASSERT_EQ(settled.size(), 1u);
  EXPECT_EQ(settled[0].amount, 2'012);
  EXPECT_EQ(settled[0].count, 3u);

  // alice: 123.45 USDC x 2,012 ppm = 0.2483814 -> pays 248,382 units (rounded up);
  // bob: 73.45 x 2,012 ppm = 0.1477814 -> 147,781; carol: 50 x 2,012 ppm = 100,600 exactly.
  auto paid = v.of(EventType::FundingPaid);
  ASSERT_EQ(paid.size(), 3u);
  EXPECT_EQ(paid[0].trader, alice);
  EXPECT_EQ(paid[0].amount, -248'382);
  EXPECT_EQ(paid[1].amount, 147'781);
  EXPECT_EQ(paid[2].amount, 100'600);
  EXPECT_EQ(v.bal(alice, kUSDC).balance, a0 - 248'382);
  EXPECT_EQ(v.bal(bob, kUSDC).balance, b0 + 147'781);
  EXPECT_EQ(v.bal(carol, kUSDC).balance, c0 + 100'600);
  EXPECT_EQ(v.pos(alice, perp).funding, -248'382);
  EXPECT_EQ(v.pos(bob, perp).funding, 147'781);
  // Zero-sum with the fund: the one unit of rounding went to the insurance fund.
  EXPECT_EQ(settled[0].notional, 1);
  EXPECT_EQ(fund(), 1);
  v.expect_audit_ok();

  // Below the index the shorts pay: mark 0.3% under, so -3,000 + 12 = -2,988 ppm.
  v.run(PriceUpdate{perp, 100'00, 99'70});
  v.run(FundingSample{perp});
  v.run(FundingSettle{perp});
  paid = v.of(EventType::FundingPaid);
  ASSERT_EQ(paid.size(), 3u);
  EXPECT_EQ(paid[0].amount, 368'868);   // 123.45 x 2,988 ppm = 0.3688686, rounded down
  EXPECT_EQ(paid[1].amount, -219'469);  // 73.45 x 2,988 ppm = 0.2194686, rounded up
  EXPECT_EQ(paid[2].amount, -149'400);
  EXPECT_EQ(fund(), 1 + 1);
  v.expect_audit_ok();
}

TEST_F(LifecycleTest, FundingOnlyOnPerpetuals) {
  MarketId spot = v.spot("sBTC/USDC");
  v.run(FundingSettle{spot});
  EXPECT_EQ(v.rejection(), Reason::WrongMarketKind);
}

TEST_F(LifecycleTest, FutureCallAndPutSettleAtTheTwapOfTheIndex) {
  constexpr Timestamp kExpiry = 10'000'000;
  MarketSpec fut = v.perp_spec("BTC-FUT");
  fut.kind = MarketKind::Future;
  fut.expiry = kExpiry;
  MarketSpec call = fut;
  call.symbol = "BTC-C-100";
  call.kind = MarketKind::Option;
  call.strike = 100'00;
  call.is_call = true;
  MarketSpec put = call;
  put.symbol = "BTC-P-105";
  put.strike = 105'00;
  put.is_call = false;
  const MarketId f = v.create(fut);
  const MarketId c = v.create(call);
  const MarketId p = v.create(put);
  for (TraderId t : {alice, bob}) v.deposit(t, kUSDC, 10'000 * kUsdc);
  auto index = [&](Timestamp at, Price px) {
    v.ts = at;
    for (MarketId m : {f, c, p}) v.run(PriceUpdate{m, px, px});
  };
  index(8'000'000, 100'00);
  v.place(f, sell(bob, 100'00, 2 * kContract));
  v.place(f, buy(alice, 100'00, 2 * kContract));
  v.place(c, sell(bob, 2'00, kContract));
  v.place(c, buy(alice, 2'00, kContract));
  v.place(p, sell(bob, 3'00, kContract));
  v.place(p, buy(alice, 3'00, kContract));
  OrderId resting = v.place(f, buy(alice, 90'00, kContract));
  ASSERT_NE(resting, 0u);

  // The 30 minutes before expiry (8,200,000 .. 10,000,000 ms): 100.00 for 300 s, 110.00 for
  // 900 s, 90.00 for the last 600 s. TWAP = (100 x 300 + 110 x 900 + 90 x 600) / 1800 = 101.666…,
  // rounded down to 101.66. The price before the window does not count.
  index(8'500'000, 110'00);
  index(9'400'000, 90'00);
  v.ts = kExpiry - 1;
  v.run(SettleMarket{f});
  EXPECT_EQ(v.rejection(), Reason::NotExpired);

  const Amount a0 = v.bal(alice, kUSDC).balance;
  const Amount b0 = v.bal(bob, kUSDC).balance;
  v.ts = kExpiry + 5'000;
  v.run(SettleMarket{f});
  auto s = v.of(EventType::MarketSettled);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].price, 101'66);
  EXPECT_EQ(v.x.market(f).status, MarketStatus::Settled);
  auto cancels = v.of(EventType::Cancelled);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].order_id, resting);
  EXPECT_EQ(cancels[0].reason, Reason::MarketSettled);
  // Future: alice long 2 at 100.00 closes at 101.66: +3.32 USDC, bob -3.32.
  auto paid = v.of(EventType::SettlementPaid);
  ASSERT_EQ(paid.size(), 2u);
  EXPECT_EQ(paid[0].trader, alice);
  EXPECT_EQ(paid[0].amount, 3'320'000);
  EXPECT_EQ(paid[1].amount, -3'320'000);
  EXPECT_EQ(v.pos(alice, f).size, 0);
  EXPECT_EQ(v.bal(alice, kUSDC).balance, a0 + 3'320'000);
  EXPECT_EQ(v.bal(bob, kUSDC).balance, b0 - 3'320'000);
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0) << "margin and order locks released";

  // Call 100: intrinsic 1.66 per contract, from bob (short) to alice (long).
  v.run(SettleMarket{c});
  EXPECT_EQ(v.of(EventType::MarketSettled).at(0).price, 101'66);
  EXPECT_EQ(v.bal(alice, kUSDC).balance, a0 + 3'320'000 + 1'660'000);
  // Put 105: intrinsic 3.34.
  v.run(SettleMarket{p});
  EXPECT_EQ(v.bal(alice, kUSDC).balance, a0 + 3'320'000 + 1'660'000 + 3'340'000);
  EXPECT_EQ(v.bal(bob, kUSDC).balance, b0 - 3'320'000 - 1'660'000 - 3'340'000);
  EXPECT_EQ(v.pos(bob, p).size, 0);
  EXPECT_EQ(v.x.margin(Mode::Paper, bob).initial, 0) << "short option margin released";
  v.expect_audit_ok();

  // A settled market takes no orders, and settles once.
  v.place(f, buy(alice, 100'00, kContract));
  EXPECT_EQ(v.rejection(), Reason::MarketNotActive);
  v.run(SettleMarket{f});
  EXPECT_EQ(v.rejection(), Reason::MarketNotActive);
}

}  // namespace
}  // namespace cx::engine
