#include "app/scheduler.hpp"

#include <future>
#include <memory>

#include "engine/reason.hpp"

namespace cx::app {

using namespace std::chrono_literals;

namespace {

/// Start of the period of length `len` that holds `t` (floor, also for negative times).
Timestamp period_of(Timestamp t, Timestamp len) {
  const Timestamp q = t / len;
  return (t % len != 0 && t < 0) ? q - 1 : q;
}

}  // namespace

std::vector<engine::CommandBody> plan(const engine::Exchange& x, Timestamp now,
                                      const SchedulerOptions& o, SchedulerMemory& memory) {
  using engine::MarketKind;
  using engine::MarketStatus;
  std::vector<engine::CommandBody> out;
  const Timestamp max_age = x.config().oracle_max_age_ms;
  for (MarketId id = 0; id < x.market_count(); ++id) {
    const engine::Market& m = x.market(id);
    if (m.status == MarketStatus::Delisted || m.status == MarketStatus::Settled) continue;
    if (m.spec.kind == MarketKind::Perp) {
      if (m.index <= 0) continue;  // never priced: nothing to sample or pay on
      const engine::FundingClock& c = m.funding_clock;
      const bool fresh = max_age <= 0 || now - m.risk.price_ts <= max_age;
      if (o.funding_sample_ms > 0 && m.mark > 0 && fresh &&
          (c.sampled_at < 0 ||
           period_of(now, o.funding_sample_ms) > period_of(c.sampled_at, o.funding_sample_ms))) {
        out.emplace_back(engine::FundingSample{id});
      }
      if (o.funding_settle_ms > 0) {
        Timestamp last = c.settled_at;
        if (last < 0) {
          // Never paid: the first payment is due at the first period start after the first
          // sample (or, without samples, after the scheduler first saw the market).
          if (c.sampled_at >= 0) {
            last = c.sampled_at;
          } else {
            last = memory.first_seen.try_emplace(id, now).first->second;
          }
        }
        if (period_of(now, o.funding_settle_ms) > period_of(last, o.funding_settle_ms)) {
          out.emplace_back(engine::FundingSettle{id});
        }
      }
    } else if (m.spec.kind == MarketKind::Future || m.spec.kind == MarketKind::Option) {
      if (m.spec.expiry > 0 && now >= m.spec.expiry && m.risk.price_ts >= 0) {
        out.emplace_back(engine::SettleMarket{id});
      }
    }
  }
  return out;
}

Scheduler::Scheduler(api::EngineService& engine, SchedulerOptions options, Clock clock, Log log)
    : engine_(engine), options_(options), clock_(std::move(clock)), log_(std::move(log)) {}

Scheduler::~Scheduler() {
  stop();
}

int Scheduler::run_once() {
  const Timestamp now = clock_();
  auto planned = std::make_shared<std::promise<std::vector<engine::CommandBody>>>();
  auto fut = planned->get_future();
  const bool queued = engine_.query([this, planned, now](const engine::Exchange& x) {
    planned->set_value(plan(x, now, options_, memory_));
  });
  if (!queued || fut.wait_for(10s) != std::future_status::ready) return -1;
  int applied = 0;
  for (engine::CommandBody& body : fut.get()) {
    auto done = std::make_shared<std::promise<std::string>>();
    auto answer = done->get_future();
    const bool ok =
        engine_.submit(std::move(body), [done](api::CommandResult& r, const engine::Exchange&) {
          std::string why;
          if (r.error) why = r.error->message;
          for (const engine::ExEvent& e : r.raw) {
            if (e.type == engine::EventType::Rejected) {
              why = std::string(engine::to_string(e.reason));
            }
          }
          done->set_value(std::move(why));
        });
    if (!ok || answer.wait_for(10s) != std::future_status::ready) return -1;
    const std::string why = answer.get();
    if (why.empty()) {
      ++applied;
    } else if (log_) {
      log_("scheduler: command refused: " + why);
    }
  }
  return applied;
}

void Scheduler::start() {
  thread_ = std::thread([this] { loop(); });
}

void Scheduler::loop() {
  std::unique_lock lk(mutex_);
  while (!stop_) {
    lk.unlock();
    if (run_once() < 0 && log_) log_("scheduler: the engine did not answer");
    lk.lock();
    if (cv_.wait_for(lk, options_.round, [&] { return stop_; })) break;
  }
}

void Scheduler::stop() {
  {
    std::lock_guard lk(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cx::app
