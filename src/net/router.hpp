#pragma once
/// Routes requests by method and path pattern to synchronous or asynchronous handlers.
///
/// Patterns are "/"-separated segments; a segment "{name}" matches one non-empty segment and its
/// decoded text is req.param("name"). Literal segments win over parameters
/// ("/api/orders/batch" beats "/api/orders/{orderId}"). Matching is exact: no trailing-slash or
/// case folding, and literal segments compare against the raw (undecoded) path.
///
/// Threading: build the router before the server starts; afterwards it is read-only and match()
/// is called from any I/O thread concurrently. Handlers run on the connection's strand (an I/O
/// thread) and must not block: a slow job belongs in an async handler that replies later.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_types.hpp"
#include "net/reply.hpp"

namespace cx::net {

/// Synchronous handler: returns the response. An exception becomes 500 INTERNAL.
using Handler = std::function<Response(const Request&)>;
/// Asynchronous handler: calls `reply` once, now or later, from any thread. `req` is valid only
/// during the call (copy what the completion needs). An exception thrown before replying
/// becomes 500 INTERNAL.
using AsyncHandler = std::function<void(const Request& req, Reply reply)>;

class Router {
 public:
  /// One registered endpoint: exactly one of the two is set.
  struct Route {
    Handler sync;
    AsyncHandler async;
  };

  enum class MatchKind : std::uint8_t {
    Found,             ///< `route` set, params filled
    NotFound,          ///< no pattern matches the path (404)
    MethodNotAllowed,  ///< the path matches, not for this method; `allow` lists those that do (405)
    BadPath,           ///< a parameter segment has a malformed %-escape (400)
  };

  struct Match {
    MatchKind kind = MatchKind::NotFound;
    const Route* route = nullptr;
    std::string allow;  ///< "GET, POST" for MethodNotAllowed
  };

  Router();
  ~Router();
  Router(Router&&) noexcept;
  Router& operator=(Router&&) noexcept;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  /// Registers a handler. Throws std::invalid_argument on a pattern not starting with '/', an
  /// empty or unclosed "{}", the same (method, pattern) twice, or two different parameter names
  /// at one position ("/a/{x}" and "/a/{y}/b"). Method::Other cannot be registered.
  Router& add(Method method, std::string_view pattern, Handler handler);
  Router& add_async(Method method, std::string_view pattern, AsyncHandler handler);

  Router& get(std::string_view pattern, Handler h) {
    return add(Method::Get, pattern, std::move(h));
  }
  Router& post(std::string_view pattern, Handler h) {
    return add(Method::Post, pattern, std::move(h));
  }
  Router& del(std::string_view pattern, Handler h) {
    return add(Method::Delete, pattern, std::move(h));
  }

  /// Finds the endpoint for `method` on `path` (the target without its query). On Found, the
  /// decoded path parameters are appended to `params`.
  Match match(Method method, std::string_view path, Fields& params) const;

  struct Node;  ///< the segment trie (router.cpp)

 private:
  Router& insert(Method method, std::string_view pattern, Route route);
  std::unique_ptr<Node> root_;
};

}  // namespace cx::net
