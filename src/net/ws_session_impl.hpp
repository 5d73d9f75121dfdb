#pragma once
/// Internal: the WsSession object the application holds. It owns the bounded outgoing queue
/// (mutex-guarded, so send() works from any thread) and reaches its connection only through a
/// weak pointer, guarded by the server's Liveness: holding a session after its connection or
/// the whole server is gone is safe, and send() then returns false.

#include <deque>
#include <functional>
#include <span>
#include <vector>

#include "net/server_core.hpp"

namespace cx::net::detail {

class WsConnection;

class WsSessionImpl final : public WsSession {
 public:
  WsSessionImpl(std::uint64_t id, std::string remote, std::shared_ptr<void> context,
                const WsOptions& options, std::shared_ptr<Liveness> liveness);

  bool send(std::string text) override;
  bool send(std::shared_ptr<const std::string> text) override;
  bool send(std::span<const std::shared_ptr<const std::string>> texts) override;
  void close(std::uint16_t code, std::string reason) override;
  bool is_open() const noexcept override { return open_.load(std::memory_order_acquire); }
  std::size_t queued_bytes() const noexcept override;
  std::size_t queued_messages() const noexcept override;

  // For the connection (its strand), not the application.
  void attach(std::weak_ptr<WsConnection> connection) { connection_ = std::move(connection); }
  /// The handshake completed: sends are accepted from now on.
  void opened();
  /// Moves up to `max` queued messages, oldest first, into flight (appended to `out`); when
  /// none is queued, marks the writer idle so that the next send() wakes it.
  void take_batch(std::vector<std::shared_ptr<const std::string>>& out, std::size_t max);
  /// The messages in flight have been written (or failed, or will never be: then sending stops).
  void write_done(bool ok);
  /// Closing or closed: drops the queue and refuses further sends.
  void stop_sending();

 private:
  void stop_sending_locked();
  /// Runs `fn` on the connection's strand if the connection and the server are still there.
  bool post_to_connection(std::function<void(WsConnection&)> fn);

  const std::size_t max_messages_;
  const std::size_t max_bytes_;
  const std::shared_ptr<Liveness> liveness_;
  std::weak_ptr<WsConnection> connection_;

  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t writing_messages_ = 0;  ///< in flight; counted in the limits
  std::size_t writing_bytes_ = 0;     ///< in flight; counted in queued_bytes_
  std::size_t queued_bytes_ = 0;
  bool writer_active_ = false;  ///< a write is posted or in flight
  bool sendable_ = false;       ///< open and not closing
  std::atomic<bool> open_{false};
};

}  // namespace cx::net::detail
