// risk.mark_update: a perpetual with 100,000 open positions (50,000 longs against 50,000 shorts,
// one contract each); 1,000 of the longs are leveraged so that a mark move from 100.00 to 94.00
// takes them below maintenance. A market maker's bids absorb their positions. Figure: the time
// of that one PriceUpdate command, from the call to apply() to its return (the last liquidation
// event), with the number of accounts liquidated.

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/exchange.hpp"
#include "exchange/benchmarks.hpp"
#include "harness/process.hpp"
#include "harness/report.hpp"

namespace cx::bench::exchange {

using namespace cx::engine;

namespace {
constexpr std::uint32_t kPositions = 100'000;
constexpr std::uint32_t kEveryRisky = 50;  // one long in 50 is leveraged: 1,000 of 50,000
constexpr Qty kContract = 1'0000;
}  // namespace

void mark_update() {
  const std::vector<double> r = run_isolated([] {
    Exchange x(ExchangeConfig{.paper_grant = 0});
    x.reserve(kPositions + 4'000, kPositions + 1);
    ExEventBuffer out;
    SeqNo seq = 0;
    Timestamp ts = 1'000;
    auto run = [&](CommandBody b) {
      out.clear();
      x.apply(Command{++seq, ++ts, std::move(b)}, out);
    };
    MarketSpec s;
    s.symbol = "BTC-PERP";
    s.kind = MarketKind::Perp;
    s.underlying = "BTC";
    s.price_scale = 2;
    s.qty_scale = 4;
    s.maker_fee_bps = 2;
    s.taker_fee_bps = 5;
    s.initial_margin_bps = 1000;
    s.maintenance_margin_bps = 500;
    run(CreateMarket{s});
    const MarketId m = 0;
    run(PriceUpdate{m, 100'00, 100'00});
    for (std::uint32_t t = 0; t < kPositions; ++t) {
      run(RegisterTrader{"trader-" + std::to_string(t)});
      const bool risky = t % 2 == 1 && (t / 2) % kEveryRisky == 0;
      // 10.06 USDC covers a one-contract long's 10.00 margin and 0.05 fee, and not much more.
      run(Deposit{Mode::Paper, t, kUSDC, risky ? 10'060'000 : 100'000'000});
    }
    for (std::uint32_t t = 0; t + 1 < kPositions; t += 2) {
      NewOrder o;
      o.trader = t;
      o.side = Side::Sell;
      o.price = 100'00;
      o.qty = kContract;
      run(PlaceOrder{m, o, {}});
      o.trader = t + 1;
      o.side = Side::Buy;
      run(PlaceOrder{m, o, {}});
    }
    const auto maker = static_cast<TraderId>(kPositions);
    run(RegisterTrader{"maker"});
    run(Deposit{Mode::Paper, maker, kUSDC, 1'000'000'000'000});
    for (int level = 0; level < 20; ++level) {
      NewOrder o;
      o.trader = maker;
      o.side = Side::Buy;
      o.price = 93'90 - level * 10;
      o.qty = 100 * kContract;
      run(PlaceOrder{m, o, {}});
    }
    std::size_t positions = 0;
    for (TraderId t = 0; t < kPositions; ++t)
      for (const Position& p : x.account(Mode::Paper, t).positions) positions += p.size != 0;

    out.assign(32 * 1024, ExEvent{});  // the event buffer's pages, touched before the clock starts
    out.clear();
    const auto t0 = std::chrono::steady_clock::now();
    x.apply(Command{++seq, ++ts, PriceUpdate{m, 94'00, 94'00}}, out);
    const auto t1 = std::chrono::steady_clock::now();
    std::size_t liquidated = 0;
    for (const ExEvent& e : out) liquidated += e.type == EventType::Liquidation;
    if (!x.audit().ok()) std::abort();
    return std::vector<double>{std::chrono::duration<double, std::milli>(t1 - t0).count(),
                               static_cast<double>(positions), static_cast<double>(liquidated)};
  });
  report("risk.mark_update", {{"ms", r[0], 3}, {"positions", r[1], 0}, {"liquidated", r[2], 0}});
}

}  // namespace cx::bench::exchange
