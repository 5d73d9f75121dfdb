#pragma once
/// Internal: HttpClient's idle keep-alive connections, per host:port. A connection is either
/// idle here (no operation pending, touched only under the pool's mutex) or owned by exactly
/// one exchange. Includes Asio.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace cx::net::detail {

/// One client TCP connection and its read buffer (empty whenever the connection is idle).
struct ClientConn {
  explicit ClientConn(boost::asio::io_context& ioc) : socket(ioc) {}
  boost::asio::ip::tcp::socket socket;
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};
};

class ClientPool {
 public:
  ClientPool(std::size_t max_idle_per_host, std::chrono::milliseconds idle_timeout)
      : max_idle_per_host_(max_idle_per_host), idle_timeout_(idle_timeout) {}

  /// The most recently returned connection to `key` that is still open and within its idle
  /// timeout, or null. Dead ones met on the way are closed.
  std::unique_ptr<ClientConn> checkout(const std::string& key);
  /// Keeps `conn` for reuse, unless the host already has its maximum or the pool is closed
  /// (then it is closed).
  void checkin(const std::string& key, std::unique_ptr<ClientConn> conn);
  /// Closes connections idle for longer than the idle timeout.
  void sweep();
  /// Closes everything and refuses further check-ins.
  void close_all();
  std::size_t idle_count() const;

 private:
  const std::size_t max_idle_per_host_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<ClientConn>>> idle_;
  std::size_t count_ = 0;
  bool closed_ = false;
};

}  // namespace cx::net::detail
