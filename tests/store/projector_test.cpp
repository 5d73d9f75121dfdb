// Trading stories through the real exchange, projected into the read store, then read back.

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "store_fixture.hpp"

namespace cx::store::test {
namespace {

/// Every page of a paged query, checked for order and cursors on the way.
template <class T, class Fetch, class Id>
std::vector<T> all_pages(Fetch fetch, Id id) {
  std::vector<T> out;
  std::optional<std::uint64_t> cursor;
  for (int guard = 0; guard < 1000; ++guard) {
    Page<T> p = fetch(cursor);
    for (const T& item : p.items) {
      if (!out.empty()) {
        EXPECT_LT(id(item), id(out.back())) << "not newest first";
      }
      out.push_back(item);
    }
    if (!p.next) break;
    EXPECT_EQ(*p.next, id(p.items.back()));
    cursor = p.next;
  }
  return out;
}

// ---------------------------------------------------------------- the main story

/// Around Monday 2024-04-01 00:00 UTC, which starts a new minute, 5 minutes, hour, day, week and
/// month all at once:
///   23:59:30  bob rests sells 1.0000 @ 100.00 (b1) and 0.5000 @ 101.00 (b2)
///   23:59:40  alice buys 0.4000 @ 100.00 (a1)                 trade 1: 0.4 @ 100.00
///   00:00:05  carol buys 1.0000 @ 101.00 IOC (c1)             trade 2: 0.6 @ 100.00,
///                                                             trade 3: 0.4 @ 101.00
///   00:00:20  alice rests 0.5000 @ 99.00 (a2) and cancels it
///   00:00:30  alice buys 1000 BTC: refused (insufficient balance)
///   00:01:10  carol buys 0.2000 @ 101.00 IOC (c2)             trade 4: 0.1 @ 101.00, rest expires
/// Fees: taker 5 bps, maker 2 bps, each rounded up, in USDC units (6 decimals).
struct Story : ::testing::Test {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  TraderId carol = v.trader("carol");
  MarketId m = v.spot("sBTC/USDC");
  const Timestamp apr1 = utc(2024, 4, 1);
  OrderId b1 = 0, b2 = 0, a1 = 0, c1 = 0, a2 = 0, c2 = 0;

