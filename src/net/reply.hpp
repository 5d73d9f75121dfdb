#pragma once
/// The completion callback of an asynchronous handler, and the writer of a streamed response.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "net/http_types.hpp"

namespace cx::net {

/// The producer's side of a streamed response body. The server implements it; StreamWriter is
/// what handlers hold. Every member may be called from any thread.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  /// See StreamWriter for the contract of each member.
  virtual bool write(std::string chunk) = 0;
  virtual void finish() = 0;
  virtual void abort() = 0;
  virtual bool closed() const noexcept = 0;
  virtual std::size_t queued_bytes() const noexcept = 0;
  virtual void on_close(std::function<void()> fn) = 0;
};

/// Where a Reply delivers. The server's sink posts the response to the connection's strand;
/// tests may use Reply::to().
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  /// Called at most once per Reply (the first call wins), and never after open_stream().
  virtual void deliver(Response response) = 0;
  /// Starts a streamed response with `head` (its body ignored); called at most once per Reply,
  /// never after deliver(). Null (the default) means "not supported": the Reply then collects
  /// the chunks and deliver()s them as one Response on finish() (what Reply::to() relies on).
  virtual std::shared_ptr<StreamSink> open_stream(const Response& head);
};

/// Writes the body of a streamed response (Reply::stream). Copyable and cheap (a shared
/// pointer); every member is thread-safe and may be called from any thread.
///
/// Chunks are queued and written in order, one write in flight, several queued chunks gathered
/// into one write. The queue is bounded (ServerOptions::max_stream_queue_bytes): a write() that
/// would exceed it returns false and the connection is closed (a client that does not read).
/// When every copy is dropped without finish() or abort(), the stream is finished, so a lost
/// writer never hangs a client.
class StreamWriter {
 public:
  /// A writer attached to nothing: closed from the start.
  StreamWriter() = default;
  explicit StreamWriter(std::shared_ptr<StreamSink> sink);

  /// Queues `chunk` (an empty chunk is accepted and ignored). False once the client is gone,
  /// the stream has been finished or aborted, or the queue bound was hit: the producer should
  /// stop (and cancel its upstream).
  bool write(std::string chunk) const;
  /// Ends the body after the queued chunks (the last chunk of the chunked encoding); the
  /// connection then serves its next request as usual. Idempotent.
  void finish() const;
  /// Closes the connection without ending the body (the client sees a truncated response),
  /// dropping what is queued: for a broken upstream. No effect after finish() has completed.
  void abort() const;
  /// True once write() no longer accepts chunks (finish() or abort() called, client gone).
  bool closed() const noexcept;
  /// Bytes accepted by write() and not yet handed to the socket.
  std::size_t queued_bytes() const noexcept;
  /// Runs `fn` once, on an I/O thread (or at once, on the caller's thread, if the stream has
  /// already ended), when the stream ends for any reason: body complete, aborted, client gone,
  /// server stopping. Replaces an earlier function. `fn` must not capture a StreamWriter of this
  /// stream (the cycle would keep the writer alive; capture what cancels the upstream instead).
  void on_close(std::function<void()> fn) const;

 private:
  struct Owner;
  std::shared_ptr<Owner> owner_;
};

/// Completes one request. Copyable, cheap (a shared pointer), callable from any thread, at any
/// time. The first call delivers; later calls are ignored. If every copy is destroyed without a
/// call, the request is answered with 500 INTERNAL ("handler dropped the request"), so a lost
/// callback never hangs a client. Calling it after the server stopped, or after the connection
/// closed or timed out (503 TIMEOUT, see ServerOptions::handler_timeout), is a harmless no-op.
class Reply {
 public:
  explicit Reply(std::shared_ptr<ReplySink> sink);

  /// A Reply that hands the response to `fn` (test doubles; `fn` may run on any thread). A
  /// streamed response reaches `fn` whole, once finished.
  static Reply to(std::function<void(Response)> fn);

  void operator()(Response response) const;

  /// Starts a response whose body is written later through the returned writer: status,
  /// content_type and headers come from `head` (its body is ignored); the body goes out with
  /// Transfer-Encoding: chunked (to an HTTP/1.0 client: unframed, then the connection closes).
  /// This is the Reply's one delivery: later calls (and stream()) are ignored, and a stream()
  /// after a delivery returns a closed writer. handler_timeout stops applying once the head is
  /// handed to the connection. For a HEAD request, or a status without a body (1xx, 204, 304),
  /// only the head is sent and the writer is closed at once.
  StreamWriter stream(Response head) const;

  /// True once a response has been delivered (or a stream started) through any copy.
  bool done() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace cx::net
