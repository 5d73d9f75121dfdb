// The reader pool that runs the read-store routes off the I/O threads (src/api/worker_pool.hpp).
#include "api/worker_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace cx::api {
namespace {

using namespace std::chrono_literals;

TEST(WorkerPool, RunsEveryPostedTaskOnItsOwnThreads) {
  WorkerPool pool(2, 100, "test-pool");
  std::mutex m;
  std::vector<int> done;
  std::promise<void> all;
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pool.post([&, i] {
      EXPECT_NE(std::this_thread::get_id(), std::thread::id{});
      std::lock_guard lk(m);
      done.push_back(i);
      if (done.size() == 10) all.set_value();
    }));
  }
  ASSERT_EQ(all.get_future().wait_for(10s), std::future_status::ready);
  std::lock_guard lk(m);
  EXPECT_EQ(done.size(), 10u);
}

TEST(WorkerPool, ABlockedTaskDoesNotHoldUpTheOtherThread) {
  WorkerPool pool(2, 100, "test-pool");
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  ASSERT_TRUE(pool.post([gate] { gate.wait(); }));  // a slow query
  std::promise<void> quick;
  ASSERT_TRUE(pool.post([&] { quick.set_value(); }));
  EXPECT_EQ(quick.get_future().wait_for(10s), std::future_status::ready);
  release.set_value();
}

TEST(WorkerPool, RefusesBeyondItsQueueBoundAndDropsTheTask) {
  WorkerPool pool(1, 2, "test-pool");
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  ASSERT_TRUE(pool.post([&, gate] {
    started.set_value();
    gate.wait();
  }));
  ASSERT_EQ(started.get_future().wait_for(10s), std::future_status::ready);
  std::atomic<int> ran{0};
  EXPECT_TRUE(pool.post([&] { ++ran; }));
  EXPECT_TRUE(pool.post([&] { ++ran; }));
  EXPECT_FALSE(pool.post([&] { ran += 100; }));  // two already wait: refused
  EXPECT_EQ(pool.queued(), 2u);
  release.set_value();
  pool.stop();
  EXPECT_EQ(ran.load(), 2);
}

TEST(WorkerPool, StopRunsWhatIsQueuedThenRefusesNewTasks) {
  WorkerPool pool(1, 100, "test-pool");
  std::atomic<int> ran{0};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.post([&] { ++ran; }));
  pool.stop();
  EXPECT_EQ(ran.load(), 5);
  EXPECT_FALSE(pool.post([&] { ++ran; }));
  pool.stop();  // idempotent
  EXPECT_EQ(ran.load(), 5);
}

TEST(WorkerPool, ATaskThatThrowsLeavesThePoolWorking) {
  WorkerPool pool(1, 100, "test-pool");
  ASSERT_TRUE(pool.post([] { throw std::runtime_error("boom"); }));
  std::promise<void> after;
  ASSERT_TRUE(pool.post([&] { after.set_value(); }));
  EXPECT_EQ(after.get_future().wait_for(10s), std::future_status::ready);
}

}  // namespace
}  // namespace cx::api
