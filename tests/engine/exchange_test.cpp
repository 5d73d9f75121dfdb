// The exchange as a state machine: collateral, settlement, modes, markets, conservation.
#include <gtest/gtest.h>

#include "engine/exchange_dsl.hpp"

namespace cx::engine {
namespace {

using namespace cx::engine::testing;

constexpr Amount kUsdc = 1'000'000;    // one USDC in units
constexpr Amount kSats = 100'000'000;  // one sBTC in units

struct ExchangeTest : ::testing::Test {
  Venue v{ExchangeConfig{.paper_grant = 0}};
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  TraderId carol = v.trader("carol");
};

// ---------------------------------------------------------------- spot settlement

TEST_F(ExchangeTest, SpotTradeMovesBothAssetsAndChargesFees) {
  MarketId m = v.spot("sBTC/USDC", Mode::Real);
  v.deposit(alice, kUSDC, 1'000 * kUsdc, Mode::Real);
  v.deposit(bob, kSBTC, 2 * kSats, Mode::Real);
  v.place(m, sell(bob, 100'00, 1'5000));
  EXPECT_EQ(v.bal(bob, kSBTC, Mode::Real).pending, 150'000'000);
  v.place(m, buy(alice, 100'00, 1'5000));
  auto f = v.of(EventType::Fill);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].notional, 150 * kUsdc);
  EXPECT_EQ(f[0].taker_fee, 75'000);  // 5 bps of 150 USDC
  EXPECT_EQ(f[0].maker_fee, 30'000);  // 2 bps
  EXPECT_EQ(v.bal(alice, kUSDC, Mode::Real).balance, 1'000 * kUsdc - 150 * kUsdc - 75'000);
  EXPECT_EQ(v.bal(alice, kSBTC, Mode::Real).balance, 150'000'000);
  EXPECT_EQ(v.bal(bob, kUSDC, Mode::Real).balance, 150 * kUsdc - 30'000);
  EXPECT_EQ(v.bal(bob, kSBTC, Mode::Real).balance, 50'000'000);
  EXPECT_EQ(v.bal(alice, kUSDC, Mode::Real).pending, 0);
  EXPECT_EQ(v.bal(bob, kSBTC, Mode::Real).pending, 0);
  EXPECT_EQ(v.x.system(Mode::Real).fees[kUSDC], 105'000);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, FeesRoundUpToTheNextUnit) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 10 * kUsdc);
  v.deposit(bob, kSBTC, kSats);
  v.place(m, sell(bob, 100'01, 1));
  v.place(m, buy(alice, 100'01, 1));  // notional 10001 units: fees 5.0005 -> 6, 2.0002 -> 3
  auto f = v.of(EventType::Fill);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].notional, 10'001);
  EXPECT_EQ(f[0].taker_fee, 6);
  EXPECT_EQ(f[0].maker_fee, 3);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, BuyLocksPriceTimesSizePlusLargestFeeAndCancelReleasesIt) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  OrderId id = v.place(m, buy(alice, 100'00, 1'0000));
  // 10000 lots x (0.01 USDC + ceil(5 bps of it) = 10005 units)
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 100'050'000);
  v.cancel(alice, id);
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0);
  EXPECT_EQ(v.bal(alice, kUSDC).balance, 1'000 * kUsdc);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, BuyFilledAtABetterPriceReleasesTheDifference) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  v.deposit(bob, kSBTC, kSats);
  v.place(m, sell(bob, 90'00, 1'0000));
  v.place(m, buy(alice, 100'00, 1'0000));
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0);
  EXPECT_EQ(v.bal(alice, kUSDC).balance, 1'000 * kUsdc - 90 * kUsdc - 45'000);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, OrderBeyondFreeBalanceIsRejectedAndChangesNothing) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 50 * kUsdc);
  v.place(m, buy(alice, 100'00, 1'0000), "big");
  EXPECT_EQ(v.rejection(), Reason::InsufficientBalance);
  ASSERT_EQ(v.ev.size(), 1u);
  EXPECT_EQ(v.x.client_order_id(v.ev[0].cid_ref), "big");
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0);
  EXPECT_EQ(v.x.market(m).book->live_orders(), 0u);
}

TEST_F(ExchangeTest, SellNeedsTheBaseAsset) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(bob, kSBTC, 5'000'000);  // 0.05 sBTC
  v.place(m, sell(bob, 100'00, 1'0000));
  EXPECT_EQ(v.rejection(), Reason::InsufficientBalance);
}

TEST_F(ExchangeTest, DuplicateClientOrderIdAcrossMarketsOfAModeIsRejected) {
  MarketId a = v.spot("sBTC/USDC");
  MarketSpec s = v.spot_spec("sETH/USDC");
  s.base = kSETH;
  MarketId b = v.create(s);
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  EXPECT_NE(v.place(a, buy(alice, 10'00, 1'0000), "x1"), 0u);
  EXPECT_EQ(v.place(b, buy(alice, 10'00, 1'0000), "x1"), 0u);
  EXPECT_EQ(v.rejection(), Reason::DuplicateClientOrderId);
}

TEST_F(ExchangeTest, CancelByClientOrderIdNeedsNoMarket) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  v.place(m, buy(alice, 10'00, 1'0000), "a1");
  v.run(CancelOrder{Mode::Paper, alice, 0, "a1"});
  auto c = v.of(EventType::Cancelled);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(v.x.client_order_id(c[0].cid_ref), "a1");
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0);
}

