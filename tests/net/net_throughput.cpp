// Loopback figures for the server alone: `net_throughput [seconds] [connections] [io_threads]`.
// Each connection is a blocking keep-alive Beast client doing one request at a time against a
// trivial route (sync, then async with the reply from another thread). Not a test; prints
// `BENCH <name> <figure>=<value>` lines.

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

/// One thread completing async replies, in arrival order (a stand-in for the engine thread).
class Replier {
 public:
  Replier() : thread_([this] { run(); }) {}
  ~Replier() {
    {
      const std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void push(cx::net::Reply r) {
    {
      const std::lock_guard lock(mutex_);
      queue_.push_back(std::move(r));
    }
    cv_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      std::deque<cx::net::Reply> batch;
      batch.swap(queue_);
      lock.unlock();
      for (auto& r : batch) r(cx::net::Response::json(200, R"({"ok":true})"));
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<cx::net::Reply> queue_;
  bool done_ = false;
  std::thread thread_;
};

void run_load(const char* name, std::uint16_t port, const std::string& target, int seconds,
              int connections) {
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::vector<std::vector<std::uint32_t>> latencies(static_cast<std::size_t>(connections));
  std::vector<std::thread> clients;
  for (int c = 0; c < connections; ++c) {
    clients.emplace_back([&, c] {
      asio::io_context ioc;
      beast::tcp_stream stream(ioc);
      stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
      stream.socket().set_option(tcp::no_delay(true));
      beast::flat_buffer buffer;
      http::request<http::empty_body> req{http::verb::get, target, 11};
      req.set(http::field::host, "127.0.0.1");
      auto& lat = latencies[static_cast<std::size_t>(c)];
      lat.reserve(1 << 20);
      while (!go.load()) std::this_thread::yield();
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = Clock::now();
        http::write(stream, req);
        http::response<http::string_body> res;
        http::read(stream, buffer, res);
        lat.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
      }
    });
  }
  const auto start = Clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : clients) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<std::uint32_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const auto pct = [&](double p) {
    return all.empty() ? 0u
                       : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))];
  };
  std::printf("BENCH %s requests_per_s=%.0f p50_us=%u p99_us=%u connections=%d\n", name,
              static_cast<double>(all.size()) / elapsed, pct(0.50), pct(0.99), connections);
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 3;
  const int connections = argc > 2 ? std::atoi(argv[2]) : 4;
  Replier replier;
  cx::net::Router router;
  router.get("/ping", [](const cx::net::Request&) {
    return cx::net::Response::json(200, R"({"ok":true})");
  });
  router.add_async(cx::net::Method::Get, "/async",
                   [&](const cx::net::Request&, cx::net::Reply r) { replier.push(std::move(r)); });
  cx::net::ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.io_threads = argc > 3 ? static_cast<unsigned>(std::atoi(argv[3])) : 2;
  cx::net::HttpServer server(o, std::move(router));
  if (auto r = server.start(); !r) {
    std::fprintf(stderr, "start: %s\n", r.error().message.c_str());
    return 1;
  }
  run_load("net.http_sync", server.port(), "/ping", seconds, connections);
  run_load("net.http_async", server.port(), "/async", seconds, connections);
  server.stop();
  return 0;
}
