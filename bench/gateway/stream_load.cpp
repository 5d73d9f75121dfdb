#include "gateway/stream_load.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace cx::bench::gateway {

using Clock = std::chrono::steady_clock;

namespace {

enum class State : std::uint8_t { Connecting, Sending, Head, Body, Ended };

struct Stream {
  int fd = -1;
  State state = State::Connecting;
  std::size_t out_off = 0;
  std::string head;  ///< bytes until the end of the response head
  std::string tail;  ///< the last few body bytes, to find markers split across reads
  Clock::time_point sent;
  bool first = false;
};

int start_connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

StreamLoadResult run_stream_load(const StreamLoadOptions& o,
                                 const std::function<void(std::size_t)>& on_all_open) {
  StreamLoadResult r;
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  std::vector<Stream> streams(o.streams);
  r.ttfb_us.reserve(o.streams);
  std::size_t started = 0;
  std::size_t ended = 0;  // done + failed
  std::size_t open = 0;   // first byte seen, not ended
  bool reported = false;
  const auto t0 = Clock::now();
  const auto deadline = t0 + o.deadline;
  Clock::time_point last_sent = t0;

  auto end_stream = [&](Stream& s, bool ok, std::string_view why) {
    if (s.state == State::Ended) return;
    if (s.first) --open;
    s.state = State::Ended;
    ::epoll_ctl(ep, EPOLL_CTL_DEL, s.fd, nullptr);
    ::close(s.fd);
    s.fd = -1;
    std::string().swap(s.head);
    std::string().swap(s.tail);
    ++ended;
    if (ok) {
      ++r.done;
    } else {
      ++r.failed;
      if (r.first_failure.empty()) r.first_failure = std::string(why);
    }
  };
  auto try_send = [&](std::size_t i) {
    Stream& s = streams[i];
    const ssize_t n =
        ::send(s.fd, o.request.data() + s.out_off, o.request.size() - s.out_off, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) return end_stream(s, false, "send failed");
    if (n > 0) s.out_off += static_cast<std::size_t>(n);
    if (s.out_off == o.request.size()) {
      s.state = State::Head;
      s.sent = Clock::now();
      last_sent = s.sent;
      ++r.opened;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = i;
      ::epoll_ctl(ep, EPOLL_CTL_MOD, s.fd, &ev);
    }
  };
  auto on_body = [&](Stream& s, std::string_view data) {
    if (data.empty()) return;
    if (!s.first) {
      s.first = true;
      ++open;
      ++r.first_byte;
      if (open > r.max_open) r.max_open = open;
      r.ttfb_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s.sent).count());
    }
    s.tail.append(data);
    if (s.tail.find("data: [DONE]") != std::string::npos) return end_stream(s, true, "");
    if (s.tail.find("\"stream_interrupted\"") != std::string::npos) {
      return end_stream(s, false, "stream_interrupted event");
    }
    if (s.tail.size() > 32) s.tail.erase(0, s.tail.size() - 32);
  };

  std::vector<epoll_event> events(1024);
  char buf[16384];
  while (ended < o.streams && Clock::now() < deadline) {
    // The ramp: connections allowed so far by the elapsed time.
    const auto elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    const auto allowed = std::min<std::size_t>(
        o.streams, (static_cast<std::size_t>(elapsed_ms) + 1) * o.connects_per_ms);
    for (; started < allowed; ++started) {
      Stream& s = streams[started];
      s.fd = start_connect(o.port);
      if (s.fd < 0) {
        s.state = State::Ended;
        ++ended;
        ++r.failed;
        if (r.first_failure.empty()) r.first_failure = "socket/connect failed (descriptors?)";
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.u64 = started;
      ::epoll_ctl(ep, EPOLL_CTL_ADD, s.fd, &ev);
    }
    if (!reported && started == o.streams && open + ended == o.streams && open > 0) {
      reported = true;
      r.ramp_seconds = std::chrono::duration<double>(last_sent - t0).count();
      if (on_all_open) on_all_open(open);
      if (o.close_when_open) {
        for (Stream& s : streams) {  // not ended by the server: not counted as done or failed
          if (s.state == State::Ended) continue;
          ::close(s.fd);
          s.fd = -1;
          s.state = State::Ended;
        }
        break;
      }
    }
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 1);
    for (int e = 0; e < n; ++e) {
      const auto i = static_cast<std::size_t>(events[static_cast<std::size_t>(e)].data.u64);
      Stream& s = streams[i];
      const auto what = events[static_cast<std::size_t>(e)].events;
      if (s.state == State::Ended) continue;
      if (s.state == State::Connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (what & EPOLLERR)) {
          end_stream(s, false, "connect failed");
          continue;
        }
        s.state = State::Sending;
      }
      if (s.state == State::Sending) {
        try_send(i);
        continue;
      }
      const ssize_t got = ::recv(s.fd, buf, sizeof buf, 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        end_stream(s, false, "closed before data: [DONE]");
        continue;
      }
      std::string_view data(buf, static_cast<std::size_t>(got));
      if (s.state == State::Head) {
        s.head.append(data);
        const auto h = s.head.find("\r\n\r\n");
        if (h == std::string::npos) continue;
        if (s.head.compare(0, 12, "HTTP/1.1 200") != 0) {
          end_stream(s, false, s.head.substr(0, 300));
          continue;
        }
        s.state = State::Body;
        const std::string rest = s.head.substr(h + 4);
        std::string().swap(s.head);
        on_body(s, rest);
        continue;
      }
      on_body(s, data);
    }
  }
  for (Stream& s : streams) {
    if (s.state != State::Ended && s.fd >= 0) end_stream(s, false, "deadline");
  }
  if (!reported) {
    r.ramp_seconds = std::chrono::duration<double>(last_sent - t0).count();
  }
  ::close(ep);
  return r;
}

}  // namespace cx::bench::gateway
