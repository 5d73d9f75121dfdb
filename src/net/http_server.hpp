#pragma once
/// HTTP/1.1 + WebSocket server on Boost.Beast/Asio (docs/http-server.md).
///
/// N I/O threads each run an io_context of their own; an accepted connection goes to one of them
/// in turn and stays there, on its own strand. It reads one request at a time (pipelined requests
/// wait in the buffer), keeps the connection alive when the client asks, and answers errors with
/// {"error":{"code":...,"message":...}}. Every response carries x-request-id (the client's, when
/// it sent a sane one, else a generated one).
///
/// Threading: construct, start() and stop() from one control thread (never from an I/O thread or
/// a handler: stop() joins them). port(), metrics() and ws_broadcast() are safe from any thread.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "net/http_client.hpp"
#include "net/metrics.hpp"
#include "net/router.hpp"
#include "net/server_options.hpp"

namespace cx::net {

class HttpServer {
 public:
  HttpServer(ServerOptions options, Router router, WsHandlers ws = {});
  /// stop()s if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  /// Binds, listens and starts the I/O threads. Fails with InvalidArgument on a bad address or
  /// options, IoError when the port cannot be bound. Call once.
  [[nodiscard]] Result<void> start();

  /// Graceful stop, idempotent: stops accepting; closes idle keep-alive connections; lets
  /// in-flight requests finish and sends their responses with "Connection: close" (bounded by
  /// drain_timeout); closes WebSocket sessions with 1001 "server shutting down"; then cuts
  /// whatever remains and joins the I/O threads. Replies arriving afterwards are ignored.
  void stop();

  /// The bound port (useful with port 0); 0 before start().
  std::uint16_t port() const noexcept;

  const ServerMetrics& metrics() const noexcept;
  /// metrics().render_prometheus(...) as a string, for a /metrics route.
  std::string metrics_text() const;

  /// Sends `text` to every open WebSocket session; returns how many accepted it.
  std::size_t ws_broadcast(std::string text);
  /// Open WebSocket sessions.
  std::size_t ws_session_count() const;

  /// An HTTP client that runs on this server's I/O threads instead of threads of its own: a
  /// handler's upstream call, its completion and the reply then stay on those threads, with no
  /// hand-off between thread pools (docs/http-client.md). Created by the first call (with
  /// `options`; later calls return the same client and ignore theirs), from the control thread,
  /// before or after start(). stop() shuts it down once the connections have drained (later
  /// requests complete at once with Shutdown); the client may outlive the server.
  std::shared_ptr<HttpClient> client(ClientOptions options = {});

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cx::net
