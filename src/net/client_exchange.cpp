#include "net/client_exchange.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "net/io_thread.hpp"

namespace cx::net::detail {

namespace {

constexpr std::size_t kReadBytes = 8 * 1024;

/// Concatenates its arguments (no `"literal" + std::string`, which g++ 12 warns about).
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string s;
  (s.append(parts), ...);
  return s;
}

std::string with_error(std::string_view what, const beast::error_code& ec) {
  return cat(what, std::string_view(": "), ec.message());
}

}  // namespace

// --- ClientCore -----------------------------------------------------------------------------

ClientCore::ClientCore(ClientOptions o, const std::vector<asio::io_context*>& iocs)
    : options(std::move(o)) {
  slots.reserve(iocs.size());
  for (asio::io_context* ioc : iocs) {
    slots.push_back(Slot{ioc, std::make_unique<ClientPool>(options.max_idle_connections_per_host,
                                                           options.idle_timeout)});
  }
}

ClientCore::Slot& ClientCore::pick_slot() noexcept {
  if (asio::io_context* mine = this_thread_io()) {
    for (Slot& s : slots) {
      if (s.ioc == mine) return s;
    }
  }
  return slots[next_slot_.fetch_add(1, std::memory_order_relaxed) % slots.size()];
}

std::size_t ClientCore::idle_count() const {
  std::size_t n = 0;
  for (const Slot& s : slots) n += s.pool->idle_count();
  return n;
}

bool ClientCore::add(std::uint64_t id, std::weak_ptr<ClientExchange> exchange) {
  const std::lock_guard lock(mutex_);
  if (stopping.load(std::memory_order_relaxed)) return false;
  live_.emplace(id, std::move(exchange));
  return true;
}

void ClientCore::remove(std::uint64_t id) {
  {
    const std::lock_guard lock(mutex_);
    if (live_.erase(id) == 0) return;
  }
  cv_.notify_all();
}

std::vector<std::shared_ptr<ClientExchange>> ClientCore::begin_shutdown() {
  std::vector<std::shared_ptr<ClientExchange>> out;
  const std::lock_guard lock(mutex_);
  stopping.store(true, std::memory_order_release);
  out.reserve(live_.size());
  for (const auto& [id, weak] : live_) {
    if (auto ex = weak.lock()) out.push_back(std::move(ex));
  }
  return out;
}

bool ClientCore::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [this] { return live_.empty(); });
}

// --- ExchangeBody ---------------------------------------------------------------------------

void ExchangeBody::reader::init(const boost::optional<std::uint64_t>& length,
                                beast::error_code& ec) {
  ec = {};
  if (!body_.exchange->body_init(length ? std::optional<std::uint64_t>(*length) : std::nullopt)) {
    ec = asio::error::operation_aborted;
  }
}

bool ExchangeBody::reader::deliver(const char* data, std::size_t size, beast::error_code& ec) {
  ec = {};
  if (body_.exchange->body_data(std::string_view(data, size))) return true;
  ec = asio::error::operation_aborted;
  return false;
}

// --- ClientExchange -------------------------------------------------------------------------

ClientExchange::ClientExchange(std::shared_ptr<ClientCore> core, PreparedRequest req,
                               std::function<void(ClientResult)> done)
    : core_(std::move(core)),
      id_(core_->next_id()),
      slot_(core_->pick_slot()),
      req_(std::move(req)),
      streaming_(false),
      done_(std::move(done)),
      strand_(asio::make_strand(*slot_.ioc)),
      timer_(strand_) {}

ClientExchange::ClientExchange(std::shared_ptr<ClientCore> core, PreparedRequest req,
                               StreamCallbacks callbacks)
    : core_(std::move(core)),
      id_(core_->next_id()),
      slot_(core_->pick_slot()),
      req_(std::move(req)),
      streaming_(true),
      callbacks_(std::move(callbacks)),
      strand_(asio::make_strand(*slot_.ioc)),
      timer_(strand_) {}

ClientExchange::~ClientExchange() {
  core_->remove(id_);  // dropped unfinished (the io_context went away): no callback
}

void ClientExchange::start() {
  // On a thread that runs the io_context (a server handler, when the client shares the
  // server's threads), the exchange starts here and now: no hand-off to another thread.
  asio::dispatch(strand_, [self = shared_from_this()] { self->run(); });
}

