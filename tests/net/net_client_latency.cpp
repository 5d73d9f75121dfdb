// Loopback figures for HttpClient against HttpServer: `net_client_latency [requests] [inflight]`.
// Prints `BENCH <name> <figure>=<value>` lines: round-trip percentiles of sequential requests
// through HttpClient and through a blocking Beast client (the baseline: the difference is the
// client's own cost), throughput with `inflight` requests outstanding, and streamed exchanges
// (10 chunks each) end to end. Not a test.

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "net/http_client.hpp"
#include "net/http_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace cx::net;

void report(const char* name, std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) {
    return us[std::min(us.size() - 1,
                       static_cast<std::size_t>(q * static_cast<double>(us.size())))];
  };
  std::printf("BENCH %s p50_us=%.1f p99_us=%.1f max_us=%.1f n=%zu\n", name, at(0.50), at(0.99),
              us.back(), us.size());
}

double micros(Clock::duration d) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) /
         1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  const int requests = argc > 1 ? std::atoi(argv[1]) : 20'000;
  const int inflight = argc > 2 ? std::atoi(argv[2]) : 32;

  Router router;
  router.get("/ping", [](const Request&) { return Response::json(200, R"({"ok":true})"); });
  static constexpr std::string_view kEvent = "data: {\"token\":\"abc\"}\n\n";
  router.add_async(Method::Get, "/sse", [](const Request&, Reply reply) {
    Response head;
    head.content_type = "text/event-stream";
    const StreamWriter w = reply.stream(std::move(head));
    for (int i = 0; i < 10; ++i) w.write(std::string(kEvent));
    w.finish();
  });
  ServerOptions so;
  so.port = 0;
  so.io_threads = 1;
  HttpServer server(so, std::move(router));
  if (!server.start()) return 1;
  const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

  ClientOptions co;
  co.threads = 1;
  HttpClient client(co);
  ClientRequest ping;
  ping.url = base + "/ping";

  auto call = [&] {
    std::promise<bool> done;
    client.request(ping, [&](ClientResult r) { done.set_value(r.ok()); });
    return done.get_future().get();
  };
  for (int i = 0; i < 1000; ++i) call();  // warm up
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(requests));
  for (int i = 0; i < requests; ++i) {
    const auto t0 = Clock::now();
    if (!call()) return 2;
    us.push_back(micros(Clock::now() - t0));
  }
  report("client.sequential", us);

  {  // baseline: a blocking Beast client on one keep-alive connection
    asio::io_context ioc;
    beast::tcp_stream s(ioc);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
    s.socket().set_option(tcp::no_delay(true));
    beast::flat_buffer buf;
    http::request<http::empty_body> req{http::verb::get, "/ping", 11};
    req.set(http::field::host, "127.0.0.1");
    us.clear();
    for (int i = 0; i < requests + 1000; ++i) {
      const auto t0 = Clock::now();
      http::write(s, req);
      http::response<http::string_body> res;
      http::read(s, buf, res);
      if (i >= 1000) us.push_back(micros(Clock::now() - t0));
    }
    report("baseline.sequential", us);
  }

  {  // throughput with `inflight` outstanding
    std::mutex m;
    std::condition_variable cv;
    int outstanding = 0;
    std::atomic<int> failed{0};
    const auto t0 = Clock::now();
    for (int i = 0; i < requests; ++i) {
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return outstanding < inflight; });
        ++outstanding;
      }
      client.request(ping, [&](ClientResult r) {
        if (!r.ok()) ++failed;
        const std::lock_guard lock(m);
        --outstanding;
        cv.notify_one();
      });
    }
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return outstanding == 0; });
    const double secs = micros(Clock::now() - t0) / 1e6;
    std::printf("BENCH client.inflight%d req_per_s=%.0f failed=%d\n", inflight,
                static_cast<double>(requests) / secs, failed.load());
  }

  {  // streams: 10 chunks each, head to done
    ClientRequest sse;
    sse.url = base + "/sse";
    us.clear();
    const int streams = std::max(1, requests / 4);
    for (int i = 0; i < streams; ++i) {
      std::promise<bool> done;
      StreamCallbacks cb;
      std::size_t bytes = 0;
      cb.on_data = [&](std::string_view d) { bytes += d.size(); };
      cb.on_done = [&](const ClientError& e) { done.set_value(e.ok()); };
      const auto t0 = Clock::now();
      const auto handle = client.stream(sse, std::move(cb));
      if (!done.get_future().get() || bytes != 10 * kEvent.size()) return 3;
      us.push_back(micros(Clock::now() - t0));
    }
    report("client.stream10", us);
  }
  const auto stats = client.stats();
  std::printf("BENCH client.connections opened=%llu reused=%llu\n",
              static_cast<unsigned long long>(stats.connections_opened),
              static_cast<unsigned long long>(stats.connections_reused));
  return 0;
}
