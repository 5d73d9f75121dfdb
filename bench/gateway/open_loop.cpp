#include "gateway/open_loop.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <stdexcept>

namespace cx::bench::gateway {

using Clock = std::chrono::steady_clock;

namespace {

int connect_loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
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

/// Length of the first complete Content-Length-framed response in `in` (0: incomplete); its
/// status goes to `status`.
std::size_t complete_response(const std::string& in, int& status) {
  const auto head = in.find("\r\n\r\n");
  if (head == std::string::npos) return 0;
  std::size_t len = 0;
  for (std::size_t p = in.find("\r\n") + 2; p < head;) {
    const auto eol = in.find("\r\n", p);
    if (eol - p > 15 && ::strncasecmp(in.data() + p, "content-length:", 15) == 0) {
      len = static_cast<std::size_t>(std::strtoull(in.data() + p + 15, nullptr, 10));
    }
    p = eol + 2;
  }
  if (in.size() < head + 4 + len) return 0;
  status = std::atoi(in.c_str() + 9);
  return head + 4 + len;
}

struct Conn {
  int fd = -1;
  std::string in;
  std::size_t out_off = 0;  ///< bytes of the request written; == size when fully sent
  bool busy = false;
  Clock::time_point due;  ///< when the request in flight was due
};

}  // namespace

double quantile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
  return v[i];
}

OpenLoopResult run_open_loop(const OpenLoopOptions& o) {
  OpenLoopResult r;
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Conn> conns(o.connections);
  std::vector<std::size_t> idle;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = connect_loopback(o.port);
    if (conns[i].fd < 0) {
      ++r.errors;
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
    idle.push_back(i);
  }
  if (idle.empty()) {
    ::close(ep);
    throw std::runtime_error("open loop: no connection to port " + std::to_string(o.port));
  }
  const std::string& req = o.request;
  std::deque<Clock::time_point> waiting;  // due requests without a free connection

  auto send_on = [&](std::size_t i, Clock::time_point due) {
    Conn& c = conns[i];
    c.busy = true;
    c.due = due;
    c.out_off = 0;
    const ssize_t n = ::send(c.fd, req.data(), req.size(), MSG_NOSIGNAL);
    if (n > 0) c.out_off = static_cast<std::size_t>(n);
    if (c.out_off < req.size()) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.u64 = i;
      ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    }
  };
  auto fail = [&](std::size_t i, const std::string& why) {
    Conn& c = conns[i];
    ++r.errors;
    if (r.first_failure.empty()) r.first_failure = why;
    ::epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c = Conn{};
    c.fd = connect_loopback(o.port);  // one fresh connection in its place
    if (c.fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    idle.push_back(i);
  };

  const auto period = std::chrono::duration<double>(1.0 / o.rate);
  const auto t0 = Clock::now();
  const auto measure_from = t0 + o.warmup;
  const auto end = measure_from + o.measure;
  const auto drain_until = end + std::chrono::seconds(2);
  std::uint64_t k = 0;
  auto due_at = [&](std::uint64_t n) {
    return t0 + std::chrono::duration_cast<Clock::duration>(period * static_cast<double>(n));
  };
  Clock::time_point next = due_at(0);
  std::uint64_t in_flight = 0;
  r.latency_us.reserve(
      static_cast<std::size_t>(o.rate * 1.2 * std::chrono::duration<double>(o.measure).count()));
  std::vector<epoll_event> events(256);
  char buf[65536];
  for (;;) {
    auto now = Clock::now();
    while (next <= now && next < end) {
      if (next >= measure_from) ++r.due;
      if (!idle.empty()) {
        const std::size_t i = idle.back();
        idle.pop_back();
        send_on(i, next);
      } else {
        waiting.push_back(next);
        r.max_waiting = std::max<std::uint64_t>(r.max_waiting, waiting.size());
      }
      ++in_flight;
      next = due_at(++k);
    }
    if (now >= end && (in_flight == 0 || now >= drain_until)) break;
    const auto wake = next < end ? next : drain_until;
    const auto ns = std::max<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(wake - now).count());
    const timespec ts{static_cast<time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
    const int n = ::epoll_pwait2(ep, events.data(), static_cast<int>(events.size()), &ts, nullptr);
    if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_pwait2 failed");
    for (int e = 0; e < n; ++e) {
      const auto i = static_cast<std::size_t>(events[static_cast<std::size_t>(e)].data.u64);
      Conn& c = conns[i];
      const auto what = events[static_cast<std::size_t>(e)].events;
      if ((what & EPOLLOUT) && c.out_off < req.size()) {
        const ssize_t w =
            ::send(c.fd, req.data() + c.out_off, req.size() - c.out_off, MSG_NOSIGNAL);
        if (w > 0) c.out_off += static_cast<std::size_t>(w);
        if (c.out_off == req.size()) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = i;
          ::epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
        }
      }
      if (!(what & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        if (c.busy) --in_flight;
        fail(i, "connection closed by the server");
        continue;
      }
      c.in.append(buf, static_cast<std::size_t>(got));
      int status = 0;
      const std::size_t len = complete_response(c.in, status);
      if (len == 0) continue;
      const auto t = Clock::now();
      if (c.due >= measure_from && c.due < end) {
        ++r.completed;
        r.latency_us.push_back(std::chrono::duration<double, std::micro>(t - c.due).count());
        if (status >= 200 && status < 300) ++r.ok;
      }
      if (status < 200 || status >= 300) {
        ++r.errors;
        if (r.first_failure.empty()) r.first_failure = c.in.substr(0, len);
      }
      c.in.erase(0, len);
      c.busy = false;
      --in_flight;
      if (!waiting.empty()) {
        const auto d = waiting.front();
        waiting.pop_front();
        send_on(i, d);
      } else {
        idle.push_back(i);
      }
    }
  }
  r.errors += in_flight;  // unanswered when the drain ended
  r.seconds = std::chrono::duration<double>(o.measure).count();
  for (Conn& c : conns) {
    if (c.fd >= 0) ::close(c.fd);
  }
  ::close(ep);
  return r;
}

}  // namespace cx::bench::gateway
