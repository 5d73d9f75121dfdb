#include "net/http_session.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "net/http_stream.hpp"
#include "net/url.hpp"
#include "net/ws_connection.hpp"

namespace cx::net::detail {

namespace {

constexpr std::size_t kFirstRead = 4096;
constexpr std::chrono::milliseconds kLinger{500};
constexpr std::size_t kLingerMaxBytes = 256 * 1024;

std::string_view sv(beast::string_view s) noexcept {
  return {s.data(), s.size()};
}

/// A parse error from Beast's HTTP parser (as opposed to transport errors and limits).
bool is_parse_error(const beast::error_code& ec) noexcept {
  return ec.category() == http::make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more;
}

/// Delivers an async handler's response to its connection's strand, unless the server is gone.
class SessionReplySink final : public ReplySink {
 public:
  SessionReplySink(std::weak_ptr<HttpSession> session, std::uint64_t generation,
                   std::shared_ptr<Liveness> liveness, std::size_t max_stream_queue_bytes)
      : session_(std::move(session)),
        generation_(generation),
        liveness_(std::move(liveness)),
        max_stream_queue_bytes_(max_stream_queue_bytes) {}

  void deliver(Response response) override {
    const std::shared_lock lock(liveness_->mutex);
    if (!liveness_->alive) return;
    auto session = session_.lock();
    if (!session) return;
    const auto ex = session->executor();
    auto fn = [s = std::move(session), g = generation_, r = std::move(response)]() mutable {
      s->deliver(g, std::move(r));
    };
    // From another strand on one of our threads (an upstream call's completion, when the
    // client shares the server's threads), the response is written from here, without a
    // hand-off. From the handler itself (already on the connection's strand) it is posted, so
    // the handler returns before the connection moves on.
    const auto* strand = ex.target<asio::strand<asio::io_context::executor_type>>();
    if (strand != nullptr && !strand->running_in_this_thread()) {
      asio::dispatch(ex, std::move(fn));
    } else {
      asio::post(ex, std::move(fn));
    }
  }

  std::shared_ptr<StreamSink> open_stream(const Response& head) override {
    auto channel = std::make_shared<StreamChannel>(session_, liveness_, max_stream_queue_bytes_);
    bool posted = false;
    {
      const std::shared_lock lock(liveness_->mutex);
      if (liveness_->alive) {
        if (auto session = session_.lock()) {
          const auto ex = session->executor();
          asio::post(ex, [s = std::move(session), g = generation_, c = channel,
                          h = head]() mutable { s->start_stream(g, std::move(c), std::move(h)); });
          posted = true;
        }
      }
    }
    if (!posted) channel->ended();  // the connection or the server is gone: a closed writer
    return channel;
  }

 private:
  std::weak_ptr<HttpSession> session_;
  std::uint64_t generation_;
  std::shared_ptr<Liveness> liveness_;
  std::size_t max_stream_queue_bytes_;
};

}  // namespace

HttpSession::HttpSession(ServerCore& core, tcp::socket socket)
    : core_(core),
      id_(core.next_session_id()),
      ex_(socket.get_executor()),
      stream_(std::move(socket)),
      handler_timer_(ex_),
      remote_(remote_address_of(stream_.socket())) {
  core_.metrics.http_connection_opened();
}

HttpSession::~HttpSession() {
  if (streaming_) streaming_->ended();  // the server dropped us without closing first
  core_.metrics.http_connection_closed();
  core_.remove_session(id_);
}

void HttpSession::start() {
  core_.add_session(id_, weak_from_this());
  beast::error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  asio::dispatch(ex_, [self = shared_from_this()] { self->wait_for_request(); });
}

void HttpSession::shutdown(bool force) {
  asio::post(ex_, [self = shared_from_this(), force] {
    if (self->upgraded_) return;
    if (force || self->state_ == State::Idle) {
      self->close_now();
    }
    // Reading, Handling, Writing, Streaming: the response (or the stream) goes out with
    // Connection: close or, if its head is already out, the connection closes after it.
    // Closed (lingering): the linger deadline ends it.
  });
}

void HttpSession::wait_for_request() {
  if (core_.stopping.load(std::memory_order_acquire)) {
    close_now();
    return;
  }
  state_ = State::Idle;
  if (buffer_.size() > 0) {  // a pipelined request is already here
    read_header();
    return;
  }
  stream_.expires_after(core_.options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(kFirstRead),
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->on_first_bytes(ec, n);
                          });
}

