#include "net/reply.hpp"

#include <atomic>
#include <mutex>

namespace cx::net {

std::shared_ptr<StreamSink> ReplySink::open_stream(const Response&) {
  return nullptr;
}

namespace {

class FunctionSink final : public ReplySink {
 public:
  explicit FunctionSink(std::function<void(Response)> fn) : fn_(std::move(fn)) {}
  void deliver(Response response) override {
    if (fn_) fn_(std::move(response));
  }

 private:
  std::function<void(Response)> fn_;
};

/// For sinks that cannot stream: collects the chunks and delivers them as one response.
class CollectingStream final : public StreamSink {
 public:
  CollectingStream(std::shared_ptr<ReplySink> target, Response head)
      : target_(std::move(target)), response_(std::move(head)) {
    response_.body.clear();
  }

  bool write(std::string chunk) override {
    const std::lock_guard lock(mutex_);
    if (closed_) return false;
    response_.body += chunk;
    return true;
  }
  void finish() override { end(true); }
  void abort() override { end(false); }
  bool closed() const noexcept override {
    const std::lock_guard lock(mutex_);
    return closed_;
  }
  std::size_t queued_bytes() const noexcept override { return 0; }
  void on_close(std::function<void()> fn) override {
    {
      const std::lock_guard lock(mutex_);
      if (!ended_) {
        on_close_ = std::move(fn);
        return;
      }
    }
    if (fn) fn();
  }

 private:
  void end(bool deliver) {
    std::function<void()> fn;
    Response response;
    {
      const std::lock_guard lock(mutex_);
      if (ended_) return;
      closed_ = true;
      ended_ = true;
      fn = std::move(on_close_);
      response = std::move(response_);
    }
    if (deliver && target_) target_->deliver(std::move(response));
    if (fn) fn();
  }

  const std::shared_ptr<ReplySink> target_;
  mutable std::mutex mutex_;
  Response response_;
  std::function<void()> on_close_;
  bool closed_ = false;
  bool ended_ = false;
};

}  // namespace

// --- StreamWriter ---------------------------------------------------------------------------

/// Shared by the copies of one StreamWriter; finishes the stream when the last copy goes.
struct StreamWriter::Owner {
  std::shared_ptr<StreamSink> sink;

  explicit Owner(std::shared_ptr<StreamSink> s) : sink(std::move(s)) {}
  Owner(const Owner&) = delete;
  Owner& operator=(const Owner&) = delete;
  ~Owner() {
    try {
      sink->finish();
    } catch (...) {  // a destructor must not throw
    }
  }
};

StreamWriter::StreamWriter(std::shared_ptr<StreamSink> sink)
    : owner_(sink ? std::make_shared<Owner>(std::move(sink)) : nullptr) {}

bool StreamWriter::write(std::string chunk) const {
  return owner_ && owner_->sink->write(std::move(chunk));
}

void StreamWriter::finish() const {
  if (owner_) owner_->sink->finish();
}

void StreamWriter::abort() const {
  if (owner_) owner_->sink->abort();
}

bool StreamWriter::closed() const noexcept {
  return !owner_ || owner_->sink->closed();
}

std::size_t StreamWriter::queued_bytes() const noexcept {
  return owner_ ? owner_->sink->queued_bytes() : 0;
}

void StreamWriter::on_close(std::function<void()> fn) const {
  if (owner_) {
    owner_->sink->on_close(std::move(fn));
  } else if (fn) {
    fn();
  }
}

// --- Reply ----------------------------------------------------------------------------------

struct Reply::State {
  std::shared_ptr<ReplySink> sink;
  std::atomic<bool> done{false};

  explicit State(std::shared_ptr<ReplySink> s) : sink(std::move(s)) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  ~State() {
    if (!done.exchange(true, std::memory_order_acq_rel) && sink) {
      try {
        sink->deliver(Response::error(500, "INTERNAL", "handler dropped the request"));
      } catch (...) {  // a destructor must not throw; the connection then times out
      }
    }
  }
};

Reply::Reply(std::shared_ptr<ReplySink> sink) : state_(std::make_shared<State>(std::move(sink))) {}

Reply Reply::to(std::function<void(Response)> fn) {
  return Reply(std::make_shared<FunctionSink>(std::move(fn)));
}

void Reply::operator()(Response response) const {
  if (state_->done.exchange(true, std::memory_order_acq_rel)) return;
  if (state_->sink) state_->sink->deliver(std::move(response));
}

StreamWriter Reply::stream(Response head) const {
  if (state_->done.exchange(true, std::memory_order_acq_rel) || !state_->sink) return {};
  std::shared_ptr<StreamSink> sink = state_->sink->open_stream(head);
  if (!sink) sink = std::make_shared<CollectingStream>(state_->sink, std::move(head));
  return StreamWriter(std::move(sink));
}

bool Reply::done() const noexcept {
  return state_->done.load(std::memory_order_acquire);
}

}  // namespace cx::net
