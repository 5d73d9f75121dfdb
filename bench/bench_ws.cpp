// bench_ws: WebSocket benchmarks against the real server.
//   BENCH ws.idle_memory bytes_per_conn=... connections=...
//     N idle WebSocket sessions (handshake done, nothing subscribed): the server's resident
//     memory growth divided by N. CX_BENCH_WS_CONNECTIONS (default 5000).
//   BENCH ws.fanout subscribers=... trades_per_s=... p50_lag_ms=... p99_lag_ms=... complete=...
//     subscribers on one market while a driver trades at a fixed rate; every subscriber must see
//     every trade; lag = receive time - the trade's engine timestamp (milliseconds).
//     Knobs: CX_BENCH_WS_SUBSCRIBERS (1000), CX_BENCH_TRADES_PER_S (5000), CX_BENCH_SECONDS (5),
//     CX_BENCH_WS_FLUSH_MS (20, the server's ws_flush_ms), CX_BENCH_TAKER_CONNS (128: the taker
//     is a closed loop, so it needs rate x order latency connections to hold its pace).
//     The driver is kept cheap (epoll, each received byte looked at once or twice) so that it
//     leaves the two cores to the server.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "harness/report.hpp"
#include "server/load.hpp"
#include "server/server_proc.hpp"

namespace {

using namespace cx::bench::server;
using Clock = std::chrono::steady_clock;

long env_or(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v ? std::atol(v) : fallback;
}

void raise_fd_limit() {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
}

/// Opens a WebSocket to /ws (blocking handshake); -1 on failure.
int ws_connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  const std::string req =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return -1;
  }
  std::string in;
  char buf[1024];
  while (in.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      ::close(fd);
      return -1;
    }
    in.append(buf, static_cast<std::size_t>(n));
  }
  if (in.compare(0, 12, "HTTP/1.1 101") != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// A plain TCP connection to 127.0.0.1:port (blocking); -1 on failure.
int connect_plain(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

char chunk_sender[1 << 16];

/// Sends one masked text frame.
bool ws_send(int fd, std::string_view text) {
  std::string f;
  f += static_cast<char>(0x81);
  if (text.size() < 126) {
    f += static_cast<char>(0x80 | text.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>((text.size() >> 8) & 0xFF);
    f += static_cast<char>(text.size() & 0xFF);
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(mask, 4);
  for (std::size_t i = 0; i < text.size(); ++i) f += static_cast<char>(text[i] ^ mask[i % 4]);
  return ::send(fd, f.data(), f.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(f.size());
}

/// Parses whole server frames from `data` (`size` bytes); calls `on_text(message)` for each
/// complete text message. A single-frame message is passed straight from `data`; a fragmented one
/// is gathered in `msg`. Returns how many bytes it consumed (the rest is an incomplete frame).
template <class F>
std::size_t parse_frames(const char* data, std::size_t size, std::string& msg, F&& on_text) {
  std::size_t off = 0;
  for (;;) {
    if (size - off < 2) break;
    const auto b0 = static_cast<unsigned char>(data[off]);
    const auto b1 = static_cast<unsigned char>(data[off + 1]);
    std::size_t len = b1 & 0x7F;
    std::size_t head = 2;
    if (len == 126) {
      if (size - off < 4) break;
      len = (static_cast<std::size_t>(static_cast<unsigned char>(data[off + 2])) << 8) |
            static_cast<unsigned char>(data[off + 3]);
      head = 4;
    } else if (len == 127) {
      if (size - off < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i)
        len = (len << 8) | static_cast<unsigned char>(data[off + 2 + static_cast<std::size_t>(i)]);
      head = 10;
    }
    if (size - off < head + len) break;
    const unsigned opcode = b0 & 0x0F;
    const bool fin = (b0 & 0x80) != 0;
    if (opcode == 1 || opcode == 0) {
      const std::string_view payload(data + off + head, len);
      if (fin && msg.empty()) {
        on_text(payload);
      } else {
        msg.append(payload);
        if (fin) {  // the last fragment: the message is complete
          on_text(std::string_view(msg));
          msg.clear();
        }
      }
    }
    off += head + len;
  }
  return off;
}

/// One subscriber of the fan-out: its socket, the tail of an incomplete frame, a fragmented
/// message being gathered, and what it has received.
struct Subscriber {
  int fd = -1;
  std::string tail;
  std::string msg;
  std::uint64_t got = 0;  ///< trades received
  bool ready = false;     ///< its depthSnapshot arrived
  bool closed = false;
};

/// The value of `"type":"..."` near the start of a server message (the hub writes `channel`
/// then `type` first), without scanning the rest of it.
std::string_view message_type(std::string_view text) {
  constexpr std::string_view key = "\"type\":\"";
  const std::string_view head = text.substr(0, 160);
  const auto p = head.find(key);
  if (p == std::string_view::npos) return {};
  const auto b = p + key.size();
  const auto e = head.find('"', b);
  return e == std::string_view::npos ? std::string_view{} : head.substr(b, e - b);
}

/// The trades of one `trades` message: each distinct "ts" (engine time of the command) with how
/// many trades carry it.
struct TradeTimes {
  std::string text;  ///< the whole message, to recognise it
  std::vector<std::pair<std::int64_t, std::uint64_t>> ts_counts;
  std::uint64_t trades = 0;
};

/// Every subscriber receives the same bytes, so the driver parses each distinct trades message
/// once and recognises the copies by comparing them in full (memcmp is far cheaper than scanning
/// for every "ts"): the same counts as parsing each copy, at a fraction of the driver's CPU.
class TradesCache {
 public:
  const TradeTimes& times_of(std::string_view text) {
    for (const TradeTimes& t : slots_) {
      if (t.text.size() == text.size() && std::memcmp(t.text.data(), text.data(), text.size()) == 0)
        return t;
    }
    TradeTimes& t = slots_[next_++ % slots_.size()];
    t.text.assign(text);
    t.ts_counts.clear();
    t.trades = 0;
    constexpr std::string_view key = "\"ts\":";
    for (std::size_t p = text.find(key); p != std::string_view::npos;
         p = text.find(key, p + key.size())) {
      const std::int64_t ts = std::atoll(text.data() + p + key.size());
      if (t.ts_counts.empty() || t.ts_counts.back().first != ts) t.ts_counts.emplace_back(ts, 0);
      ++t.ts_counts.back().second;
      ++t.trades;
    }
    return t;
  }

 private:
  std::array<TradeTimes, 8> slots_;
  std::size_t next_ = 0;
};

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void fanout() {
  raise_fd_limit();
  const std::size_t n = static_cast<std::size_t>(env_or("CX_BENCH_WS_SUBSCRIBERS", 1000));
  const long rate = env_or("CX_BENCH_TRADES_PER_S", 5000);
  const long seconds = env_or("CX_BENCH_SECONDS", 5);
  const std::string flush = "CX_WS_FLUSH_MS=" + std::to_string(env_or("CX_BENCH_WS_FLUSH_MS", 20));
  // No oracle here: with a price age limit the perpetual would refuse every order as stale.
  ServerProcess srv(cxmpute_binary(),
                    {"CX_RATE_KEY_BURST=0", "CX_RATE_IP_BURST=0", "CX_ORACLE_MAX_AGE_MS=0",
                     "CX_ADMIN_EMAILS=admin@bench.local", "CX_MAX_CONNECTIONS=100000", flush});
  const auto admin = srv.login("admin@bench.local");
  const auto maker = srv.login("maker@bench.local");
  const auto taker = srv.login("taker@bench.local");
  const std::vector<std::pair<std::string, std::string>> as_admin{
      {"Authorization", "Bearer " + admin.access}};
  HttpResult r = http(
      srv.port(), "POST", "/api/admin/markets",
      R"({"mode":"PAPER","symbol":"FAN-PERP","kind":"PERP","underlying":"FAN","tickSize":"0.01","lotSize":"1"})",
      as_admin);
  if (r.status != 201) throw std::runtime_error("market: " + r.body);
  for (const auto* who : {&maker, &taker}) {
    r = http(srv.port(), "POST", "/api/admin/deposit",
             R"({"mode":"PAPER","trader":")" + who->user_id +
                 R"(","asset":"USDC","amount":"100000000"})",
             as_admin);
    if (r.status != 200) throw std::runtime_error("deposit: " + r.body);
  }
  r = http(
      srv.port(), "POST", "/api/orders",
      R"({"mode":"PAPER","market":"FAN-PERP","side":"SELL","type":"LIMIT","price":"1.00","qty":"100000000"})",
      {{"X-Trader-Ak", maker.trader_key}});
  if (r.status != 201) throw std::runtime_error("maker order: " + r.body);

  // Subscribers, each waiting for its snapshot.
  std::vector<Subscriber> subs(n);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) throw std::runtime_error("epoll_create1 failed");
  for (std::size_t i = 0; i < n; ++i) {
    const int fd = ws_connect(srv.port());
    if (fd < 0) throw std::runtime_error("websocket connect failed");
    ws_send(fd, R"({"op":"subscribe","channel":"market.FAN-PERP.PAPER"})");
    subs[i].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) throw std::runtime_error("epoll_ctl failed");
  }
  std::array<std::uint64_t, 10001> lag_hist{};  // 1 ms buckets, the last one is "10 s or more"
  std::uint64_t lag_count = 0;
  std::size_t closed = 0;
  std::size_t ready = 0;
  std::uint64_t text_frames = 0;
  TradesCache trades_cache;
  static char chunk[1 << 16];
  std::vector<epoll_event> events(n);
  auto receive = [&](int timeout_ms) {
    const int k = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (k <= 0) return;
    const std::int64_t now = wall_ms();
    for (int e = 0; e < k; ++e) {
      Subscriber& s = subs[events[static_cast<std::size_t>(e)].data.u64];
      const ssize_t got = ::recv(s.fd, chunk, sizeof chunk, 0);
      if (got <= 0) {
        if (!s.closed) {
          ++closed;
          s.closed = true;
          ::epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, nullptr);  // closed by the server
        }
        continue;
      }
      auto on_text = [&](std::string_view text) {
        ++text_frames;
        const std::string_view type = message_type(text);
        if (type == "depthSnapshot" && !s.ready) {
          s.ready = true;
          ++ready;
        }
        if (type != "trades") return;
        const TradeTimes& t = trades_cache.times_of(text);
        for (const auto& [ts, count] : t.ts_counts) {
          const std::int64_t lag = std::max<std::int64_t>(0, now - ts);
          lag_hist[static_cast<std::size_t>(std::min<std::int64_t>(lag, 10000))] += count;
        }
        lag_count += t.trades;
        s.got += t.trades;
      };
      const auto size = static_cast<std::size_t>(got);
      if (s.tail.empty()) {
        const std::size_t used = parse_frames(chunk, size, s.msg, on_text);
        s.tail.assign(chunk + used, size - used);
      } else {
        s.tail.append(chunk, size);
        const std::size_t used = parse_frames(s.tail.data(), s.tail.size(), s.msg, on_text);
        s.tail.erase(0, used);
      }
    }
  };
  const auto ready_by = Clock::now() + std::chrono::seconds(60);
  while (ready < n && Clock::now() < ready_by) receive(50);

  // The taker: IOC buys of one contract at 1.00, paced at `rate` over `conns` keep-alive
  // connections (a closed loop: a connection sends its next order once the last is answered).
  const auto conns = static_cast<std::size_t>(std::max(1L, env_or("CX_BENCH_TAKER_CONNS", 128)));
  std::atomic<std::uint64_t> filled{0};
  std::atomic<std::uint64_t> unanswered{0};
  std::atomic<bool> done{false};
  std::thread sender([&] {
    const std::string body =
        R"({"mode":"PAPER","market":"FAN-PERP","side":"BUY","type":"LIMIT","timeInForce":"IOC","price":"1.00","qty":"1"})";
    const std::string req =
        "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Trader-Ak: " + taker.trader_key +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    const int tep = ::epoll_create1(EPOLL_CLOEXEC);
    std::vector<int> cs;
    std::vector<std::string> in(conns);
    std::vector<bool> busy(conns, false);
    std::deque<std::size_t> idle;
    for (std::size_t i = 0; i < conns; ++i) {
      const int fd = connect_plain(srv.port());
      cs.push_back(fd);
      if (fd < 0) continue;  // fewer connections; the figures say what the rest achieved
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      ::epoll_ctl(tep, EPOLL_CTL_ADD, fd, &ev);
      idle.push_back(i);
    }
    std::size_t in_flight = 0;
    std::vector<epoll_event> tev(conns);
    // Reads what arrived; a complete answer frees its connection.
    auto collect = [&](int timeout_ms) {
      const int k = ::epoll_wait(tep, tev.data(), static_cast<int>(tev.size()), timeout_ms);
      for (int e = 0; e < k; ++e) {
        const std::size_t i = tev[static_cast<std::size_t>(e)].data.u64;
        const ssize_t got = ::recv(cs[i], chunk_sender, sizeof chunk_sender, 0);
        if (got <= 0) {
          ::epoll_ctl(tep, EPOLL_CTL_DEL, cs[i], nullptr);
          if (busy[i]) {
            busy[i] = false;
            --in_flight;
          }
          continue;
        }
        in[i].append(chunk_sender, static_cast<std::size_t>(got));
        const auto head = in[i].find("\r\n\r\n");
        if (head == std::string::npos) continue;
        const auto cl = in[i].find("Content-Length: ");
        const std::size_t len = cl == std::string::npos || cl > head
                                    ? 0
                                    : static_cast<std::size_t>(std::atoll(in[i].c_str() + cl + 16));
        if (in[i].size() < head + 4 + len) continue;
        if (std::string_view(in[i]).substr(head + 4).find("\"FILLED\"") != std::string::npos) {
          filled.fetch_add(1);
        }
        in[i].clear();
        if (busy[i]) {
          busy[i] = false;
          --in_flight;
          idle.push_back(i);
        }
      }
    };
    const auto start = Clock::now();
    const auto end = start + std::chrono::seconds(seconds);
    std::uint64_t sent = 0;
    while (Clock::now() < end) {
      const auto due = static_cast<std::uint64_t>(
          std::chrono::duration<double>(Clock::now() - start).count() * static_cast<double>(rate));
      while (sent < due && !idle.empty()) {
        const std::size_t i = idle.front();
        idle.pop_front();
        if (::send(cs[i], req.data(), req.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(req.size())) {
          busy[i] = true;
          ++in_flight;
          ++sent;
        }
      }
      collect(1);
    }
    // Let the last answers arrive.
    const auto drain_by = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < drain_by && in_flight > 0) collect(10);
    unanswered = in_flight;
    for (int fd : cs) {
      if (fd >= 0) ::close(fd);
    }
    ::close(tep);
    done = true;
  });
  while (!done) receive(5);
  sender.join();
  const std::uint64_t trades = filled.load();
  const auto settle_by = Clock::now() + std::chrono::seconds(15);
  auto complete = [&] {
    return static_cast<std::size_t>(std::count_if(
        subs.begin(), subs.end(), [&](const Subscriber& s) { return s.got >= trades; }));
  };
  while (complete() < n && Clock::now() < settle_by) receive(10);
  auto quantile_ms = [&](double q) {
    const auto target = static_cast<std::uint64_t>(q * static_cast<double>(lag_count));
    std::uint64_t acc = 0;
    for (std::size_t b = 0; b < lag_hist.size(); ++b) {
      acc += lag_hist[b];
      if (acc > target) return static_cast<double>(b);
    }
    return 10000.0;
  };
  std::uint64_t extra = 0;
  for (const Subscriber& s : subs) extra += s.got > trades ? s.got - trades : 0;
  std::fprintf(
      stderr,
      "# ws.fanout: %zu subscribers, %llu trades in %ld s (%zu taker connections, %llu orders "
      "unanswered), %llu deliveries (%llu beyond the count) in %llu messages, %zu subscribers "
      "complete, %zu closed by the server; server RSS %.1f MiB\n",
      n, static_cast<unsigned long long>(trades), seconds, conns,
      static_cast<unsigned long long>(unanswered.load()),
      static_cast<unsigned long long>(lag_count), static_cast<unsigned long long>(extra),
      static_cast<unsigned long long>(text_frames), complete(), closed,
      static_cast<double>(srv.rss_bytes()) / (1 << 20));
  for (const Subscriber& s : subs) ::close(s.fd);
  ::close(ep);
  cx::bench::report(
      "ws.fanout",
      {{"subscribers", static_cast<double>(n), 0},
       {"trades_per_s", static_cast<double>(trades) / static_cast<double>(seconds), 0},
       {"p50_lag_ms", quantile_ms(0.50), 0},
       {"p99_lag_ms", quantile_ms(0.99), 0},
       {"complete_frac", static_cast<double>(complete()) / static_cast<double>(n), 4}});
}

