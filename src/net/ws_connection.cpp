#include "net/ws_connection.hpp"

namespace cx::net::detail {

namespace {

constexpr std::size_t kMaxCloseReason = 123;  // RFC 6455: control frame payload <= 125 bytes
/// Messages per write: two buffers each (header, payload), within the 64 that one writev takes.
constexpr std::size_t kMaxBatch = 28;
constexpr std::size_t kMaxHeader = 10;

/// Writes the header of one unmasked, final text frame of `size` payload bytes into `out`;
/// returns its length (RFC 6455 section 5.2).
std::size_t text_frame_header(std::size_t size, char* out) noexcept {
  out[0] = static_cast<char>(0x81);  // FIN, opcode 1 (text)
  if (size < 126) {
    out[1] = static_cast<char>(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    out[1] = static_cast<char>(126);
    out[2] = static_cast<char>((size >> 8) & 0xFF);
    out[3] = static_cast<char>(size & 0xFF);
    return 4;
  }
  out[1] = static_cast<char>(127);
  const auto wide = static_cast<std::uint64_t>(size);
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 + i] = static_cast<char>((wide >> (8 * (7 - i))) & 0xFF);
  }
  return 10;
}

/// True when Beast's write is a close frame (opcode 8): no data frame may follow it.
bool is_close_frame(const std::string& bytes) noexcept {
  return !bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x0F) == 0x08 &&
         (static_cast<unsigned char>(bytes[0]) & 0x80) != 0;
}

}  // namespace

void WsConnection::start(ServerCore& core, beast::tcp_stream&& stream,
                         std::shared_ptr<void> context, std::string remote,
                         http::request<http::string_body>&& upgrade, std::string request_id) {
  auto session =
      std::make_shared<WsSessionImpl>(core.next_session_id(), std::move(remote), std::move(context),
                                      core.options.ws, core.liveness);
  auto connection = std::make_shared<WsConnection>(core, std::move(stream), session);
  session->attach(connection);
  core.add_session(session->id(), connection);
  connection->handshake(std::move(upgrade), std::move(request_id));
}

WsConnection::WsConnection(ServerCore& core, beast::tcp_stream&& stream,
                           std::shared_ptr<WsSessionImpl> session)
    : core_(core),
      ex_(stream.get_executor()),
      session_(std::move(session)),
      ws_(std::move(stream)),
      close_timer_(ex_) {
  ws_.next_layer().set_sink(this);  // the write vectors grow on first use: idle sessions stay small
}

WsConnection::~WsConnection() {
  session_->stop_sending();
  if (opened_ && !ended_) core_.metrics.ws_session_closed();
  core_.remove_session(session_->id());
}

