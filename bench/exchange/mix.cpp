// engine.mix: the exchange-core mix (see book/exchange_core_gen.hpp) through the whole exchange:
// accounts, collateral locks, settlement and fees, in memory. Figures: commands per second (one
// timer around the loop) and per-command latency percentiles from a second pass.

#include <algorithm>
#include <chrono>
#include <vector>

#include "engine/exchange.hpp"
#include "exchange/benchmarks.hpp"
#include "exchange/venue.hpp"
#include "harness/process.hpp"
#include "harness/report.hpp"
#include "harness/tsc.hpp"

namespace cx::bench::exchange {

using namespace cx::engine;

void mix() {
  book::ExchangeCoreConfig cfg;
  const book::ExchangeCoreWorkload w = book::generate_exchange_core(cfg);
  const std::vector<Command> setup = venue_setup(cfg.traders);
  std::vector<Command> cmds = as_commands(w);
  for (std::size_t i = 0; i < cmds.size(); ++i) cmds[i].ts = static_cast<Timestamp>(i + 1);
  const std::size_t first_measured = w.fill.size();

  auto run = [&](bool per_command) {
    Exchange x;
    x.reserve(1u << 16, cfg.traders + 1);
    ExEventBuffer out;
    out.reserve(1024);
    for (const Command& c : setup) {
      x.apply(c, out);
      out.clear();
    }
    for (std::size_t i = 0; i < first_measured; ++i) {
      x.apply(cmds[i], out);
      out.clear();
    }
    std::vector<std::uint64_t> ticks;
    if (per_command) ticks.reserve(cmds.size() - first_measured);
    std::size_t rejected = 0, fills = 0;
    TscCalibration cal;
    cal.start();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = first_measured; i < cmds.size(); ++i) {
      const Command& c = cmds[i];  // seq 0: unsequenced, as in memory
      if (per_command) {
        const std::uint64_t a = tsc_now();
        x.apply(c, out);
        ticks.push_back(tsc_now() - a);
      } else {
        x.apply(c, out);
      }
      for (const ExEvent& e : out) {
        rejected += e.type == EventType::Rejected;
        fills += e.type == EventType::Fill;
      }
      out.clear();
    }
    const auto t1 = std::chrono::steady_clock::now();
    cal.stop();
    const double n = static_cast<double>(cmds.size() - first_measured);
    std::vector<double> r{n / std::chrono::duration<double>(t1 - t0).count(),
                          static_cast<double>(rejected) / n, static_cast<double>(fills)};
    if (per_command) {
      std::sort(ticks.begin(), ticks.end());
      auto pct = [&](double p) {
        return static_cast<double>(
                   ticks[static_cast<std::size_t>(p * static_cast<double>(ticks.size() - 1))]) *
               cal.ns_per_tick();
      };
      r.push_back(pct(0.50));
      r.push_back(pct(0.99));
      r.push_back(pct(0.9999));
    }
    return r;
  };
  const std::vector<double> thr = run_isolated([&] { return run(false); });
  const std::vector<double> lat = run_isolated([&] { return run(true); });
  report("engine.mix", {{"ops_per_s", thr[0], 0},
                        {"p50_ns", lat[3]},
                        {"p99_ns", lat[4]},
                        {"p9999_ns", lat[5]},
                        {"reject_frac", thr[1], 4},
                        {"fills", thr[2], 0}});
}

}  // namespace cx::bench::exchange
