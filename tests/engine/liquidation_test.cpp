// Margin and liquidation stories: initial margin on orders, the derived mark price, a stale
// oracle, a liquidation the insurance fund covers, and one it cannot cover that ends in ADL.
#include <gtest/gtest.h>

#include "engine/exchange_dsl.hpp"

namespace cx::engine {
namespace {

using namespace cx::engine::testing;

constexpr Amount kUsdc = 1'000'000;
constexpr Qty kContract = 1'0000;  // qty_scale 4

struct LiquidationTest : ::testing::Test {
  Venue v{ExchangeConfig{.paper_grant = 0}};
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  TraderId carol = v.trader("carol");
  TraderId dave = v.trader("dave");
  TraderId erin = v.trader("erin");
  MarketId perp = v.perp("BTC-PERP");  // price 0.01, qty 0.0001, IM 10%, MM 5%, taker 5 bps

  void mark(Price p) { v.run(PriceUpdate{perp, p, p}); }
  Amount fund() const { return v.x.insurance_fund(Mode::Paper); }
};

TEST_F(LiquidationTest, OrderBeyondInitialMarginIsRejectedWithItsOwnReason) {
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  mark(100'00);
  // 100 contracts at 100 = 10,000 USDC notional: 1,000 initial margin + 5 of fees > 1,000.
  v.place(perp, buy(alice, 100'00, 100 * kContract));
  EXPECT_EQ(v.rejection(), Reason::InsufficientMargin);
  v.place(perp, buy(alice, 100'00, 99 * kContract));
  EXPECT_EQ(v.rejection(), Reason::None);
  v.expect_audit_ok();
}

TEST_F(LiquidationTest, MarkIsTheIndexPlusASmoothedBoundedBookPremium) {
  v.deposit(bob, kUSDC, 10'000 * kUsdc);
  v.place(perp, buy(bob, 101'00, kContract));
  v.place(perp, sell(bob, 103'00, kContract));
  // mid 102.00, index 100.00: premium sample 200; EMA 1/8 -> 25, then 46, then 65 (cap 50).
  v.run(PriceUpdate{perp, 100'00, 0});
  EXPECT_EQ(v.x.market(perp).mark, 100'25);
  v.run(PriceUpdate{perp, 100'00, 0});
  EXPECT_EQ(v.x.market(perp).mark, 100'46);
  v.run(PriceUpdate{perp, 100'00, 0});
  EXPECT_EQ(v.x.market(perp).mark, 100'50);  // 0.5% of the index at most
  EXPECT_EQ(v.of(EventType::PriceUpdated).at(0).price, 100'50);
}

TEST_F(LiquidationTest, StaleOracleBlocksNewRiskButNotReducingIt) {
  Venue w{ExchangeConfig{.paper_grant = 0, .oracle_max_age_ms = 60'000}};
  TraderId a = w.trader("alice");
  TraderId b = w.trader("bob");
  MarketId m = w.perp("BTC-PERP");
  w.deposit(a, kUSDC, 1'000 * kUsdc);
  w.deposit(b, kUSDC, 1'000 * kUsdc);
  w.place(m, buy(a, 100'00, kContract));
  EXPECT_EQ(w.rejection(), Reason::StaleOraclePrice) << "no price yet";
  w.run(PriceUpdate{m, 100'00, 100'00});
  w.place(m, sell(b, 100'00, kContract));
  w.place(m, buy(a, 100'00, kContract));
  EXPECT_EQ(w.rejection(), Reason::None);
  EXPECT_EQ(w.pos(a, m).size, kContract);

  w.ts += 60'001;  // the oracle goes quiet for more than a minute
  w.place(m, buy(a, 100'00, kContract));
  EXPECT_EQ(w.rejection(), Reason::StaleOraclePrice);
  NewOrder close = sell(a, 100'00, kContract);
  close.reduce_only = true;
  w.place(m, close);
  EXPECT_EQ(w.rejection(), Reason::None) << "reducing risk stays allowed";

  w.run(PriceUpdate{m, 100'00, 100'00});
  w.place(m, buy(a, 99'00, kContract));
  EXPECT_EQ(w.rejection(), Reason::None);
  w.expect_audit_ok();
}

TEST_F(LiquidationTest, LiquidationThatTheInsuranceFundCovers) {
  v.deposit(alice, kUSDC, 1'500 * kUsdc);
  v.deposit(dave, kUSDC, 1'100 * kUsdc);
  v.deposit(bob, kUSDC, 100'000 * kUsdc);
  v.deposit(carol, kUSDC, 100'000 * kUsdc);
  v.deposit(erin, kUSDC, 100'000 * kUsdc);
  mark(100'00);
  v.place(perp, sell(bob, 100'00, 200 * kContract));
  v.place(perp, buy(dave, 100'00, 100 * kContract));   // dave: 1,095 after the 5 USDC fee
  v.place(perp, buy(alice, 100'00, 100 * kContract));  // alice: 1,495
  OrderId alice_bid = v.place(perp, buy(alice, 50'00, kContract));
  ASSERT_NE(alice_bid, 0u);

  // Dave first: at 93.50 his equity (445) is under maintenance (467.50). Carol's bid takes his
  // position at 93.00; the 1% penalty on the 9,350 closed at mark starts the fund.
  v.place(perp, buy(carol, 93'00, 100 * kContract));
  mark(93'50);
  ASSERT_EQ(v.of(EventType::Liquidation).size(), 1u);
  EXPECT_EQ(v.of(EventType::Liquidation)[0].trader, dave);
  EXPECT_EQ(v.pos(dave, perp).size, 0);
  EXPECT_EQ(fund(), 93'500'000);
  // 1,095 - 700 loss - 4.65 fee - 93.50 penalty
  EXPECT_EQ(v.bal(dave, kUSDC).balance, 296'850'000);
  v.expect_audit_ok();

  // The mark falls to 89.00: alice is under maintenance. The only bid is 84.60, inside the 5%
  // slippage bound (84.55); selling there costs 1,540 + 4.23 of fee, 49.23 more than she has.
  v.place(perp, buy(erin, 84'60, 100 * kContract));
  mark(89'00);
  auto liq = v.of(EventType::Liquidation);
  ASSERT_EQ(liq.size(), 1u);
  EXPECT_EQ(liq[0].trader, alice);
  EXPECT_EQ(liq[0].amount, 395 * kUsdc);    // equity at mark: 1,495 - 1,100
  EXPECT_EQ(liq[0].notional, 445 * kUsdc);  // maintenance: 5% of 8,900
  auto cancels = v.of(EventType::Cancelled);
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0].order_id, alice_bid);
  EXPECT_EQ(cancels[0].reason, Reason::Liquidation);
  auto fills = v.of(EventType::Fill);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].price, 84'60);
  EXPECT_EQ(fills[0].reason, Reason::Liquidation);
  EXPECT_TRUE(v.of(EventType::LiquidationPenalty).empty()) << "nothing left for a penalty";
  auto paid = v.of(EventType::InsurancePaid);
  ASSERT_EQ(paid.size(), 1u);
  EXPECT_EQ(paid[0].amount, 49'230'000);
  EXPECT_EQ(fund(), 93'500'000 - 49'230'000);
  EXPECT_EQ(v.bal(alice, kUSDC).balance, 0);
  EXPECT_EQ(v.pos(alice, perp).size, 0);
  EXPECT_TRUE(v.of(EventType::AutoDeleveraged).empty());
  v.expect_audit_ok();
}

TEST_F(LiquidationTest, LiquidationTheFundCannotCoverEndsInAutoDeleveraging) {
  v.deposit(alice, kUSDC, 1'100 * kUsdc);
  v.deposit(bob, kUSDC, 1'000 * kUsdc);  // the more leveraged short
  v.deposit(carol, kUSDC, 10'000 * kUsdc);
  v.deposit(erin, kUSDC, 100'000 * kUsdc);
  mark(100'00);
  v.place(perp, sell(carol, 100'00, 40 * kContract));
  v.place(perp, sell(bob, 100'00, 60 * kContract));
  v.place(perp, buy(alice, 100'00, 100 * kContract));  // alice: 1,095 after fees
  ASSERT_EQ(v.pos(alice, perp).size, 100 * kContract);
  ASSERT_EQ(fund(), 0);

  // The mark gaps to 85.00 and the only bid, 80.00, is outside the slippage bound: the book
  // cannot take the position, and the empty fund cannot cover a loss at mark. The position goes
  // to the shorts at alice's bankruptcy price (89.10: where her 1,095 is used up, fee included),
  // most profitable-and-leveraged first: bob, then carol.
  v.place(perp, buy(erin, 80'00, 100 * kContract));
  mark(85'00);
  ASSERT_EQ(v.of(EventType::Liquidation).size(), 1u);
  EXPECT_TRUE(v.of(EventType::Fill).empty());
  auto adl = v.of(EventType::AutoDeleveraged);
  ASSERT_EQ(adl.size(), 2u);
  EXPECT_EQ(adl[0].trader, bob);
  EXPECT_EQ(adl[0].maker_trader, alice);
  EXPECT_EQ(adl[0].qty, 60 * kContract);
  EXPECT_EQ(adl[0].price, 89'10);
  EXPECT_EQ(adl[0].side, Side::Buy);
  EXPECT_EQ(adl[1].trader, carol);
  EXPECT_EQ(adl[1].qty, 40 * kContract);
  EXPECT_EQ(v.pos(alice, perp).size, 0);
  EXPECT_EQ(v.pos(bob, perp).size, 0);
  EXPECT_EQ(v.pos(carol, perp).size, 0);
  // alice: 1,095 - 1,090 = 5 left, taken as (part of) the penalty; nobody is below zero.
  EXPECT_EQ(v.bal(alice, kUSDC).balance, 0);
  EXPECT_EQ(fund(), 5 * kUsdc);
  EXPECT_TRUE(v.of(EventType::InsuranceShortfall).empty());
  // The shorts keep 60 x (100 - 89.10) = 654 and 436 of the profit they had at mark (900 and
  // 600): the loss the fund could not cover. Their maker fees were 2 bps (1.20 and 0.80).
  EXPECT_EQ(v.bal(bob, kUSDC).balance, 1'000 * kUsdc - 1'200'000 + 654 * kUsdc);
  EXPECT_EQ(v.bal(carol, kUSDC).balance, 10'000 * kUsdc - 800'000 + 436 * kUsdc);
  v.expect_audit_ok();
}

TEST_F(LiquidationTest, DeleveragingTakesACounterpartyOnlyUpToItsEquity) {
  MarketId eth = v.perp("ETH-PERP");
  v.deposit(alice, kUSDC, 2'100 * kUsdc);
  v.deposit(bob, kUSDC, 1'100 * kUsdc);  // a thinly funded short
  v.deposit(carol, kUSDC, 100'000 * kUsdc);
  mark(100'00);
  v.run(PriceUpdate{eth, 100'00, 100'00});
  v.place(perp, sell(bob, 100'00, 100 * kContract));
  v.place(perp, buy(alice, 100'00, 100 * kContract));
  v.place(eth, sell(carol, 100'00, 100 * kContract));
  v.place(eth, buy(alice, 100'00, 100 * kContract));    // alice: 2,090 left, long in both
  ASSERT_EQ(v.bal(bob, kUSDC).balance, 1'098 * kUsdc);  // 2 of maker fee

  // ETH gaps to 50.00 with no bids: alice's equity is 2,090 - 5,000 = -2,910 and the fund is
  // empty. Her BTC long goes first, to bob, whose equity at the BTC mark is his 1,098: he buys
  // back at 100.00 + 1,098 / 100 = 110.98 and keeps nothing, but is not pushed below zero. The
  // rest of her loss goes with her ETH long to carol, at its (higher) bankruptcy price.
  v.run(PriceUpdate{eth, 50'00, 50'00});
  ASSERT_EQ(v.of(EventType::Liquidation).size(), 1u);
  auto adl = v.of(EventType::AutoDeleveraged);
  ASSERT_EQ(adl.size(), 2u);
  EXPECT_EQ(adl[0].trader, bob);
  EXPECT_EQ(adl[0].market, perp);
  EXPECT_EQ(adl[0].price, 110'98);
  EXPECT_EQ(v.bal(bob, kUSDC).balance, 0);
  EXPECT_EQ(adl[1].trader, carol);
  EXPECT_EQ(adl[1].market, eth);
  EXPECT_GT(adl[1].price, 50'00);
  EXPECT_EQ(v.pos(alice, perp).size, 0);
  EXPECT_EQ(v.pos(alice, eth).size, 0);
  EXPECT_TRUE(v.of(EventType::InsuranceShortfall).empty());
  EXPECT_GE(fund(), 0);
  v.expect_audit_ok();
}

TEST_F(LiquidationTest, AShortCallIsBoughtBackWhenItsValueEatsTheMargin) {
  MarketSpec spec = v.perp_spec("BTC-C-100");
  spec.kind = MarketKind::Option;
  spec.expiry = 10'000'000;
  spec.strike = 100'00;
  spec.is_call = true;
  const MarketId call = v.create(spec);  // IM 10%, MM 5% of max(index, strike)
  v.deposit(alice, kUSDC, 200 * kUsdc);
  v.deposit(bob, kUSDC, 1'000 * kUsdc);
  v.deposit(carol, kUSDC, 1'000 * kUsdc);
  v.run(PriceUpdate{call, 100'00, 5'00});
  v.place(call, sell(alice, 5'00, 10 * kContract));
  v.place(call, buy(bob, 5'00, 10 * kContract));  // alice short 10 calls, 50 of premium in cash
  ASSERT_EQ(v.pos(alice, call).size, -10 * kContract);
  const Amount cash = v.bal(alice, kUSDC).balance;

  // The index goes to 112, the call to 13.00: she owes 130 against 56 of maintenance and her
  // equity is cash - 130: safe.
  v.run(PriceUpdate{call, 112'00, 13'00});
  EXPECT_TRUE(v.of(EventType::Liquidation).empty());
  EXPECT_EQ(v.x.margin(Mode::Paper, alice).equity, cash - 130 * kUsdc);

  // At 119 / 20.00 she owes 200: equity ~50 < 59.50 of maintenance. The call is bought back
  // from carol's offer at 20.50, inside the 5% slippage bound (21.00).
  v.place(call, sell(carol, 20'50, 10 * kContract));
  v.run(PriceUpdate{call, 119'00, 20'00});
  ASSERT_EQ(v.of(EventType::Liquidation).size(), 1u);
  auto fills = v.of(EventType::Fill);
  ASSERT_EQ(fills.size(), 1u);
  EXPECT_EQ(fills[0].trader, alice);
  EXPECT_EQ(fills[0].price, 20'50);
  EXPECT_EQ(fills[0].reason, Reason::Liquidation);
  EXPECT_EQ(v.pos(alice, call).size, 0);
  // 205 of premium, 5 bps of taker fee and the 1% penalty on 200 of notional at mark, which is
  // all the fund receives: it paid nothing.
  EXPECT_EQ(v.bal(alice, kUSDC).balance, cash - 205 * kUsdc - 102'500 - 2 * kUsdc);
  EXPECT_EQ(fund(), 2 * kUsdc);
  v.expect_audit_ok();
}

TEST_F(LiquidationTest, CrossMarginALossInOneMarketLiquidatesPositionsInBoth) {
  MarketId eth = v.perp("ETH-PERP");
  v.deposit(alice, kUSDC, 2'100 * kUsdc);
  v.deposit(bob, kUSDC, 100'000 * kUsdc);
  v.deposit(carol, kUSDC, 100'000 * kUsdc);
  mark(100'00);
  v.run(PriceUpdate{eth, 100'00, 100'00});
  for (MarketId m : {perp, eth}) {
    v.place(m, sell(bob, 100'00, 100 * kContract));
    v.place(m, buy(alice, 100'00, 100 * kContract));  // 10,000 long in each; 2,090 left
    v.place(m, buy(carol, 80'00, 200 * kContract));   // bids to liquidate into
  }
  // BTC alone moving to 90.00 leaves equity 1,090 against 950 of maintenance: safe.
  mark(90'00);
  EXPECT_TRUE(v.of(EventType::Liquidation).empty());
  // Then ETH moves to 95.00: equity 590 < 925. The BTC key was computed with ETH at 100.00;
  // the account is found because it holds positions in more than one market.
  v.run(PriceUpdate{eth, 95'00, 95'00});
  auto liq = v.of(EventType::Liquidation);
  ASSERT_EQ(liq.size(), 1u);
  EXPECT_EQ(liq[0].trader, alice);
  EXPECT_EQ(liq[0].market, eth);
  EXPECT_EQ(v.pos(alice, perp).size, 0);
  EXPECT_EQ(v.pos(alice, eth).size, 0);
  EXPECT_GE(v.bal(alice, kUSDC).balance, 0);
  v.expect_audit_ok();
}

TEST_F(LiquidationTest, ADepositMovesTheLiquidationPriceAway) {
  v.deposit(alice, kUSDC, 1'100 * kUsdc);
  v.deposit(bob, kUSDC, 100'000 * kUsdc);
  mark(100'00);
  v.place(perp, sell(bob, 100'00, 100 * kContract));
  v.place(perp, buy(alice, 100'00, 100 * kContract));  // liquidation below about 93.74
  v.deposit(alice, kUSDC, 1'000 * kUsdc);              // now below about 83.21
  mark(90'00);
  EXPECT_TRUE(v.of(EventType::Liquidation).empty());
  mark(83'00);
  EXPECT_EQ(v.of(EventType::Liquidation).size(), 1u);
  v.expect_audit_ok();
}

}  // namespace
}  // namespace cx::engine