void ClientExchange::cancel() {
  if (cancel_requested_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(strand_,
             [self = shared_from_this()] { self->fail(ClientErrc::Cancelled, "cancelled"); });
}

void ClientExchange::abort(ClientErrc code, std::string message) {
  asio::post(strand_, [self = shared_from_this(), code, m = std::move(message)]() mutable {
    self->fail(code, std::move(m));
  });
}

std::function<void()> ClientExchange::take_refusal() {
  ClientError e{ClientErrc::Shutdown, true, false, "the client is shutting down"};
  if (streaming_) {
    return [on_done = std::move(callbacks_.on_done), e = std::move(e)] {
      try {
        if (on_done) on_done(e);
      } catch (...) {  // as deliver(): a throwing completion is contained
      }
    };
  }
  return [done = std::move(done_), e = std::move(e)]() mutable {
    ClientResult r;
    r.error = std::move(e);
    try {
      if (done) done(std::move(r));
    } catch (...) {
    }
  };
}

void ClientExchange::run() {
  if (phase_ != Phase::Idle) return;  // aborted before it started
  if (req_.invalid.code != ClientErrc::Ok) {
    fail(req_.invalid.code, req_.invalid.message);
    return;
  }
  core_->requests.fetch_add(1, std::memory_order_relaxed);
  const auto now = Clock::now();
  deadline_ = now + req_.timeout;
  conn_ = slot_.pool->checkout(req_.key);
  if (!conn_) {
    connect_fresh();
    return;
  }
  core_->connections_reused.fetch_add(1, std::memory_order_relaxed);
  reused_ = true;
  arm_timer();
  send();
}

void ClientExchange::connect_fresh() {
  phase_ = Phase::Connecting;
  reused_ = false;
  connect_deadline_ = Clock::now() + core_->options.connect_timeout;
  arm_timer();
  conn_ = std::make_unique<ClientConn>(*slot_.ioc);
  beast::error_code ec;
  const auto address = asio::ip::make_address(req_.host, ec);
  if (!ec) {
    conn_->socket.async_connect(
        tcp::endpoint(address, req_.port),
        asio::bind_executor(strand_, [self = shared_from_this()](beast::error_code cec) {
          self->on_connected(cec);
        }));
    return;
  }
  if (!resolver_) resolver_.emplace(strand_);
  resolver_->async_resolve(
      req_.host, std::to_string(req_.port),
      asio::bind_executor(strand_, [self = shared_from_this()](
                                       beast::error_code rec, tcp::resolver::results_type results) {
        self->on_resolved(rec, results);
      }));
}

void ClientExchange::on_resolved(beast::error_code ec, const tcp::resolver::results_type& results) {
  if (phase_ != Phase::Connecting) return;
  if (ec) {
    fail(ClientErrc::Resolve, with_error(cat(std::string_view("resolving "), req_.host), ec));
    return;
  }
  asio::async_connect(
      conn_->socket, results,
      asio::bind_executor(strand_,
                          [self = shared_from_this()](beast::error_code cec, const tcp::endpoint&) {
                            self->on_connected(cec);
                          }));
}

void ClientExchange::on_connected(beast::error_code ec) {
  if (phase_ != Phase::Connecting) return;
  if (ec) {
    fail(ClientErrc::Connect, with_error(cat(std::string_view("connecting to "), req_.key), ec));
    return;
  }
  core_->connections_opened.fetch_add(1, std::memory_order_relaxed);
  beast::error_code ignored;
  conn_->socket.set_option(tcp::no_delay(true), ignored);
  send();  // the timer moves on to deadline_ when it next fires
}

void ClientExchange::send() {
  phase_ = Phase::Sending;
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(req_.head), asio::buffer(req_.body)};
  asio::async_write(conn_->socket, buffers,
                    asio::bind_executor(
                        strand_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                          self->on_sent(ec, n);
                        }));
}

void ClientExchange::on_sent(beast::error_code ec, std::size_t n) {
  if (phase_ != Phase::Sending) return;
  if (n > 0) request_sent_ = true;
  if (ec) {
    if (can_retry()) {
      retry();
    } else {
      fail(ClientErrc::Io, with_error("sending the request", ec));
    }
    return;
  }
  phase_ = Phase::Awaiting;
  new_parser();
  if (conn_->buffer.size() > 0) {  // never on a clean connection, but parse what is there
    parse();
    return;
  }
  read_more();
}

