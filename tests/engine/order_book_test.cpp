// One test per matching rule (docs/matching.md).
#include <gtest/gtest.h>

#include "engine/book_dsl.hpp"

namespace cx::engine {
namespace {

using namespace cx::engine::testing;
using STP = SelfTradePrevention;

// ---------------------------------------------------------------- limit orders, priority

TEST(OrderBook, LimitOrderThatDoesNotCrossRests) {
  Story s;
  OrderId id = s.place(buy(alice, 100, 5));
  ASSERT_NE(id, 0u);
  EXPECT_EQ(s.one(EventType::Accepted).order_id, id);
  EXPECT_TRUE(s.fills().empty());
  EXPECT_EQ(s.book.best_bid(), 100);
  EXPECT_EQ(s.book.live_orders(), 1u);
  auto d = s.one(EventType::Depth);
  EXPECT_EQ(d.side, Side::Buy);
  EXPECT_EQ(d.price, 100);
  EXPECT_EQ(d.qty, 5);
  EXPECT_EQ(d.count, 1u);
}

TEST(OrderBook, CrossingOrderTradesAtTheMakersPrice) {
  Story s;
  OrderId maker = s.place(sell(alice, 101, 5));
  OrderId taker = s.place(buy(bob, 105, 3));
  auto f = s.one(EventType::Fill);
  EXPECT_EQ(f.price, 101);
  EXPECT_EQ(f.qty, 3);
  EXPECT_EQ(f.side, Side::Buy);
  EXPECT_EQ(f.order_id, taker);
  EXPECT_EQ(f.maker_id, maker);
  EXPECT_EQ(f.maker_trader, alice);
  EXPECT_EQ(f.remaining, 0);
  EXPECT_EQ(f.maker_remaining, 2);
  EXPECT_EQ(s.qty_at(Side::Sell, 101), 2);
  EXPECT_FALSE(s.book.best_bid().has_value());
}

TEST(OrderBook, FillsAtOneLevelFollowArrivalOrder) {
  Story s;
  OrderId first = s.place(sell(alice, 100, 2));
  OrderId second = s.place(sell(carol, 100, 2));
  OrderId third = s.place(sell(alice, 100, 2));
  s.place(buy(bob, 100, 5));
  auto f = s.fills();
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].maker_id, first);
  EXPECT_EQ(f[1].maker_id, second);
  EXPECT_EQ(f[2].maker_id, third);
  EXPECT_EQ(f[2].qty, 1);
  EXPECT_EQ(s.qty_at(Side::Sell, 100), 1);
}

TEST(OrderBook, BetterPricesFillFirstAndRemainderRests) {
  Story s;
  s.place(sell(alice, 102, 1));
  s.place(sell(alice, 100, 1));
  s.place(sell(alice, 101, 1));
  s.place(buy(bob, 101, 5));
  auto f = s.fills();
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].price, 100);
  EXPECT_EQ(f[1].price, 101);
  EXPECT_EQ(s.book.best_bid(), 101);
  EXPECT_EQ(s.qty_at(Side::Buy, 101), 3);
  EXPECT_EQ(s.book.best_ask(), 102);
}

TEST(OrderBook, DepthEventsReportEveryChangedLevelInFixedOrder) {
  Story s;
  s.place(sell(alice, 100, 1));
  s.place(sell(alice, 101, 1));
  s.place(buy(bob, 101, 3));  // empties 100 and 101, rests 1 at 101 on the bid side
  auto d = s.of(EventType::Depth);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].side, Side::Buy);
  EXPECT_EQ(d[0].price, 101);
  EXPECT_EQ(d[0].qty, 1);
  EXPECT_EQ(d[1].side, Side::Sell);
  EXPECT_EQ(d[1].price, 100);
  EXPECT_EQ(d[1].qty, 0);
  EXPECT_EQ(d[2].price, 101);
  EXPECT_EQ(d[2].qty, 0);
}

// ---------------------------------------------------------------- market orders

