// The engine service's hand-over to the projector (src/api/engine_service.hpp).
#include "api/engine_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>

namespace cx::api {
namespace {

using namespace std::chrono_literals;

class EngineServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cx_engine_service_" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    if (engine_) engine_->stop();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open(std::size_t max_batch, std::size_t max_lag, bool slow_projector = false) {
    EngineOptions o;
    if (slow_projector) o.before_projecting = [] { std::this_thread::sleep_for(1ms); };
    o.data_dir = dir_;
    o.tick_interval = 0ms;
    o.max_batch = max_batch;
    o.projector_max_lag = max_lag;
    auto e = EngineService::open(o);
    ASSERT_TRUE(e) << e.error().message;
    engine_ = std::move(*e);
    engine_->start();
  }
  /// Submits `n` clock ticks (each one journaled and projected) and waits for their answers.
  void run_ticks(int n) {
    auto all = std::make_shared<std::promise<void>>();
    auto left = std::make_shared<std::atomic<int>>(n);
    for (int i = 0; i < n; ++i) {
      ASSERT_TRUE(engine_->submit(engine::ClockTick{},
                                  [all, left](CommandResult&, const engine::Exchange&) {
                                    if (--*left == 0) all->set_value();
                                  }));
    }
    ASSERT_EQ(all->get_future().wait_for(60s), std::future_status::ready);
  }

  std::filesystem::path dir_;
  std::unique_ptr<EngineService> engine_;
};

TEST_F(EngineServiceTest, ASlowProjectorHoldsTheEngineInsteadOfQueueingWithoutBound) {
  // At most 2 commands may wait for the projector before the engine waits for it; a batch
  // adds at most 8 more.
  open(8, 2, true);
  run_ticks(2000);
  const EngineStats s = engine_->stats();
  EXPECT_EQ(s.commands, 2000u);
  EXPECT_LE(s.projector_inbox_max, 2u + 8u);
  // Nothing was lost on the way: the read store catches up with every command.
  EXPECT_TRUE(engine_->wait_projected(engine_->durable_seq(), 30s));
  EXPECT_EQ(engine_->projected_seq(), engine_->durable_seq());
}

TEST_F(EngineServiceTest, StopsCleanlyWhileTheEngineWaitsForTheProjector) {
  open(4, 1, true);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(engine_->submit(engine::ClockTick{}, {}));
  }
  engine_->stop();  // applies and projects what was queued, then joins: must not hang
  EXPECT_EQ(engine_->projected_seq(), engine_->durable_seq());
  EXPECT_EQ(engine_->stats().commands, 500u);
}

}  // namespace
}  // namespace cx::api
