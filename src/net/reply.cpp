#include "net/reply.hpp"

#include <atomic>

namespace cx::net {

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

}  // namespace

Reply::Reply(std::shared_ptr<ReplySink> sink) : state_(std::make_shared<State>(std::move(sink))) {}

Reply Reply::to(std::function<void(Response)> fn) {
  return Reply(std::make_shared<FunctionSink>(std::move(fn)));
}

void Reply::operator()(Response response) const {
  if (state_->done.exchange(true, std::memory_order_acq_rel)) return;
  if (state_->sink) state_->sink->deliver(std::move(response));
}

bool Reply::done() const noexcept {
  return state_->done.load(std::memory_order_acquire);
}

}  // namespace cx::net
