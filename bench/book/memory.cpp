// book.memory: resident memory per resting order. One book gets 1 million non-crossing GTC orders
// (bids 1..2000 ticks below 100000, asks 1..2000 above: 4000 levels of about 250 orders), and the
// figure is the growth of RSS across constructing the book and placing them, divided by the
// count. Each variant runs in a fresh process so no memory freed earlier is reused.
// Figures: bytes_per_order (pools grow on demand), with reserve(orders, levels) first, and with
// every order carrying a client order id (which adds the book's (trader, client id) index).

#include <cstdint>
#include <vector>

#include "book/benchmarks.hpp"
#include "engine/order_book.hpp"
#include "harness/process.hpp"
#include "harness/report.hpp"
#include "harness/rng.hpp"

namespace cx::bench::book {

namespace {

using engine::EventBuffer;
using engine::NewOrder;
using engine::OrderBook;
using engine::Side;

constexpr std::uint64_t kSeed = 0x3E3027;
constexpr std::size_t kOrders = 1'000'000;
constexpr std::uint32_t kTraders = 1000;
constexpr Price kMid = 100'000;
constexpr Price kHalfSpread = 2000;  // levels per side

std::vector<NewOrder> make_orders(bool client_ids) {
  Rng rng(kSeed);
  std::vector<NewOrder> v(kOrders);
  for (std::size_t i = 0; i < kOrders; ++i) {
    NewOrder& o = v[i];
    o.trader = static_cast<TraderId>(1 + i % kTraders);
    o.client_id = client_ids ? 1 + i / kTraders : 0;  // unique per trader
    o.side = i % 2 == 0 ? Side::Buy : Side::Sell;
    const Price off = rng.between(1, kHalfSpread);
    o.price = o.side == Side::Buy ? kMid - off : kMid + off;
    o.qty = rng.between(1, 100);
  }
  return v;
}

/// {bytes per order}
std::vector<double> measure(const std::vector<NewOrder>& orders, bool reserve) {
  EventBuffer out;
  out.reserve(64);
  const std::size_t before = rss_bytes();
  {
    OrderBook book(engine::BookSpec{});
    if (reserve) book.reserve(static_cast<std::uint32_t>(orders.size()), 2 * kHalfSpread);
    for (std::size_t i = 0; i < orders.size(); ++i) {
      book.place(orders[i], static_cast<Timestamp>(i), out);
      out.clear();
    }
    if (book.live_orders() != orders.size()) return {-1.0};  // something crossed or was rejected
    const std::size_t after = rss_bytes();
    return {static_cast<double>(after - before) / static_cast<double>(orders.size())};
  }
}

}  // namespace

void memory() {
  const std::vector<NewOrder> plain = make_orders(false);
  const std::vector<NewOrder> with_cid = make_orders(true);
  const double grown = run_isolated([&] { return measure(plain, false); })[0];
  const double reserved = run_isolated([&] { return measure(plain, true); })[0];
  const double cid = run_isolated([&] { return measure(with_cid, false); })[0];
  report("book.memory", {{"bytes_per_order", grown},
                         {"bytes_per_order_reserved", reserved},
                         {"bytes_per_order_client_ids", cid}});
}

}  // namespace cx::bench::book
