// engine.snapshot: an exchange holding 1 million open orders and 100,000 accounts. Figures: the
// time to write a snapshot (serialise, write, fsync), to load it back (read, checksum, rebuild),
// and the engine's longest pause while a snapshot is taken in the background (the fork).

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "exchange/benchmarks.hpp"
#include "harness/process.hpp"
#include "harness/report.hpp"
#include "journal/durable_exchange.hpp"
#include "journal/snapshot_file.hpp"

namespace cx::bench::exchange {

using namespace cx::engine;
namespace fs = std::filesystem;

namespace {
constexpr std::uint32_t kTraders = 100'000;
constexpr std::uint32_t kOrdersPerTrader = 10;
}  // namespace

void snapshot() {
  const std::vector<double> r = run_isolated([] {
    const char* base = std::getenv("CX_BENCH_DIR");
    std::string dir = std::string(base ? base : "/var/tmp") + "/cx-snap-XXXXXX";
    if (!::mkdtemp(dir.data())) std::abort();
    journal::DurableOptions opt;
    opt.remove_old_segments = true;
    auto d = journal::DurableExchange::open(dir, opt);
    if (!d) std::abort();
    ExEventBuffer out;
    Timestamp ts = 1;
    auto submit = [&](CommandBody b) {
      if (!(*d)->submit(Command{0, ++ts, std::move(b)}, out)) std::abort();
      out.clear();
    };
    const AssetId bases[] = {kSBTC, kSETH, kSSOL, kSBNB};
    for (AssetId a : bases) {
      MarketSpec s;
      s.symbol = std::string(kAssets[a].symbol) + "/USDC";
      s.base = a;
      submit(CreateMarket{s});
    }
    for (std::uint32_t t = 0; t < kTraders; ++t) {
      submit(RegisterTrader{"trader-" + std::to_string(t)});
      submit(Deposit{Mode::Paper, t, kSBTC, 1'000'000'000'000});
      for (AssetId a : {kSETH, kSSOL, kSBNB}) submit(Deposit{Mode::Paper, t, a, 1'000'000'000'000});
      for (std::uint32_t k = 0; k < kOrdersPerTrader; ++k) {
        NewOrder o;
        o.trader = t;
        o.side = k % 2 ? Side::Buy : Side::Sell;
        // Bids 900.00-999.99, asks 1000.01-1099.99: nothing crosses.
        const Price offset = 1 + static_cast<Price>((t * 7919u + k * 104729u) % 9999u);
        o.price = o.side == Side::Buy ? 100'000 - offset : 100'000 + offset;
        o.qty = 1 + (t + k) % 50;
        submit(PlaceOrder{static_cast<MarketId>(k % 4), o, {}});
      }
      if (t % 1000 == 999 && !(*d)->commit()) std::abort();
    }
    if (!(*d)->commit()) std::abort();

    // The engine's pause: the fork of a background snapshot. Then wait for the child.
    if (!(*d)->snapshot_async()) std::abort();
    const double pause_ms = (*d)->longest_snapshot_pause_us() / 1000.0;
    while ((*d)->poll_snapshot()) std::this_thread::sleep_for(std::chrono::milliseconds(5));

    const auto w0 = std::chrono::steady_clock::now();
    if (!(*d)->snapshot_sync()) std::abort();
    const auto w1 = std::chrono::steady_clock::now();
    const auto l0 = std::chrono::steady_clock::now();
    auto loaded = journal::load_newest_snapshot(fs::path(dir) / "snapshots", ~SeqNo{0});
    const auto l1 = std::chrono::steady_clock::now();
    if (!loaded || !loaded->exchange) std::abort();
    std::size_t orders = 0;
    loaded->exchange->for_each_open_order([&](const Market&, const Order&) { ++orders; });
    std::error_code ec;
    fs::remove_all(dir, ec);
    return std::vector<double>{std::chrono::duration<double>(w1 - w0).count(),
                               std::chrono::duration<double>(l1 - l0).count(), pause_ms,
                               static_cast<double>(orders),
                               static_cast<double>(loaded->exchange->trader_count())};
  });
  report("engine.snapshot", {{"write_s", r[0], 3},
                             {"load_s", r[1], 3},
                             {"pause_ms", r[2], 2},
                             {"orders", r[3], 0},
                             {"accounts", r[4], 0}});
}

}  // namespace cx::bench::exchange
