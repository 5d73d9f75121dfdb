// bench_api: order placement over keep-alive HTTP against the real server (journal fsync on).
//   BENCH api.orders orders_per_s=... p50_ms=... p99_ms=... connections=... accepted_frac=...
//   BENCH api.orders_batch ... the same with CX_BENCH_BATCH (10) orders per request, through
//   POST /api/orders/batch: what the server does when the per-request cost is shared.
// The server is `cxmpute serve` started on a fresh data directory; the load driver (one poll()
// thread) runs on the same machine. CX_BENCH_SECONDS (default 5) sets the measured window and
// CX_BENCH_CONNECTIONS (default 256) the connections; CX_BENCH_CID=1 gives every order a
// clientOrderId.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/report.hpp"
#include "harness/rng.hpp"
#include "server/load.hpp"
#include "server/server_proc.hpp"

namespace {

using namespace cx::bench::server;

/// CPU seconds the calling thread has used.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

long env_or(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v ? std::atol(v) : fallback;
}

/// `per_request` orders per request: 1 is `api.orders` (POST /api/orders), more is
/// `api.orders_batch` (POST /api/orders/batch with that many orders).
void orders(int per_request) {
  const std::string name = per_request == 1 ? "api.orders" : "api.orders_batch";
  // No oracle here: with a price age limit the perpetual would refuse every order as stale.
  ServerProcess srv(cxmpute_binary(),
                    {"CX_RATE_KEY_BURST=0", "CX_RATE_IP_BURST=0", "CX_ORACLE_MAX_AGE_MS=0",
                     "CX_ADMIN_EMAILS=admin@bench.local"});
  const std::string admin_token = srv.login("admin@bench.local").access;
  const HttpResult m = http(
      srv.port(), "POST", "/api/admin/markets",
      R"({"mode":"PAPER","symbol":"BENCH-PERP","kind":"PERP","underlying":"BENCH","tickSize":"0.01","lotSize":"1","makerFeeBps":0,"takerFeeBps":0})",
      {{"Authorization", "Bearer " + admin_token}});
  if (m.status != 201) {
    std::fprintf(stderr, "# %s: market creation failed: %d %s\n", name.c_str(), m.status,
                 m.body.c_str());
    std::exit(1);
  }
  constexpr int kUsers = 16;
  std::vector<std::string> keys;
  for (int u = 0; u < kUsers; ++u) {
    keys.push_back(srv.login("trader" + std::to_string(u) + "@bench.local").trader_key);
  }
  // Prices for the PERP need a mark; give it one.
  const std::size_t conns = static_cast<std::size_t>(env_or("CX_BENCH_CONNECTIONS", 256));
  const long seconds = env_or("CX_BENCH_SECONDS", 5);
  cx::bench::Rng rng(42);
  // CX_BENCH_CID=1: every order carries a unique clientOrderId, as trading clients' orders do
  // (the server then checks it was not used before).
  const bool with_cid = env_or("CX_BENCH_CID", 0) != 0;
  std::uint64_t next_cid = 0;
  auto order = [&](bool buy) {
    // Prices 0.95..1.05: about half cross and trade.
    const int cents = 95 + static_cast<int>(rng.next() % 11);
    char price[16];
    std::snprintf(price, sizeof price, "%d.%02d", cents / 100, cents % 100);
    std::string o = std::string(R"({"mode":"PAPER","market":"BENCH-PERP","side":")") +
                    (buy ? "BUY" : "SELL") + R"(","type":"LIMIT","price":")" + price +
                    R"(","qty":"1")";
    if (with_cid) o += R"(,"clientOrderId":"b)" + std::to_string(++next_cid) + "\"";
    return o + "}";
  };
  auto make = [&](std::size_t c, std::uint64_t n) {
    // Alternating sides per connection (and within a batch).
    std::string body;
    const char* target = "/api/orders";
    if (per_request == 1) {
      body = order(((c + n) & 1) == 0);
    } else {
      target = "/api/orders/batch";
      body = R"({"mode":"PAPER","orders":[)";
      for (int k = 0; k < per_request; ++k) {
        if (k > 0) body += ',';
        body += order(((c + n + static_cast<std::uint64_t>(k)) & 1) == 0);
      }
      body += "]}";
    }
    return std::string("POST ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trader-Ak: " +
           keys[c % keys.size()] +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n\r\n" + body;
  };
  std::map<std::string, double> cpu_from;
  std::map<std::string, double> cpu_to;
  double driver_from = 0;
  double driver_to = 0;
  LoadResult r = run_load(srv.port(), conns, std::chrono::milliseconds(1000),
                          std::chrono::milliseconds(seconds * 1000), make, [&](bool start) {
                            (start ? cpu_from : cpu_to) = srv.thread_cpu_seconds();
                            // The driver runs this on its own (only) thread.
                            (start ? driver_from : driver_to) = thread_cpu_seconds();
                          });
  if (!r.first_failure.empty()) {
    std::fprintf(stderr, "# %s: first non-2xx response:\n# %.300s\n", name.c_str(),
                 r.first_failure.c_str());
  }
  // Where the time went on the server's side: commands per group commit and the fsync time.
  const std::string metrics = http(srv.port(), "GET", "/metrics").body;
  auto metric = [&](const std::string& metric_name) {
    const auto p = metrics.find("\ncx_" + metric_name + " ");
    return p == std::string::npos ? 0.0 : std::atof(metrics.c_str() + p + metric_name.size() + 5);
  };
  const double batches = metric("engine_batches_total");
  const double fsyncs = metric("journal_fsync_total");
  std::fprintf(stderr,
               "# %s: server: %.0f commands in %.0f group commits (%.1f per commit), "
               "fsync mean %.0f us, max %.0f us\n",
               name.c_str(), metric("engine_commands_total"), batches,
               batches > 0 ? metric("engine_commands_total") / batches : 0.0,
               fsyncs > 0 ? metric("journal_fsync_microseconds_total") / fsyncs : 0.0,
               metric("journal_fsync_microseconds_max"));
  // Server CPU per order in the window, by thread: robust to a busy machine where the rate is not.
  const double placed = static_cast<double>(r.ok) * per_request;  // orders in 2xx answers
  std::string cpu_text;
  double cpu_total = 0;
  for (const auto& [thread, s] : cpu_to) {
    const double us = (s - cpu_from[thread]) * 1e6 / std::max(1.0, placed);
    cpu_total += us;
    if (us >= 0.5) cpu_text += " " + thread + " " + std::to_string(static_cast<int>(us + 0.5));
  }
  std::fprintf(stderr, "# %s: server CPU per order %.1f us:%s; load driver %.1f us\n",
               name.c_str(), cpu_total, cpu_text.c_str(),
               (driver_to - driver_from) * 1e6 / std::max(1.0, placed));
  const double rate = placed / r.seconds;
  const double p50 = quantile(r.latency_us, 0.50) / 1000;
  const double p99 = quantile(r.latency_us, 0.99) / 1000;
  std::fprintf(stderr,
               "# %s: %zu connections, %ld s measured, %llu responses, %llu 2xx, %llu "
               "connection errors; server RSS %.1f MiB\n",
               name.c_str(), conns, seconds, static_cast<unsigned long long>(r.responses),
               static_cast<unsigned long long>(r.ok), static_cast<unsigned long long>(r.errors),
               static_cast<double>(srv.rss_bytes()) / (1 << 20));
  cx::bench::report(
      name,
      {{"orders_per_s", rate, 0},
       {"p50_ms", p50, 3},
       {"p99_ms", p99, 3},
       {"connections", static_cast<double>(conns), 0},
       {"orders_per_request", static_cast<double>(per_request), 0},
       {"accepted_frac",
        r.responses ? static_cast<double>(r.ok) / static_cast<double>(r.responses) : 0, 4}});
  // A run in which (almost) nothing was accepted measured the error path: say so, loudly.
  if (r.ok * 2 < r.responses || r.ok == 0) {
    std::fprintf(stderr, "bench_api: most orders were refused; the figures above are not valid\n");
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view only;
  if (argc == 3 && std::string_view(argv[1]) == "--only") {
    only = argv[2];
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--only api|api.orders|api.orders_batch]\n", argv[0]);
    return 2;
  }
  const bool all = only.empty() || only == "api";
  if (!all && only != "api.orders" && only != "api.orders_batch") {
    std::fprintf(stderr, "bench_api: no benchmark named '%.*s'\n", static_cast<int>(only.size()),
                 only.data());
    return 2;
  }
  try {
    if (all || only == "api.orders") orders(1);
    if (all || only == "api.orders_batch") {
      orders(static_cast<int>(std::clamp(env_or("CX_BENCH_BATCH", 10), 2L, 100L)));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_api: %s\n", e.what());
    return 1;
  }
  return 0;
}
