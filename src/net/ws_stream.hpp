#pragma once
/// Internal: the layer between Beast's websocket::stream and the TCP stream of one WebSocket
/// session. Reads pass straight through. Beast's own writes (the upgrade response, pings, pongs,
/// the close frame) do not reach the socket directly: they are copied and handed to the session's
/// writer (WsControlSink, the WsConnection), which sends them between whole data frames that it
/// frames itself. So every byte of a session goes out through one writer, a burst of messages
/// leaves in one gathered send, and no frame is ever split by another.
///
/// Beast's write completes when the writer has sent its bytes (or failed), so Beast's own
/// ordering (close frame before the teardown, one control write at a time) still holds.
/// Used on the session's strand only.

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <string>
#include <utility>

namespace cx::net::detail {

using WsWriteHandler =
    boost::asio::any_completion_handler<void(boost::beast::error_code, std::size_t)>;

/// Takes Beast's writes: sends `bytes` (whole: a frame or part of the upgrade response) in order
/// with the data frames, then calls `done(ec, bytes.size())` on the strand.
class WsControlSink {
 public:
  virtual void control_write(std::string bytes, WsWriteHandler done) = 0;

 protected:
  ~WsControlSink() = default;
};

class WsStream {
 public:
  using next_layer_type = boost::beast::tcp_stream;
  using executor_type = next_layer_type::executor_type;

  explicit WsStream(next_layer_type&& next) : next_(std::move(next)) {}

  /// Must be set before the handshake; the sink outlives the stream.
  void set_sink(WsControlSink* sink) noexcept { sink_ = sink; }

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }

  template <class MutableBufferSequence, class ReadToken>
  auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token) {
    return next_.async_read_some(buffers, std::forward<ReadToken>(token));
  }

  /// Takes all of `buffers` at once (Beast writes a control frame in one call).
  template <class ConstBufferSequence, class WriteToken>
  auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token) {
    return boost::asio::async_initiate<WriteToken, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBufferSequence& b) {
          std::string bytes(boost::asio::buffer_size(b), '\0');
          boost::asio::buffer_copy(boost::asio::buffer(bytes), b);
          sink_->control_write(std::move(bytes), WsWriteHandler(std::move(handler)));
        },
        token, buffers);
  }

 private:
  next_layer_type next_;
  WsControlSink* sink_ = nullptr;
};

/// Beast's closing handshake tears the TCP connection down through these (found by ADL).
inline void teardown(boost::beast::role_type role, WsStream& s, boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, s.next_layer().socket(), ec);
}

template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, WsStream& s, TeardownHandler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, s.next_layer().socket(), std::forward<TeardownHandler>(handler));
}

}  // namespace cx::net::detail
