#pragma once
/// A command stream shaped like exchange-core's published benchmark (its TestOrdersGenerator,
/// written afresh here): one market, about 1,000 resting orders from 1,000 traders on about 750
/// price levels, and the command mix 82% move (amend price), 9% GTC place, 3% IOC place, 6%
/// cancel, with about 6% of commands trading. Borrowed shapes: GTC prices on the passive side of
/// the last trade price within 5% of it, skewed close; IOCs priced at the edge of a +-25% band;
/// sizes 1 + a*b*c (a, b, c in 0..5); a move takes an order 1% of the way to the last trade price
/// (at least one tick). Ours: a share of GTC orders priced at the opposite touch, which with the
/// IOCs gives the 6% trading (exchange-core's rules alone give about 3% here), and a place/cancel
/// split tilted to hold the book near its target size (so the measured split is about 10.5/4.5).
///
/// Like exchange-core, the generator runs every command against a shadow book (here an
/// engine::OrderBook) and reads its events, so moves and cancels always name a live order. The
/// book is deterministic, so replaying `fill` then `commands` on a new book reproduces the same
/// order ids and the same events.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/order_book.hpp"

namespace cx::bench::book {

struct Command {
  enum class Kind : std::uint8_t { Place, Move, Cancel };
  Kind kind = Kind::Place;
  engine::Side side = engine::Side::Buy;               ///< Place
  engine::TimeInForce tif = engine::TimeInForce::GTC;  ///< Place: GTC or IOC
  TraderId trader = 0;
  OrderId id = 0;   ///< Move, Cancel: the target
  Price price = 0;  ///< Place: limit price; Move: the new price
  Qty qty = 0;      ///< Place
};

/// Runs one command on `book`, appending its events to `out`.
inline void apply(engine::OrderBook& book, const Command& c, Timestamp now,
                  engine::EventBuffer& out) {
  switch (c.kind) {
    case Command::Kind::Place: {
      engine::NewOrder o;
      o.trader = c.trader;
      o.side = c.side;
      o.tif = c.tif;
      o.price = c.price;
      o.qty = c.qty;
      book.place(o, now, out);
      break;
    }
    case Command::Kind::Move:
      book.amend(engine::AmendRequest{.trader = c.trader, .order_id = c.id, .price = c.price}, now,
                 out);
      break;
    case Command::Kind::Cancel:
      book.cancel(c.trader, c.id, now, out);
      break;
  }
}

struct ExchangeCoreConfig {
  std::uint64_t seed = 0xEC0DE;
  std::size_t commands = 3'000'000;  ///< measured commands, after the fill
  std::uint32_t target_orders = 1000;
  std::uint32_t traders = 1000;
  Price center = 100'000;        ///< first "last trade price"
  Price deviation = 5000;        ///< widest distance of a new GTC price from the last trade price
  double marketable_gtc = 0.28;  ///< share of GTC places priced at the opposite touch
};

struct ExchangeCoreWorkload {
  std::vector<Command> fill;      ///< GTC orders that build the book to its target size
  std::vector<Command> commands;  ///< the measured mix
  // What the shadow book saw over `commands`:
  std::size_t places_gtc = 0, places_ioc = 0, moves = 0, cancels = 0;
  std::size_t trading = 0;   ///< commands that gave at least one Fill
  std::size_t rejected = 0;  ///< commands that gave Rejected
  double mean_orders = 0;    ///< resting orders, sampled every 256 commands
  double mean_levels = 0;    ///< price levels (both sides), sampled likewise
};

ExchangeCoreWorkload generate_exchange_core(const ExchangeCoreConfig& config);

}  // namespace cx::bench::book
