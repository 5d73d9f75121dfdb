// bench_gateway: the AI gateway's overhead against a fast stub node on loopback (issue 6, Proof).
//   BENCH gateway.overhead added_p50_ms=... added_p99_ms=... nginx_added_p50_ms=... ...
//   BENCH gateway.streams streams=... added_ttfb_p99_ms=... kib_per_stream=... ...
// docs/bench-gateway.md describes the set-up and the figures. Environment: CX_BENCH_RATE
// (default 5000), CX_BENCH_SECONDS (default 10), CX_BENCH_STREAMS (default 10000, capped by the
// descriptor limit), CX_BENCH_RAMP (new streams per ms, default 1), CX_BENCH_NGINX=0 (skip the
// nginx yardstick). `bench_gateway --stub <port> <secret> <chunk_ms>` is the stub node (started by
// the benchmarks).

#include <sys/resource.h>
#include <unistd.h>

#include <dirent.h>
#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "gateway/child.hpp"
#include "gateway/nginx.hpp"
#include "gateway/open_loop.hpp"
#include "gateway/setup.hpp"
#include "gateway/stream_load.hpp"
#include "gateway/stub.hpp"
#include "harness/report.hpp"
#include "server/server_proc.hpp"

namespace {

using namespace cx::bench::gateway;
namespace srv = cx::bench::server;
using std::chrono::milliseconds;

long env_or(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v ? std::atol(v) : fallback;
}

/// Raises this process's descriptor limit to its hard limit (children inherit it); returns it.
rlim_t raise_nofile() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

std::string self_exe() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("readlink /proc/self/exe");
  return std::string(buf, static_cast<std::size_t>(n));
}

constexpr const char* kSecret = "bench-stub-secret-0123456789abcdef";

/// The stub node in a child process, ready when this returns.
std::unique_ptr<Child> start_stub(std::uint16_t port, long chunk_ms) {
  auto c = std::make_unique<Child>(std::vector<std::string>{
      self_exe(), "--stub", std::to_string(port), kSecret, std::to_string(chunk_ms)});
  for (int i = 0; i < 200; ++i) {
    if (srv::http(port, "GET", "/health", {}, {{"Authorization", std::string("Bearer ") + kSecret}})
            .status == 200) {
      return c;
    }
    if (!c->running()) break;
    std::this_thread::sleep_for(milliseconds(25));
  }
  throw std::runtime_error("the stub did not start");
}

/// CPU seconds of each thread of process `pid` ("name/tid=seconds", busiest first), for the log.
std::string thread_cpu(pid_t pid) {
  std::vector<std::pair<double, std::string>> rows;
  const std::string base = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = ::opendir(base.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;
      std::ifstream f(base + "/" + e->d_name + "/stat");
      std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      const auto open = text.find('(');
      const auto close = text.rfind(')');
      if (open == std::string::npos || close == std::string::npos) continue;
      std::istringstream rest(text.substr(close + 2));
      std::string field;
      double ticks = 0;
      for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14 || i == 15) ticks += std::atof(field.c_str());
      }
      rows.emplace_back(ticks / static_cast<double>(::sysconf(_SC_CLK_TCK)),
                        text.substr(open + 1, close - open - 1) + "/" + e->d_name);
    }
    ::closedir(d);
  }
  std::sort(rows.rbegin(), rows.rend());
  std::string out;
  for (std::size_t i = 0; i < rows.size() && i < 8; ++i) {
    char b[96];
    std::snprintf(b, sizeof b, " %s=%.2fs", rows[i].second.c_str(), rows[i].first);
    out += b;
  }
  return out;
}

/// report() for a list built at run time, with `extra` (" key=word" tokens) appended.
void report_line(std::string_view bench, const std::vector<cx::bench::Figure>& figures,
                 std::string_view extra) {
  std::printf("BENCH %.*s", static_cast<int>(bench.size()), bench.data());
  for (const auto& f : figures) {
    std::printf(" %.*s=%.*f", static_cast<int>(f.name.size()), f.name.data(), f.decimals, f.value);
  }
  std::printf("%.*s\n", static_cast<int>(extra.size()), extra.data());
  std::fflush(stdout);
}

