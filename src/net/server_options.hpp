#pragma once
/// Configuration of HttpServer: where it listens, its limits and timeouts, and the WebSocket
/// endpoint with its hooks. docs/http-server.md explains each limit's effect on a client.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.hpp"
#include "net/metrics.hpp"
#include "net/ws_session.hpp"

namespace cx::net {

using std::chrono::milliseconds;

struct WsOptions {
  /// The upgrade path ("/ws"); empty disables WebSocket. Upgrades elsewhere are routed as
  /// plain HTTP requests.
  std::string path;
  /// Largest incoming message; a bigger one closes the session with 1009.
  std::size_t max_message_bytes = 64 * 1024;
  /// Outgoing queue bounds per session (count and bytes, the message in flight included).
  std::size_t max_queue_messages = 1024;
  std::size_t max_queue_bytes = 1024 * 1024;
  /// Heartbeat: a ping goes out after idle_timeout / 2 without incoming data, and the session
  /// is dropped when nothing (not even a pong) arrives for idle_timeout.
  milliseconds idle_timeout{30'000};
  /// Bound on the opening handshake and on the closing handshake we start.
  milliseconds handshake_timeout{5'000};
  /// After we start closing, the TCP connection is dropped if the close has not completed by
  /// then (a peer that does not read can never receive our close frame).
  milliseconds close_timeout{2'000};
};

/// What the accept hook decides for one upgrade request.
struct WsAcceptResult {
  std::optional<Response> refusal;  ///< set: refuse, sending this HTTP response
  std::shared_ptr<void> context;    ///< accepted: attached to the session (WsSession::context)

  static WsAcceptResult accept(std::shared_ptr<void> context = {}) {
    return {std::nullopt, std::move(context)};
  }
  static WsAcceptResult refuse(Response response) { return {std::move(response), {}}; }
};

/// WebSocket hooks. All run on the session's strand (an I/O thread), must not block, and may
/// call any WsSession member. Unset hooks do nothing (an unset accept accepts).
struct WsHandlers {
  /// Sees the upgrade request (query, headers, remote address) before the handshake.
  std::function<WsAcceptResult(const Request&)> accept;
  /// After the handshake; the session may be stored (weakly, ideally) and sent to.
  std::function<void(const WsSessionPtr&)> on_open;
  /// Each complete text message. Binary messages close the session with 1003.
  std::function<void(const WsSessionPtr&, std::string_view text)> on_text;
  /// Once per opened session, when it has ended (after on_open, never concurrently with it).
  std::function<void(const WsSessionPtr&, const WsCloseInfo&)> on_close;
};

struct ServerOptions {
  std::string address = "127.0.0.1";  ///< IPv4 or IPv6 literal, no DNS names
  std::uint16_t port = 8080;          ///< 0: an ephemeral port, see HttpServer::port()
  unsigned io_threads = 2;            ///< at least 1

  std::size_t max_header_bytes = 16 * 1024;  ///< request line + headers; over it: 431
  std::size_t max_body_bytes = 1024 * 1024;  ///< over it: 413
  std::size_t max_connections = 10'000;      ///< HTTP + WebSocket; over it: closed at accept
  /// Bytes a streamed response (Reply::stream) may queue; a write() beyond it returns false and
  /// the connection is closed (the client is not reading).
  std::size_t max_stream_queue_bytes = 1024 * 1024;

  /// Keep-alive wait for the first byte of the next request; then the connection is closed.
  milliseconds idle_timeout{30'000};
  /// From the first byte of a request to its last; then the connection is closed (no response).
  milliseconds request_timeout{10'000};
  /// Writing one response; then the connection is closed.
  milliseconds write_timeout{10'000};
  /// An async handler that has not replied by then gets 503 TIMEOUT (its late reply is ignored).
  milliseconds handler_timeout{30'000};
  /// stop(): how long in-flight requests may take to finish before connections are cut.
  milliseconds drain_timeout{5'000};

  WsOptions ws;

  /// Where the counters go. Null: the server makes its own. Pass one to register a /metrics
  /// route on the Router before the server exists (the handler renders it, any thread).
  std::shared_ptr<ServerMetrics> metrics;

  /// Optional log sink for events a caller cannot see otherwise (handler exceptions, accept
  /// failures). Called from I/O threads.
  std::function<void(std::string_view)> log;
};

}  // namespace cx::net
