#pragma once
/// A few threads that run queued tasks in order of arrival: where the API runs handlers that
/// block (read-store queries, waiting for the projector), so that they never hold up an I/O
/// thread and the connections pinned to it. The queue is bounded: post() refuses beyond it.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cx::api {

class WorkerPool {
 public:
  /// Starts `threads` (at least 1) named `name` (at most 15 characters show).
  WorkerPool(std::size_t threads, std::size_t max_queue, const std::string& name);
  /// stop().
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues `task`; false (and `task` dropped unrun) when the queue holds max_queue tasks or
  /// the pool is stopping. A task that throws is caught and ignored: tasks report their own
  /// errors.
  bool post(std::function<void()> task);
  /// Runs the tasks already queued, then joins the threads. Idempotent.
  void stop();

  std::size_t queued() const;

 private:
  void run();

  const std::size_t max_queue_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cx::api
