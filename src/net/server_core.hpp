#pragma once
/// Internal: the state HttpServer shares with its connections, and the Beast/Asio names the
/// session files use. Not part of the module's API (includes Beast).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "net/metrics.hpp"
#include "net/router.hpp"
#include "net/server_options.hpp"
#include "net/ws_group.hpp"

namespace cx::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

/// An HTTP connection or a WebSocket session, as the server's registry sees it.
class Session {
 public:
  virtual ~Session() = default;
  /// Any thread (posts to the session's strand). Graceful: close when idle, finish in-flight
  /// work first. Forced: drop the connection now.
  virtual void shutdown(bool force) = 0;
};

/// Lets objects that may outlive the server (Reply sinks, WsSession handles) know whether
/// posting to its io_context is still allowed: post under a shared lock while `alive`; stop()
/// clears it under the exclusive lock before the io_context stops.
struct Liveness {
  std::shared_mutex mutex;
  bool alive = true;
};

struct ServerCore {
  ServerOptions options;
  Router router;
  WsHandlers ws;
  std::shared_ptr<ServerMetrics> metrics_owner;  ///< options.metrics, or our own
  ServerMetrics& metrics;
  WsGroup all_ws;  ///< every open WebSocket session
  std::shared_ptr<Liveness> liveness = std::make_shared<Liveness>();
  std::atomic<bool> stopping{false};

  ServerCore(ServerOptions o, Router r, WsHandlers w);

  /// Registry of live sessions (for stop() and max_connections).
  std::uint64_t next_session_id() noexcept {
    return next_id_.fetch_add(1, std::memory_order_relaxed);
  }
  void add_session(std::uint64_t id, std::weak_ptr<Session> s);
  void remove_session(std::uint64_t id);
  std::size_t session_count() const;
  std::vector<std::shared_ptr<Session>> sessions() const;
  /// Waits until no session is registered; false on timeout.
  bool wait_no_sessions(std::chrono::milliseconds timeout);

  /// The client's x-request-id when it is 1..128 visible ASCII characters, else a new one.
  std::string request_id(std::string_view from_client);
  void log(std::string_view message) const;

 private:
  mutable std::mutex reg_mutex_;
  std::condition_variable reg_cv_;
  std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;
  std::atomic<std::uint64_t> next_id_{1};
  std::string id_prefix_;
  std::atomic<std::uint64_t> id_counter_{0};
};

/// Peer address as text; empty when the socket has none.
std::string remote_address_of(const tcp::socket& socket);

}  // namespace cx::net::detail