// ---------------------------------------------------------------- modes

TEST_F(ExchangeTest, PaperAndRealNeverMix) {
  MarketId paper = v.spot("sBTC/USDC", Mode::Paper);
  MarketId real = v.spot("sBTC/USDC", Mode::Real);
  EXPECT_NE(paper, real);
  v.deposit(alice, kUSDC, 1'000 * kUsdc, Mode::Paper);
  v.place(real, buy(alice, 10'00, 1'0000));
  EXPECT_EQ(v.rejection(), Reason::InsufficientBalance);
  EXPECT_EQ(v.bal(alice, kUSDC, Mode::Real).balance, 0);
  OrderId id = v.place(paper, buy(alice, 10'00, 1'0000));
  v.cancel(alice, id, Mode::Real);  // the REAL side cannot see a PAPER order
  EXPECT_EQ(v.rejection(), Reason::OrderNotFound);
}

TEST(ExchangePaper, NewTraderGetsTheConfiguredPaperGrant) {
  Venue v{ExchangeConfig{.paper_grant = 10'000 * kUsdc}};
  TraderId t = v.trader("dora");
  EXPECT_EQ(v.bal(t, kUSDC, Mode::Paper).balance, 10'000 * kUsdc);
  EXPECT_EQ(v.bal(t, kUSDC, Mode::Real).balance, 0);
  EXPECT_EQ(v.of(EventType::Deposited).size(), 1u);
  v.expect_audit_ok();
}

TEST(ExchangePaper, PointsCountLimitOrdersVolumeAndProfit) {
  Venue v{ExchangeConfig{.paper_grant = 10'000 * kUsdc}};
  TraderId a = v.trader("a");
  TraderId b = v.trader("b");
  MarketId m = v.perp("BTC-PERP");
  v.place(m, sell(b, 100'00, 1'0000));
  v.place(m, buy(a, 100'00, 1'0000));  // 100 USDC volume each; b placed 1 limit order, a 1
  EXPECT_EQ(v.x.points(Mode::Paper, a), 1 + 100);
  v.place(m, buy(b, 110'00, 1'0000));
  v.place(m, sell(a, 110'00, 1'0000));  // a realises +10 USDC
  EXPECT_EQ(v.x.points(Mode::Paper, a), 2 + 210 + 10 * 10);
  v.expect_audit_ok();
}

// ---------------------------------------------------------------- markets

TEST_F(ExchangeTest, MarketWhoseTickTimesLotIsNotAWholeQuoteUnitIsRefused) {
  MarketSpec s = v.spot_spec("sBTC/USDC");
  s.price_scale = 4;  // tick 0.0001 USDC x lot 0.0001 = 1e-8 USDC: not a whole unit
  v.run(CreateMarket{s});
  EXPECT_EQ(v.rejection(), Reason::InvalidMarketSpec);
  EXPECT_FALSE(v.x.market_id(Mode::Paper, "sBTC/USDC").has_value());
  s.tick = 100;  // tick 0.01: now exact
  v.run(CreateMarket{s});
  EXPECT_TRUE(v.x.market_id(Mode::Paper, "sBTC/USDC").has_value());
}

TEST_F(ExchangeTest, DuplicateMarketIsRefused) {
  v.spot("sBTC/USDC");
  v.run(CreateMarket{v.spot_spec("sBTC/USDC")});
  EXPECT_EQ(v.rejection(), Reason::DuplicateMarket);
}

TEST_F(ExchangeTest, PausedMarketRefusesOrdersButAllowsCancels) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  OrderId id = v.place(m, buy(alice, 10'00, 1'0000));
  v.run(SetMarketStatus{m, MarketStatus::Paused});
  v.place(m, buy(alice, 10'00, 1'0000));
  EXPECT_EQ(v.rejection(), Reason::MarketNotActive);
  v.cancel(alice, id);
  EXPECT_EQ(v.of(EventType::Cancelled).size(), 1u);
  v.run(SetMarketStatus{m, MarketStatus::Active});
  EXPECT_NE(v.place(m, buy(alice, 10'00, 1'0000)), 0u);
}

TEST_F(ExchangeTest, DelistingCancelsEveryOrderAndReleasesLocks) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  v.deposit(bob, kSBTC, kSats);
  v.place(m, buy(alice, 10'00, 1'0000));
  v.place(m, sell(bob, 20'00, 1'0000));
  v.run(SetMarketStatus{m, MarketStatus::Delisted});
  EXPECT_EQ(v.of(EventType::Cancelled).size(), 2u);
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0);
  EXPECT_EQ(v.bal(bob, kSBTC).pending, 0);
  v.run(SetMarketStatus{m, MarketStatus::Active});
  EXPECT_EQ(v.rejection(), Reason::MarketNotActive);
  v.expect_audit_ok();
}

// ---------------------------------------------------------------- deposits and withdrawals

TEST_F(ExchangeTest, WithdrawalBeyondAvailableIsRejected) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 100 * kUsdc);
  v.place(m, buy(alice, 50'00, 1'0000));  // locks 50.025 USDC
  v.run(Withdraw{Mode::Paper, alice, kUSDC, 60 * kUsdc});
  EXPECT_EQ(v.rejection(), Reason::InsufficientBalance);
  v.run(Withdraw{Mode::Paper, alice, kUSDC, 40 * kUsdc});
  EXPECT_EQ(v.bal(alice, kUSDC).balance, 60 * kUsdc);
  EXPECT_EQ(v.x.system(Mode::Paper).withdrawals[kUSDC], 40 * kUsdc);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, NonPositiveDepositIsMalformed) {
  v.deposit(alice, kUSDC, 0);
  EXPECT_EQ(v.rejection(), Reason::InvalidAmount);
  v.deposit(alice, kUSDC, -5);
  EXPECT_EQ(v.rejection(), Reason::InvalidAmount);
  EXPECT_EQ(v.bal(alice, kUSDC).balance, 0);
}

// ---------------------------------------------------------------- derivatives

TEST_F(ExchangeTest, PerpOrderLocksInitialMarginPlusFee) {
  MarketId m = v.perp("BTC-PERP");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  v.place(m, buy(alice, 100'00, 1'0000));
  // 10% of 100 USDC + 5 bps: 10000 lots x (1000 + 5)
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 10'050'000);
}

