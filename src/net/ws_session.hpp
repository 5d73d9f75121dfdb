#pragma once
/// A WebSocket session as the application sees it: send text from any thread, close, and the
/// context attached when the upgrade was accepted.
///
/// Outgoing messages wait in a bounded queue (WsOptions::max_queue_messages and
/// max_queue_bytes, the messages being written included). A send() that would overflow it does
/// not grow memory: the queue is dropped and the session is closed with 1008 "slow consumer".

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace cx::net {

/// Close codes (RFC 6455 section 7.4.1) the server uses.
namespace ws_close {
inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;    ///< server shutting down
inline constexpr std::uint16_t kUnsupported = 1003;  ///< binary message
inline constexpr std::uint16_t kNoStatus = 1005;     ///< no code received (peer vanished)
inline constexpr std::uint16_t kPolicy = 1008;       ///< slow consumer
inline constexpr std::uint16_t kTooBig = 1009;       ///< message over max_message_bytes
inline constexpr std::uint16_t kInternal = 1011;
}  // namespace ws_close

/// How a session ended: the code and reason we sent, or else the peer's, or kNoStatus with the
/// transport error (timeout, reset) as the reason.
struct WsCloseInfo {
  std::uint16_t code = ws_close::kNoStatus;
  std::string reason;
};

class WsSession {
 public:
  virtual ~WsSession() = default;
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  /// Unique within the server's lifetime, never 0.
  std::uint64_t id() const noexcept { return id_; }
  /// Peer IP as text.
  const std::string& remote_address() const noexcept { return remote_; }
  /// What the accept hook attached (WsAcceptResult::context); immutable for the session's life.
  /// The caller names the type it stored.
  template <class T>
  std::shared_ptr<T> context() const noexcept {
    return std::static_pointer_cast<T>(context_);
  }

  /// Queues one text message. Any thread; never blocks on the network. False when the session
  /// is closing or closed, or when the message does not fit the queue (the session is then
  /// being closed as a slow consumer).
  virtual bool send(std::string text) = 0;
  /// Same, sharing one immutable buffer between sessions (broadcast without copies).
  virtual bool send(std::shared_ptr<const std::string> text) = 0;
  /// Queues several messages in order, all or none (null entries are skipped): cheaper than one
  /// send() each, and they tend to leave in one network write. False as for send().
  virtual bool send(std::span<const std::shared_ptr<const std::string>> texts) = 0;
  /// Starts the closing handshake with `code` and `reason` (at most 123 bytes). Any thread;
  /// later calls are ignored. Messages still queued are dropped.
  virtual void close(std::uint16_t code = ws_close::kNormal, std::string reason = {}) = 0;
  /// False once closing has begun.
  virtual bool is_open() const noexcept = 0;
  /// Bytes and messages waiting, including the one being written.
  virtual std::size_t queued_bytes() const noexcept = 0;
  virtual std::size_t queued_messages() const noexcept = 0;

 protected:
  WsSession(std::uint64_t id, std::string remote, std::shared_ptr<void> context)
      : id_(id), remote_(std::move(remote)), context_(std::move(context)) {}

 private:
  const std::uint64_t id_;
  const std::string remote_;
  const std::shared_ptr<void> context_;
};

using WsSessionPtr = std::shared_ptr<WsSession>;

}  // namespace cx::net
