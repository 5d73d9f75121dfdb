#pragma once
/// Internal: one HTTP/1.1 connection. Reads one request at a time on its strand, dispatches it
/// through the router (or upgrades it to a WebSocket session), writes the response, repeats
/// while keep-alive holds.

#include <optional>

#include "net/server_core.hpp"

namespace cx::net::detail {

class HttpSession final : public Session, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(ServerCore& core, tcp::socket socket);
  ~HttpSession() override;
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  /// Registers with the server and starts reading; call once, right after make_shared.
  void start();
  void shutdown(bool force) override;

  /// From the Reply sink, on the strand: the async handler's response for request `generation`.
  void deliver(std::uint64_t generation, Response response);
  const asio::any_io_executor& executor() const noexcept { return ex_; }

 private:
  enum class State : std::uint8_t { Idle, Reading, Handling, Writing, Closed };

  void wait_for_request();
  void on_first_bytes(beast::error_code ec, std::size_t n);
  void read_header();
  void on_header(beast::error_code ec);
  void on_continue_written(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  void on_read_error(beast::error_code ec);

  void handle();
  void upgrade(http::request<http::string_body>&& msg, Request&& req);
  void on_handler_timeout(std::uint64_t generation);

  /// Writes `r`; `close` forces Connection: close; `linger` drains the peer's bytes before
  /// closing (after an error, so the peer sees the response rather than a reset).
  void respond(Response r, bool close = false, bool linger = false);
  void on_write(beast::error_code ec, bool keep_alive, bool linger);
  void close_now();
  void lingering_close();
  void on_linger_read(beast::error_code ec, std::size_t n);

  ServerCore& core_;
  const std::uint64_t id_;
  const asio::any_io_executor ex_;  ///< the connection's strand (stream_ may be moved away)
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  http::response<http::empty_body> continue_;
  asio::steady_timer handler_timer_;
  std::string remote_;
  std::string request_id_;
  bool request_keep_alive_ = true;
  bool head_request_ = false;
  Clock::time_point read_done_{};
  std::uint64_t generation_ = 0;  ///< bumps per request; stale replies are ignored
  bool awaiting_reply_ = false;
  bool upgraded_ = false;  ///< stream_ now belongs to a WebSocket session
  std::size_t lingered_ = 0;
  State state_ = State::Idle;
};

}  // namespace cx::net::detail
