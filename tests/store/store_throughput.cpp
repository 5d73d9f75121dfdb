// Projection throughput:
//   store_throughput [commands=200000] [batch=1000] [dir=/tmp] [cache_kib] [wal_autocheckpoint]
// Runs a trading mix through the exchange, capturing each command's record (engine-thread
// cost, timed apart), then projects the records into a fresh SQLite store in transactions of
// `batch` commands and prints events/s, commands/s and fills/s.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/exchange.hpp"
#include "store/capture.hpp"
#include "store/projector.hpp"
#include "store/sqlite_read_store.hpp"

using namespace cx;
using namespace cx::engine;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "store_throughput: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200'000;
  const std::size_t batch = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1'000;
  const std::filesystem::path base = argc > 3 ? argv[3] : "/tmp";
  std::string tmpl = (base / "cx_store_bench.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) die("mkdtemp failed in " + base.string());
  const std::filesystem::path dir = tmpl;

  // ---- the engine side: apply and capture
  Exchange x;
  ExEventBuffer ev;
  std::vector<store::CommandRecord> records;
  records.reserve(n);
  SeqNo seq = 0;
  Timestamp ts = 1'711'929'600'000;  // 2024-04-01
  double capture_s = 0;
  auto run = [&](CommandBody body) {
    Command c{++seq, ts, std::move(body)};
    ev.clear();
    x.apply(c, ev);
    const auto t0 = Clock::now();
    store::capture(c.seq, c.ts, ev, x, &c, records.emplace_back());
    capture_s += seconds_since(t0);
  };
  constexpr TraderId kTraders = 20;
  for (TraderId t = 0; t < kTraders; ++t) run(RegisterTrader{"t" + std::to_string(t)});
  MarketSpec s;
  s.symbol = "sBTC/USDC";
  s.base = kSBTC;
  s.underlying = "BTC";
  s.maker_fee_bps = 2;
  s.taker_fee_bps = 5;
  run(CreateMarket{s});
  for (TraderId t = 0; t < kTraders; ++t)
    run(Deposit{Mode::Paper, t, kSBTC, 1'000'000 * 100'000'000LL});
  std::mt19937_64 rng(42);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  std::vector<std::pair<OrderId, TraderId>> live;
  while (records.size() < n) {
    ts += pick(0, 20);
    const auto r = pick(0, 99);
    if (r < 30 && !live.empty()) {
      const auto i = static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(live.size()) - 1));
      run(CancelOrder{Mode::Paper, live[i].second, live[i].first, {}});
      live[i] = live.back();
      live.pop_back();
      continue;
    }
    NewOrder o;
    o.trader = static_cast<TraderId>(pick(0, kTraders - 1));
    o.side = pick(0, 1) ? Side::Buy : Side::Sell;
    o.qty = pick(1, 10) * 100;
    if (r < 80) {  // maker: rests near the middle
      o.price = o.side == Side::Buy ? 100'00 - pick(0, 20) : 100'01 + pick(0, 20);
    } else {  // taker: crosses a few levels
      o.price = o.side == Side::Buy ? 100'10 : 99'90;
      o.tif = TimeInForce::IOC;
    }
    run(PlaceOrder{0, o, pick(0, 3) == 0 ? "c" + std::to_string(seq) : std::string{}});
    for (const ExEvent& e : ev)
      if (e.type == EventType::Accepted && o.tif == TimeInForce::GTC)
        live.emplace_back(e.order_id, o.trader);
    if (live.size() > 5'000) live.erase(live.begin(), live.begin() + 1'000);
  }
  std::size_t events = 0, fills = 0;
  for (const auto& rec : records) {
    events += rec.events.size();
    for (const ExEvent& e : rec.events) fills += e.type == EventType::Fill;
  }

  // ---- the store side: project in transactions of `batch` commands
  store::DbOptions db_options;
  if (argc > 4) db_options.cache_kib = std::atoi(argv[4]);
  if (argc > 5) db_options.wal_autocheckpoint_pages = std::atoi(argv[5]);
  auto st = store::SqliteReadStore::open(dir / "read.db", db_options);
  if (!st) die(st.error().message);
  auto proj = store::Projector::open(**st);
  if (!proj) die(proj.error().message);
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (auto r = (*proj)->apply(records[i]); !r) die(r.error().message);
    if ((i + 1) % batch == 0)
      if (auto r = (*proj)->commit(); !r) die(r.error().message);
  }
  if (auto r = (*proj)->commit(); !r) die(r.error().message);
  const double secs = seconds_since(t0);
  const auto& stats = (*proj)->stats();
  std::printf(
      "store_throughput: %zu commands, %zu events (%zu fills, %llu order rows), batch %zu, "
      "%s\n",
      records.size(), events, fills, static_cast<unsigned long long>(stats.orders), batch,
      dir.c_str());
  std::printf(
      "BENCH store.projector events_per_s=%.0f commands_per_s=%.0f fills_per_s=%.0f "
      "seconds=%.2f\n",
      static_cast<double>(events) / secs, static_cast<double>(records.size()) / secs,
      static_cast<double>(fills) / secs, secs);
  std::printf("BENCH store.capture ns_per_command=%.0f\n",
              capture_s * 1e9 / static_cast<double>(records.size()));
  std::error_code ec;
  const auto bytes = std::filesystem::file_size(dir / "read.db", ec);
  std::printf("store_throughput: database %.1f MiB (before WAL checkpoint)\n",
              static_cast<double>(ec ? 0 : bytes) / (1024.0 * 1024.0));
  st->reset();
  std::filesystem::remove_all(dir, ec);
  return 0;
}
