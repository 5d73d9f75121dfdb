// HttpSession: streamed responses (Reply::stream). The head goes out through Beast's serializer;
// the body is framed here (chunk-size line, data, CRLF), the chunks queued since the last write
// gathered into one write.

#include <charconv>
#include <span>

#include "net/http_session.hpp"
#include "net/http_stream.hpp"

namespace cx::net::detail {

namespace {

constexpr std::size_t kPeekBytes = 4096;
/// While streaming, bytes a client pipelines are kept up to this much; then we stop watching.
constexpr std::size_t kMaxPipelinedWhileStreaming = 16 * 1024;
constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

std::size_t hex_digits(std::size_t n) noexcept {
  std::size_t d = 1;
  while (n >>= 4) ++d;
  return d;
}

}  // namespace

void HttpSession::start_stream(std::uint64_t generation, std::shared_ptr<StreamChannel> channel,
                               Response head) {
  if (generation != generation_ || !awaiting_reply_ || state_ != State::Handling) {
    channel->ended();  // too late: timed out, or the connection is closing
    return;
  }
  awaiting_reply_ = false;
  handler_timer_.cancel();
  if (head.status < 100 || head.status > 599) {
    core_.log("net: handler streamed status " + std::to_string(head.status));
    channel->ended();
    respond(Response::error(500, "INTERNAL", "internal error"));
    return;
  }
  state_ = State::Streaming;
  if (!stream_state_) stream_state_ = std::make_unique<StreamState>();
  StreamState& ss = *stream_state_;
  const bool body_allowed = head.status >= 200 && head.status != 204 && head.status != 304;
  ss.has_body = body_allowed && !head_request_;
  ss.chunked = !request_http10_;
  ss.keep_alive = request_keep_alive_ && (ss.chunked || !ss.has_body) &&
                  !core_.stopping.load(std::memory_order_acquire);
  ss.last = false;
  ss.resume_after_peer = false;

  auto& res = ss.head.emplace();
  res.version(11);
  res.result(head.status);
  if (!head.content_type.empty()) res.set(http::field::content_type, head.content_type);
  for (const auto& [name, value] : head.headers) res.insert(name, value);
  res.erase(http::field::content_length);  // the framing is ours
  res.erase(http::field::transfer_encoding);
  res.set("x-request-id", request_id_);
  res.keep_alive(ss.keep_alive);
  if (body_allowed && ss.chunked) res.chunked(true);  // a HEAD response shows what GET would
  ss.serializer.emplace(res);
  streaming_ = std::move(channel);

  core_.metrics.record_request(head.status, Clock::now() - read_done_);
  stream_.expires_after(core_.options.write_timeout);
  http::async_write_header(
      stream_, *ss.serializer,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_stream_head(ec); });
}

void HttpSession::on_stream_head(beast::error_code ec) {
  StreamState& ss = *stream_state_;
  ss.serializer.reset();
  ss.head.reset();
  if (ec || !streaming_ || state_ != State::Streaming) {
    close_now();
    return;
  }
  if (!ss.has_body) {
    end_stream();
    return;
  }
  stream_.expires_never();
  watch_stream_peer();
  if (streaming_->ready()) write_stream_batch();
}

void HttpSession::write_stream(const std::shared_ptr<StreamChannel>& channel) {
  if (channel != streaming_ || state_ != State::Streaming) return;
  write_stream_batch();
}

void HttpSession::abort_stream(const std::shared_ptr<StreamChannel>& channel) {
  if (channel != streaming_) return;
  close_now();
}

void HttpSession::write_stream_batch() {
  StreamState& ss = *stream_state_;
  ss.batch.clear();
  bool last = false;
  if (!streaming_->take(ss.batch, last)) return;  // idle until the channel wakes us
  ss.last = last;
  ss.frames.clear();
  ss.buffers.clear();
  ss.batch_bytes = 0;
  for (const auto& chunk : ss.batch) ss.batch_bytes += chunk.size();
  if (ss.chunked) {
    // Size lines first: `frames` must not reallocate once buffers point into it.
    for (const auto& chunk : ss.batch) {
      char line[24];
      const auto r = std::to_chars(line, line + 20, chunk.size(), 16);
      ss.frames.append(line, r.ptr);
      ss.frames.append(kCrlf);
    }
    ss.buffers.reserve(ss.batch.size() * 3 + 1);
    std::size_t offset = 0;
    for (const auto& chunk : ss.batch) {
      const std::size_t line = hex_digits(chunk.size()) + kCrlf.size();
      ss.buffers.emplace_back(ss.frames.data() + offset, line);
      offset += line;
      ss.buffers.emplace_back(chunk.data(), chunk.size());
      ss.buffers.emplace_back(kCrlf.data(), kCrlf.size());
    }
    if (last) ss.buffers.emplace_back(kLastChunk.data(), kLastChunk.size());
  } else {
    for (const auto& chunk : ss.batch) ss.buffers.emplace_back(chunk.data(), chunk.size());
  }
  if (ss.buffers.empty()) {  // an HTTP/1.0 body ending with nothing left to write
    end_stream();
    return;
  }
  stream_.expires_after(core_.options.write_timeout);
  asio::async_write(stream_, std::span<const asio::const_buffer>(ss.buffers),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->on_stream_write(ec);
                    });
}

void HttpSession::on_stream_write(beast::error_code ec) {
  StreamState& ss = *stream_state_;
  ss.batch.clear();
  ss.buffers.clear();
  if (ec || !streaming_ || state_ != State::Streaming) {
    close_now();  // the client is gone or does not read (write_timeout), or we were aborted
    return;
  }
  streaming_->written(ss.batch_bytes);
  if (ss.last) {
    if (!ss.chunked) {  // HTTP/1.0: the body ends with the connection
      const auto channel = std::move(streaming_);
      channel->ended();
      close_now();
      return;
    }
    end_stream();
    return;
  }
  write_stream_batch();
}

void HttpSession::watch_stream_peer() {
  StreamState& ss = *stream_state_;
  ss.peer_reading = true;
  stream_.socket().async_read_some(
      buffer_.prepare(kPeekBytes),
      [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        self->on_stream_peer(ec, n);
      });
}

void HttpSession::on_stream_peer(beast::error_code ec, std::size_t n) {
  StreamState& ss = *stream_state_;
  ss.peer_reading = false;
  if (n > 0) buffer_.commit(n);
  if (state_ == State::Closed) return;
  if (!streaming_) {  // the body ended while we watched: end_stream() cancelled this read
    if (ss.resume_after_peer) {
      ss.resume_after_peer = false;
      after_stream();
    }
    return;
  }
  if (ec) {  // the client closed or reset the connection
    close_now();
    return;
  }
  if (buffer_.size() < kMaxPipelinedWhileStreaming) watch_stream_peer();
}

void HttpSession::end_stream() {
  if (streaming_) {
    const auto channel = std::move(streaming_);
    channel->ended();
  }
  StreamState& ss = *stream_state_;
  if (ss.peer_reading) {  // one read at a time: continue once the watch has returned
    ss.resume_after_peer = true;
    beast::error_code ignored;
    stream_.socket().cancel(ignored);
    return;
  }
  after_stream();
}

void HttpSession::after_stream() {
  if (stream_state_->keep_alive) {
    wait_for_request();
  } else {
    lingering_close();
  }
}

}  // namespace cx::net::detail
