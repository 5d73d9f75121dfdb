// The scheduler against a real engine service (journal and snapshots in a temporary
// directory), with the clock injected: funding is sampled and paid once per period and a future
// settles once at expiry, also across restarts (docs/server.md, "Scheduler").
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <memory>
#include <random>

#include "api/engine_service.hpp"
#include "app/scheduler.hpp"

namespace cx::app {
namespace {

using namespace std::chrono_literals;

constexpr Timestamp kHour = 3'600'000;
constexpr Timestamp kMinute = 60'000;
constexpr Timestamp kHourStart = 472'222 * kHour;  // 2023-11-14 22:00 UTC

class SchedulerStory : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cx_scheduler_" + std::to_string(std::random_device{}()));
    std::filesystem::remove_all(dir_);
    open();
  }
  void TearDown() override {
    engine_->stop();
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }

  void open(Timestamp max_age = 0) {
    api::EngineOptions o;
    o.data_dir = dir_;
    o.clock = [this] { return now.load(); };
    o.tick_interval = 0ms;
    o.durable.exchange.oracle_max_age_ms = max_age;
    auto e = api::EngineService::open(o);
    ASSERT_TRUE(e) << e.error().message;
    engine_ = std::move(*e);
    engine_->start();
  }
  /// Stops the service (it writes a snapshot) and opens the directory again.
  void restart() {
    engine_->stop();
    engine_.reset();
    open();
  }
  Scheduler scheduler() {
    SchedulerOptions o;
    o.funding_sample_ms = kMinute;
    o.funding_settle_ms = kHour;
    return Scheduler(*engine_, o, [this] { return now.load(); });
  }

  /// Runs a JSON command; "" when it was applied without a rejection, else the reason.
  std::string run(const std::string& json) {
    auto p = std::make_shared<std::promise<std::string>>();
    auto f = p->get_future();
    EXPECT_TRUE(engine_->submit_json(json, [p](api::CommandResult& r, const engine::Exchange&) {
      std::string why = r.error ? r.error->message : "";
      for (const auto& e : r.raw) {
        if (e.type == engine::EventType::Rejected) why = engine::to_string(e.reason);
      }
      p->set_value(why);
    }));
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }
  template <class F>
  auto query(F fn) {
    using R = decltype(fn(std::declval<const engine::Exchange&>()));
    auto p = std::make_shared<std::promise<R>>();
    auto f = p->get_future();
    EXPECT_TRUE(engine_->query([p, fn](const engine::Exchange& x) { p->set_value(fn(x)); }));
    EXPECT_EQ(f.wait_for(10s), std::future_status::ready);
    return f.get();
  }
  Amount usdc(const std::string& trader) {
    return query([trader](const engine::Exchange& x) {
      return x.account(engine::Mode::Paper, *x.trader_id(trader)).assets[engine::kUSDC].balance;
    });
  }
  engine::FundingClock clock_of(const std::string& symbol) {
    return query([symbol](const engine::Exchange& x) {
      return x.market(*x.market_id(engine::Mode::Paper, symbol)).funding_clock;
    });
  }

  /// A BTC perpetual with a long (alice) and a short (bob) of 1 BTC at 100, mark above index.
  void perp_with_positions() {
    ASSERT_EQ(run(R"({"cmd":"createMarket","mode":"PAPER","symbol":"BTC-PERP","kind":"PERP",)"
                  R"("underlying":"BTC","tickSize":"0.1","lotSize":"0.001"})"),
              "");
    for (const char* t : {"alice", "bob"}) {
      ASSERT_EQ(run(std::string(R"({"cmd":"deposit","mode":"PAPER","trader":")") + t +
                    R"(","asset":"USDC","amount":"100000"})"),
                "");
    }
    ASSERT_EQ(run(R"({"cmd":"price","mode":"PAPER","market":"BTC-PERP","index":"100.0",)"
                  R"("mark":"100.5"})"),
              "");
    ASSERT_EQ(run(R"({"cmd":"placeOrder","mode":"PAPER","trader":"bob","market":"BTC-PERP",)"
                  R"("side":"SELL","type":"LIMIT","price":"100.0","qty":"1.000"})"),
              "");
    ASSERT_EQ(run(R"({"cmd":"placeOrder","mode":"PAPER","trader":"alice","market":"BTC-PERP",)"
                  R"("side":"BUY","type":"LIMIT","price":"100.0","qty":"1.000"})"),
              "");
  }

  std::filesystem::path dir_;
  std::atomic<Timestamp> now{kHourStart + 30'000};
  std::unique_ptr<api::EngineService> engine_;
};

TEST_F(SchedulerStory, FundingIsSampledEveryMinuteAndPaidOncePerHour) {
  perp_with_positions();
  Scheduler s = scheduler();
  EXPECT_EQ(s.run_once(), 1);  // the first sample; no payment before the next hour
  EXPECT_EQ(s.run_once(), 0);  // the same minute: nothing more
  now += kMinute;
  EXPECT_EQ(s.run_once(), 1);
  EXPECT_EQ(clock_of("BTC-PERP").sampled_at, now.load());
  EXPECT_EQ(clock_of("BTC-PERP").settled_at, -1);
  const Amount alice = usdc("alice");
  const Amount bob = usdc("bob");
  now = kHourStart + kHour + 5'000;
  EXPECT_EQ(s.run_once(), 2);  // a sample and the hour's payment
  EXPECT_EQ(clock_of("BTC-PERP").settled_at, now.load());
  EXPECT_LT(usdc("alice"), alice);  // mark above index: longs pay
  EXPECT_GT(usdc("bob"), bob);
  const Amount paid = usdc("alice");
  EXPECT_EQ(s.run_once(), 0);
  now += 30 * kMinute;
  EXPECT_EQ(s.run_once(), 1);  // a sample only
  EXPECT_EQ(usdc("alice"), paid);
}