void WsConnection::handshake(http::request<http::string_body>&& upgrade, std::string request_id) {
  const WsOptions& o = core_.options.ws;
  beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts below take over
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = o.handshake_timeout;
  timeouts.idle_timeout = o.idle_timeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [id = std::move(request_id)](websocket::response_type& res) {
        res.set("x-request-id", id);
      }));
  ws_.read_message_max(o.max_message_bytes);
  upgrade_.emplace(std::move(upgrade));
  ws_.async_accept(*upgrade_,
                   [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void WsConnection::on_accept(beast::error_code ec) {
  upgrade_.reset();
  if (ec) {
    core_.log("net: WebSocket handshake failed: " + ec.message());
    hard_close();
    return;
  }
  opened_ = true;
  session_->opened();
  core_.metrics.ws_session_opened();
  core_.all_ws.add(session_);
  if (core_.ws.on_open) {
    try {
      core_.ws.on_open(session_);
    } catch (const std::exception& e) {
      core_.log(std::string("net: WebSocket on_open threw: ") + e.what());
      begin_close(ws_close::kInternal, "internal error");
    }
  }
  if (core_.stopping.load(std::memory_order_acquire)) {
    begin_close(ws_close::kGoingAway, "server shutting down");
  }
  read_next();
}

void WsConnection::read_next() {
  ws_.async_read(read_buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

void WsConnection::on_read(beast::error_code ec) {
  if (ec) {
    end(ec);
    return;
  }
  core_.metrics.ws_message_in();
  if (!ws_.got_text()) {
    begin_close(ws_close::kUnsupported, "binary messages are not supported");
  } else if (!closing_ && core_.ws.on_text) {
    const auto data = read_buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    try {
      core_.ws.on_text(session_, text);
    } catch (const std::exception& e) {
      core_.log(std::string("net: WebSocket on_text threw: ") + e.what());
      begin_close(ws_close::kInternal, "internal error");
    }
  }
  read_buffer_.consume(read_buffer_.size());
  read_next();  // also while closing: the peer's close frame completes this read
}

void WsConnection::control_write(std::string bytes, WsWriteHandler done) {
  control_queue_.push_back(ControlWrite{std::move(bytes), std::move(done)});
  write_next();
}

void WsConnection::write_next() {
  if (writing_) return;  // on_write comes back here
  control_flight_.swap(control_queue_);
  for (const ControlWrite& c : control_flight_) {
    // Before the handshake has completed Beast writes the HTTP response, not frames.
    if (opened_ && is_close_frame(c.bytes)) close_written_ = true;
  }
  data_flight_.clear();
  if (ended_ || close_written_) {
    session_->write_done(false);  // nothing more will be written: stop queueing
  } else {
    session_->take_batch(data_flight_, kMaxBatch);
  }
  if (control_flight_.empty() && data_flight_.empty()) return;
  build_buffers();
  writing_ = true;
  // Straight to the socket: WsStream's reads still pass through tcp_stream, whose timeouts are
  // off (Beast's websocket timeouts govern the session).
  asio::async_write(
      beast::get_lowest_layer(ws_).socket(), buffers_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
}

void WsConnection::build_buffers() {
  buffers_.clear();
  for (const ControlWrite& c : control_flight_) buffers_.push_back(asio::buffer(c.bytes));
  headers_.resize(kMaxHeader * data_flight_.size());
  for (std::size_t i = 0; i < data_flight_.size(); ++i) {
    char* h = headers_.data() + kMaxHeader * i;
    buffers_.emplace_back(h, text_frame_header(data_flight_[i]->size(), h));
    buffers_.push_back(asio::buffer(*data_flight_[i]));
  }
}

void WsConnection::on_write(beast::error_code ec) {
  writing_ = false;
  const std::size_t messages = data_flight_.size();
  data_flight_.clear();
  if (messages > 0) session_->write_done(!ec);
  if (!ec) {
    for (std::size_t i = 0; i < messages; ++i) core_.metrics.ws_message_out();
  }
  // Beast's handlers may write again (into control_queue_): finish this batch first.
  std::vector<ControlWrite> done;
  done.swap(control_flight_);
  for (ControlWrite& c : done) {
    const std::size_t n = ec ? 0 : c.bytes.size();
    std::move(c.done)(ec, n);
  }
  if (ec) {
    hard_close();  // the pending read completes with an error and ends the session
    // Beast's writes queued meanwhile still complete (with the error) through write_next.
  }
  write_next();
}

void WsConnection::close_slow_consumer() {
  if (!opened_ || closing_ || ended_) return;
  core_.metrics.ws_slow_consumer();
  begin_close(ws_close::kPolicy, "slow consumer");
}

void WsConnection::shutdown(bool force) {
  asio::post(ex_, [self = shared_from_this(), force] {
    if (force || !self->opened_) {
      self->hard_close();
    } else {
      self->begin_close(ws_close::kGoingAway, "server shutting down");
    }
  });
}

void WsConnection::begin_close(std::uint16_t code, std::string reason) {
  if (!opened_ || closing_ || ended_) return;
  closing_ = true;
  session_->stop_sending();
  if (reason.size() > kMaxCloseReason) reason.resize(kMaxCloseReason);
  our_close_ = WsCloseInfo{code, reason};
  close_timer_.expires_after(core_.options.ws.close_timeout);
  close_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->hard_close();
  });
  websocket::close_reason cr;
  cr.code = code;
  cr.reason = websocket::reason_string(reason.data(), reason.size());
  ws_.async_close(cr, [self = shared_from_this()](beast::error_code) {
    self->close_timer_.cancel();  // done or failed; the pending read ends the session
  });
}

void WsConnection::end(beast::error_code ec) {
  if (ended_) return;
  ended_ = true;
  session_->stop_sending();
  WsCloseInfo info;
  if (our_close_) {
    info = *our_close_;
  } else if (ec == websocket::error::closed) {
    info.code = ws_.reason().code;
    info.reason = std::string(ws_.reason().reason.data(), ws_.reason().reason.size());
  } else if (ec == websocket::error::message_too_big) {
    info = {ws_close::kTooBig, "message too big"};
  } else {
    info = {ws_close::kNoStatus, ec.message()};
  }
  core_.metrics.ws_session_closed();
  core_.all_ws.remove(session_->id());
  close_timer_.cancel();
  hard_close();  // the session is over once its read has ended; aborts a stuck write or close
  if (core_.ws.on_close) {
    try {
      core_.ws.on_close(session_, info);
    } catch (const std::exception& e) {
      core_.log(std::string("net: WebSocket on_close threw: ") + e.what());
    }
  }
}

void WsConnection::hard_close() {
  beast::get_lowest_layer(ws_).close();
}

}  // namespace cx::net::detail
