#include "exchange/venue.hpp"

#include <string>

namespace cx::bench::exchange {

using namespace cx::engine;

std::vector<Command> venue_setup(std::uint32_t traders) {
  std::vector<Command> v;
  for (std::uint32_t t = 0; t <= traders; ++t) {
    std::string name = "t";
    name += std::to_string(t);  // (operator+ here trips a g++ 12 -Wrestrict false positive)
    v.push_back(Command{0, 0, RegisterTrader{name}});
  }
  MarketSpec s;
  s.symbol = "sBTC/USDC";
  s.mode = Mode::Paper;
  s.kind = MarketKind::Spot;
  s.base = kSBTC;
  s.price_scale = 2;
  s.qty_scale = 4;
  s.maker_fee_bps = 2;
  s.taker_fee_bps = 5;
  v.push_back(Command{0, 0, CreateMarket{s}});
  for (std::uint32_t t = 0; t <= traders; ++t) {
    v.push_back(Command{0, 0, Deposit{Mode::Paper, t, kUSDC, 1'000'000'000'000'000}});
    v.push_back(Command{0, 0, Deposit{Mode::Paper, t, kSBTC, 1'000'000'000'000'000}});
  }
  return v;
}

std::vector<Command> as_commands(const book::ExchangeCoreWorkload& w) {
  std::vector<Command> out;
  out.reserve(w.fill.size() + w.commands.size());
  auto convert = [&](const book::Command& c) {
    switch (c.kind) {
      case book::Command::Kind::Place: {
        NewOrder o;
        o.trader = c.trader;
        o.side = c.side;
        o.tif = c.tif;
        o.price = c.price;
        o.qty = c.qty;
        out.push_back(Command{0, 0, PlaceOrder{0, o, {}}});
        break;
      }
      case book::Command::Kind::Move:
        out.push_back(Command{
            0, 0, AmendOrder{Mode::Paper, 0, AmendRequest{c.trader, c.id, 0, c.price, 0}, {}}});
        break;
      case book::Command::Kind::Cancel:
        out.push_back(Command{0, 0, CancelOrder{Mode::Paper, c.trader, c.id, {}}});
        break;
    }
  };
  for (const auto& c : w.fill) convert(c);
  for (const auto& c : w.commands) convert(c);
  return out;
}

}  // namespace cx::bench::exchange