TEST_F(SchedulerStory, ARestartNeitherRepeatsNorSkipsAPayment) {
  perp_with_positions();
  {
    Scheduler s = scheduler();
    EXPECT_EQ(s.run_once(), 1);
    now = kHourStart + kHour + 1'000;
    EXPECT_EQ(s.run_once(), 2);
  }
  const Amount alice = usdc("alice");
  const engine::FundingClock before = clock_of("BTC-PERP");
  restart();
  EXPECT_EQ(clock_of("BTC-PERP").settled_at, before.settled_at);  // from the snapshot
  {
    Scheduler s = scheduler();   // a new scheduler remembers nothing
    EXPECT_EQ(s.run_once(), 0);  // this hour is paid, this minute sampled
    EXPECT_EQ(usdc("alice"), alice);
    now += kHour;
    EXPECT_EQ(s.run_once(), 2);  // the next hour: paid once
    EXPECT_LT(usdc("alice"), alice);
    EXPECT_EQ(s.run_once(), 0);
  }
}

TEST_F(SchedulerStory, HoursMissedWhileDownArePaidOnceAtRestart) {
  perp_with_positions();
  {
    Scheduler s = scheduler();
    EXPECT_EQ(s.run_once(), 1);
    now = kHourStart + kHour + 1'000;
    EXPECT_EQ(s.run_once(), 2);
  }
  engine_->stop();
  engine_.reset();
  now += 3 * kHour;
  open();
  Scheduler s = scheduler();
  EXPECT_EQ(s.run_once(), 2);  // one sample, one payment
  EXPECT_EQ(s.run_once(), 0);
}

TEST_F(SchedulerStory, ANewPerpetualIsFirstPaidAtTheNextHour) {
  ASSERT_EQ(run(R"({"cmd":"createMarket","mode":"PAPER","symbol":"ETH-PERP","kind":"PERP",)"
                R"("underlying":"ETH","tickSize":"0.1","lotSize":"0.001"})"),
            "");
  Scheduler s = scheduler();
  EXPECT_EQ(s.run_once(), 0);  // no price yet: nothing to sample or pay
  ASSERT_EQ(run(R"({"cmd":"price","mode":"PAPER","market":"ETH-PERP","index":"3000.0"})"), "");
  EXPECT_EQ(s.run_once(), 1);  // a sample
  now = kHourStart + kHour - 1;
  EXPECT_EQ(s.run_once(), 1);  // a sample; the hour is not over
  now = kHourStart + kHour;
  EXPECT_EQ(s.run_once(), 2);
  EXPECT_EQ(clock_of("ETH-PERP").settled_at, kHourStart + kHour);
}

TEST_F(SchedulerStory, AFutureSettlesOnceAtExpiry) {
  const Timestamp expiry = kHourStart + kHour;
  ASSERT_EQ(run(R"({"cmd":"createMarket","mode":"PAPER","symbol":"BTC-F","kind":"FUTURE",)"
                R"("underlying":"BTC","tickSize":"0.1","lotSize":"0.001","expiry":)" +
                std::to_string(expiry) + "}"),
            "");
  Scheduler s = scheduler();
  EXPECT_EQ(s.run_once(), 0);  // never priced: nothing to settle
  ASSERT_EQ(run(R"({"cmd":"price","mode":"PAPER","market":"BTC-F","index":"100.0"})"), "");
  now = expiry - 1;
  EXPECT_EQ(s.run_once(), 0);
  now = expiry;
  EXPECT_EQ(s.run_once(), 1);
  const auto settled = [this] {
    return query([](const engine::Exchange& x) {
      const auto& m = x.market(*x.market_id(engine::Mode::Paper, "BTC-F"));
      return std::pair(m.status, m.risk.settle_price);
    });
  };
  EXPECT_EQ(settled(), std::pair(engine::MarketStatus::Settled, Price{1000}));
  EXPECT_EQ(s.run_once(), 0);
  restart();
  Scheduler again = scheduler();
  EXPECT_EQ(again.run_once(), 0);
  EXPECT_EQ(settled().first, engine::MarketStatus::Settled);
}

TEST_F(SchedulerStory, NoSampleWhileThePriceIsStale) {
  engine_->stop();
  engine_.reset();
  std::filesystem::remove_all(dir_);
  open(30'000);
  ASSERT_EQ(run(R"({"cmd":"createMarket","mode":"PAPER","symbol":"BTC-PERP","kind":"PERP",)"
                R"("underlying":"BTC","tickSize":"0.1","lotSize":"0.001"})"),
            "");
  ASSERT_EQ(run(R"({"cmd":"price","mode":"PAPER","market":"BTC-PERP","index":"100.0"})"), "");
  Scheduler s = scheduler();
  now += 30'000;
  EXPECT_EQ(s.run_once(), 1);  // 30 s old: still fresh
  now += kMinute;
  EXPECT_EQ(s.run_once(), 0);  // 90 s old: no sample
  ASSERT_EQ(run(R"({"cmd":"price","mode":"PAPER","market":"BTC-PERP","index":"101.0"})"), "");
  EXPECT_EQ(s.run_once(), 1);
}

}  // namespace
}  // namespace cx::app
