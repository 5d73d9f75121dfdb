#pragma once
/// Asynchronous HTTP/1.1 client (plain http://) with keep-alive pooling: docs/http-client.md.
///
/// The client runs on an io_context: its own, run by ClientOptions::threads threads, or one it
/// is given (an HttpServer's: HttpServer::client()), so that a handler's upstream call and its
/// reply stay on the server's threads. request() and stream() may be called from any thread;
/// each exchange runs on a strand of its own, so its callbacks are serial, and they run on the
/// io_context's threads. Called on one of those threads, an exchange starts at once, without a
/// hand-off, and its callback may run before request() returns (an invalid request, say). A
/// request made after shutdown() (or during destruction) completes at once on the caller's
/// thread with Shutdown.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.hpp"

namespace boost::asio {
class io_context;  // declared only: this header includes no Asio
}  // namespace boost::asio

namespace cx::net {

struct ClientOptions {
  /// Own threads (at least 1), sharing one io_context; ignored when the client runs on given
  /// io_contexts.
  unsigned threads = 1;
  /// Name resolution and TCP connect, per attempt (also bounded by the request's timeout).
  std::chrono::milliseconds connect_timeout{2'000};
  /// Idle keep-alive connections kept per host:port; more are closed on return.
  std::size_t max_idle_connections_per_host = 64;
  /// A pooled connection unused for this long is closed.
  std::chrono::milliseconds idle_timeout{30'000};
  /// Largest body request() buffers; more fails with TooLarge. (Streamed bodies are not
  /// limited: the caller sees every byte and may cancel.)
  std::size_t max_response_bytes = 64 * 1024 * 1024;
  /// Status line and headers of a response; more fails with TooLarge.
  std::size_t max_header_bytes = 64 * 1024;
};

/// One request. Either `url` ("http://host[:port]/target?query"; a literal IPv6 host in
/// brackets) or, when `url` is empty, host + port + target.
struct ClientRequest {
  Method method = Method::Get;  ///< Method::Other is refused (InvalidRequest)
  std::string url;
  std::string host;  ///< a name, or an IPv4/IPv6 literal (brackets optional)
  std::uint16_t port = 80;
  std::string target = "/";
  /// Sent as given (no CR/LF allowed). The client adds Host unless present, and
  /// Content-Length for a body (or POST/PUT/PATCH); Content-Length and Transfer-Encoding given
  /// here are dropped. "Connection: close" makes the connection single-use.
  Fields headers;
  std::string body;
  /// request(): the whole exchange (connect, write, the entire response).
  /// stream(): until the response head has arrived.
  std::chrono::milliseconds timeout{30'000};
  /// stream() only, after the head: the longest wait for more body bytes.
  std::chrono::milliseconds stream_idle_timeout{30'000};
};

enum class ClientErrc : std::uint8_t {
  Ok,
  InvalidRequest,  ///< bad URL, scheme, method or header; nothing was sent
  Resolve,         ///< the host name did not resolve
  Connect,         ///< refused, unreachable
  Timeout,         ///< see ClientRequest::timeout, stream_idle_timeout, connect_timeout
  Io,              ///< reset or closed by the server mid-exchange
  Protocol,        ///< a malformed response
  TooLarge,        ///< response headers or buffered body over the client's limits
  Cancelled,       ///< ClientStream::cancel(), or a stream callback threw
  Shutdown,        ///< the client is being destroyed
};

std::string_view to_string(ClientErrc e) noexcept;

/// Why an exchange failed. `before_response` is the retry flag: no byte of the response had
/// arrived (refused, unresolved, reset or timed out before the status line), so another server
/// may be tried. `request_sent` says whether any byte of the request reached the socket: when it
/// did, a non-idempotent request may have been acted on even though nothing came back.
struct ClientError {
  ClientErrc code = ClientErrc::Ok;
  bool before_response = false;
  bool request_sent = false;
  std::string message;

  bool ok() const noexcept { return code == ClientErrc::Ok; }
};

/// What request() delivers: the whole response, or `error`.
struct ClientResult {
  ClientError error;
  unsigned status = 0;
  Fields headers;  ///< as received
  std::string body;

  bool ok() const noexcept { return error.ok(); }
  /// First header with this name, case-insensitive.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
};

/// The callbacks of stream(). Run on the client's threads, one at a time per exchange, in this
/// order: on_head once (if the head arrives), on_data zero or more times, on_done exactly once.
/// They must not block. An exception from on_head or on_data cancels the exchange.
struct StreamCallbacks {
  std::function<void(unsigned status, const Fields& headers)> on_head;
  /// Body bytes as they arrive, the chunked encoding removed; the view is valid during the call.
  std::function<void(std::string_view data)> on_data;
  /// The end: error.ok() when the body is complete.
  std::function<void(const ClientError& error)> on_done;
};

namespace detail {
class ClientExchange;
struct ClientLiveness;
}  // namespace detail

/// A handle to one streamed exchange; holding it does not keep the exchange alive.
class ClientStream {
 public:
  ClientStream(std::weak_ptr<detail::ClientExchange> exchange,
               std::shared_ptr<detail::ClientLiveness> liveness);
  ~ClientStream();
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  /// Stops the exchange and closes its connection; on_done then reports Cancelled, once
  /// (nothing happens if it has already completed). Any thread, idempotent; never blocks on
  /// the network. From inside on_head/on_data no further on_data follows.
  void cancel();

 private:
  std::weak_ptr<detail::ClientExchange> exchange_;
  std::shared_ptr<detail::ClientLiveness> liveness_;
};

/// Counters, for tests and reports (each read atomically).
struct ClientStats {
  std::uint64_t requests = 0;            ///< exchanges started
  std::uint64_t connections_opened = 0;  ///< TCP connections established
  std::uint64_t connections_reused = 0;  ///< exchanges that took a pooled connection
  std::uint64_t retries = 0;  ///< exchanges retried after a reused connection failed early
};

class HttpClient {
 public:
  /// With an io_context and threads of its own.
  explicit HttpClient(ClientOptions options = {});
  /// On `iocs` (at least one; each should be run by one thread), which the caller runs. An
  /// exchange started on a thread that runs one of them stays on it; others take them in turn.
  /// shutdown() must be called while they still run and before they are destroyed (HttpServer
  /// does this for its client() in stop()); after that the client holds nothing of them and may
  /// outlive them. Throws std::invalid_argument for an empty list or a null.
  HttpClient(ClientOptions options, std::vector<boost::asio::io_context*> iocs);
  /// shutdown(), then the own threads (if any) are joined.
  ~HttpClient();

  /// Cancels what is outstanding: callbacks not yet run complete with Shutdown (on the
  /// io_context's threads, waited for up to 2 s), idle connections close, and later requests
  /// complete at once with Shutdown. Idempotent. Must not be called from one of the client's
  /// own callbacks (nor from a thread of its io_context).
  void shutdown();

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  /// Sends `req` and delivers the whole response (or the error) to `done`, once.
  void request(ClientRequest req, std::function<void(ClientResult)> done);

  /// Sends `req` and delivers the response as it arrives (see StreamCallbacks).
  std::shared_ptr<ClientStream> stream(ClientRequest req, StreamCallbacks callbacks);

  /// Idle pooled connections, all hosts.
  std::size_t idle_connections() const;
  ClientStats stats() const noexcept;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cx::net
