// book.liquibook_stream: liquibook's published throughput workload. 3.5 million GTC limit orders,
// alternating buy and sell; buys uniform over 1880..1889, sells over 1884..1893, sizes 100..1000
// in steps of 100. About half of them trade; the rest pile up (1.7 million rest at the end).
// Figures: mean ns per place() with the book's pools reserved up front, the same without the
// reserve, the same with the input prefetched, and the number of events the stream produced.
//
// The input is a 196 MB array, so part of ns_per_op is the memory stall of reading the next
// order (perf annotate puts about a fifth of place()'s samples on its first loads of the order).
// An engine reads its commands from a ring buffer the producer has just written, which is in
// cache. ns_per_op_hot_input prefetches the input kAhead orders ahead to model that, and shows
// the book's own cost; ns_per_op is the figure the issue names and keeps the plain loop.

#include <algorithm>
#include <chrono>
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

constexpr std::uint64_t kSeed = 0x11B00C;
constexpr std::size_t kOrders = 3'500'000;
constexpr std::uint32_t kTraders = 1000;
constexpr std::uint32_t kLevels = 64;  // the stream uses 14 prices
constexpr std::size_t kAhead = 16;      // orders prefetched ahead in the hot-input run

std::vector<NewOrder> make_stream() {
  Rng rng(kSeed);
  std::vector<NewOrder> v(kOrders);
  for (std::size_t i = 0; i < kOrders; ++i) {
    NewOrder& o = v[i];
    o.trader = static_cast<TraderId>(1 + i % kTraders);
    o.side = i % 2 == 0 ? Side::Buy : Side::Sell;
    o.price = o.side == Side::Buy ? rng.between(1880, 1889) : rng.between(1884, 1893);
    o.qty = 100 * rng.between(1, 10);
    o.stp = engine::SelfTradePrevention::None;  // liquibook has no self-trade prevention
  }
  return v;
}

/// {ns per order, events}
std::vector<double> run(const std::vector<NewOrder>& orders, bool reserve, bool hot_input) {
  OrderBook book(engine::BookSpec{});
  // A real exchange sizes its pools when it starts, for the most orders a book may hold; here
  // that is the whole stream (1.7 million of the 3.5 million end up resting).
  if (reserve) book.reserve(static_cast<std::uint32_t>(orders.size()), kLevels);
  EventBuffer out;
  out.reserve(1024);
  std::uint64_t events = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t last = orders.size() - 1;
  for (std::size_t i = 0; i < orders.size(); ++i) {
    if (hot_input) __builtin_prefetch(&orders[std::min(i + kAhead, last)]);
    book.place(orders[i], static_cast<Timestamp>(i), out);
    events += out.size();
    out.clear();  // as the engine thread does once it has published them
  }
  const auto t1 = std::chrono::steady_clock::now();
  const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
  return {ns / static_cast<double>(orders.size()), static_cast<double>(events)};
}

}  // namespace

void liquibook_stream() {
  const std::vector<NewOrder> orders = make_stream();
  const std::vector<double> reserved = run_isolated([&] { return run(orders, true, false); });
  const std::vector<double> unreserved = run_isolated([&] { return run(orders, false, false); });
  const std::vector<double> hot = run_isolated([&] { return run(orders, true, true); });
  report("book.liquibook_stream", {{"ns_per_op", reserved[0]},
                                   {"events", reserved[1], 0},
                                   {"ns_per_op_no_reserve", unreserved[0]},
                                   {"ns_per_op_hot_input", hot[0]}});
}

}  // namespace cx::bench::book
