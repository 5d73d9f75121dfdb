// book.exchange_core_mix: exchange-core's published order book benchmark workload (see
// exchange_core_gen.hpp). Two passes over the same pre-generated commands, each on a new book
// in a fresh process after the same untimed fill:
//   1. throughput: one timer around the whole loop -> ops_per_s;
//   2. latency: each command timed alone with the TSC -> p50_ns, p99_ns, p9999_ns. The figures
//      include the two fenced TSC reads (about 20 ns here, printed on stderr).
// Also printed: the fraction of commands that traded and that were rejected (the shadow book
// guarantees moves and cancels name live orders, so this should be 0), and the book's mean
// size in orders and price levels.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "book/benchmarks.hpp"
#include "book/exchange_core_gen.hpp"
#include "harness/process.hpp"
#include "harness/report.hpp"
#include "harness/tsc.hpp"

namespace cx::bench::book {

namespace {

using engine::EventBuffer;
using engine::EventType;
using engine::OrderBook;

// Pools sized at start, as an exchange would (the book holds about 1,000 orders).
constexpr std::uint32_t kReserveOrders = 1u << 16;
constexpr std::uint32_t kReserveLevels = 4096;

/// A book that has run the fill commands; `now` continues from them.
struct Setup {
  OrderBook book{engine::BookSpec{}};
  EventBuffer out;
  Timestamp now = 0;

  explicit Setup(const ExchangeCoreWorkload& w) {
    book.reserve(kReserveOrders, kReserveLevels);
    out.reserve(1024);
    for (const Command& c : w.fill) {
      apply(book, c, now++, out);
      out.clear();
    }
  }
};

/// {ns for the whole loop, events}
std::vector<double> throughput(const ExchangeCoreWorkload& w) {
  Setup s(w);
  std::uint64_t events = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (const Command& c : w.commands) {
    apply(s.book, c, s.now++, s.out);
    events += s.out.size();
    s.out.clear();
  }
  const auto t1 = std::chrono::steady_clock::now();
  return {std::chrono::duration<double, std::nano>(t1 - t0).count(), static_cast<double>(events)};
}

/// {p50, p99, p99.99 in ns, trading fraction, rejected fraction, events, timer overhead ns}
std::vector<double> latency(const ExchangeCoreWorkload& w) {
  Setup s(w);
  const std::size_t n = w.commands.size();
  std::vector<std::uint32_t> ticks(n);
  std::size_t trading = 0, rejected = 0;
  std::uint64_t events = 0;
  TscCalibration cal;
  cal.start();
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t t0 = tsc_now();
    apply(s.book, w.commands[i], s.now++, s.out);
    const std::uint64_t t1 = tsc_now();
    ticks[i] = static_cast<std::uint32_t>(std::min<std::uint64_t>(t1 - t0, UINT32_MAX));
    bool fill = false, reject = false;
    for (const engine::Event& e : s.out) {
      fill |= e.type == EventType::Fill;
      reject |= e.type == EventType::Rejected;
    }
    trading += fill;
    rejected += reject;
    events += s.out.size();
    s.out.clear();
  }
  cal.stop();
  // The cost of the timer itself: the median of empty intervals.
  std::vector<std::uint32_t> empty(100'000);
  for (auto& e : empty) {
    const std::uint64_t t0 = tsc_now();
    const std::uint64_t t1 = tsc_now();
    e = static_cast<std::uint32_t>(t1 - t0);
  }
  std::nth_element(empty.begin(), empty.begin() + 50'000, empty.end());

  const double ns = cal.ns_per_tick();
  auto pct = [&](double q) {
    const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n))) - 1;
    std::nth_element(ticks.begin(), ticks.begin() + static_cast<std::ptrdiff_t>(k), ticks.end());
    return ns * ticks[k];
  };
  const double dn = static_cast<double>(n);
  return {pct(0.50),
          pct(0.99),
          pct(0.9999),
          static_cast<double>(trading) / dn,
          static_cast<double>(rejected) / dn,
          static_cast<double>(events),
          ns * empty[50'000]};
}

}  // namespace

void exchange_core_mix() {
  const ExchangeCoreWorkload w = generate_exchange_core(ExchangeCoreConfig{});
  const double n = static_cast<double>(w.commands.size());
  std::fprintf(stderr,
               "# book.exchange_core_mix: %zu commands after %zu fill orders: move %.1f%% gtc "
               "%.1f%% ioc %.1f%% cancel %.1f%%; book %.0f orders on %.0f levels\n",
               w.commands.size(), w.fill.size(), 100.0 * static_cast<double>(w.moves) / n,
               100.0 * static_cast<double>(w.places_gtc) / n,
               100.0 * static_cast<double>(w.places_ioc) / n,
               100.0 * static_cast<double>(w.cancels) / n, w.mean_orders, w.mean_levels);
  const std::vector<double> t = run_isolated([&] { return throughput(w); });
  const std::vector<double> l = run_isolated([&] { return latency(w); });
  std::fprintf(stderr, "# book.exchange_core_mix: timer overhead %.1f ns per command%s\n", l[6],
               t[1] == l[5] ? "" : "; WARNING: the passes disagree on the event count");
  report("book.exchange_core_mix", {{"ops_per_s", n / t[0] * 1e9, 0},
                                    {"p50_ns", l[0]},
                                    {"p99_ns", l[1]},
                                    {"p9999_ns", l[2]},
                                    {"trade_frac", l[3], 4},
                                    {"reject_frac", l[4], 4},
                                    {"orders", w.mean_orders, 0},
                                    {"levels", w.mean_levels, 0}});
}

}  // namespace cx::bench::book
