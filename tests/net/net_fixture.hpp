#pragma once
/// Test helpers: a server on 127.0.0.1:0 and small Beast clients whose every operation is
/// bounded in time (tcp_stream deadlines, or run_for + close for WebSocket reads).

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_client.hpp"
#include "net/http_server.hpp"

namespace cx::net::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using HttpResponse = http::response<http::string_body>;

inline constexpr auto kWait = 3s;  ///< upper bound for anything expected to happen

/// Options every test starts from: loopback, ephemeral port, short timeouts.
inline ServerOptions test_options() {
  ServerOptions o;
  o.address = "127.0.0.1";
  o.port = 0;
  o.io_threads = 2;
  o.idle_timeout = 2s;
  o.request_timeout = 2s;
  o.write_timeout = 2s;
  o.handler_timeout = 2s;
  o.drain_timeout = 1s;
  o.ws.close_timeout = 300ms;
  return o;
}

inline std::unique_ptr<HttpServer> start_server(ServerOptions o, Router r, WsHandlers ws = {}) {
  auto server = std::make_unique<HttpServer>(std::move(o), std::move(r), std::move(ws));
  const auto started = server->start();
  EXPECT_TRUE(started.has_value()) << (started ? "" : started.error().message);
  EXPECT_NE(server->port(), 0);
  return server;
}

template <class T>
bool ready_within(std::future<T>& f, std::chrono::milliseconds d) {
  return f.wait_for(d) == std::future_status::ready;
}

inline std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}

/// One keep-alive HTTP connection.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) {
    stream_.expires_after(kWait);
    beast::error_code result = asio::error::would_block;
    stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                          [&](beast::error_code ec) { result = ec; });
    run();
    connected_ = !result;
  }

  bool connected() const { return connected_; }

  std::optional<HttpResponse> request(
      http::verb verb, std::string target, std::string body = {},
      std::initializer_list<std::pair<std::string, std::string>> headers = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || verb == http::verb::post) {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    stream_.expires_after(kWait);
    beast::error_code result = asio::error::would_block;
    http::async_write(stream_, req, [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    if (result) return std::nullopt;
    return read_response();
  }

  std::optional<HttpResponse> get(std::string target) {
    return request(http::verb::get, std::move(target));
  }

  bool write_raw(std::string_view bytes) {
    stream_.expires_after(kWait);
    beast::error_code result = asio::error::would_block;
    asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                      [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    return !result;
  }

  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = kWait) {
    stream_.expires_after(timeout);
    HttpResponse res;
    beast::error_code result = asio::error::would_block;
    http::async_read(stream_, buffer_, res,
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    if (result) return std::nullopt;
    return res;
  }

  /// Reads the response to a HEAD request (headers only, whatever Content-Length says).
  std::optional<http::response<http::empty_body>> read_head_response() {
    stream_.expires_after(kWait);
    http::response_parser<http::empty_body> parser;
    parser.skip(true);
    beast::error_code result = asio::error::would_block;
    http::async_read(stream_, buffer_, parser,
                     [&](beast::error_code ec, std::size_t) { result = ec; });
    run();
    if (result) return std::nullopt;
    return parser.release();
  }

  /// Reads raw bytes until the peer closes; true if it closed within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout = kWait) {
    stream_.expires_after(timeout);
    for (;;) {
      beast::error_code result = asio::error::would_block;
      std::size_t n = 0;
      stream_.async_read_some(buffer_.prepare(4096), [&](beast::error_code ec, std::size_t k) {
        result = ec;
        n = k;
      });
      run();
      if (result == beast::error::timeout) return false;
      if (result) return true;  // eof or reset
      buffer_.commit(n);
      buffer_.consume(buffer_.size());
    }
  }

  beast::flat_buffer& buffer() { return buffer_; }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  bool connected_ = false;
};

/// One WebSocket client connection. Reads are bounded by run_for; a timed-out read closes the
/// connection (the test has failed by then anyway).
class WsClient {
 public:
  /// `offer_deflate`: the handshake offers permessage-deflate (RFC 7692), as browsers do.
  WsClient(std::uint16_t port, std::string target, bool offer_deflate = false) {
    if (offer_deflate) {
      websocket::permessage_deflate pmd;
      pmd.client_enable = true;
      ws_.set_option(pmd);
    }
    auto& layer = beast::get_lowest_layer(ws_);
    layer.expires_after(kWait);
    beast::error_code result = asio::error::would_block;
    layer.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                        [&](beast::error_code ec) { result = ec; });
    run();
    if (result) return;
    result = asio::error::would_block;
    ws_.async_handshake(handshake_response_, "127.0.0.1", target,
                        [&](beast::error_code ec) { result = ec; });
    run();
    layer.expires_never();
    open_ = !result;
  }

  bool open() const { return open_; }
  const websocket::response_type& handshake_response() const { return handshake_response_; }
  websocket::stream<beast::tcp_stream>& stream() { return ws_; }
  asio::io_context& context() { return ioc_; }

  bool send(std::string_view text) {
    beast::error_code result = asio::error::would_block;
    ws_.text(true);
    ws_.async_write(asio::buffer(text.data(), text.size()),
                    [&](beast::error_code ec, std::size_t) { result = ec; });
    if (!run_for(kWait)) return false;
    return !result;
  }

  /// The next message, or the error that ended the connection (in `error`).
  std::optional<std::string> read(std::chrono::milliseconds timeout = kWait,
                                  beast::error_code* error = nullptr) {
    beast::flat_buffer buf;
    beast::error_code result = asio::error::would_block;
    ws_.async_read(buf, [&](beast::error_code ec, std::size_t) { result = ec; });
    if (!run_for(timeout)) result = beast::error::timeout;
    if (error) *error = result;
    if (result) return std::nullopt;
    return beast::buffers_to_string(buf.data());
  }

 private:
  void run() {
    ioc_.restart();
    ioc_.run();
  }
  /// Runs until the pending operation completes or `timeout`; on timeout closes the socket and
  /// lets the operation finish with an error. False on timeout.
  bool run_for(std::chrono::milliseconds timeout) {
    ioc_.restart();
    ioc_.run_for(timeout);
    if (ioc_.stopped()) return true;
    beast::get_lowest_layer(ws_).close();
    run();
    return false;
  }

  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  websocket::response_type handshake_response_;
  bool open_ = false;
};

/// A GET of http://127.0.0.1:<port><target> for an HttpClient, timing out after kWait.
inline ClientRequest client_get(std::uint16_t port, std::string_view target) {
  ClientRequest r;
  r.url = "http://127.0.0.1:";
  r.url.append(std::to_string(port)).append(target);
  r.timeout = kWait;
  return r;
}

/// HttpClient::request() made synchronous for a test (bounded by 2 x kWait).
inline ClientResult client_call(::cx::net::HttpClient& client, ClientRequest req) {
  auto promise = std::make_shared<std::promise<ClientResult>>();
  auto future = promise->get_future();
  client.request(std::move(req), [promise](ClientResult r) { promise->set_value(std::move(r)); });
  if (future.wait_for(2 * kWait) != std::future_status::ready) {
    ADD_FAILURE() << "no completion";
    ClientResult r;
    r.error.code = ClientErrc::Timeout;
    r.error.message = "test: no completion";
    return r;
  }
  return future.get();
}

}  // namespace cx::net::test
