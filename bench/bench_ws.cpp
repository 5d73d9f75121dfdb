// bench_ws: WebSocket benchmarks against the real server.
//   BENCH ws.idle_memory bytes_per_conn=... connections=...
//     N idle WebSocket sessions (handshake done, nothing subscribed): the server's resident
//     memory growth divided by N. CX_BENCH_WS_CONNECTIONS (default 5000).
//   BENCH ws.fanout subscribers=... trades_per_s=... p50_lag_ms=... p99_lag_ms=... complete=...
//     subscribers on one market while a driver trades at a fixed rate; every subscriber must see
//     every trade; lag = receive time - the trade's engine timestamp (milliseconds).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
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

/// Sends one masked text frame.
[[maybe_unused]] bool ws_send(int fd, std::string_view text) {
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
  std::fprintf(stderr, "# ws.idle_memory: %zu sessions opened of %zu; server RSS %.1f -> %.1f MiB\n",
               opened, n, static_cast<double>(before) / (1 << 20),
               static_cast<double>(after) / (1 << 20));
  cx::bench::report("ws.idle_memory",
                    {{"bytes_per_conn", per, 0}, {"connections", static_cast<double>(opened), 0}});
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view only;
  if (argc == 3 && std::string_view(argv[1]) == "--only") {
    only = argv[2];
  } else if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--only ws|ws.idle_memory]\n", argv[0]);
    return 2;
  }
  bool ran = false;
  try {
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