void idle_memory() {
  raise_fd_limit();
  const std::size_t n = static_cast<std::size_t>(env_or("CX_BENCH_WS_CONNECTIONS", 5000));
  ServerProcess srv(cxmpute_binary(), {"CX_RATE_IP_BURST=0", "CX_MAX_CONNECTIONS=100000"});
  // Warm the server's allocator and threads with a few sessions first.
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i) fds.push_back(ws_connect(srv.port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const std::int64_t before = srv.rss_bytes();
  std::size_t opened = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const int fd = ws_connect(srv.port());
    if (fd >= 0) {
      fds.push_back(fd);
      ++opened;
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const std::int64_t after = srv.rss_bytes();
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  const double per = opened ? static_cast<double>(after - before) / static_cast<double>(opened) : 0;
  std::fprintf(
      stderr, "# ws.idle_memory: %zu sessions opened of %zu; server RSS %.1f -> %.1f MiB\n", opened,
      n, static_cast<double>(before) / (1 << 20), static_cast<double>(after) / (1 << 20));
  cx::bench::report("ws.idle_memory",
                    {{"bytes_per_conn", per, 0}, {"connections", static_cast<double>(opened), 0}});
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view only;
  if (argc == 3 && std::string_view(argv[1]) == "--only") {
    only = argv[2];
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--only ws|ws.fanout|ws.idle_memory]\n", argv[0]);
    return 2;
  }
  bool ran = false;
  try {
    if (only.empty() || only == "ws" || only == "ws.fanout") {
      fanout();
      ran = true;
    }
    if (only.empty() || only == "ws" || only == "ws.idle_memory") {
      idle_memory();
      ran = true;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_ws: %s\n", e.what());
    return 1;
  }
  if (!ran) {
    std::fprintf(stderr, "bench_ws: no benchmark named '%.*s'\n", static_cast<int>(only.size()),
                 only.data());
    return 2;
  }
  return 0;
}
