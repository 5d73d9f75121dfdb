#pragma once
/// The scheduler: turns time into clock commands (docs/server.md, "Scheduler").
/// - FundingSample for every perpetual once per `funding_sample_ms` period (default a minute),
/// - FundingSettle for every perpetual once per `funding_settle_ms` period (default an hour),
/// - SettleMarket for every future and option once its expiry has passed.
///
/// "Already done" is read from the exchange, never remembered by the scheduler: a perpetual's
/// FundingClock holds the command times of its last sample and settlement (saved in snapshots,
/// rebuilt by replay), and a settled market is SETTLED. A period is due when its start lies after
/// the last one done, so a restart neither repeats nor skips a payment; periods that pass
/// entirely while the server is down are paid once, at restart (docs/server.md).
///
/// Threading: plan() is pure (any thread that may read the exchange: the engine thread).
/// Scheduler::run_once() from one thread at a time; start()/stop() from the control thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/engine_service.hpp"
#include "engine/command.hpp"
#include "engine/exchange.hpp"

namespace cx::app {

struct SchedulerOptions {
  Timestamp funding_sample_ms = 60'000;
  Timestamp funding_settle_ms = 3'600'000;
  std::chrono::milliseconds round{1000};  ///< how often the scheduler looks
};

/// What the scheduler remembers between rounds: when it first saw a perpetual that never had a
/// sample or a settlement (its first payment is due at the first period start after that).
struct SchedulerMemory {
  std::map<MarketId, Timestamp> first_seen;
};

/// The commands due at `now`, in market order (samples before settlements of the same market).
/// Skips what the exchange would refuse: delisted or settled markets, perpetuals without a
/// price, samples while the market's price is older than the exchange's oracle_max_age_ms,
/// expired markets that never had a price.
[[nodiscard]] std::vector<engine::CommandBody> plan(const engine::Exchange& x, Timestamp now,
                                                    const SchedulerOptions& o,
                                                    SchedulerMemory& memory);

class Scheduler {
 public:
  using Clock = std::function<Timestamp()>;
  using Log = std::function<void(const std::string&)>;
  Scheduler(api::EngineService& engine, SchedulerOptions options, Clock clock, Log log = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// One round: plans on the engine thread, then submits each due command and waits (bounded)
  /// for its result before the next, so a later round sees its effect. Returns the number of
  /// commands applied without a rejection; -1 when the engine did not answer.
  int run_once();
  void start();
  void stop();

 private:
  void loop();

  api::EngineService& engine_;
  SchedulerOptions options_;
  Clock clock_;
  Log log_;
  SchedulerMemory memory_;  ///< the engine thread's (touched only inside plan())
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cx::app
