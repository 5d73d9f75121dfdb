#pragma once
/// Internal: the network side of one WebSocket session. Owns the stream on its strand: one read
/// pending, at most one write in flight, Beast's ping/pong idle timeout, and a close timer that
/// drops a peer who cannot take our close frame. Kept alive by its pending operations; the
/// application holds only the WsSessionImpl.
///
/// The writer: Beast reads and runs the handshake and the control frames, but every byte goes out
/// through write_next() (WsStream hands Beast's writes to control_write()). One write sends
/// Beast's pending control bytes, then up to kMaxBatch queued messages framed here (unmasked text
/// frames, RFC 6455 section 5.2) in one gathered send. Once a close frame has been written no
/// data frame follows it.

#include <optional>
#include <vector>

#include "net/server_core.hpp"
#include "net/ws_session_impl.hpp"
#include "net/ws_stream.hpp"

namespace cx::net::detail {

class WsConnection final : public Session,
                           public WsControlSink,
                           public std::enable_shared_from_this<WsConnection> {
 public:
  /// Creates the session object and its connection, registers, and runs the handshake for
  /// `upgrade`. Called on the stream's strand.
  static void start(ServerCore& core, beast::tcp_stream&& stream, std::shared_ptr<void> context,
                    std::string remote, http::request<http::string_body>&& upgrade,
                    std::string request_id);

  WsConnection(ServerCore& core, beast::tcp_stream&& stream,
               std::shared_ptr<WsSessionImpl> session);
  ~WsConnection() override;
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  const asio::any_io_executor& executor() const noexcept { return ex_; }
  void shutdown(bool force) override;

  // On the strand (posted by WsSessionImpl).
  void write_next();
  /// Beast's writes (through WsStream).
  void control_write(std::string bytes, WsWriteHandler done) override;
  void begin_close(std::uint16_t code, std::string reason);
  void close_slow_consumer();

 private:
  void handshake(http::request<http::string_body>&& upgrade, std::string request_id);
  void on_accept(beast::error_code ec);
  void read_next();
  void on_read(beast::error_code ec);
  void on_write(beast::error_code ec);
  /// Frame headers and buffers for control_flight_ then data_flight_.
  void build_buffers();
  void end(beast::error_code ec);
  void hard_close();

  ServerCore& core_;
  const asio::any_io_executor ex_;
  const std::shared_ptr<WsSessionImpl> session_;
  websocket::stream<WsStream> ws_;
  beast::flat_buffer read_buffer_;
  asio::steady_timer close_timer_;
  std::optional<http::request<http::string_body>> upgrade_;
  struct ControlWrite {
    std::string bytes;
    WsWriteHandler done;
  };
  std::vector<ControlWrite> control_queue_;   ///< Beast's writes waiting for the writer
  std::vector<ControlWrite> control_flight_;  ///< Beast's writes in the write in flight
  std::vector<std::shared_ptr<const std::string>> data_flight_;  ///< messages in flight
  std::string headers_;                      ///< their frame headers, 10 bytes each
  std::vector<asio::const_buffer> buffers_;  ///< the write in flight
  bool writing_ = false;                     ///< a write is in flight
  bool close_written_ = false;               ///< a close frame went into a write
  bool opened_ = false;
  bool closing_ = false;
  bool ended_ = false;
  std::optional<WsCloseInfo> our_close_;
};

}  // namespace cx::net::detail