TEST(OrderBook, MarketOrderNeverFillsBeyondItsProtectionPrice) {
  Story s;
  s.place(sell(alice, 100, 1));
  s.place(sell(alice, 105, 1));
  s.place(buy(bob, 102, 5).market());
  auto f = s.fills();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].price, 100);
  auto x = s.one(EventType::Expired);
  EXPECT_EQ(x.reason, Reason::MarketRemainder);
  EXPECT_EQ(x.qty, 4);
  EXPECT_FALSE(s.book.best_bid().has_value());  // never rests
  EXPECT_EQ(s.book.best_ask(), 105);
}

TEST(OrderBook, MarketOrderOnEmptyBookExpires) {
  Story s;
  s.place(sell(bob, 90, 2).market());
  EXPECT_EQ(s.one(EventType::Expired).reason, Reason::MarketRemainder);
  EXPECT_EQ(s.book.live_orders(), 0u);
}

TEST(OrderBook, MarketOrderMustBeIocOrFok) {
  Story s;
  NewOrder o = buy(bob, 100, 1).market();
  o.tif = TimeInForce::GTC;
  EXPECT_EQ(s.place(o), 0u);
  EXPECT_EQ(s.rejection(), Reason::InvalidTimeInForce);
}

// ---------------------------------------------------------------- time in force

TEST(OrderBook, IocRemainderExpiresInsteadOfResting) {
  Story s;
  s.place(sell(alice, 100, 2));
  s.place(buy(bob, 100, 5).ioc());
  EXPECT_EQ(s.fills().size(), 1u);
  auto x = s.one(EventType::Expired);
  EXPECT_EQ(x.reason, Reason::IocRemainder);
  EXPECT_EQ(x.qty, 3);
  EXPECT_FALSE(s.book.best_bid().has_value());
}

TEST(OrderBook, FokThatCannotFillCompletelyTradesNothing) {
  Story s;
  s.place(sell(alice, 100, 2));
  s.place(sell(alice, 101, 2));
  s.place(buy(bob, 101, 5).fok());
  EXPECT_TRUE(s.fills().empty());
  EXPECT_EQ(s.one(EventType::Expired).reason, Reason::FokUnfillable);
  EXPECT_EQ(s.qty_at(Side::Sell, 100), 2);
  EXPECT_EQ(s.qty_at(Side::Sell, 101), 2);
}

TEST(OrderBook, FokThatCanFillCompletelyFills) {
  Story s;
  s.place(sell(alice, 100, 2));
  s.place(sell(alice, 101, 3));
  s.place(buy(bob, 101, 5).fok());
  EXPECT_EQ(s.fills().size(), 2u);
  EXPECT_TRUE(s.of(EventType::Expired).empty());
  EXPECT_FALSE(s.book.best_ask().has_value());
}

TEST(OrderBook, FokCountsSelfTradePreventionBeforeFilling) {
  Story s;
  s.place(sell(alice, 100, 2));
  s.place(sell(bob, 100, 2));  // bob's own order would stop an EXPIRE_TAKER FOK
  s.place(buy(bob, 100, 4).fok().stp(STP::ExpireTaker));
  EXPECT_TRUE(s.fills().empty());
  EXPECT_EQ(s.one(EventType::Expired).reason, Reason::FokUnfillable);
  EXPECT_EQ(s.qty_at(Side::Sell, 100), 4);
}

