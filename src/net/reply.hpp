#pragma once
/// The completion callback of an asynchronous handler.

#include <functional>
#include <memory>

#include "net/http_types.hpp"

namespace cx::net {

/// Where a Reply delivers. The server's sink posts the response to the connection's strand;
/// tests may use Reply::to().
class ReplySink {
 public:
  virtual ~ReplySink() = default;
  /// Called at most once per Reply (the first call wins).
  virtual void deliver(Response response) = 0;
};

/// Completes one request. Copyable, cheap (a shared pointer), callable from any thread, at any
/// time. The first call delivers; later calls are ignored. If every copy is destroyed without a
/// call, the request is answered with 500 INTERNAL ("handler dropped the request"), so a lost
/// callback never hangs a client. Calling it after the server stopped, or after the connection
/// closed or timed out (503 TIMEOUT, see ServerOptions::handler_timeout), is a harmless no-op.
class Reply {
 public:
  explicit Reply(std::shared_ptr<ReplySink> sink);

  /// A Reply that hands the response to `fn` (test doubles; `fn` may run on any thread).
  static Reply to(std::function<void(Response)> fn);

  void operator()(Response response) const;
  /// True once a response has been delivered through any copy.
  bool done() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace cx::net