TEST_F(ExchangeTest, PerpFillsOpenPositionsAndClosingRealisesPnlThroughClearing) {
  MarketId m = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob, carol}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  v.place(m, sell(bob, 100'00, 1'0000));
  v.place(m, buy(alice, 100'00, 1'0000));
  EXPECT_EQ(v.pos(alice, m).size, 1'0000);
  EXPECT_EQ(v.pos(alice, m).cost, 100 * kUsdc);
  EXPECT_EQ(v.pos(bob, m).size, -1'0000);
  v.place(m, buy(carol, 110'00, 1'0000));
  v.place(m, sell(alice, 110'00, 1'0000));
  EXPECT_EQ(v.pos(alice, m).size, 0);
  EXPECT_EQ(v.pos(alice, m).realized, 10 * kUsdc);
  // 1000 - 0.05 (taker fee at 100) - 0.055 (taker fee at 110) + 10 realised
  EXPECT_EQ(v.bal(alice, kUSDC).balance, 1'000 * kUsdc - 50'000 - 55'000 + 10 * kUsdc);
  EXPECT_EQ(v.x.system(Mode::Paper).clearing[kUSDC], -10 * kUsdc);
  EXPECT_EQ(v.x.market(m).stats.open_interest, 1'0000);  // carol long, bob short
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, FillThatFlipsAPositionClosesThenOpens) {
  MarketId m = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  v.place(m, sell(bob, 100'00, 1'0000));
  v.place(m, buy(alice, 100'00, 1'0000));
  v.place(m, buy(bob, 90'00, 3'0000));
  v.place(m, sell(alice, 90'00, 3'0000));
  EXPECT_EQ(v.pos(alice, m).size, -2'0000);
  EXPECT_EQ(v.pos(alice, m).cost, -180 * kUsdc);
  EXPECT_EQ(v.pos(alice, m).realized, -10 * kUsdc);
  EXPECT_EQ(v.pos(bob, m).size, 2'0000);
  EXPECT_EQ(v.pos(bob, m).realized, 10 * kUsdc);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, ReduceOnlyOrderCannotOpenOrGrowAPosition) {
  MarketId m = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  NewOrder ro = sell(alice, 100'00, 1'0000);
  ro.reduce_only = true;
  v.place(m, ro);
  EXPECT_EQ(v.rejection(), Reason::ReduceOnlyWouldIncrease);
  v.place(m, sell(bob, 100'00, 1'0000));
  v.place(m, buy(alice, 100'00, 1'0000));
  ro.qty = 2'0000;
  v.place(m, ro);
  EXPECT_EQ(v.rejection(), Reason::ReduceOnlyWouldIncrease);
  ro.qty = 1'0000;
  EXPECT_NE(v.place(m, ro), 0u);
}

TEST_F(ExchangeTest, ReduceOnlyOrdersShrinkWithThePositionAndGoWhenItFlips) {
  MarketId m = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob, carol}) v.deposit(t, kUSDC, 10'000 * kUsdc);
  v.place(m, sell(bob, 100'00, 10'0000));
  v.place(m, buy(alice, 100'00, 10'0000));  // alice long 10
  NewOrder tp = sell(alice, 120'00, 6'0000);
  tp.reduce_only = true;
  const OrderId first = v.place(m, tp);  // older: keeps its quantity longest
  tp.price = 130'00;
  tp.qty = 4'0000;
  const OrderId second = v.place(m, tp);
  ASSERT_NE(first, 0u);
  ASSERT_NE(second, 0u);
  const Amount locked_before = v.bal(alice, kUSDC).pending;

  // Alice sells 3 with an ordinary order: long 7, so the newest reduce-only order shrinks 4 -> 1
  // (same price, its place kept) and its lock goes down with it.
  v.place(m, buy(carol, 100'00, 3'0000));
  v.place(m, sell(alice, 100'00, 3'0000));
  ASSERT_EQ(v.pos(alice, m).size, 7'0000);
  auto amended = v.of(EventType::Amended);
  ASSERT_EQ(amended.size(), 1u);
  EXPECT_EQ(amended[0].order_id, second);
  EXPECT_EQ(amended[0].qty, 1'0000);
  EXPECT_EQ(amended[0].reason, Reason::ReduceOnlyWouldIncrease);
  EXPECT_LT(v.bal(alice, kUSDC).pending, locked_before);
  v.expect_audit_ok();

  // She sells 12 more: short 5. Both reduce-only sells would now grow the position: cancelled.
  v.place(m, buy(carol, 100'00, 12'0000));
  v.place(m, sell(alice, 100'00, 12'0000));
  ASSERT_EQ(v.pos(alice, m).size, -5'0000);
  auto cancelled = v.of(EventType::Cancelled);
  ASSERT_EQ(cancelled.size(), 2u);
  EXPECT_EQ(cancelled[0].order_id, first);
  EXPECT_EQ(cancelled[1].order_id, second);
  for (const auto& e : cancelled) EXPECT_EQ(e.reason, Reason::ReduceOnlyWouldIncrease);
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, AReduceOnlyOrderThatCannotShrinkBelowTheMinimumIsCancelled) {
  MarketSpec spec = v.perp_spec("BTC-PERP");
  spec.min_qty = 2'0000;  // orders of at least 2
  MarketId m = v.create(spec);
  for (TraderId t : {alice, bob, carol}) v.deposit(t, kUSDC, 10'000 * kUsdc);
  v.place(m, sell(bob, 100'00, 3'0000));
  v.place(m, buy(alice, 100'00, 3'0000));  // alice long 3
  NewOrder tp = sell(alice, 120'00, 3'0000);
  tp.reduce_only = true;
  const OrderId id = v.place(m, tp);
  ASSERT_NE(id, 0u);
  // She sells 2: long 1, and an order of 1 is below the market's minimum: cancelled.
  v.place(m, buy(carol, 100'00, 2'0000));
  v.place(m, sell(alice, 100'00, 2'0000));
  ASSERT_EQ(v.pos(alice, m).size, 1'0000);
  EXPECT_TRUE(v.of(EventType::Amended).empty());
  EXPECT_TRUE(v.of(EventType::Rejected).empty());
  auto cancelled = v.of(EventType::Cancelled);
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].order_id, id);
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, OptionBuyerPaysPremiumAndSellerLocksMargin) {
  MarketSpec s = v.perp_spec("BTC-26DEC25-100-C");
  s.kind = MarketKind::Option;
  s.expiry = 1'766'736'000'000;
  s.strike = 100'00;
  s.is_call = true;
  s.initial_margin_bps = 1500;
  MarketId m = v.create(s);
  for (TraderId t : {alice, bob}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  v.place(m, sell(bob, 5'00, 1'0000));
  // margin: 15% of max(index 0, strike 100) = 15 USDC, plus 5 bps of the 5 USDC premium
  EXPECT_EQ(v.bal(bob, kUSDC).pending, 15 * kUsdc + 10'000 * 1);
  v.place(m, buy(alice, 5'00, 1'0000));
  EXPECT_EQ(v.bal(alice, kUSDC).balance, 1'000 * kUsdc - 5 * kUsdc - 2'500);
  EXPECT_EQ(v.bal(bob, kUSDC).balance, 1'000 * kUsdc + 5 * kUsdc - 1'000);
  EXPECT_EQ(v.pos(alice, m).size, 1'0000);
  EXPECT_EQ(v.pos(bob, m).size, -1'0000);
  v.expect_audit_ok();
}

// ---------------------------------------------------------------- time

TEST_F(ExchangeTest, GttOrderExpiresOnAClockTickAndReleasesItsLock) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  NewOrder o = buy(alice, 10'00, 1'0000).gtt(5'000);
  v.place(m, o);
  EXPECT_GT(v.bal(alice, kUSDC).pending, 0);
  v.ts = 5'000;
  v.run(ClockTick{});
  auto x = v.of(EventType::Expired);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].reason, Reason::GttExpired);
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 0);
}

TEST_F(ExchangeTest, CommandsOutOfSequenceAreRefused) {
  ExEventBuffer ev;
  v.x.apply(Command{v.seq + 5, v.ts, ClockTick{}}, ev);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].reason, Reason::SeqOutOfOrder);
}

TEST_F(ExchangeTest, BatchAppliesEachCommandInOrder) {
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  Batch b;
  b.commands.push_back(Command{0, 0, PlaceOrder{m, buy(alice, 10'00, 1'0000), "b1"}});
  b.commands.push_back(Command{0, 0, PlaceOrder{m, buy(alice, 11'00, 1'0000), "b2"}});
  b.commands.push_back(Command{0, 0, CancelOrder{Mode::Paper, alice, 0, "b1"}});
  b.commands.push_back(Command{0, 0, Deposit{Mode::Paper, alice, kUSDC, 1}});
  v.run(std::move(b));
  EXPECT_EQ(v.of(EventType::Accepted).size(), 2u);
  EXPECT_EQ(v.of(EventType::Cancelled).size(), 1u);
  EXPECT_EQ(v.rejection(), Reason::NotInBatch);
  EXPECT_EQ(v.x.market(m).book->live_orders(), 1u);
}

// ---------------------------------------------------------------- found by replaying stories

TEST_F(ExchangeTest, AmendNamingTheWrongModeIsNotFound) {
  MarketId real = v.spot("sBTC/USDC", Mode::Real);
  v.deposit(alice, kUSDC, 1'000 * kUsdc, Mode::Real);
  OrderId id = v.place(real, buy(alice, 100'00, 1'0000));
  v.run(AmendOrder{Mode::Paper, 0, AmendRequest{alice, id, 0, 101'00, 0}, {}});
  EXPECT_EQ(v.rejection(), Reason::OrderNotFound);
  EXPECT_EQ(v.x.market(real).book->find(id)->price, 100'00);
}

TEST_F(ExchangeTest, WithdrawalCannotTakeAnUnrealisedLoss) {
  MarketId m = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  v.place(m, sell(bob, 100'00, 10'0000));
  v.place(m, buy(alice, 100'00, 10'0000));  // long 10 at 100: margin 100 USDC
  v.run(PriceUpdate{m, 80'00, 80'00});      // 200 USDC under water
  // 1000 - 0.5 fee - 100 margin - 200 loss = 699.5 available
  v.run(Withdraw{Mode::Paper, alice, kUSDC, 700 * kUsdc});
  EXPECT_EQ(v.rejection(), Reason::InsufficientBalance);
  v.run(Withdraw{Mode::Paper, alice, kUSDC, 699 * kUsdc});
  EXPECT_EQ(v.rejection(), Reason::None);
  v.expect_audit_ok();
}

TEST_F(ExchangeTest, ReduceOnlyCloseLocksOnlyItsFees) {
  MarketId m = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  v.place(m, sell(bob, 100'00, 10'0000));
  v.place(m, buy(alice, 100'00, 10'0000));
  v.run(Withdraw{Mode::Paper, alice, kUSDC, 899 * kUsdc});  // little left beyond the margin
  NewOrder close = sell(alice, 100'00, 10'0000);
  close.reduce_only = true;
  EXPECT_NE(v.place(m, close), 0u);
  EXPECT_EQ(v.bal(alice, kUSDC).pending, 500'000);  // 5 bps of 1000 USDC, no margin
}

TEST_F(ExchangeTest, ReduceOnlyOrdersTogetherCannotFlipAPosition) {
  MarketId m = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  v.place(m, sell(bob, 100'00, 1'0000));
  v.place(m, buy(alice, 100'00, 1'0000));
  NewOrder ro = sell(alice, 101'00, 1'0000);
  ro.reduce_only = true;
  EXPECT_NE(v.place(m, ro), 0u);
  EXPECT_EQ(v.place(m, ro), 0u);
  EXPECT_EQ(v.rejection(), Reason::ReduceOnlyWouldIncrease);
}

TEST_F(ExchangeTest, RejectedReduceOnlyLeavesNoPositionBehind) {
  MarketId m = v.perp("BTC-PERP");
  v.deposit(alice, kUSDC, 1'000 * kUsdc);
  NewOrder ro = sell(alice, 100'00, 1'0000);
  ro.reduce_only = true;
  v.place(m, ro);
  EXPECT_TRUE(v.x.account(Mode::Paper, alice).positions.empty());
}

TEST_F(ExchangeTest, TriggersSeeTheMarkThatArrivedWhilePausedOnResume) {
  MarketId m = v.perp("BTC-PERP");
  for (TraderId t : {alice, bob}) v.deposit(t, kUSDC, 1'000 * kUsdc);
  v.run(PriceUpdate{m, 100'00, 100'00});
  v.place(m, sell(bob, 112'00, 1'0000));
  OrderId stop = v.place(m, buy(alice, 115'00, 1'0000).stop(110'00));
  v.run(SetMarketStatus{m, MarketStatus::Paused});
  v.run(PriceUpdate{m, 120'00, 120'00});
  EXPECT_TRUE(v.of(EventType::Triggered).empty());
  v.run(SetMarketStatus{m, MarketStatus::Active});
  auto t = v.of(EventType::Triggered);
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].order_id, stop);
  EXPECT_EQ(v.of(EventType::Fill).size(), 1u);
  v.place(m, buy(alice, 130'00, 1'0000).stop(115'00));
  EXPECT_EQ(v.rejection(), Reason::WouldTriggerImmediately);
}

TEST(ExchangePaper, ASelfTradeCountsItsVolumeOnce) {
  Venue v{ExchangeConfig{.paper_grant = 10'000 * kUsdc}};
  TraderId a = v.trader("a");
  MarketId m = v.perp("BTC-PERP");
  v.place(m, sell(a, 100'00, 1'0000));
  v.place(m, buy(a, 100'00, 1'0000).stp(SelfTradePrevention::None));
  EXPECT_EQ(v.x.account(Mode::Paper, a).volume, 100 * kUsdc);
}

}  // namespace
}  // namespace cx::engine