struct Phase {
  OpenLoopResult r;
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
};

Phase run_phase(const char* name, std::uint16_t port, const std::string& request, double rate,
                long seconds, pid_t watch) {
  OpenLoopOptions o;
  o.port = port;
  o.connections = 64;
  o.rate = rate;
  o.warmup = milliseconds(2000);
  o.measure = milliseconds(seconds * 1000);
  o.request = request;
  const double cpu0 = watch > 0 ? cpu_seconds_of(watch) : 0;
  const double self0 = cpu_seconds_of(::getpid());
  Phase p;
  p.r = run_open_loop(o);
  const double cpu = watch > 0 ? cpu_seconds_of(watch) - cpu0 : 0;
  const double self = cpu_seconds_of(::getpid()) - self0;
  p.p50_us = quantile(p.r.latency_us, 0.50);
  p.p99_us = quantile(p.r.latency_us, 0.99);
  p.p999_us = quantile(p.r.latency_us, 0.999);
  const double wall = static_cast<double>(seconds) + 2;
  std::fprintf(
      stderr,
      "# gateway.overhead %-7s p50 %.1f us  p99 %.1f us  p99.9 %.1f us  completed %llu of "
      "%llu due, errors %llu, most waiting %llu; CPU: proxy %.0f%%, load generator "
      "%.0f%% of one core\n",
      name, p.p50_us, p.p99_us, p.p999_us, static_cast<unsigned long long>(p.r.completed),
      static_cast<unsigned long long>(p.r.due), static_cast<unsigned long long>(p.r.errors),
      static_cast<unsigned long long>(p.r.max_waiting), 100 * cpu / wall, 100 * self / wall);
  if (!p.r.first_failure.empty()) {
    std::fprintf(stderr, "# gateway.overhead %s: first failure: %.300s\n", name,
                 p.r.first_failure.c_str());
  }
  return p;
}

const std::string kChatBody =
    R"({"model":"bench","messages":[{"role":"user","content":"Say ok."}],"max_tokens":16})";

void overhead() {
  const double rate = static_cast<double>(env_or("CX_BENCH_RATE", 5000));
  const long seconds = env_or("CX_BENCH_SECONDS", 10);
  const std::uint16_t stub_port = srv::free_port();
  auto stub = start_stub(stub_port, 500);
  GatewayUnderTest gw(stub_port, kSecret);

  std::string nginx_why;
  std::string nginx_bin;
  if (env_or("CX_BENCH_NGINX", 1) != 0) {
    nginx_bin = find_or_install_nginx(nginx_why);
  } else {
    nginx_why = "skipped (CX_BENCH_NGINX=0)";
  }
  std::unique_ptr<NginxProxy> nginx;
  if (!nginx_bin.empty()) {
    try {
      nginx = std::make_unique<NginxProxy>(nginx_bin, stub_port);
    } catch (const std::exception& e) {
      nginx_why = e.what();
    }
  }
  if (!nginx)
    std::fprintf(stderr, "# gateway.overhead: nginx unavailable: %s\n", nginx_why.c_str());

  const std::string direct_req = post_request("/v1/chat/completions", kSecret, kChatBody);
  const std::string gw_req = post_request("/api/v1/chat/completions", gw.user_key(), kChatBody);
  // A check that the gateway answers before loading it.
  const auto probe = srv::http(gw.port(), "POST", "/api/v1/chat/completions", kChatBody,
                               {{"Authorization", "Bearer " + gw.user_key()}});
  if (probe.status != 200) {
    throw std::runtime_error("the gateway did not answer a chat request: " +
                             std::to_string(probe.status) + " " + probe.body);
  }

  Phase direct = run_phase("direct", stub_port, direct_req, rate, seconds, stub->pid());
  const double gw_cpu0 = cpu_seconds_of(gw.pid());
  Phase via = run_phase("gateway", gw.port(), gw_req, rate, seconds, gw.pid());
  std::fprintf(stderr, "# gateway.overhead: gateway CPU %.2f s in its phase; threads:%s\n",
               cpu_seconds_of(gw.pid()) - gw_cpu0, thread_cpu(gw.pid()).c_str());
  std::optional<Phase> ng;
  if (nginx) ng = run_phase("nginx", nginx->port(), direct_req, rate, seconds, 0);

  const double achieved = static_cast<double>(via.r.completed) / via.r.seconds;
  std::vector<cx::bench::Figure> figs{
      {"added_p50_ms", (via.p50_us - direct.p50_us) / 1000, 3},
      {"added_p99_ms", (via.p99_us - direct.p99_us) / 1000, 3},
  };
  if (ng) {
    figs.push_back({"nginx_added_p50_ms", (ng->p50_us - direct.p50_us) / 1000, 3});
    figs.push_back({"nginx_added_p99_ms", (ng->p99_us - direct.p99_us) / 1000, 3});
  }
  figs.insert(figs.end(), {{"direct_p50_ms", direct.p50_us / 1000, 3},
                           {"direct_p99_ms", direct.p99_us / 1000, 3},
                           {"gateway_p50_ms", via.p50_us / 1000, 3},
                           {"gateway_p99_ms", via.p99_us / 1000, 3},
                           {"rate", achieved, 0},
                           {"errors", static_cast<double>(via.r.errors), 0}});
  if (ng) figs.push_back({"nginx_errors", static_cast<double>(ng->r.errors), 0});
  report_line("gateway.overhead", figs, ng ? "" : " nginx=unavailable");
}

