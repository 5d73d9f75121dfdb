#include "net/ws_session_impl.hpp"

#include "net/ws_connection.hpp"

namespace cx::net::detail {

WsSessionImpl::WsSessionImpl(std::uint64_t id, std::string remote, std::shared_ptr<void> context,
                             const WsOptions& options, std::shared_ptr<Liveness> liveness)
    : WsSession(id, std::move(remote), std::move(context)),
      max_messages_(options.max_queue_messages),
      max_bytes_(options.max_queue_bytes),
      liveness_(std::move(liveness)) {}

bool WsSessionImpl::send(std::string text) {
  return send(std::make_shared<const std::string>(std::move(text)));
}

bool WsSessionImpl::send(std::shared_ptr<const std::string> text) {
  if (!text) return false;
  return send(std::span<const std::shared_ptr<const std::string>>(&text, 1));
}

bool WsSessionImpl::send(std::span<const std::shared_ptr<const std::string>> texts) {
  std::size_t count = 0;
  std::size_t bytes = 0;
  for (const auto& t : texts) {
    if (!t) continue;
    ++count;
    bytes += t->size();
  }
  if (count == 0) return false;
  bool overflow = false;
  bool wake_writer = false;
  {
    const std::lock_guard lock(mutex_);
    if (!sendable_) return false;
    if (queue_.size() + writing_messages_ + count > max_messages_ ||
        queued_bytes_ + bytes > max_bytes_) {
      overflow = true;
      stop_sending_locked();
    } else {
      queued_bytes_ += bytes;
      for (const auto& t : texts) {
        if (t) queue_.push_back(t);
      }
      wake_writer = !writer_active_;
      writer_active_ = true;
    }
  }
  if (overflow) {
    open_.store(false, std::memory_order_release);
    post_to_connection([](WsConnection& c) { c.close_slow_consumer(); });
    return false;
  }
  if (wake_writer) post_to_connection([](WsConnection& c) { c.write_next(); });
  return true;
}

void WsSessionImpl::close(std::uint16_t code, std::string reason) {
  post_to_connection([code, r = std::move(reason)](WsConnection& c) mutable {
    c.begin_close(code, std::move(r));
  });
}

std::size_t WsSessionImpl::queued_bytes() const noexcept {
  const std::lock_guard lock(mutex_);
  return queued_bytes_;
}

std::size_t WsSessionImpl::queued_messages() const noexcept {
  const std::lock_guard lock(mutex_);
  return queue_.size() + writing_messages_;
}

void WsSessionImpl::opened() {
  {
    const std::lock_guard lock(mutex_);
    sendable_ = true;
  }
  open_.store(true, std::memory_order_release);
}

void WsSessionImpl::take_batch(std::vector<std::shared_ptr<const std::string>>& out,
                               std::size_t max) {
  const std::lock_guard lock(mutex_);
  if (queue_.empty()) {
    writer_active_ = false;
    return;
  }
  while (!queue_.empty() && max-- > 0) {
    writing_bytes_ += queue_.front()->size();
    ++writing_messages_;
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
}

void WsSessionImpl::write_done(bool ok) {
  const std::lock_guard lock(mutex_);
  queued_bytes_ -= writing_bytes_;
  writing_bytes_ = 0;
  writing_messages_ = 0;
  if (!ok) {
    stop_sending_locked();
    writer_active_ = false;
  }
}

void WsSessionImpl::stop_sending() {
  open_.store(false, std::memory_order_release);
  const std::lock_guard lock(mutex_);
  stop_sending_locked();
}

void WsSessionImpl::stop_sending_locked() {
  sendable_ = false;
  queue_.clear();
  queued_bytes_ = writing_bytes_;
}

bool WsSessionImpl::post_to_connection(std::function<void(WsConnection&)> fn) {
  const std::shared_lock lock(liveness_->mutex);
  if (!liveness_->alive) return false;
  auto connection = connection_.lock();
  if (!connection) return false;
  const auto ex = connection->executor();
  asio::post(ex, [c = std::move(connection), f = std::move(fn)] { f(*c); });
  return true;
}

}  // namespace cx::net::detail
