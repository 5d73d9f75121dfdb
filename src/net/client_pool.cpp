#include "net/client_pool.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace cx::net::detail {

namespace {

/// True when the server has not closed the idle connection and sent nothing unexpected: a
/// non-blocking peek sees no data (EAGAIN) rather than end-of-stream or stray bytes.
bool still_open(ClientConn& c) {
  if (!c.socket.is_open()) return false;
  char byte = 0;
  const auto n = ::recv(c.socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

std::unique_ptr<ClientConn> ClientPool::checkout(const std::string& key) {
  std::vector<std::unique_ptr<ClientConn>> dead;  // closed outside the lock
  std::unique_ptr<ClientConn> found;
  {
    const std::lock_guard lock(mutex_);
    const auto it = idle_.find(key);
    if (it == idle_.end()) return nullptr;
    auto& list = it->second;
    const auto now = std::chrono::steady_clock::now();
    while (!list.empty() && !found) {
      std::unique_ptr<ClientConn> c = std::move(list.back());
      list.pop_back();
      --count_;
      if (now - c->idle_since < idle_timeout_ && still_open(*c)) {
        found = std::move(c);
      } else {
        dead.push_back(std::move(c));
      }
    }
  }
  return found;
}

void ClientPool::checkin(const std::string& key, std::unique_ptr<ClientConn> conn) {
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return;  // `conn` closes on the way out
    auto& list = idle_[key];
    if (list.size() >= max_idle_per_host_) return;
    conn->idle_since = std::chrono::steady_clock::now();
    list.push_back(std::move(conn));
    ++count_;
  }
}

void ClientPool::sweep() {
  std::vector<std::unique_ptr<ClientConn>> expired;
  {
    const std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (auto it = idle_.begin(); it != idle_.end();) {
      auto& list = it->second;
      // Oldest first: check-ins append.
      std::size_t keep_from = 0;
      while (keep_from < list.size() && now - list[keep_from]->idle_since >= idle_timeout_) {
        ++keep_from;
      }
      for (std::size_t i = 0; i < keep_from; ++i) expired.push_back(std::move(list[i]));
      list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(keep_from));
      count_ -= keep_from;
      it = list.empty() ? idle_.erase(it) : std::next(it);
    }
  }
}

void ClientPool::close_all() {
  std::unordered_map<std::string, std::vector<std::unique_ptr<ClientConn>>> all;
  {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    all.swap(idle_);
    count_ = 0;
  }
}

std::size_t ClientPool::idle_count() const {
  const std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace cx::net::detail
