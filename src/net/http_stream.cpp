#include "net/http_stream.hpp"

#include "net/http_session.hpp"

namespace cx::net::detail {

StreamChannel::StreamChannel(std::weak_ptr<HttpSession> session, std::shared_ptr<Liveness> liveness,
                             std::size_t max_queue_bytes)
    : session_(std::move(session)), liveness_(std::move(liveness)), max_bytes_(max_queue_bytes) {}

StreamChannel::~StreamChannel() = default;

bool StreamChannel::write(std::string chunk) {
  bool overflow = false;
  bool wake = false;
  {
    const std::lock_guard lock(mutex_);
    if (closed_ || finishing_) return false;
    if (chunk.empty()) return true;
    if (queued_bytes_ + chunk.size() > max_bytes_) {  // the client does not keep up
      overflow = true;
      closed_ = true;
      queue_.clear();
    } else {
      queued_bytes_ += chunk.size();
      queue_.push_back(std::move(chunk));
      wake = ready_ && !writer_active_;
      if (wake) writer_active_ = true;
    }
  }
  if (overflow) {  // close the connection: the client is not reading
    if (!post_to_session(&HttpSession::abort_stream)) ended();
    return false;
  }
  if (wake) wake_writer();
  return true;
}

void StreamChannel::finish() {
  {
    const std::lock_guard lock(mutex_);
    if (closed_ || finishing_) return;
    finishing_ = true;
    if (!ready_ || writer_active_) return;
    writer_active_ = true;
  }
  wake_writer();
}

void StreamChannel::abort() {
  {
    const std::lock_guard lock(mutex_);
    if (ended_) return;
    closed_ = true;
    queue_.clear();
  }
  if (!post_to_session(&HttpSession::abort_stream)) ended();
}

bool StreamChannel::closed() const noexcept {
  const std::lock_guard lock(mutex_);
  return closed_ || finishing_;
}

std::size_t StreamChannel::queued_bytes() const noexcept {
  const std::lock_guard lock(mutex_);
  return queued_bytes_;
}

void StreamChannel::on_close(std::function<void()> fn) {
  {
    const std::lock_guard lock(mutex_);
    if (!ended_) {
      on_close_ = std::move(fn);
      return;
    }
  }
  if (fn) fn();
}

bool StreamChannel::ready() {
  const std::lock_guard lock(mutex_);
  ready_ = true;
  if (writer_active_ || (queue_.empty() && !finishing_)) return false;
  writer_active_ = true;
  return true;
}

bool StreamChannel::take(std::vector<std::string>& out, bool& last) {
  const std::lock_guard lock(mutex_);
  if (closed_ || (queue_.empty() && !finishing_)) {
    writer_active_ = false;
    return false;
  }
  out.swap(queue_);
  last = finishing_;
  return true;
}

void StreamChannel::written(std::size_t bytes) noexcept {
  const std::lock_guard lock(mutex_);
  queued_bytes_ -= std::min(bytes, queued_bytes_);
}

void StreamChannel::ended() {
  std::function<void()> fn;
  {
    const std::lock_guard lock(mutex_);
    if (ended_) return;
    ended_ = true;
    closed_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    fn = std::move(on_close_);
  }
  if (fn) {
    try {
      fn();
    } catch (...) {  // the producer's hook; nothing sensible to do with its failure here
    }
  }
}

void StreamChannel::wake_writer() {
  if (!post_to_session(&HttpSession::write_stream)) ended();
}

bool StreamChannel::post_to_session(
    void (HttpSession::*fn)(const std::shared_ptr<StreamChannel>&)) {
  const std::shared_lock lock(liveness_->mutex);
  if (!liveness_->alive) return false;
  auto session = session_.lock();
  if (!session) return false;
  const auto ex = session->executor();
  asio::post(ex, [s = std::move(session), c = shared_from_this(), fn] { ((*s).*fn)(c); });
  return true;
}

}  // namespace cx::net::detail
