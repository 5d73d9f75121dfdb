#include "server/load.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace cx::bench::server {

using Clock = std::chrono::steady_clock;

namespace {

struct Conn {
  int fd = -1;
  std::string out;
  std::size_t out_off = 0;
  std::string in;
  Clock::time_point sent;
  std::uint64_t n = 0;
  bool waiting = false;
};

int connect_to(std::uint16_t port) {
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
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/// Length of the first complete response in `in`, or 0; status in `status`.
std::size_t complete_response(const std::string& in, int& status) {
  const auto head = in.find("\r\n\r\n");
  if (head == std::string::npos) return 0;
  std::size_t len = 0;
  // Content-Length, case-insensitively.
  for (std::size_t p = 0; p < head;) {
    const auto eol = in.find("\r\n", p);
    if (eol == std::string::npos || eol > head) break;
    if (eol - p > 15 && strncasecmp(in.data() + p, "content-length:", 15) == 0) {
      len = static_cast<std::size_t>(std::strtoull(in.data() + p + 15, nullptr, 10));
    }
    p = eol + 2;
  }
  if (in.size() < head + 4 + len) return 0;
  status = std::atoi(in.c_str() + 9);
  return head + 4 + len;
}

}  // namespace

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  return v[i];
}

LoadResult run_load(std::uint16_t port, std::size_t connections, std::chrono::milliseconds warmup,
                    std::chrono::milliseconds measure,
                    const std::function<std::string(std::size_t, std::uint64_t)>& make_request,
                    const std::function<void(bool start)>& at_window) {
  LoadResult r;
  std::vector<Conn> conns(connections);
  // epoll, not poll(): the driver shares the machine with the server, so it must not spend
  // time proportional to the number of connections on every wake-up.
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  for (std::size_t i = 0; i < connections; ++i) {
    conns[i].fd = connect_to(port);
    if (conns[i].fd < 0) {
      ++r.errors;
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  auto want_out = [&](std::size_t i, bool out) {
    epoll_event ev{};
    ev.events = EPOLLIN | (out ? EPOLLOUT : 0u);
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_MOD, conns[i].fd, &ev);
  };
  auto send_next = [&](std::size_t i) {
    Conn& c = conns[i];
    c.out = make_request(i, c.n++);
    c.out_off = 0;
    c.sent = Clock::now();
    c.waiting = true;
    const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) c.out_off = static_cast<std::size_t>(n);
    if (c.out_off < c.out.size()) want_out(i, true);
  };
  for (std::size_t i = 0; i < connections; ++i) {
    if (conns[i].fd >= 0) send_next(i);
  }
  const auto start = Clock::now();
  const auto measure_from = start + warmup;
  const auto end = measure_from + measure;
  r.latency_us.reserve(1 << 20);
  char buf[65536];
  std::vector<epoll_event> ready(std::max<std::size_t>(connections, 1));
  bool opened = false;
  for (;;) {
    const auto now = Clock::now();
    if (now >= end) break;
    if (!opened && now >= measure_from) {
      opened = true;
      if (at_window) at_window(true);
    }
    const int k = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), 50);
    for (int e = 0; e < k; ++e) {
      const std::size_t i = ready[static_cast<std::size_t>(e)].data.u64;
      const std::uint32_t events = ready[static_cast<std::size_t>(e)].events;
      Conn& c = conns[i];
      if (c.fd < 0) continue;
      if ((events & EPOLLOUT) && c.out_off < c.out.size()) {
        const ssize_t n =
            ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
        if (n > 0) c.out_off += static_cast<std::size_t>(n);
        if (c.out_off == c.out.size()) want_out(i, false);
      }
      if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) {
        ::close(c.fd);
        c.fd = -1;
        ++r.errors;
        continue;
      }
      c.in.append(buf, static_cast<std::size_t>(n));
      int status = 0;
      while (std::size_t len = complete_response(c.in, status)) {
        const auto t = Clock::now();
        if (c.sent >= measure_from && t < end) {
          ++r.responses;
          if (status >= 200 && status < 300) {
            ++r.ok;
          } else if (r.first_failure.empty()) {
            r.first_failure = c.in.substr(0, len);
          }
          r.latency_us.push_back(std::chrono::duration<double, std::micro>(t - c.sent).count());
        }
        c.in.erase(0, len);
        c.waiting = false;
        send_next(i);
      }
    }
  }
  if (at_window) at_window(false);
  r.seconds = std::chrono::duration<double>(measure).count();
  for (Conn& c : conns) {
    if (c.fd >= 0) ::close(c.fd);
  }
  ::close(ep);
  return r;
}

}  // namespace cx::bench::server
