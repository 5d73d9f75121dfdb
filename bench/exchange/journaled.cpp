// engine.journaled and engine.replay: the exchange-core mix through DurableExchange, with every
// command journaled and each batch made durable by one fdatasync before it is acknowledged
// (group commit), on this machine's disk; then recovery of the same directory.
// Figures: sustained commands per second, and the time from submit to durable acknowledgement
// per command (p50, p99); recovery commands per second.

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "exchange/benchmarks.hpp"
#include "exchange/venue.hpp"
#include "harness/process.hpp"
#include "harness/report.hpp"
#include "harness/tsc.hpp"
#include "journal/durable_exchange.hpp"

namespace cx::bench::exchange {

using namespace cx::engine;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kBatch = 4096;  // commands per group commit when the queue is full

std::string fresh_dir() {
  const char* base = std::getenv("CX_BENCH_DIR");
  std::string tmpl = std::string(base ? base : "/var/tmp") + "/cx-bench-XXXXXX";
  if (!::mkdtemp(tmpl.data())) std::abort();
  return tmpl;
}

std::string g_dir;  // the journal written by journaled(), replayed by replay()
std::size_t g_commands = 0;

}  // namespace

void journaled() {
  book::ExchangeCoreConfig cfg;
  const book::ExchangeCoreWorkload w = book::generate_exchange_core(cfg);
  std::vector<Command> cmds = venue_setup(cfg.traders);
  for (Command& c : as_commands(w)) cmds.push_back(std::move(c));
  g_dir = fresh_dir();
  g_commands = cmds.size();
  const std::vector<double> r = run_isolated([&] {
    auto d = journal::DurableExchange::open(g_dir, journal::DurableOptions{});
    if (!d) std::abort();
    ExEventBuffer out;
    std::vector<std::uint64_t> submitted(kBatch);
    std::vector<std::uint64_t> lat;
    lat.reserve(cmds.size());
    TscCalibration cal;
    cal.start();
    const auto t0 = std::chrono::steady_clock::now();
    Timestamp ts = 1;
    for (std::size_t i = 0; i < cmds.size();) {
      const std::size_t n = std::min(kBatch, cmds.size() - i);
      for (std::size_t k = 0; k < n; ++k, ++i) {
        submitted[k] = tsc_now();
        if (!(*d)->submit(Command{0, ++ts, cmds[i].body}, out)) std::abort();
        out.clear();
      }
      if (!(*d)->commit()) std::abort();
      const std::uint64_t done = tsc_now();
      for (std::size_t k = 0; k < n; ++k) lat.push_back(done - submitted[k]);
    }
    const auto t1 = std::chrono::steady_clock::now();
    cal.stop();
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) {
      return static_cast<double>(
                 lat[static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1))]) *
             cal.ns_per_tick() / 1000.0;
    };
    return std::vector<double>{
        static_cast<double>(cmds.size()) / std::chrono::duration<double>(t1 - t0).count(), pct(0.5),
        pct(0.99)};
  });
  report("engine.journaled", {{"commands_per_s", r[0], 0},
                              {"p50_ack_us", r[1]},
                              {"p99_ack_us", r[2]},
                              {"batch", static_cast<double>(kBatch), 0}});
}

void replay() {
  if (g_dir.empty()) journaled();
  const std::vector<double> r = run_isolated([&] {
    const auto t0 = std::chrono::steady_clock::now();
    auto d = journal::DurableExchange::open(g_dir, journal::DurableOptions{});
    const auto t1 = std::chrono::steady_clock::now();
    if (!d) std::abort();
    return std::vector<double>{static_cast<double>((*d)->recovery().replayed) /
                                   std::chrono::duration<double>(t1 - t0).count(),
                               static_cast<double>((*d)->recovery().replayed)};
  });
  report("engine.replay", {{"commands_per_s", r[0], 0}, {"commands", r[1], 0}});
  std::error_code ec;
  fs::remove_all(g_dir, ec);
  g_dir.clear();
}

}  // namespace cx::bench::exchange