void HttpSession::on_first_bytes(beast::error_code ec, std::size_t n) {
  if (ec) {
    close_now();  // idle timeout, peer closed, or shutdown
    return;
  }
  buffer_.commit(n);
  read_header();
}

void HttpSession::read_header() {
  state_ = State::Reading;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
      core_.options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(static_cast<std::uint64_t>(core_.options.max_body_bytes));
  stream_.expires_after(core_.options.request_timeout);
  http::async_read_header(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void HttpSession::on_header(beast::error_code ec) {
  if (ec) {
    on_read_error(ec);
    return;
  }
  if (parser_->is_done()) {
    handle();
    return;
  }
  if (iequals(sv(parser_->get()[http::field::expect]), "100-continue")) {
    continue_ = {};
    continue_.version(11);
    continue_.result(http::status::continue_);
    http::async_write(stream_, continue_,
                      [self = shared_from_this()](beast::error_code wec, std::size_t) {
                        self->on_continue_written(wec);
                      });
    return;
  }
  read_body();
}

void HttpSession::on_continue_written(beast::error_code ec) {
  if (ec) {
    close_now();
    return;
  }
  read_body();
}

void HttpSession::read_body() {
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) {
                     if (ec) {
                       self->on_read_error(ec);
                     } else {
                       self->handle();
                     }
                   });
}

void HttpSession::on_read_error(beast::error_code ec) {
  read_done_ = Clock::now();
  const bool header_done = parser_ && parser_->is_header_done();
  request_id_ =
      core_.request_id(header_done ? sv(parser_->get()["x-request-id"]) : std::string_view{});
  request_keep_alive_ = false;
  head_request_ = false;
  request_http10_ = false;
  if (ec == http::error::body_limit) {
    respond(Response::error(
                413, "PAYLOAD_TOO_LARGE",
                "request body exceeds " + std::to_string(core_.options.max_body_bytes) + " bytes"),
            true, true);
  } else if (ec == http::error::header_limit) {
    respond(Response::error(431, "HEADERS_TOO_LARGE",
                            "request line and headers exceed " +
                                std::to_string(core_.options.max_header_bytes) + " bytes"),
            true, true);
  } else if (is_parse_error(ec)) {
    respond(Response::error(400, "MALFORMED_REQUEST", "malformed HTTP request: " + ec.message()),
            true, true);
  } else {
    close_now();  // timeout, reset, the peer closing mid-request, shutdown
  }
}

