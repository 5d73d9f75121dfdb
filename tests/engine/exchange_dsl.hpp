#pragma once
// Trading stories through the whole exchange:
//   Venue v;  auto alice = v.trader("alice");  auto m = v.spot("sBTC/USDC");
//   v.deposit(alice, kUSDC, 1000'000000);  v.place(m, buy(alice, 100'00, 1'0000));

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "engine/book_dsl.hpp"
#include "engine/exchange.hpp"

namespace cx::engine::testing {

struct Venue {
  explicit Venue(ExchangeConfig cfg = {}) : x(cfg) {}

  void run(CommandBody body) {
    ev.clear();
    x.apply(Command{++seq, ts, std::move(body)}, ev);
  }

  TraderId trader(const std::string& name) {
    run(RegisterTrader{name});
    return *x.trader_id(name);
  }

  MarketSpec spot_spec(const std::string& symbol, Mode mode = Mode::Paper) {
    MarketSpec s;
    s.symbol = symbol;
    s.mode = mode;
    s.kind = MarketKind::Spot;
    s.base = kSBTC;
    s.underlying = "BTC";
    s.price_scale = 2;  // tick 0.01
    s.qty_scale = 4;    // lot 0.0001
    s.maker_fee_bps = 2;
    s.taker_fee_bps = 5;
    return s;
  }
  MarketSpec perp_spec(const std::string& symbol, Mode mode = Mode::Paper) {
    MarketSpec s = spot_spec(symbol, mode);
    s.kind = MarketKind::Perp;
    s.initial_margin_bps = 1000;
    s.maintenance_margin_bps = 500;
    return s;
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
  MarketId perp(const std::string& symbol, Mode mode = Mode::Paper) {
    return create(perp_spec(symbol, mode));
  }

  void deposit(TraderId t, AssetId a, Amount amount, Mode mode = Mode::Paper) {
    run(Deposit{mode, t, a, amount});
  }
  OrderId place(MarketId m, const NewOrder& o, std::string cid = {}) {
    run(PlaceOrder{m, o, std::move(cid)});
    for (const Event& e : ev)
      if (e.type == EventType::Accepted) return e.order_id;
    return 0;
  }
  void cancel(TraderId t, OrderId id, Mode mode = Mode::Paper) {
    run(CancelOrder{mode, t, id, {}});
  }

  const Balance& bal(TraderId t, AssetId a, Mode mode = Mode::Paper) const {
    return x.account(mode, t).assets[a];
  }
  Position pos(TraderId t, MarketId m, Mode mode = Mode::Paper) const {
    for (const Position& p : x.account(mode, t).positions)
      if (p.market == m) return p;
    return Position{};
  }
  std::vector<ExEvent> of(EventType type) const {
    std::vector<ExEvent> r;
    std::copy_if(ev.begin(), ev.end(), std::back_inserter(r),
                 [&](const Event& e) { return e.type == type; });
    return r;
  }
  Reason rejection() const {
    for (const Event& e : ev)
      if (e.type == EventType::Rejected) return e.reason;
    return Reason::None;
  }
  void expect_audit_ok() const {
    AuditReport r = x.audit();
    for (const auto& p : r.problems) ADD_FAILURE() << p;
  }

  Exchange x;
  ExEventBuffer ev;
  SeqNo seq = 0;
  Timestamp ts = 1'000;
};

}  // namespace cx::engine::testing
