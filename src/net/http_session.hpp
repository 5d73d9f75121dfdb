#pragma once
/// Internal: one HTTP/1.1 connection. Reads one request at a time on its strand, dispatches it
/// through the router (or upgrades it to a WebSocket session), writes the response (whole, or
/// streamed from a StreamChannel: http_session_stream.cpp), repeats while keep-alive holds.

#include <optional>
#include <string>
#include <vector>

#include "net/server_core.hpp"

namespace cx::net::detail {

class StreamChannel;

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
  /// From the Reply sink, on the strand: the async handler started a streamed response.
  void start_stream(std::uint64_t generation, std::shared_ptr<StreamChannel> channel,
                    Response head);
  /// From the channel, on the strand: chunks (or the finish) are queued and no write is going;
  /// or the producer aborted (or overflowed the queue) and the connection must close.
  void write_stream(const std::shared_ptr<StreamChannel>& channel);
  void abort_stream(const std::shared_ptr<StreamChannel>& channel);
  const asio::any_io_executor& executor() const noexcept { return ex_; }

 private:
  enum class State : std::uint8_t { Idle, Reading, Handling, Writing, Streaming, Closed };
  /// What a streamed response needs besides the channel; kept for the connection's lifetime once
  /// allocated (buffers referenced by a write in flight must outlive it).
  struct StreamState {
    std::optional<http::response<http::empty_body>> head;
    std::optional<http::response_serializer<http::empty_body>> serializer;
    std::vector<std::string> batch;  ///< the chunks of the write in flight
    std::string frames;              ///< their chunk-size lines
    std::vector<asio::const_buffer> buffers;
    std::size_t batch_bytes = 0;
    bool has_body = true;  ///< false: HEAD, 1xx, 204, 304
    bool chunked = true;   ///< false: an HTTP/1.0 client (body ends when the connection closes)
    bool keep_alive = true;
    bool last = false;  ///< the write in flight ends the body
    bool peer_reading = false;
    bool resume_after_peer = false;  ///< continue (after_stream) once the pending read returns
  };

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
  void arm_handler_timer();
  void on_handler_timer();

  /// Writes `r`; `close` forces Connection: close; `linger` drains the peer's bytes before
  /// closing (after an error, so the peer sees the response rather than a reset).
  void respond(Response r, bool close = false, bool linger = false);
  void write_head(const Response& r, bool with_length, bool keep_alive);
  void on_write(beast::error_code ec, bool keep_alive, bool linger);
  // Streaming (http_session_stream.cpp).
  void on_stream_head(beast::error_code ec);
  void write_stream_batch();
  void on_stream_write(beast::error_code ec);
  /// Keeps a read pending while streaming, so that a client that goes away is noticed between
  /// chunks; bytes it pipelines meanwhile stay in buffer_ for the next request.
  void watch_stream_peer();
  void on_stream_peer(beast::error_code ec, std::size_t n);
  /// The body is complete: ends the channel, then continues like after a whole response.
  void end_stream();
  void after_stream();

  void close_now();
  void lingering_close();
  void on_linger_read(beast::error_code ec, std::size_t n);

  ServerCore& core_;
  const std::uint64_t id_;
  const asio::any_io_executor ex_;  ///< the connection's strand (stream_ may be moved away)
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_head_;  ///< the response in flight: status line and headers
  std::string out_body_;  ///< and its body
  http::response<http::empty_body> continue_;
  asio::steady_timer handler_timer_;
  std::string remote_;
  std::string request_id_;
  bool request_keep_alive_ = true;
  bool head_request_ = false;
  bool request_http10_ = false;  ///< no chunked encoding for this client
  Clock::time_point read_done_{};
  std::uint64_t generation_ = 0;  ///< bumps per request; stale replies are ignored
  bool awaiting_reply_ = false;
  bool handler_timer_armed_ = false;       ///< a wait on handler_timer_ is pending
  Clock::time_point handler_deadline_{};  ///< the awaited reply's deadline
  bool upgraded_ = false;  ///< stream_ now belongs to a WebSocket session
  std::size_t lingered_ = 0;
  std::shared_ptr<StreamChannel> streaming_;   ///< the streamed response in progress
  std::unique_ptr<StreamState> stream_state_;  ///< allocated by a connection's first stream
  State state_ = State::Idle;
};

}  // namespace cx::net::detail