void streams() {
  const rlim_t nofile = raise_nofile();
  // The gateway holds two descriptors per stream (the user's and the node's) plus its own.
  const auto cap = static_cast<long>((nofile > 600 ? nofile - 600 : 0) / 2);
  const long wanted = env_or("CX_BENCH_STREAMS", 10000);
  const auto n = static_cast<std::size_t>(std::min(wanted, cap));
  if (n < static_cast<std::size_t>(wanted)) {
    std::fprintf(stderr,
                 "# gateway.streams: the descriptor limit (RLIMIT_NOFILE %llu, hard) allows %zu "
                 "streams, not %ld\n",
                 static_cast<unsigned long long>(nofile), n, wanted);
  }
  const long chunk_ms = 500;
  const std::uint16_t stub_port = srv::free_port();
  auto stub = start_stub(stub_port, chunk_ms);
  GatewayUnderTest gw(stub_port, kSecret);

  auto body = [](int chunks) {
    return R"({"model":"bench","stream":true,"messages":[{"role":"user","content":"Count."}],"max_tokens":)" +
           std::to_string(chunks) + "}";
  };
  StreamLoadOptions o;
  o.connects_per_ms = static_cast<std::size_t>(env_or("CX_BENCH_RAMP", 1));
  // Warm-up: connections, pools and allocator arenas of both paths.
  o.streams = 300;
  o.port = stub_port;
  o.request = post_request("/v1/chat/completions", kSecret, body(1));
  run_stream_load(o, {});
  o.port = gw.port();
  o.request = post_request("/api/v1/chat/completions", gw.user_key(), body(1));
  const auto warm = run_stream_load(o, {});
  if (warm.done != o.streams) {
    throw std::runtime_error("warm-up streams through the gateway failed: " + warm.first_failure);
  }
  std::this_thread::sleep_for(milliseconds(1500));

  // Direct: the stub's own time to first byte at the same concurrency and ramp.
  o.streams = n;
  o.port = stub_port;
  o.request = post_request("/v1/chat/completions", kSecret, body(40));
  o.close_when_open = true;
  StreamLoadResult direct = run_stream_load(o, {});
  std::this_thread::sleep_for(milliseconds(1500));  // the stub notices the closed streams

  // Through the gateway: long enough that every stream is open after the ramp.
  // Through the gateway: streams last the ramp plus 10 s, so all are open together after it
  // even when first bytes come late.
  const double ramp_s = static_cast<double>(n) / static_cast<double>(o.connects_per_ms) / 1000.0;
  const int chunks = static_cast<int>(2 + (ramp_s + 10.0) * 1000.0 / static_cast<double>(chunk_ms));
  o.port = gw.port();
  o.request = post_request("/api/v1/chat/completions", gw.user_key(), body(chunks));
  o.close_when_open = false;
  const std::int64_t rss_before = rss_of(gw.pid());
  std::int64_t rss_open = 0;
  std::size_t open_at_sample = 0;
  const double cpu0 = cpu_seconds_of(gw.pid());
  StreamLoadResult via = run_stream_load(o, [&](std::size_t open) {
    open_at_sample = open;
    std::vector<std::int64_t> s;
    for (int i = 0; i < 3; ++i) {
      s.push_back(rss_of(gw.pid()));
      std::this_thread::sleep_for(milliseconds(100));
    }
    std::sort(s.begin(), s.end());
    rss_open = s[1];
  });
  const double cpu = cpu_seconds_of(gw.pid()) - cpu0;

  const double d50 = quantile(direct.ttfb_us, 0.50);
  const double d99 = quantile(direct.ttfb_us, 0.99);
  const double g50 = quantile(via.ttfb_us, 0.50);
  const double g99 = quantile(via.ttfb_us, 0.99);
  const double per_stream = open_at_sample ? static_cast<double>(rss_open - rss_before) /
                                                 static_cast<double>(open_at_sample)
                                           : 0;
  std::fprintf(stderr,
               "# gateway.streams: %zu streams, ramp %.1f s (direct) / %.1f s (gateway), %zu "
               "chunks of %ld ms each through the gateway\n"
               "# direct : first byte p50 %.2f ms p99 %.2f ms, %zu first bytes, %zu failed\n"
               "# gateway: first byte p50 %.2f ms p99 %.2f ms, %zu first bytes, %zu done, %zu "
               "failed, at most %zu open at once\n"
               "# gateway RSS %.1f MiB before, %.1f MiB with %zu streams open; CPU %.1f s; "
               "threads:%s\n",
               n, direct.ramp_seconds, via.ramp_seconds, static_cast<std::size_t>(chunks), chunk_ms,
               d50 / 1000, d99 / 1000, direct.first_byte, direct.failed, g50 / 1000, g99 / 1000,
               via.first_byte, via.done, via.failed, via.max_open,
               static_cast<double>(rss_before) / (1 << 20),
               static_cast<double>(rss_open) / (1 << 20), open_at_sample, cpu,
               thread_cpu(gw.pid()).c_str());
  if (!via.first_failure.empty()) {
    std::fprintf(stderr, "# gateway.streams: first failure: %.300s\n", via.first_failure.c_str());
  }
  cx::bench::report("gateway.streams",
                    {{"streams", static_cast<double>(n), 0},
                     {"open", static_cast<double>(open_at_sample), 0},
                     {"added_ttfb_p99_ms", (g99 - d99) / 1000, 3},
                     {"added_ttfb_p50_ms", (g50 - d50) / 1000, 3},
                     {"kib_per_stream", per_stream / 1024, 1},
                     {"direct_ttfb_p99_ms", d99 / 1000, 3},
                     {"gateway_ttfb_p99_ms", g99 / 1000, 3},
                     {"done_frac", static_cast<double>(via.done) / static_cast<double>(n), 4},
                     {"failed", static_cast<double>(via.failed + direct.failed), 0}});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string_view(argv[1]) == "--stub") {
    StubOptions so;
    so.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    so.secret = argv[3];
    so.chunk_interval = milliseconds(std::atol(argv[4]));
    return run_stub(so);
  }
  std::string_view only;
  if (argc == 3 && std::string_view(argv[1]) == "--only") {
    only = argv[2];
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--only gateway|gateway.overhead|gateway.streams]\n", argv[0]);
    return 2;
  }
  const bool all = only.empty() || only == "gateway";
  if (!all && only != "gateway.overhead" && only != "gateway.streams") {
    std::fprintf(stderr, "bench_gateway: no benchmark named '%.*s'\n",
                 static_cast<int>(only.size()), only.data());
    return 2;
  }
  raise_nofile();
  int status = 0;
  for (auto [name, fn] :
       {std::pair{"gateway.overhead", &overhead}, std::pair{"gateway.streams", &streams}}) {
    if (!all && only != name) continue;
    try {
      fn();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench_gateway: %s: %s\n", name, e.what());
      status = 1;
    }
  }
  return status;
}