void ClientExchange::new_parser() {
  parser_.emplace();
  parser_->get().body().exchange = this;
  parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
      core_->options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  if (streaming_) {
    parser_->body_limit(boost::none);
  } else {
    parser_->body_limit(static_cast<std::uint64_t>(core_->options.max_response_bytes));
  }
  parser_->skip(req_.head_method);
}

void ClientExchange::read_more() {
  conn_->socket.async_read_some(
      conn_->buffer.prepare(kReadBytes),
      asio::bind_executor(strand_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->on_read(ec, n);
                          }));
}

void ClientExchange::on_read(beast::error_code ec, std::size_t n) {
  if (phase_ != Phase::Awaiting && phase_ != Phase::Body) return;
  if (n == 0) {
    on_read_error(ec ? ec : beast::error_code(asio::error::eof));
    return;
  }
  conn_->buffer.commit(n);
  response_started_ = true;
  last_activity_ = Clock::now();
  parse();
}

void ClientExchange::parse() {
  beast::flat_buffer& buffer = conn_->buffer;
  while (buffer.size() > 0 && !parser_->is_done()) {
    beast::error_code ec;
    const std::size_t used = parser_->put(buffer.data(), ec);
    buffer.consume(used);
    if (body_abort_ != ClientErrc::Ok) {
      fail(body_abort_, std::move(body_abort_message_));
      return;
    }
    if (ec == http::error::need_more) break;
    if (ec == http::error::header_limit || ec == http::error::body_limit) {
      fail(ClientErrc::TooLarge, with_error("response over the client's limit", ec));
      return;
    }
    if (ec) {
      fail(ClientErrc::Protocol, with_error("malformed response", ec));
      return;
    }
    if (!head_reported_ && parser_->is_header_done()) {
      if (!on_header()) return;
      continue;  // an interim 1xx reset the parser, or the body follows
    }
    if (parser_->is_done()) {
      complete();
      return;
    }
    if (used == 0) break;
  }
  if (parser_->is_done()) {  // e.g. a bodiless response whose head ended the buffer
    complete();
    return;
  }
  read_more();
}

