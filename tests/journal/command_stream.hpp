#pragma once
// A command stream that is a pure function of (seed, seq): a crashed writer and the checker
// that verifies it agree on what command seq N was, with no state shared between them.

#include <cstdint>
#include <string>

#include "core/flat_hash_map.hpp"
#include "engine/command.hpp"

namespace cx::journal::testing {

inline engine::Command stream_command(std::uint64_t seed, SeqNo seq) {
  using namespace cx::engine;
  std::uint64_t h = mix64(seed * 0x9E3779B97F4A7C15ULL + seq);
  auto take = [&](std::uint64_t n) {
    h = mix64(h + 0x632BE59BD9B4E019ULL);
    return static_cast<std::int64_t>(h % n);
  };
  Command c;
  c.ts = static_cast<Timestamp>(1'000 + seq * 3);
  if (seq <= 5) {
    c.body = RegisterTrader{"t" + std::to_string(seq - 1)};
  } else if (seq <= 7) {
    MarketSpec s;
    s.symbol = seq == 6 ? "sBTC/USDC" : "BTC-PERP";
    s.kind = seq == 6 ? MarketKind::Spot : MarketKind::Perp;
    s.maker_fee_bps = 2;
    s.taker_fee_bps = 5;
    c.body = CreateMarket{s};
  } else if (seq <= 12) {
    c.body = Deposit{Mode::Paper, static_cast<TraderId>(seq - 8), kSBTC, 100 * 100'000'000LL};
  } else {
    const auto trader = static_cast<TraderId>(take(5));
    const auto market = static_cast<MarketId>(take(2));
    const std::int64_t r = take(100);
    if (r < 70) {
      NewOrder o;
      o.trader = trader;
      o.side = take(2) ? Side::Buy : Side::Sell;
      o.price = (95 + take(11)) * 100;
      o.qty = (1 + take(20)) * 1'000;
      if (take(5) == 0) o.tif = TimeInForce::IOC;
      c.body = PlaceOrder{market, o, take(2) ? "c" + std::to_string(seq) : std::string{}};
    } else if (r < 90) {
      const SeqNo back = 1 + static_cast<SeqNo>(take(200));
      c.body =
          CancelOrder{Mode::Paper, trader, 0, "c" + std::to_string(seq > back ? seq - back : 1)};
    } else if (r < 95) {
      c.body = CancelAll{Mode::Paper, trader, std::nullopt};
    } else {
      c.body = PriceUpdate{market, (95 + take(11)) * 100, (95 + take(11)) * 100};
    }
  }
  return c;
}

}  // namespace cx::journal::testing