  void SetUp() override {
    v.deposit(bob, kSBTC, 10 * kBtc);
    v.at(apr1 - 30'000);
    b1 = v.place(m, sell(bob, 100'00, 1'0000), "b1");
    b2 = v.place(m, sell(bob, 101'00, 5000), "b2");
    v.at(apr1 - 20'000);
    a1 = v.place(m, buy(alice, 100'00, 4000), "a1");
    v.at(apr1 + 5'000);
    c1 = v.place(m, buy(carol, 101'00, 1'0000).ioc(), "c1");
    v.at(apr1 + 20'000);
    a2 = v.place(m, buy(alice, 99'00, 5000), "a2");
    v.cancel(alice, a2);
    v.at(apr1 + 30'000);
    EXPECT_EQ(v.place(m, buy(alice, 100'00, 1000'0000), "big"), 0u);
    v.at(apr1 + 70'000);
    c2 = v.place(m, buy(carol, 101'00, 2000).ioc());
    ASSERT_TRUE(b1 && b2 && a1 && c1 && a2 && c2);
  }
};

TEST_F(Story, OrdersEndWithTheirStatusFilledQuantityAndFees) {
  const OrderRecord o1 = v.order(a1);
  EXPECT_EQ(o1.status, OrderStatus::Filled);
  EXPECT_EQ(o1.filled, 4000);
  EXPECT_EQ(o1.remaining, 0);
  EXPECT_EQ(o1.filled_notional, 40 * kUsdc);
  EXPECT_EQ(o1.fees, 20'000);  // 40 USDC x 5 bps
  EXPECT_EQ(o1.client_order_id, "a1");
  EXPECT_EQ(o1.trader, alice);
  EXPECT_EQ(o1.mode, Mode::Paper);
  EXPECT_EQ(o1.symbol, "sBTC/USDC");
  EXPECT_EQ(o1.price_scale, 2);
  EXPECT_EQ(o1.qty_scale, 4);
  EXPECT_EQ(o1.quote_scale, 6);
  EXPECT_EQ(o1.created_at, apr1 - 20'000);
  ASSERT_TRUE(o1.terms);
  EXPECT_EQ(o1.terms->type, OrderType::Limit);
  EXPECT_EQ(o1.terms->tif, TimeInForce::GTC);

  const OrderRecord ob1 = v.order(b1);
  EXPECT_EQ(ob1.status, OrderStatus::Filled);
  EXPECT_EQ(ob1.fees, 8'000 + 12'000);  // maker 2 bps of 40 and of 60 USDC
  EXPECT_EQ(ob1.updated_at, apr1 + 5'000);

  const OrderRecord ob2 = v.order(b2);
  EXPECT_EQ(ob2.status, OrderStatus::Filled);
  EXPECT_EQ(ob2.fees, 8'080 + 2'020);

  const OrderRecord oc1 = v.order(c1);
  EXPECT_EQ(oc1.status, OrderStatus::Filled);
  EXPECT_EQ(oc1.filled_notional, 100'400'000);
  EXPECT_EQ(oc1.fees, 30'000 + 20'200);
  ASSERT_TRUE(oc1.terms);
  EXPECT_EQ(oc1.terms->tif, TimeInForce::IOC);

  const OrderRecord oa2 = v.order(a2);
  EXPECT_EQ(oa2.status, OrderStatus::Cancelled);
  EXPECT_EQ(oa2.reason, "CANCELLED");
  EXPECT_EQ(oa2.filled, 0);
  EXPECT_EQ(oa2.remaining, 0);

  const OrderRecord oc2 = v.order(c2);
  EXPECT_EQ(oc2.status, OrderStatus::Expired);
  EXPECT_EQ(oc2.reason, "IOC_REMAINDER");
  EXPECT_EQ(oc2.filled, 1000);
  EXPECT_EQ(oc2.qty, 2000);
  EXPECT_EQ(oc2.fees, 5'050);
  EXPECT_EQ(v.proj->stats().unmatched, 0u);
}

TEST_F(Story, ARefusedPlacementIsARejectedOrderWithoutAnId) {
  OrderQuery q;
  q.trader = alice;
  q.statuses = StatusSet::none().with(OrderStatus::Rejected);
  auto page = ok(v.store->orders(q));
  ASSERT_EQ(page.items.size(), 1u);
  const OrderRecord& r = page.items[0];
  EXPECT_EQ(r.order_id, 0u);
  EXPECT_EQ(r.reason, "INSUFFICIENT_BALANCE");
  EXPECT_EQ(r.client_order_id, "big");
  EXPECT_EQ(r.qty, 1000'0000);
  EXPECT_EQ(r.price, 100'00);
  EXPECT_EQ(r.side, Side::Buy);
  EXPECT_EQ(r.market, m);
  // Looking an order up by client id skips refusals.
  EXPECT_FALSE(ok(v.store->order_by_client_id(alice, Mode::Paper, "big")));
  auto by_cid = ok(v.store->order_by_client_id(alice, Mode::Paper, "a1"));
  ASSERT_TRUE(by_cid);
  EXPECT_EQ(by_cid->order_id, a1);
}

TEST_F(Story, HistoryListsATradersOrdersNewestFirstWithFilters) {
  OrderQuery q;
  q.trader = alice;
  auto all = ok(v.store->orders(q)).items;
  ASSERT_EQ(all.size(), 3u);  // a1, a2, the refused one
  EXPECT_EQ(all[0].status, OrderStatus::Rejected);
  EXPECT_EQ(all[1].order_id, a2);
  EXPECT_EQ(all[2].order_id, a1);
  q.statuses = StatusSet::open();
  EXPECT_TRUE(ok(v.store->orders(q)).items.empty());
  q.statuses = StatusSet::all();
  q.mode = Mode::Real;
  EXPECT_TRUE(ok(v.store->orders(q)).items.empty()) << "REAL and PAPER never mix";
  q.mode = Mode::Paper;
  q.market = m + 1;
  EXPECT_TRUE(ok(v.store->orders(q)).items.empty());
  q.market = m;
  q.from = apr1;
  EXPECT_EQ(ok(v.store->orders(q)).items.size(), 2u);  // a2 and the refused one
}

TEST_F(Story, TradesAndFillsCarryPricesQuantitiesAndEachSidesFee) {
  auto trades = ok(v.store->recent_trades(m, 10, std::nullopt)).items;
  ASSERT_EQ(trades.size(), 4u);
  const std::vector<Price> prices{101'00, 101'00, 100'00, 100'00};  // newest first
  const std::vector<Qty> qtys{1000, 4000, 6000, 4000};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(trades[i].price, prices[i]) << i;
    EXPECT_EQ(trades[i].qty, qtys[i]) << i;
    EXPECT_EQ(trades[i].maker, bob) << i;
    EXPECT_EQ(trades[i].taker_side, Side::Buy) << i;
  }
  const TradeRecord& first = trades[3];
  EXPECT_EQ(first.taker, alice);
  EXPECT_EQ(first.taker_order, a1);
  EXPECT_EQ(first.maker_order, b1);
  EXPECT_EQ(first.notional, 40 * kUsdc);
  EXPECT_EQ(first.taker_fee, 20'000);
  EXPECT_EQ(first.maker_fee, 8'000);
  EXPECT_EQ(first.ts, apr1 - 20'000);
  EXPECT_EQ(first.symbol, "sBTC/USDC");

  FillQuery fq;
  fq.trader = bob;
  auto bob_fills = ok(v.store->fills(fq)).items;
  ASSERT_EQ(bob_fills.size(), 4u);
  const std::vector<Amount> fees{2'020, 8'080, 12'000, 8'000};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(bob_fills[i].maker);
    EXPECT_EQ(bob_fills[i].side, Side::Sell);
    EXPECT_EQ(bob_fills[i].fee, fees[i]) << i;
  }
  EXPECT_EQ(bob_fills[3].client_order_id, "b1");
  fq.trader = carol;
  auto carol_fills = ok(v.store->fills(fq)).items;
  ASSERT_EQ(carol_fills.size(), 3u);
  EXPECT_FALSE(carol_fills[0].maker);
  EXPECT_EQ(carol_fills[0].client_order_id, "");
  EXPECT_EQ(carol_fills[1].client_order_id, "c1");

  // Every fee the exchange collected is in the store, once.
  Amount fee_sum = 0;
  for (const TradeRecord& t : trades) fee_sum += t.taker_fee + t.maker_fee;
  EXPECT_EQ(fee_sum, v.x.system(Mode::Paper).fees[kUSDC]);
}

TEST_F(Story, KlinesAreExactAcrossMinuteHourDayWeekAndMonthBoundaries) {
  auto get = [&](KlineInterval iv) {
    KlineQuery q;
    q.market = m;
    q.interval = iv;
    return ok(v.store->klines(q));
  };
  const auto m1 = get(KlineInterval::M1);
  ASSERT_EQ(m1.size(), 3u);
  EXPECT_EQ(m1[0], (Kline{m, KlineInterval::M1, utc(2024, 3, 31, 23, 59), apr1, 100'00, 100'00,
                          100'00, 100'00, 4000, 40 * kUsdc, 1}));
  EXPECT_EQ(m1[1], (Kline{m, KlineInterval::M1, apr1, apr1 + 60'000, 100'00, 101'00, 100'00, 101'00,
                          1'0000, 100'400'000, 2}));
  EXPECT_EQ(m1[2], (Kline{m, KlineInterval::M1, apr1 + 60'000, apr1 + 120'000, 101'00, 101'00,
                          101'00, 101'00, 1000, 10'100'000, 1}));

  const std::pair<KlineInterval, Timestamp> before[] = {
      {KlineInterval::M5, utc(2024, 3, 31, 23, 55)},
      {KlineInterval::H1, utc(2024, 3, 31, 23)},
      {KlineInterval::D1, utc(2024, 3, 31)},
      {KlineInterval::W1, utc(2024, 3, 25)},  // a Monday
      {KlineInterval::MO1, utc(2024, 3, 1)},
  };
  for (const auto& [iv, start] : before) {
    const auto k = get(iv);
    ASSERT_EQ(k.size(), 2u) << to_string(iv);
    EXPECT_EQ(k[0],
              (Kline{m, iv, start, apr1, 100'00, 100'00, 100'00, 100'00, 4000, 40 * kUsdc, 1}))
        << to_string(iv);
    EXPECT_EQ(k[1], (Kline{m, iv, apr1, bucket_end(iv, apr1), 100'00, 101'00, 100'00, 101'00,
                           1'1000, 110'500'000, 3}))
        << to_string(iv);
  }

  // Ranges: [from, to) on open_time; without `from` the latest `limit`.
  KlineQuery q;
  q.market = m;
  q.interval = KlineInterval::M1;
  q.limit = 2;
  auto latest = ok(v.store->klines(q));
  ASSERT_EQ(latest.size(), 2u);
  EXPECT_EQ(latest[0].open_time, apr1);
  EXPECT_EQ(latest[1].open_time, apr1 + 60'000);
  q.from = utc(2024, 3, 31, 23, 59);
  auto earliest = ok(v.store->klines(q));
  ASSERT_EQ(earliest.size(), 2u);
  EXPECT_EQ(earliest[0].open_time, utc(2024, 3, 31, 23, 59));
  q.from = apr1;
  q.to = apr1 + 60'000;
  auto one = ok(v.store->klines(q));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].open_time, apr1);
}

TEST_F(Story, AKlineContinuesAcrossARestart) {
  v.reopen();
  v.at(apr1 + 90'000);
  v.place(m, sell(bob, 102'00, 1000));
  v.place(m, buy(alice, 102'00, 1000));  // trade 5, same minute as trade 4
  KlineQuery q;
  q.market = m;
  q.interval = KlineInterval::M1;
  q.from = apr1 + 60'000;
  auto k = ok(v.store->klines(q));
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0], (Kline{m, KlineInterval::M1, apr1 + 60'000, apr1 + 120'000, 101'00, 102'00,
                         101'00, 102'00, 2000, 20'300'000, 2}));
}

TEST_F(Story, MarketsAndTradersAreProjected) {
  auto info = ok(v.store->market_by_symbol(Mode::Paper, "sBTC/USDC"));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->id, m);
  EXPECT_EQ(info->kind, MarketKind::Spot);
  EXPECT_EQ(info->status, MarketStatus::Active);
  EXPECT_EQ(info->price_scale, 2);
  EXPECT_EQ(info->qty_scale, 4);
  EXPECT_EQ(info->quote_scale, 6);
  EXPECT_FALSE(ok(v.store->market_by_symbol(Mode::Real, "sBTC/USDC")));
  EXPECT_EQ(ok(v.store->trader_id("carol")), carol);
  EXPECT_EQ(ok(v.store->trader_name(bob)), "bob");
  v.run(SetMarketStatus{m, MarketStatus::Paused});
  EXPECT_EQ(ok(v.store->market(m))->status, MarketStatus::Paused);
  EXPECT_EQ(ok(v.store->markets(Mode::Paper)).size(), 1u);
  EXPECT_TRUE(ok(v.store->markets(Mode::Real)).empty());
}

TEST_F(Story, LeaderboardRanksPaperPointsAsTheExchangeCountsThem) {
  auto board = ok(v.store->leaderboard(10, 0));
  ASSERT_EQ(board.size(), 3u);
  EXPECT_EQ(board[0].name, "bob");
  EXPECT_EQ(board[1].name, "carol");
  EXPECT_EQ(board[2].name, "alice");
  for (std::size_t i = 0; i < board.size(); ++i) {
    EXPECT_EQ(board[i].rank, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(board[i].points, v.x.points(Mode::Paper, board[i].trader)) << board[i].name;
  }
  // bob: 2 limit orders + 150.5 USDC volume; carol: 2 + 110.5; alice: 2 + 40.
  EXPECT_EQ(board[0].points, 152);
  EXPECT_EQ(board[1].points, 112);
  EXPECT_EQ(board[2].points, 42);
  auto page2 = ok(v.store->leaderboard(2, 1));
  ASSERT_EQ(page2.size(), 2u);
  EXPECT_EQ(page2[0].name, "carol");
  EXPECT_EQ(page2[0].rank, 2);
  auto mine = ok(v.store->paper_points(alice));
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->rank, 3);
  EXPECT_EQ(mine->volume, 40 * kUsdc);
  EXPECT_EQ(mine->limit_orders, 2);
}

TEST_F(Story, PointsHistoryKeepsTheLastValueOfEachUtcDay) {
  // bob traded on March 31 (trade 1) and on April 1 (trades 2-4).
  auto days = ok(v.store->points_history(bob, utc(2024, 3, 1), utc(2024, 5, 1)));
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, utc(2024, 3, 31));
  EXPECT_EQ(days[0].points, 2 + 40);  // two limit orders, 40 USDC volume by the end of the day
  EXPECT_EQ(days[1].day, apr1);
  EXPECT_EQ(days[1].points, 152);
}

// ---------------------------------------------------------------- more stories

TEST(Projector, StopOrderIsOpenUntilTriggeredThenFills) {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(bob, kSBTC, kBtc);
  v.place(m, sell(bob, 106'00, 1000));
  v.run(PriceUpdate{m, 100'00, 100'00});
  const OrderId stop = v.place(m, buy(alice, 106'00, 1000).stop(105'00), "stop");
  ASSERT_NE(stop, 0u);
  OrderRecord o = v.order(stop);
  EXPECT_EQ(o.status, OrderStatus::Open);
  EXPECT_FALSE(o.triggered_at);
  ASSERT_TRUE(o.terms);
  EXPECT_EQ(o.terms->trigger_kind, TriggerKind::Stop);
  EXPECT_EQ(o.terms->trigger_price, 105'00);
  v.at(5'000).run(PriceUpdate{m, 105'00, 105'00});
  o = v.order(stop);
  EXPECT_EQ(o.status, OrderStatus::Filled);
  EXPECT_EQ(o.triggered_at, 5'000);
  EXPECT_EQ(o.filled, 1000);
}

TEST(Projector, AmendsChangePriceAndQuantityAndPartialFillsShow) {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(bob, kSBTC, kBtc);
  const OrderId id = v.place(m, buy(alice, 90'00, 1'0000));
  v.amend(alice, id, 95'00, 2'0000);
  OrderRecord o = v.order(id);
  EXPECT_EQ(o.price, 95'00);
  EXPECT_EQ(o.qty, 2'0000);
  EXPECT_EQ(o.remaining, 2'0000);
  v.place(m, sell(bob, 95'00, 5000));
  o = v.order(id);
  EXPECT_EQ(o.status, OrderStatus::Partial);
  EXPECT_EQ(o.filled, 5000);
  EXPECT_EQ(o.remaining, 1'5000);
  OrderQuery q;
  q.trader = alice;
  q.statuses = StatusSet::open();
  auto open = ok(v.store->orders(q)).items;
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].order_id, id);
}

TEST(Projector, ABatchPairsEachPlacementWithItsOutcome) {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(bob, kSBTC, kBtc);
  const OrderId resting = v.place(m, sell(bob, 110'00, 1000), "keep");
  Batch b;
  auto place = [&](const NewOrder& o, std::string cid) {
    b.commands.push_back(Command{0, 0, PlaceOrder{m, o, std::move(cid)}});
  };
  place(buy(alice, 100'00, 1000), "x1");
  b.commands.push_back(Command{0, 0, CancelOrder{Mode::Paper, alice, 987654321, {}}});  // refused
  place(buy(alice, 100'00, 1000), "x1");         // refused: duplicate client id
  place(buy(alice, 100'00, 1000'0000), "huge");  // refused: balance
  b.commands.push_back(Command{0, 0, CancelAll{Mode::Paper, bob, m}});
  b.commands.push_back(Command{0, 0, CancelOrder{Mode::Paper, alice, 0, "nope"}});  // refused
  place(sell(bob, 120'00, 1000).post_only(), "x2");
  v.run(b);
  EXPECT_EQ(v.proj->stats().unmatched, 0u);

  OrderQuery q;
  q.trader = alice;
  auto rows = ok(v.store->orders(q)).items;
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].status, OrderStatus::Rejected);
  EXPECT_EQ(rows[0].reason, "INSUFFICIENT_BALANCE");
  EXPECT_EQ(rows[0].client_order_id, "huge");
  EXPECT_EQ(rows[1].status, OrderStatus::Rejected);
  EXPECT_EQ(rows[1].reason, "DUPLICATE_CLIENT_ORDER_ID");
  EXPECT_EQ(rows[1].client_order_id, "x1");
  EXPECT_EQ(rows[2].status, OrderStatus::Open);
  EXPECT_EQ(rows[2].client_order_id, "x1");
  ASSERT_TRUE(rows[2].terms);

  const OrderRecord kept = v.order(resting);
  EXPECT_EQ(kept.status, OrderStatus::Cancelled);
  EXPECT_EQ(kept.reason, "CANCEL_ALL");
  q.trader = bob;
  q.statuses = StatusSet::open();
  auto bob_open = ok(v.store->orders(q)).items;
  ASSERT_EQ(bob_open.size(), 1u);
  EXPECT_EQ(bob_open[0].client_order_id, "x2");
  ASSERT_TRUE(bob_open[0].terms);
  EXPECT_TRUE(bob_open[0].terms->post_only);
  // All the batch's rows share its sequence number.
  EXPECT_EQ(bob_open[0].created_seq, rows[0].created_seq);
}

TEST(Projector, WithoutTheCommandOrdersHaveNoTermsAndRefusalsAreNotRecorded) {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  MarketId m = v.spot("sBTC/USDC");
  const Command c{++v.seq, v.ts, PlaceOrder{m, buy(alice, 100'00, 1000), "n1"}};
  v.ev.clear();
  v.x.apply(c, v.ev);
  ok(v.proj->apply_batch(c.seq, c.ts, v.ev, v.x));
  const Command bad{++v.seq, v.ts, PlaceOrder{m, buy(alice, 100'00, 1000'0000), "n2"}};
  v.ev.clear();
  v.x.apply(bad, v.ev);
  ok(v.proj->apply_batch(bad.seq, bad.ts, v.ev, v.x));
  ok(v.proj->commit());
  OrderQuery q;
  q.trader = alice;
  auto rows = ok(v.store->orders(q)).items;
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].client_order_id, "n1");
  EXPECT_FALSE(rows[0].terms);
}

TEST(Projector, RealAndPaperStayApart) {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  MarketId paper = v.spot("sBTC/USDC", Mode::Paper);
  MarketId real = v.spot("sBTC/USDC", Mode::Real);
  v.deposit(alice, kUSDC, 1'000 * kUsdc, Mode::Real);
  v.deposit(bob, kSBTC, kBtc, Mode::Real);
  v.place(real, sell(bob, 100'00, 1000));
  v.place(real, buy(alice, 100'00, 1000));
  FillQuery fq;
  fq.trader = alice;
  EXPECT_TRUE(ok(v.store->fills(fq)).items.empty());
  fq.mode = Mode::Real;
  EXPECT_EQ(ok(v.store->fills(fq)).items.size(), 1u);
  EXPECT_TRUE(ok(v.store->recent_trades(paper, 10, std::nullopt)).items.empty());
  EXPECT_EQ(ok(v.store->recent_trades(real, 10, std::nullopt)).items.size(), 1u);
  EXPECT_EQ(ok(v.store->paper_points(alice))->points, 0) << "REAL volume earns no points";
  KlineQuery k;
  k.market = paper;
  EXPECT_TRUE(ok(v.store->klines(k)).empty());
}

// ---------------------------------------------------------------- pagination

TEST(Pagination, OrderPagesNeverRepeatOrSkipEvenWhileOrdersArrive) {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  MarketId m = v.spot("sBTC/USDC");
  std::vector<OrderId> ids;
  for (int i = 0; i < 25; ++i) ids.push_back(v.place(m, buy(alice, 50'00 + i, 100)));
  for (int i = 0; i < 25; i += 3) v.cancel(alice, ids[static_cast<std::size_t>(i)]);

  OrderQuery q;
  q.trader = alice;
  q.limit = 7;
  auto fetch = [&](std::optional<std::uint64_t> c) {
    q.before = c;
    return ok(v.store->orders(q));
  };
  auto hid = [](const OrderRecord& o) { return o.hid; };
  auto all = all_pages<OrderRecord>(fetch, hid);
  ASSERT_EQ(all.size(), 25u);
  std::vector<OrderId> seen;
  for (const OrderRecord& o : all) seen.push_back(o.order_id);
  std::vector<OrderId> expected(ids.rbegin(), ids.rend());
  EXPECT_EQ(seen, expected);

  // First page, then new orders arrive, then the rest: exactly the 25 again.
  q.before.reset();
  auto first = ok(v.store->orders(q));
  for (int i = 0; i < 5; ++i) v.place(m, buy(alice, 40'00 + i, 100));
  std::set<std::uint64_t> hids;
  for (const auto& o : first.items) hids.insert(o.hid);
  std::optional<std::uint64_t> cursor = first.next;
  while (cursor) {
    q.before = cursor;
    auto p = ok(v.store->orders(q));
    for (const auto& o : p.items) EXPECT_TRUE(hids.insert(o.hid).second) << "repeated";
    cursor = p.next;
  }
  EXPECT_EQ(hids.size(), 25u);

  // With a status filter: the 16 still open, in pages of 4.
  q.statuses = StatusSet::open();
  q.limit = 4;
  q.before.reset();
  auto open = all_pages<OrderRecord>(fetch, hid);
  EXPECT_EQ(open.size(), 16u + 5u);
  for (const auto& o : open) EXPECT_EQ(o.status, OrderStatus::Open);
}

TEST(Pagination, FillPagesIncludeBothSidesOfASelfTradeOnce) {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(alice, kSBTC, kBtc);
  v.deposit(bob, kSBTC, kBtc);
  for (int i = 0; i < 6; ++i) {
    v.place(m, sell(bob, 100'00, 100));
    v.place(m, buy(alice, 100'00, 100));
  }
  v.place(m, sell(alice, 100'00, 100).stp(SelfTradePrevention::None));
  v.place(m, buy(alice, 100'00, 100).stp(SelfTradePrevention::None));  // alice trades with alice
  FillQuery q;
  q.trader = alice;
  q.limit = 1;
  auto fills = all_pages<FillRecord>(
      [&](std::optional<std::uint64_t> c) {
        q.before = c;
        return ok(v.store->fills(q));
      },
      [](const FillRecord& f) { return f.id; });
  ASSERT_EQ(fills.size(), 8u);
  EXPECT_EQ(fills[0].trade_id, fills[1].trade_id);
  EXPECT_TRUE(fills[0].maker);
  EXPECT_FALSE(fills[1].maker);
  auto trades = all_pages<TradeRecord>(
      [&](std::optional<std::uint64_t> c) { return ok(v.store->recent_trades(m, 3, c)); },
      [](const TradeRecord& t) { return t.id; });
  EXPECT_EQ(trades.size(), 7u);
}

// ---------------------------------------------------------------- exactly once

TEST(ExactlyOnce, ARestartDropsWhatWasNotCommittedAndOverlappingBatchesAreSkipped) {
  StoreVenue v;
  TraderId alice = v.trader("alice");
  TraderId bob = v.trader("bob");
  MarketId m = v.spot("sBTC/USDC");
  v.deposit(bob, kSBTC, kBtc);
  for (int i = 0; i < 5; ++i) {
    v.at(1'000 + i * 40'000);
    v.place(m, sell(bob, 100'00 + i, 100));
    v.place(m, buy(alice, 100'00 + i, 100), "a" + std::to_string(i));
  }
  const SeqNo committed = v.seq;
  v.auto_commit = false;
  for (int i = 5; i < 9; ++i) {
    v.at(1'000 + i * 40'000);
    v.place(m, sell(bob, 100'00 + i, 100));
    v.place(m, buy(alice, 100'00 + i, 100));
  }
  EXPECT_TRUE(v.proj->pending());
  v.reopen();  // "crash": the last batch was never committed
  EXPECT_EQ(ok(v.store->projected_seq()), committed);
  EXPECT_EQ(v.proj->committed_seq(), committed);

  // A gap is refused and changes nothing.
  auto gap = v.proj->apply(v.records.back());
  ASSERT_FALSE(gap.has_value());
  EXPECT_NE(gap.error().message.find("feed it from seq " + std::to_string(committed + 1)),
            std::string::npos)
      << gap.error().message;

  // Feed everything again, in overlapping batches of 3 from the start.
  for (std::size_t i = 0; i < v.records.size(); ++i) {
    ok(v.proj->apply(v.records[i]));
    if (i % 3 == 2) ok(v.proj->commit());
  }
  ok(v.proj->commit());
  EXPECT_EQ(v.proj->stats().skipped, committed);
  EXPECT_EQ(ok(v.store->projected_seq()), v.seq);

  // The result is what one uninterrupted projection writes.
  TempDir ref_dir;
  auto ref = open_store(ref_dir / "ref.db");
  auto ref_proj = ok(Projector::open(*ref));
  for (const CommandRecord& r : v.records) ok(ref_proj->apply(r));
  ok(ref_proj->commit());
  EXPECT_EQ(first_difference(dump_history(v.store->db()), dump_history(ref->db())), "");

  // And applying everything yet again changes nothing.
  for (const CommandRecord& r : v.records) ok(v.proj->apply(r));
  ok(v.proj->commit());
  EXPECT_EQ(first_difference(dump_history(v.store->db()), dump_history(ref->db())), "");
}

TEST(ExactlyOnce, ACommandWithoutASequenceNumberIsRefused) {
  StoreVenue v;
  CommandRecord r;
  auto res = v.proj->apply(r);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, ErrorCode::InvalidArgument);
}

}  // namespace
}  // namespace cx::store::test
