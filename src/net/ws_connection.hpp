#pragma once
/// Internal: the network side of one WebSocket session. Owns the stream on its strand: one read
/// pending, at most one write in flight (messages taken from the WsSessionImpl's queue), Beast's
/// ping/pong idle timeout, and a close timer that drops a peer who cannot take our close frame.
/// Kept alive by its pending operations; the application holds only the WsSessionImpl.

#include <optional>

#include "net/server_core.hpp"
#include "net/ws_session_impl.hpp"

namespace cx::net::detail {

class WsConnection final : public Session, public std::enable_shared_from_this<WsConnection> {
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
  void begin_close(std::uint16_t code, std::string reason);
  void close_slow_consumer();

 private:
  void handshake(http::request<http::string_body>&& upgrade, std::string request_id);
  void on_accept(beast::error_code ec);
  void read_next();
  void on_read(beast::error_code ec);
  void on_write(beast::error_code ec);
  void end(beast::error_code ec);
  void hard_close();

  ServerCore& core_;
  const asio::any_io_executor ex_;
  const std::shared_ptr<WsSessionImpl> session_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer read_buffer_;
  asio::steady_timer close_timer_;
  std::optional<http::request<http::string_body>> upgrade_;
  std::shared_ptr<const std::string> writing_;  ///< keeps the buffer of the write in flight
  bool opened_ = false;
  bool closing_ = false;
  bool ended_ = false;
  std::optional<WsCloseInfo> our_close_;
};

}  // namespace cx::net::detail
