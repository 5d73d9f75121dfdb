#pragma once
// A small language for order-book stories in tests:
//   Story s;  s.place(sell(alice, 101, 5));  s.place(buy(bob, 101, 3));
//   EXPECT_EQ(s.fills().size(), 1u);

#include <algorithm>
#include <vector>

#include "engine/order_book.hpp"

namespace cx::engine::testing {

inline constexpr TraderId alice = 1;
inline constexpr TraderId bob = 2;
inline constexpr TraderId carol = 3;

/// Fluent builder over NewOrder.
struct O {
  NewOrder o;
  O& ioc() {
    o.tif = TimeInForce::IOC;
    return *this;
  }
  O& fok() {
    o.tif = TimeInForce::FOK;
    return *this;
  }
  O& gtt(Timestamp at) {
    o.tif = TimeInForce::GTT;
    o.expire_at = at;
    return *this;
  }
  O& post_only() {
    o.post_only = true;
    return *this;
  }
  O& cid(ClientOrderId c) {
    o.client_id = c;
    return *this;
  }
  O& stp(SelfTradePrevention s) {
    o.stp = s;
    return *this;
  }
  O& stop(Price trigger) {
    o.trigger_kind = TriggerKind::Stop;
    o.trigger = trigger;
    return *this;
  }
  O& take_profit(Price trigger) {
    o.trigger_kind = TriggerKind::TakeProfit;
    o.trigger = trigger;
    return *this;
  }
  O& market() {
    o.type = OrderType::Market;
    if (o.tif == TimeInForce::GTC) o.tif = TimeInForce::IOC;
    return *this;
  }
  operator NewOrder() const { return o; }  // NOLINT: implicit by design
};

inline O order(TraderId t, Side side, Price price, Qty qty) {
  O b;
  b.o.trader = t;
  b.o.side = side;
  b.o.price = price;
  b.o.qty = qty;
  return b;
}
inline O buy(TraderId t, Price price, Qty qty) {
  return order(t, Side::Buy, price, qty);
}
inline O sell(TraderId t, Price price, Qty qty) {
  return order(t, Side::Sell, price, qty);
}

/// A book plus the events of the last command.
struct Story {
  explicit Story(BookSpec spec = BookSpec{7, 1, 1, 1}) : book(spec) {}

  OrderId place(const NewOrder& o) {
    ev.clear();
    return book.place(o, now, ev);
  }
  bool cancel(TraderId t, OrderId id) {
    ev.clear();
    return book.cancel(t, id, now, ev);
  }
  bool cancel_cid(TraderId t, ClientOrderId c) {
    ev.clear();
    return book.cancel_by_client_id(t, c, now, ev);
  }
  std::size_t cancel_all(TraderId t) {
    ev.clear();
    return book.cancel_all(t, now, ev);
  }
  bool amend(TraderId t, OrderId id, Price p, Qty q) {
    ev.clear();
    return book.amend(AmendRequest{t, id, 0, p, q}, now, ev);
  }
  void mark(Price p) {
    ev.clear();
    book.on_price(p, now, ev);
  }
  void at(Timestamp t) {
    ev.clear();
    now = t;
    book.advance_time(now, ev);
  }

  std::vector<Event> of(EventType type) const {
    std::vector<Event> r;
    std::copy_if(ev.begin(), ev.end(), std::back_inserter(r),
                 [&](const Event& e) { return e.type == type; });
    return r;
  }
  std::vector<Event> fills() const { return of(EventType::Fill); }
  /// The single event of `type` in the last command (fails the test if not exactly one).
  Event one(EventType type) const {
    auto v = of(type);
    EXPECT_EQ(v.size(), 1u) << "expected exactly one event of that type";
    return v.empty() ? Event{} : v.front();
  }
  Reason rejection() const {
    auto v = of(EventType::Rejected);
    return v.empty() ? Reason::None : v.front().reason;
  }
  Qty qty_at(Side s, Price p) const {
    for (const auto& l : book.depth(s, 1000))
      if (l.price == p) return l.qty;
    return 0;
  }

  OrderBook book;
  EventBuffer ev;
  Timestamp now = 1'000;
};

}  // namespace cx::engine::testing