bool ClientExchange::on_header() {
  const auto& head = parser_->get();
  const unsigned status = head.result_int();
  if (status >= 100 && status < 200 && status != 101) {  // interim: the real one follows
    new_parser();
    return true;
  }
  head_reported_ = true;
  status_ = status;
  phase_ = Phase::Body;
  if (!streaming_) return true;
  last_activity_ = Clock::now();
  arm_timer();  // from now on the idle timeout applies
  if (!callbacks_.on_head) return true;
  Fields fields;
  for (const auto& field : head) {
    fields.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  try {
    callbacks_.on_head(status, fields);
  } catch (const std::exception& e) {
    fail(ClientErrc::Cancelled,
         cat(std::string_view("on_head threw: "), std::string_view(e.what())));
    return false;
  }
  if (cancel_requested_.load(std::memory_order_acquire)) {
    fail(ClientErrc::Cancelled, "cancelled");
    return false;
  }
  return true;
}

bool ClientExchange::body_init(std::optional<std::uint64_t> length) {
  if (!streaming_ && length && *length <= core_->options.max_response_bytes) {
    body_.reserve(static_cast<std::size_t>(*length));
  }
  return true;
}

bool ClientExchange::body_data(std::string_view data) {
  if (!streaming_) {
    body_.append(data);
    return true;
  }
  if (cancel_requested_.load(std::memory_order_acquire)) {
    body_abort_ = ClientErrc::Cancelled;
    body_abort_message_ = "cancelled";
    return false;
  }
  if (!callbacks_.on_data) return true;
  try {
    callbacks_.on_data(data);
  } catch (const std::exception& e) {
    body_abort_ = ClientErrc::Cancelled;
    body_abort_message_ = cat(std::string_view("on_data threw: "), std::string_view(e.what()));
    return false;
  }
  if (cancel_requested_.load(std::memory_order_acquire)) {
    body_abort_ = ClientErrc::Cancelled;
    body_abort_message_ = "cancelled";
    return false;
  }
  return true;
}

void ClientExchange::on_read_error(beast::error_code ec) {
  if (ec == asio::error::eof && parser_ && parser_->is_header_done() && head_reported_) {
    beast::error_code eof_ec;
    parser_->put_eof(eof_ec);
    if (!eof_ec && parser_->is_done()) {  // a body delimited by the end of the connection
      req_.close = true;
      complete();
      return;
    }
  }
  if (can_retry()) {
    retry();
    return;
  }
  fail(ClientErrc::Io, with_error(response_started_ ? "connection lost mid-response"
                                                    : "connection lost before the response",
                                  ec));
}

bool ClientExchange::can_retry() const noexcept {
  return reused_ && !retried_ && !response_started_ &&
         !cancel_requested_.load(std::memory_order_acquire) &&
         !core_->stopping.load(std::memory_order_acquire);
}

void ClientExchange::retry() {
  retried_ = true;
  core_->retries.fetch_add(1, std::memory_order_relaxed);
  beast::error_code ignored;
  conn_->socket.close(ignored);
  conn_.reset();
  parser_.reset();
  connect_fresh();
}

Clock::time_point ClientExchange::current_deadline() const noexcept {
  switch (phase_) {
    case Phase::Connecting:
      return std::min(deadline_, connect_deadline_);
    case Phase::Body:
      return streaming_ ? last_activity_ + req_.stream_idle_timeout : deadline_;
    default:
      return deadline_;
  }
}

void ClientExchange::arm_timer() {
  const std::uint64_t seq = ++timer_seq_;
  timer_.expires_at(current_deadline());
  timer_.async_wait(
      [self = shared_from_this(), seq](beast::error_code ec) { self->on_timer(ec, seq); });
}

void ClientExchange::on_timer(beast::error_code ec, std::uint64_t seq) {
  if (ec || seq != timer_seq_ || phase_ == Phase::Done || phase_ == Phase::Idle) return;
  if (Clock::now() < current_deadline()) {  // the deadline moved on since the timer was set
    arm_timer();
    return;
  }
  using sv = std::string_view;
  std::string message;
  if (phase_ == Phase::Connecting) {
    message = cat(sv("connecting to "), req_.key, sv(" timed out"));
  } else if (phase_ == Phase::Body && streaming_) {
    message =
        cat(sv("no body bytes for "), std::to_string(req_.stream_idle_timeout.count()), sv(" ms"));
  } else if (phase_ == Phase::Body) {
    message =
        cat(sv("no complete response within "), std::to_string(req_.timeout.count()), sv(" ms"));
  } else {
    message = cat(sv("no response within "), std::to_string(req_.timeout.count()), sv(" ms"));
  }
  fail(ClientErrc::Timeout, std::move(message));
}

void ClientExchange::complete() {
  ClientResult result;
  result.status = status_;
  if (!streaming_) {
    const auto& head = parser_->get();
    result.headers.reserve(static_cast<std::size_t>(std::distance(head.begin(), head.end())));
    for (const auto& field : head) {
      result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    result.body = std::move(body_);
  }
  const bool reuse = !req_.close && parser_->keep_alive() && conn_->buffer.size() == 0 &&
                     !core_->stopping.load(std::memory_order_acquire);
  release(reuse);
  deliver(std::move(result));
}

void ClientExchange::fail(ClientErrc code, std::string message) {
  if (phase_ == Phase::Done) return;
  ClientResult result;
  result.error = ClientError{code, !response_started_, request_sent_, std::move(message)};
  release(false);
  deliver(std::move(result));
}

void ClientExchange::release(bool reuse) {
  phase_ = Phase::Done;
  ++timer_seq_;
  timer_.cancel();
  if (resolver_) resolver_->cancel();
  parser_.reset();
  if (conn_) {
    if (reuse) {
      slot_.pool->checkin(req_.key, std::move(conn_));
    } else {
      beast::error_code ignored;
      conn_->socket.close(ignored);
      conn_.reset();
    }
  }
}

void ClientExchange::deliver(ClientResult result) {
  try {
    if (streaming_) {
      auto on_done = std::move(callbacks_.on_done);
      callbacks_ = {};
      if (on_done) on_done(result.error);
    } else {
      auto done = std::move(done_);
      if (done) done(std::move(result));
    }
  } catch (...) {  // a throwing completion must not take the I/O thread down
  }
  core_->remove(id_);
}

}  // namespace cx::net::detail
