#pragma once
/// Internal: the server's side of one streamed response (Reply::stream). The producer's queue
/// lives here, guarded by a mutex so that StreamWriter works from any thread; the connection
/// takes chunks from it on its strand, one write in flight. The channel reaches its connection
/// only through a weak pointer guarded by the server's Liveness, like WsSessionImpl.

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "net/reply.hpp"
#include "net/server_core.hpp"

namespace cx::net::detail {

class HttpSession;

class StreamChannel final : public StreamSink, public std::enable_shared_from_this<StreamChannel> {
 public:
  StreamChannel(std::weak_ptr<HttpSession> session, std::shared_ptr<Liveness> liveness,
                std::size_t max_queue_bytes);
  ~StreamChannel() override;
  StreamChannel(const StreamChannel&) = delete;
  StreamChannel& operator=(const StreamChannel&) = delete;

  // StreamSink: the producer, any thread.
  bool write(std::string chunk) override;
  void finish() override;
  void abort() override;
  bool closed() const noexcept override;
  std::size_t queued_bytes() const noexcept override;
  void on_close(std::function<void()> fn) override;

  // The connection, on its strand.
  /// The head is written: from now on queued chunks wake the writer. True when there is work
  /// already (the writer is then marked active and the caller must write).
  bool ready();
  /// Moves the queued chunks into `out` (empty on entry) and sets `last` when finish() was
  /// called (everything before it is then in `out`). False, with the writer marked idle, when
  /// there is nothing to write.
  bool take(std::vector<std::string>& out, bool& last);
  /// `bytes` of chunk payload have been written.
  void written(std::size_t bytes) noexcept;
  /// The stream is over (body complete, connection closing, or the stream never started):
  /// refuses writes, drops the queue and runs on_close, once.
  void ended();

 private:
  /// Runs `fn` on the connection's strand if the connection and the server are still there.
  bool post_to_session(void (HttpSession::*fn)(const std::shared_ptr<StreamChannel>&));
  void wake_writer();

  const std::weak_ptr<HttpSession> session_;
  const std::shared_ptr<Liveness> liveness_;
  const std::size_t max_bytes_;

  mutable std::mutex mutex_;
  std::vector<std::string> queue_;
  std::size_t queued_bytes_ = 0;  ///< queue_ plus the write in flight
  std::function<void()> on_close_;
  bool ready_ = false;          ///< head written
  bool writer_active_ = false;  ///< a write is posted or in flight
  bool finishing_ = false;      ///< finish() called
  bool closed_ = false;         ///< writes refused
  bool ended_ = false;          ///< on_close has run (or is running)
};

}  // namespace cx::net::detail