void HttpSession::handle() {
  state_ = State::Handling;
  read_done_ = Clock::now();
  http::request<http::string_body> msg = parser_->release();
  parser_.reset();
  request_keep_alive_ = msg.keep_alive();
  head_request_ = msg.method() == http::verb::head;
  request_http10_ = msg.version() < 11;
  request_id_ = core_.request_id(sv(msg["x-request-id"]));

  Request req;
  req.method = method_from_string(sv(msg.method_string()));
  req.target = std::string(sv(msg.target()));
  if (req.target.empty() || req.target.front() != '/') {
    respond(Response::error(400, "MALFORMED_REQUEST", "request target must start with '/'"), true);
    return;
  }
  const auto [path, query] = split_target(req.target);
  req.path = std::string(path);
  if (!parse_query(query, req.query)) {
    respond(Response::error(400, "MALFORMED_REQUEST", "malformed %-escape in the query string"));
    return;
  }
  req.headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
  for (const auto& field : msg) {
    req.headers.emplace_back(std::string(sv(field.name_string())), std::string(sv(field.value())));
  }
  req.request_id = request_id_;
  req.remote_address = remote_;
  req.keep_alive = request_keep_alive_;

  if (!core_.options.ws.path.empty() && req.path == core_.options.ws.path &&
      websocket::is_upgrade(msg)) {
    upgrade(std::move(msg), std::move(req));
    return;
  }
  req.body = std::move(msg.body());

  Router::Match match = core_.router.match(req.method, req.path, req.params);
  if (req.method == Method::Head && match.kind == Router::MatchKind::MethodNotAllowed) {
    Router::Match as_get = core_.router.match(Method::Get, req.path, req.params);
    if (as_get.kind == Router::MatchKind::Found) match = std::move(as_get);  // HEAD as GET
  }
  switch (match.kind) {
    case Router::MatchKind::NotFound:
      respond(Response::error(404, "NOT_FOUND", "no route for " + req.path));
      return;
    case Router::MatchKind::BadPath:
      respond(Response::error(400, "MALFORMED_REQUEST", "malformed %-escape in the path"));
      return;
    case Router::MatchKind::MethodNotAllowed: {
      Response r = Response::error(405, "METHOD_NOT_ALLOWED",
                                   std::string(to_string(req.method)) + " is not allowed on " +
                                       req.path + " (allowed: " + match.allow + ")");
      r.headers.emplace_back("Allow", match.allow);
      respond(std::move(r));
      return;
    }
    case Router::MatchKind::Found:
      break;
  }

  if (match.route->sync) {
    Response r;
    try {
      r = match.route->sync(req);
    } catch (const std::exception& e) {
      core_.log("net: handler for " + req.path + " threw: " + e.what());
      r = Response::error(500, "INTERNAL", "internal error");
    }
    respond(std::move(r));
    return;
  }

  const std::uint64_t generation = ++generation_;
  awaiting_reply_ = true;
  handler_deadline_ = read_done_ + core_.options.handler_timeout;
  if (!handler_timer_armed_) arm_handler_timer();
  const Reply reply(std::make_shared<SessionReplySink>(weak_from_this(), generation, core_.liveness,
                                                       core_.options.max_stream_queue_bytes));
  try {
    match.route->async(req, reply);
  } catch (const std::exception& e) {
    core_.log("net: async handler for " + req.path + " threw: " + e.what());
    reply(Response::error(500, "INTERNAL", "internal error"));
  }
}

void HttpSession::deliver(std::uint64_t generation, Response response) {
  if (generation != generation_ || !awaiting_reply_ || state_ != State::Handling) return;
  awaiting_reply_ = false;  // the handler timer, still armed, finds nothing to do
  respond(std::move(response));
}

/// One wait serves many requests: a reply leaves the timer armed, and when it fires it looks at
/// the request awaiting a reply now (if any) and waits again until that one's deadline. So a
/// busy keep-alive connection arms a timer about once per handler_timeout, not per request.
void HttpSession::arm_handler_timer() {
  handler_timer_armed_ = true;
  handler_timer_.expires_at(handler_deadline_);
  handler_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    self->handler_timer_armed_ = false;
    if (ec || self->state_ == State::Closed) return;
    self->on_handler_timer();
  });
}

void HttpSession::on_handler_timer() {
  if (!awaiting_reply_ || state_ != State::Handling) return;  // re-armed by the next request
  if (Clock::now() < handler_deadline_) {
    arm_handler_timer();  // a later request than the one the wait was armed for
    return;
  }
  awaiting_reply_ = false;
  respond(Response::error(
      503, "TIMEOUT",
      "no response within " + std::to_string(core_.options.handler_timeout.count()) + " ms"));
}

void HttpSession::upgrade(http::request<http::string_body>&& msg, Request&& req) {
  WsAcceptResult decision = WsAcceptResult::accept();
  if (core_.ws.accept) {
    try {
      decision = core_.ws.accept(req);
    } catch (const std::exception& e) {
      core_.log(std::string("net: WebSocket accept hook threw: ") + e.what());
      decision = WsAcceptResult::refuse(Response::error(500, "INTERNAL", "internal error"));
    }
  }
  if (decision.refusal) {
    respond(std::move(*decision.refusal), true);
    return;
  }
  if (core_.stopping.load(std::memory_order_acquire)) {
    respond(Response::error(503, "SHUTTING_DOWN", "the server is shutting down"), true);
    return;
  }
  upgraded_ = true;
  state_ = State::Closed;
  handler_timer_.cancel();  // an earlier request's wait would keep this object alive
  WsConnection::start(core_, std::move(stream_), std::move(decision.context), remote_,
                      std::move(msg), request_id_);
}