TEST(OrderBook, GttOrderExpiresWhenTheCommandStreamReachesItsTime) {
  Story s;
  OrderId id = s.place(buy(alice, 100, 1).gtt(5'000));
  ASSERT_NE(id, 0u);
  s.at(4'999);
  EXPECT_TRUE(s.ev.empty());
  s.at(5'000);
  auto x = s.one(EventType::Expired);
  EXPECT_EQ(x.order_id, id);
  EXPECT_EQ(x.reason, Reason::GttExpired);
  EXPECT_FALSE(s.book.best_bid().has_value());
}

TEST(OrderBook, ExpiredGttOrderNeverTradesWithALaterCommand) {
  Story s;
  s.place(buy(alice, 100, 1).gtt(5'000));
  s.now = 6'000;
  s.place(sell(bob, 100, 1));
  EXPECT_EQ(s.ev.front().type, EventType::Expired);  // expiry first
  EXPECT_TRUE(s.fills().empty());
  EXPECT_EQ(s.book.best_ask(), 100);
}

TEST(OrderBook, GttWithExpiryInThePastIsRejected) {
  Story s;
  EXPECT_EQ(s.place(buy(alice, 100, 1).gtt(s.now)), 0u);
  EXPECT_EQ(s.rejection(), Reason::ExpireTimeInPast);
}

// ---------------------------------------------------------------- post-only

TEST(OrderBook, PostOnlyThatWouldCrossIsRejected) {
  Story s;
  s.place(sell(alice, 100, 1));
  EXPECT_EQ(s.place(buy(bob, 100, 1).post_only()), 0u);
  EXPECT_EQ(s.rejection(), Reason::PostOnlyWouldTake);
  EXPECT_EQ(s.book.live_orders(), 1u);
  EXPECT_TRUE(s.of(EventType::Depth).empty());
}

TEST(OrderBook, PostOnlyThatDoesNotCrossRests) {
  Story s;
  s.place(sell(alice, 100, 1));
  EXPECT_NE(s.place(buy(bob, 99, 1).post_only()), 0u);
  EXPECT_EQ(s.book.best_bid(), 99);
}

TEST(OrderBook, PostOnlyWithIocIsMalformed) {
  Story s;
  EXPECT_EQ(s.place(buy(bob, 99, 1).post_only().ioc()), 0u);
  EXPECT_EQ(s.rejection(), Reason::InvalidFlags);
}

// ---------------------------------------------------------------- self-trade prevention

TEST(OrderBook, ExpireTakerKeepsTheRestingOrder) {
  Story s;
  OrderId mine = s.place(sell(alice, 100, 1));
  s.place(buy(alice, 100, 1).stp(STP::ExpireTaker));
  auto x = s.one(EventType::Expired);
  EXPECT_EQ(x.reason, Reason::SelfTrade);
  EXPECT_NE(x.order_id, mine);
  EXPECT_NE(s.book.find(mine), nullptr);
  EXPECT_TRUE(s.fills().empty());
}

TEST(OrderBook, ExpireMakerRemovesOwnOrderAndKeepsMatching) {
  Story s;
  OrderId mine = s.place(sell(alice, 100, 1));
  OrderId other = s.place(sell(bob, 100, 1));
  s.place(buy(alice, 100, 1).stp(STP::ExpireMaker));
  auto x = s.one(EventType::Expired);
  EXPECT_EQ(x.order_id, mine);
  EXPECT_EQ(x.reason, Reason::SelfTrade);
  auto f = s.one(EventType::Fill);
  EXPECT_EQ(f.maker_id, other);
  EXPECT_EQ(s.book.live_orders(), 0u);
}

TEST(OrderBook, ExpireBothRemovesBoth) {
  Story s;
  OrderId mine = s.place(sell(alice, 100, 1));
  OrderId taker = s.place(buy(alice, 100, 2).stp(STP::ExpireBoth));
  auto x = s.of(EventType::Expired);
  ASSERT_EQ(x.size(), 2u);
  EXPECT_EQ(x[0].order_id, mine);
  EXPECT_EQ(x[1].order_id, taker);
  EXPECT_EQ(s.book.live_orders(), 0u);
}

TEST(OrderBook, StpNoneLetsATraderTradeWithThemselves) {
  Story s;
  s.place(sell(alice, 100, 1));
  s.place(buy(alice, 100, 1).stp(STP::None));
  EXPECT_EQ(s.fills().size(), 1u);
}

// ---------------------------------------------------------------- validation

TEST(OrderBook, PriceOffTheTickIsRejected) {
  Story s(BookSpec{1, 5, 10, 20});
  EXPECT_EQ(s.place(buy(alice, 102, 20)), 0u);
  EXPECT_EQ(s.rejection(), Reason::PriceNotMultipleOfTick);
}

TEST(OrderBook, QuantityOffTheLotIsRejected) {
  Story s(BookSpec{1, 5, 10, 20});
  s.place(buy(alice, 100, 25));
  EXPECT_EQ(s.rejection(), Reason::QtyNotMultipleOfLot);
}

TEST(OrderBook, QuantityUnderTheMinimumIsRejected) {
  Story s(BookSpec{1, 5, 10, 20});
  s.place(buy(alice, 100, 10));
  EXPECT_EQ(s.rejection(), Reason::QtyBelowMinimum);
}

TEST(OrderBook, ZeroOrNegativeQuantityAndPriceAreRejected) {
  Story s;
  s.place(buy(alice, 100, 0));
  EXPECT_EQ(s.rejection(), Reason::InvalidQuantity);
  s.place(buy(alice, 100, -1));
  EXPECT_EQ(s.rejection(), Reason::InvalidQuantity);
  s.place(buy(alice, 0, 1));
  EXPECT_EQ(s.rejection(), Reason::InvalidPrice);
  s.place(buy(alice, -5, 1).market());
  EXPECT_EQ(s.rejection(), Reason::InvalidPrice);
  EXPECT_EQ(s.book.live_orders(), 0u);
}

TEST(OrderBook, RejectionChangesNothing) {
  Story s;
  s.place(sell(alice, 100, 1).cid(9));
  s.place(buy(bob, 100, 1).post_only());
  ASSERT_EQ(s.ev.size(), 1u);  // only the Rejected event: no depth, no fill
  EXPECT_EQ(s.ev[0].type, EventType::Rejected);
  EXPECT_EQ(s.qty_at(Side::Sell, 100), 1);
}

// ---------------------------------------------------------------- client order ids

TEST(OrderBook, DuplicateClientOrderIdIsRejectedNotPlacedTwice) {
  Story s;
  s.place(buy(alice, 100, 1).cid(42));
  EXPECT_EQ(s.place(buy(alice, 99, 1).cid(42)), 0u);
  EXPECT_EQ(s.rejection(), Reason::DuplicateClientOrderId);
  EXPECT_EQ(s.book.live_orders(), 1u);
}

TEST(OrderBook, ClientOrderIdsAreScopedPerTrader) {
  Story s;
  s.place(buy(alice, 100, 1).cid(42));
  EXPECT_NE(s.place(buy(bob, 99, 1).cid(42)), 0u);
}

TEST(OrderBook, ClientOrderIdCanBeReusedOnceTheOrderIsGone) {
  Story s;
  s.place(buy(alice, 100, 1).cid(42));
  s.place(sell(bob, 100, 1));  // fills it
  EXPECT_NE(s.place(buy(alice, 100, 1).cid(42)), 0u);
}

TEST(OrderBook, CancelByClientOrderId) {
  Story s;
  OrderId id = s.place(buy(alice, 100, 1).cid(42));
  EXPECT_TRUE(s.cancel_cid(alice, 42));
  EXPECT_EQ(s.one(EventType::Cancelled).order_id, id);
  EXPECT_FALSE(s.cancel_cid(alice, 42));
  EXPECT_EQ(s.rejection(), Reason::OrderNotFound);
}

// ---------------------------------------------------------------- cancel

TEST(OrderBook, CancelRemovesTheOrderAndItsLevel) {
  Story s;
  OrderId id = s.place(buy(alice, 100, 3));
  EXPECT_TRUE(s.cancel(alice, id));
  auto c = s.one(EventType::Cancelled);
  EXPECT_EQ(c.qty, 3);
  EXPECT_EQ(c.reason, Reason::Cancelled);
  EXPECT_EQ(s.one(EventType::Depth).qty, 0);
  EXPECT_FALSE(s.book.best_bid().has_value());
}

TEST(OrderBook, TraderCannotCancelAnotherTradersOrder) {
  Story s;
  OrderId id = s.place(buy(alice, 100, 3));
  EXPECT_FALSE(s.cancel(bob, id));
  EXPECT_EQ(s.rejection(), Reason::OrderNotFound);
  EXPECT_NE(s.book.find(id), nullptr);
}

TEST(OrderBook, StaleIdNeverReachesTheOrderThatReusedItsSlot) {
  Story s;
  OrderId old = s.place(buy(alice, 100, 1));
  s.cancel(alice, old);
  OrderId fresh = s.place(buy(alice, 100, 1));
  EXPECT_NE(old, fresh);
  EXPECT_EQ(slot_of(old), slot_of(fresh));
  EXPECT_FALSE(s.cancel(alice, old));
  EXPECT_NE(s.book.find(fresh), nullptr);
}

TEST(OrderBook, CancelAllRemovesEveryOrderOfTheTraderOnly) {
  Story s;
  s.place(buy(alice, 100, 1));
  s.place(buy(alice, 99, 1));
  s.place(sell(alice, 110, 1).stop(120));
  OrderId bobs = s.place(buy(bob, 98, 1));
  EXPECT_EQ(s.cancel_all(alice), 3u);
  EXPECT_EQ(s.of(EventType::Cancelled).size(), 3u);
  EXPECT_EQ(s.of(EventType::Cancelled)[0].reason, Reason::CancelAll);
  EXPECT_EQ(s.book.live_orders(), 1u);
  EXPECT_EQ(s.book.pending_triggers(), 0u);
  EXPECT_NE(s.book.find(bobs), nullptr);
  EXPECT_EQ(s.cancel_all(alice), 0u);
  EXPECT_TRUE(s.ev.empty());
}

// ---------------------------------------------------------------- amend

TEST(OrderBook, AmendSizeDownKeepsTimePriority) {
  Story s;
  OrderId first = s.place(sell(alice, 100, 5));
  s.place(sell(carol, 100, 5));
  EXPECT_TRUE(s.amend(alice, first, 0, 2));
  auto a = s.one(EventType::Amended);
  EXPECT_EQ(a.qty, 2);
  EXPECT_EQ(a.remaining, 2);
  EXPECT_EQ(s.qty_at(Side::Sell, 100), 7);
  s.place(buy(bob, 100, 1));
  EXPECT_EQ(s.one(EventType::Fill).maker_id, first);
}

TEST(OrderBook, AmendSizeUpLosesTimePriority) {
  Story s;
  OrderId first = s.place(sell(alice, 100, 5));
  OrderId second = s.place(sell(carol, 100, 5));
  EXPECT_TRUE(s.amend(alice, first, 0, 6));
  s.place(buy(bob, 100, 1));
  EXPECT_EQ(s.one(EventType::Fill).maker_id, second);
}

TEST(OrderBook, AmendPriceLosesPriorityAndMayTrade) {
  Story s;
  s.place(buy(bob, 99, 2));
  OrderId ask = s.place(sell(alice, 101, 3));
  EXPECT_TRUE(s.amend(alice, ask, 99, 0));
  EXPECT_EQ(s.ev.front().type, EventType::Amended);
  auto f = s.one(EventType::Fill);
  EXPECT_EQ(f.order_id, ask);
  EXPECT_EQ(f.qty, 2);
  EXPECT_EQ(s.book.best_ask(), 99);
  EXPECT_EQ(s.qty_at(Side::Sell, 99), 1);
}

TEST(OrderBook, AmendBelowFilledQuantityIsRejected) {
  Story s;
  OrderId ask = s.place(sell(alice, 100, 5));
  s.place(buy(bob, 100, 3));
  EXPECT_FALSE(s.amend(alice, ask, 0, 3));
  EXPECT_EQ(s.rejection(), Reason::AmendQtyTooSmall);
  EXPECT_TRUE(s.amend(alice, ask, 0, 4));
  EXPECT_EQ(s.one(EventType::Amended).remaining, 1);
}

TEST(OrderBook, AmendOfPostOnlyThatWouldCrossIsRejected) {
  Story s;
  s.place(buy(bob, 99, 1));
  OrderId ask = s.place(sell(alice, 101, 1).post_only());
  EXPECT_FALSE(s.amend(alice, ask, 99, 0));
  EXPECT_EQ(s.rejection(), Reason::PostOnlyWouldTake);
  EXPECT_EQ(s.book.best_ask(), 101);
}

TEST(OrderBook, AmendOfAnotherTradersOrderIsNotFound) {
  Story s;
  OrderId ask = s.place(sell(alice, 101, 1));
  EXPECT_FALSE(s.amend(bob, ask, 102, 0));
  EXPECT_EQ(s.rejection(), Reason::OrderNotFound);
}

// ---------------------------------------------------------------- stop and take-profit

TEST(OrderBook, StopOrderWaitsOutsideTheBook) {
  Story s;
  s.mark(100);
  OrderId id = s.place(buy(alice, 110, 1).stop(105));
  ASSERT_NE(id, 0u);
  EXPECT_FALSE(s.book.best_bid().has_value());
  EXPECT_EQ(s.book.pending_triggers(), 1u);
  EXPECT_TRUE(s.of(EventType::Depth).empty());
}

TEST(OrderBook, StopBuyFiresWhenMarkRisesToTrigger) {
  Story s;
  s.mark(100);
  s.place(sell(bob, 106, 1));
  OrderId id = s.place(buy(alice, 110, 1).stop(105).market());
  s.mark(104);
  EXPECT_TRUE(s.ev.empty());
  s.mark(105);
  EXPECT_EQ(s.one(EventType::Triggered).order_id, id);
  EXPECT_EQ(s.one(EventType::Fill).order_id, id);
}

TEST(OrderBook, StopSellFiresWhenMarkFallsToTrigger) {
  Story s;
  s.mark(100);
  OrderId id = s.place(sell(alice, 90, 1).stop(95));
  s.mark(95);
  EXPECT_EQ(s.one(EventType::Triggered).order_id, id);
  EXPECT_EQ(s.book.best_ask(), 90);  // a stop-limit rests once fired
}

TEST(OrderBook, TakeProfitFiresInTheFavourableDirection) {
  Story s;
  s.mark(100);
  OrderId sell_tp = s.place(sell(alice, 110, 1).take_profit(110));
  OrderId buy_tp = s.place(buy(alice, 90, 1).take_profit(90));
  s.mark(111);
  EXPECT_EQ(s.one(EventType::Triggered).order_id, sell_tp);
  s.mark(89);
  EXPECT_EQ(s.one(EventType::Triggered).order_id, buy_tp);
}

TEST(OrderBook, TriggerThatTheMarkAlreadyReachedIsRejected) {
  Story s;
  s.mark(100);
  s.place(buy(alice, 110, 1).stop(100));
  EXPECT_EQ(s.rejection(), Reason::WouldTriggerImmediately);
}

TEST(OrderBook, TriggersFireInPricePathOrderThenArrival) {
  Story s;
  s.mark(100);
  OrderId b103 = s.place(buy(alice, 200, 1).stop(103));
  OrderId b101a = s.place(buy(alice, 200, 1).stop(101));
  OrderId b101b = s.place(buy(bob, 200, 1).stop(101));
  OrderId b110 = s.place(buy(bob, 200, 1).stop(110));
  s.mark(105);
  auto t = s.of(EventType::Triggered);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].order_id, b101a);
  EXPECT_EQ(t[1].order_id, b101b);
  EXPECT_EQ(t[2].order_id, b103);
  EXPECT_NE(s.book.find(b110), nullptr);
  EXPECT_EQ(s.book.pending_triggers(), 1u);
}

TEST(OrderBook, PendingStopCanBeCancelled) {
  Story s;
  s.mark(100);
  OrderId id = s.place(sell(alice, 90, 1).stop(95));
  EXPECT_TRUE(s.cancel(alice, id));
  s.mark(90);
  EXPECT_TRUE(s.of(EventType::Triggered).empty());
}

TEST(OrderBook, PendingStopIsNotAmendable) {
  Story s;
  s.mark(100);
  OrderId id = s.place(sell(alice, 90, 1).stop(95));
  EXPECT_FALSE(s.amend(alice, id, 91, 0));
  EXPECT_EQ(s.rejection(), Reason::NotAmendable);
}

// ---------------------------------------------------------------- ids across books

TEST(OrderBook, BooksSharingAPoolNeverSeeEachOthersOrders) {
  OrderBook::OrderPool pool;
  OrderBook a(BookSpec{1, 1, 1, 1}, &pool);
  OrderBook b(BookSpec{2, 1, 1, 1}, &pool);
  EventBuffer ev;
  OrderId ida = a.place(buy(alice, 100, 1), 0, ev);
  OrderId idb = b.place(buy(alice, 100, 1), 0, ev);
  EXPECT_NE(ida, idb);
  EXPECT_EQ(b.find(ida), nullptr);
  EXPECT_FALSE(b.cancel(alice, ida, 0, ev));
  EXPECT_TRUE(a.cancel(alice, ida, 0, ev));
}

}  // namespace
}  // namespace cx::engine
