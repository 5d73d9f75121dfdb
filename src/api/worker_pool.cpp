#include "api/worker_pool.hpp"

#include <pthread.h>

#include <algorithm>

namespace cx::api {

WorkerPool::WorkerPool(std::size_t threads, std::size_t max_queue, const std::string& name)
    : max_queue_(std::max<std::size_t>(max_queue, 1)) {
  const std::string short_name = name.substr(0, 15);
  for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
    threads_.emplace_back([this, short_name] {
      pthread_setname_np(pthread_self(), short_name.c_str());
      run();
    });
  }
}

WorkerPool::~WorkerPool() {
  stop();
}

bool WorkerPool::post(std::function<void()> task) {
  {
    std::lock_guard lk(mutex_);
    if (stopping_ || tasks_.size() >= max_queue_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void WorkerPool::stop() {
  {
    std::lock_guard lk(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lk(mutex_);
  return tasks_.size();
}

void WorkerPool::run() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lk(mutex_);
      wake_.wait(lk, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, and nothing left to run
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    try {
      task();
    } catch (...) {  // NOLINT(bugprone-empty-catch): a task reports its own errors
    }
  }
}

}  // namespace cx::api