void HttpSession::respond(Response r, bool close, bool linger) {
  state_ = State::Writing;
  if (r.status < 100 || r.status > 599) {
    core_.log("net: handler returned status " + std::to_string(r.status));
    r = Response::error(500, "INTERNAL", "internal error");
  }
  const bool keep_alive =
      request_keep_alive_ && !close && !core_.stopping.load(std::memory_order_acquire);
  // 1xx, 204 and 304 carry no body and no Content-Length (RFC 9110 8.6); HEAD gets the length of
  // the body it would have had, and no body.
  const bool bodiless = r.status < 200 || r.status == 204 || r.status == 304;
  write_head(r, !bodiless, keep_alive);
  if (head_request_ || bodiless) {
    out_body_.clear();
  } else {
    out_body_ = std::move(r.body);
  }
  // Counted before the write starts, so a client that has its response sees it counted.
  core_.metrics.record_request(r.status, Clock::now() - read_done_);
  stream_.expires_after(core_.options.write_timeout);
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(out_head_),
                                                  asio::buffer(out_body_)};
  asio::async_write(
      stream_, buffers,
      [self = shared_from_this(), keep_alive, linger](beast::error_code ec, std::size_t) {
        self->on_write(ec, keep_alive, linger);
      });
}

/// The status line and header block of `r` into out_head_, in one buffer (Beast's serializer
/// costs more than the rest of a small response). Header lines a handler gave with a CR or LF
/// in them are left out rather than let one header become two.
void HttpSession::write_head(const Response& r, bool with_length, bool keep_alive) {
  auto field = [this](std::string_view name, std::string_view value) {
    if (name.empty() || name.find_first_of("\r\n:") != std::string_view::npos ||
        value.find_first_of("\r\n") != std::string_view::npos) {
      return;
    }
    out_head_ += name;
    out_head_ += ": ";
    out_head_ += value;
    out_head_ += "\r\n";
  };
  char digits[24];
  out_head_.clear();
  out_head_ += "HTTP/1.1 ";
  out_head_.append(digits, std::to_chars(digits, digits + sizeof digits, r.status).ptr);
  out_head_ += ' ';
  const auto reason = http::obsolete_reason(http::int_to_status(r.status));
  out_head_.append(reason.data(), reason.size());
  out_head_ += "\r\n";
  if (!r.content_type.empty()) field("Content-Type", r.content_type);
  for (const auto& [name, value] : r.headers) field(name, value);
  field("x-request-id", request_id_);
  if (with_length) {
    out_head_ += "Content-Length: ";
    out_head_.append(digits, std::to_chars(digits, digits + sizeof digits, r.body.size()).ptr);
    out_head_ += "\r\n";
  }
  if (!keep_alive) out_head_ += "Connection: close\r\n";
  out_head_ += "\r\n";
}

void HttpSession::on_write(beast::error_code ec, bool keep_alive, bool linger) {
  if (ec) {
    close_now();
    return;
  }
  if (!keep_alive || linger) {
    lingering_close();
    return;
  }
  wait_for_request();
}

void HttpSession::close_now() {
  if (upgraded_) return;
  state_ = State::Closed;
  awaiting_reply_ = false;
  handler_timer_.cancel();
  if (streaming_) {
    const auto channel = std::move(streaming_);
    channel->ended();  // on_close: the producer may cancel its upstream
  }
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

void HttpSession::lingering_close() {
  state_ = State::Closed;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    close_now();
    return;
  }
  lingered_ = 0;
  buffer_.clear();
  stream_.expires_after(kLinger);
  stream_.async_read_some(buffer_.prepare(kFirstRead),
                          [self = shared_from_this()](beast::error_code rec, std::size_t n) {
                            self->on_linger_read(rec, n);
                          });
}

void HttpSession::on_linger_read(beast::error_code ec, std::size_t n) {
  lingered_ += n;
  if (ec || lingered_ > kLingerMaxBytes) {
    close_now();
    return;
  }
  stream_.async_read_some(buffer_.prepare(kFirstRead),
                          [self = shared_from_this()](beast::error_code rec, std::size_t m) {
                            self->on_linger_read(rec, m);
                          });
}

}  // namespace cx::net::detail
