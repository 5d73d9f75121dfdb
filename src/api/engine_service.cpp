#include "api/engine_service.hpp"

#include <pthread.h>

#include <algorithm>
#include <cstdio>

#include "store/catch_up.hpp"
#include "store/projector.hpp"
#include "store/sqlite_read_store.hpp"

namespace cx::api {

using Clock = std::chrono::steady_clock;

namespace {

Timestamp system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::uint64_t us_since(Clock::time_point t0) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
}

}  // namespace

/// One applied request of a batch, waiting for the group commit.
struct EngineService::Applied {
  Done done;
  CommandResult result;
  std::vector<std::pair<SeqNo, Timestamp>> commands;  ///< registrations first, then the command
  std::vector<std::size_t> ends;                      ///< raw/events end index per command
  std::optional<Query> query;
};

/// The projector thread's inbox.
struct EngineService::ProjectorState {
  std::unique_ptr<store::SqliteReadStore> store;
  std::unique_ptr<store::Projector> projector;
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable room;  ///< the projector took the inbox (back-pressure)
  mutable std::mutex done_mutex;
  mutable std::condition_variable done_cv;
  std::vector<store::CommandRecord> inbox;
  std::vector<store::CommandRecord> spare;  ///< records handed back for reuse
  bool stop = false;
  bool failed = false;
};

EngineService::EngineService(EngineOptions options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = system_ms;
}

EngineService::~EngineService() {
  stop();
}

Result<std::unique_ptr<EngineService>> EngineService::open(EngineOptions options) {
  std::unique_ptr<EngineService> s(new EngineService(std::move(options)));
  auto durable = journal::DurableExchange::open(s->options_.data_dir, s->options_.durable);
  if (!durable) return std::unexpected(durable.error());
  s->durable_ = std::move(*durable);
  s->last_ts_ = s->durable_->exchange().now();

  s->proj_ = std::make_unique<ProjectorState>();
  auto st = store::SqliteReadStore::open(s->read_store_path());
  if (!st) return std::unexpected(st.error());
  s->proj_->store = std::move(*st);
  auto p = store::Projector::open(*s->proj_->store);
  if (!p) return std::unexpected(p.error());
  s->proj_->projector = std::move(*p);
  const SeqNo until = s->durable_->durable_seq();
  if (s->proj_->projector->committed_seq() < until) {
    auto c = store::catch_up(s->options_.data_dir, *s->proj_->projector,
                             s->options_.durable.exchange, until);
    if (!c) return std::unexpected(c.error());
  }
  s->durable_seq_.store(until);
  s->projected_seq_.store(s->proj_->projector->committed_seq());
  s->stats_.durable_seq = until;
  return s;
}

const journal::RecoveryInfo& EngineService::recovery() const noexcept {
  return durable_->recovery();
}

void EngineService::add_listener(EngineListener* listener) {
  listeners_.push_back(listener);
}

void EngineService::start() {
  if (running_.exchange(true)) return;
  projector_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cx-projector");
    projector_loop();
  });
  engine_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cx-engine");
    engine_loop();
  });
}

void EngineService::stop() {
  {
    std::lock_guard lk(mutex_);
    if (stopping_ && !engine_thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (engine_thread_.joinable()) engine_thread_.join();
  if (proj_) {
    {
      std::lock_guard lk(proj_->mutex);
      proj_->stop = true;
    }
    proj_->wake.notify_all();
  }
  if (projector_thread_.joinable()) projector_thread_.join();
  running_.store(false, std::memory_order_release);
}

bool EngineService::push(Item item) {
  {
    std::lock_guard lk(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue) {
      std::lock_guard sl(stats_mutex_);
      ++stats_.refused;
      return false;
    }
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
  return true;
}

bool EngineService::submit_json(std::string json, Done done, Guard guard) {
  Item item;
  item.json = std::move(json);
  return push_command(std::move(item), std::move(done), std::move(guard));
}

bool EngineService::submit_json(boost::json::object command, Done done, Guard guard) {
  Item item;
  item.kind = Item::Kind::Object;
  item.object = std::move(command);
  return push_command(std::move(item), std::move(done), std::move(guard));
}

bool EngineService::push_command(Item item, Done done, Guard guard) {
  item.guard = std::move(guard);
  item.done = std::move(done);
  return push(std::move(item));
}

bool EngineService::submit(engine::CommandBody body, Done done) {
  Item item;
  item.kind = Item::Kind::Body;
  item.body.emplace(std::move(body));
  item.done = std::move(done);
  return push(std::move(item));
}

bool EngineService::query(Query fn) {
  Item item;
  item.kind = Item::Kind::Query;
  item.query = std::move(fn);
  return push(std::move(item));
}

Timestamp EngineService::next_ts() {
  last_ts_ = std::max(last_ts_, options_.clock());
  return last_ts_;
}

EngineStats EngineService::stats() const {
  std::lock_guard lk(stats_mutex_);
  EngineStats s = stats_;
  s.durable_seq = durable_seq();
  s.projected_seq = projected_seq();
  return s;
}

bool EngineService::wait_projected(SeqNo seq, std::chrono::milliseconds timeout) const {
  if (projected_seq() >= seq) return true;
  // A waiting reader makes the projector commit its open transaction now.
  projection_waiters_.fetch_add(1, std::memory_order_acq_rel);
  { std::lock_guard lk(proj_->mutex); }
  proj_->wake.notify_one();
  bool ok = false;
  {
    std::unique_lock lk(proj_->done_mutex);
    ok = proj_->done_cv.wait_for(lk, timeout, [&] { return projected_seq() >= seq; });
  }
  projection_waiters_.fetch_sub(1, std::memory_order_acq_rel);
  return ok;
}

void EngineService::engine_loop() {
  std::vector<Item> batch;
  std::vector<Applied> applied;
  auto last_command = Clock::now();
  for (;;) {
    bool idle = false;
    {
      std::unique_lock lk(mutex_);
      const auto pred = [&] { return stopping_ || !queue_.empty(); };
      auto until = Clock::now() + options_.idle_poll;
      if (options_.tick_interval.count() > 0) {
        until = std::min(until, last_command + options_.tick_interval);
      }
      wake_.wait_until(lk, until, pred);
      if (queue_.empty() && stopping_) break;
      const std::size_t n = std::min(queue_.size(), options_.max_batch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      idle = batch.empty();
    }
    if (idle) {
      for (EngineListener* l : listeners_) l->on_idle(durable_->exchange());
      if (options_.tick_interval.count() == 0 ||
          Clock::now() < last_command + options_.tick_interval) {
        continue;
      }
      // Idle for tick_interval: let time pass so GTT orders expire.
      Item tick;
      tick.kind = Item::Kind::Body;
      tick.body.emplace(engine::ClockTick{});
      batch.push_back(std::move(tick));
    }
    last_command = Clock::now();
    run_batch(batch, applied);
    batch.clear();
  }
  // Shutdown: a final snapshot makes the next start quick. Failure only costs replay time.
  (void)durable_->snapshot_sync();
  while (durable_->poll_snapshot()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

void EngineService::apply_one(engine::Command cmd, const CommandContext& ctx, Applied& a) {
  cmd.ts = next_ts();
  engine::Command copy = cmd;  // the projector matches placements against the command
  scratch_.clear();
  auto seq = durable_->submit(std::move(cmd), scratch_);
  if (!seq) {
    // The journal cannot take more: nothing after this may be applied or acknowledged.
    std::fprintf(stderr, "engine: journal append failed: %s\n", seq.error().message.c_str());
    std::abort();
  }
  copy.seq = *seq;
  const engine::Exchange& x = durable_->exchange();
  for (const engine::ExEvent& e : scratch_) {
    a.result.events.push_back(encode_event(e, x, ctx, *seq));
    a.result.raw.push_back(e);
    if (e.type == engine::EventType::Fill) ++batch_fills_;
    if (e.type == engine::EventType::Accepted) ++batch_orders_;
  }
  if (apply_hook_) apply_hook_(*seq, scratch_, x);
  a.commands.emplace_back(*seq, copy.ts);
  a.ends.push_back(a.result.raw.size());
  a.result.seq = *seq;

  // The projector's copy, taken now: client order id texts live until the next apply.
  store::CommandRecord rec;
  if (!spare_records_.empty()) {
    rec = std::move(spare_records_.back());
    spare_records_.pop_back();
  }
  store::capture(*seq, copy.ts, scratch_, x, &copy, rec);
  pending_records_.push_back(std::move(rec));
}

void EngineService::run_batch(std::vector<Item>& batch, std::vector<Applied>& applied) {
  applied.clear();
  applied.resize(batch.size());
  batch_fills_ = 0;
  batch_orders_ = 0;
  std::size_t commands = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Item& item = batch[i];
    Applied& a = applied[i];
    a.done = std::move(item.done);
    if (item.kind == Item::Kind::Query) {
      a.query = std::move(item.query);
      continue;
    }
    if (item.kind == Item::Kind::Body) {
      apply_one(engine::Command{0, 0, std::move(*item.body)}, CommandContext{}, a);
      ++commands;
      continue;
    }
    if (item.guard) {
      if (auto answer = item.guard(durable_->exchange())) {
        a.result = std::move(*answer);
        continue;
      }
    }
    auto decoded = item.kind == Item::Kind::Object
                       ? decode_command(item.object, durable_->exchange())
                       : decode_command(item.json, durable_->exchange());
    if (!decoded) {
      a.result.error = decoded.error();
      continue;
    }
    DecodedCommand& d = *decoded;
    const CommandContext registration{std::nullopt, "", true};
    bool ok = true;
    for (std::string& name : d.new_traders) {
      const auto expect = static_cast<TraderId>(durable_->exchange().trader_count());
      apply_one(engine::Command{0, 0, engine::RegisterTrader{name}}, registration, a);
      ++commands;
      if (durable_->exchange().trader_id(name) != expect) {
        a.result.error = Error{ErrorCode::Internal, "trader registration out of order"};
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    apply_one(engine::Command{0, 0, std::move(d.body)}, d.context, a);
    ++commands;
  }

  if (commands > 0) {
    const auto t0 = Clock::now();
    if (auto r = durable_->commit(); !r) {
      // The state is ahead of the disk: stop before anything leaves the engine.
      std::fprintf(stderr, "engine: journal commit failed: %s\n", r.error().message.c_str());
      std::abort();
    }
    const std::uint64_t us = us_since(t0);
    durable_seq_.store(durable_->durable_seq(), std::memory_order_release);
    {
      std::lock_guard lk(stats_mutex_);
      stats_.commands += commands;
      ++stats_.batches;
      ++stats_.fsync_count;
      stats_.fsync_us_total += us;
      stats_.fsync_us_max = std::max(stats_.fsync_us_max, us);
      stats_.orders_placed += batch_orders_;
      stats_.fills += batch_fills_;
    }
    // Durable: hand the captured commands to the projector, waiting first while it is
    // options_.projector_max_lag commands behind (it takes the whole inbox when it wakes).
    std::uint64_t waited = 0;
    std::size_t inbox = 0;
    {
      std::unique_lock lk(proj_->mutex);
      const std::size_t lag = std::max<std::size_t>(options_.projector_max_lag, 1);
      if (proj_->inbox.size() >= lag) {
        ++waited;
        proj_->wake.notify_one();
        proj_->room.wait(lk, [&] { return proj_->inbox.size() < lag; });
      }
      for (auto& r : pending_records_) proj_->inbox.push_back(std::move(r));
      for (auto& r : proj_->spare) spare_records_.push_back(std::move(r));
      proj_->spare.clear();
      inbox = proj_->inbox.size();
    }
    {
      std::lock_guard lk(stats_mutex_);
      stats_.projector_waits += waited;
      stats_.projector_inbox_max = std::max<std::uint64_t>(stats_.projector_inbox_max, inbox);
    }
    pending_records_.clear();
    proj_->wake.notify_one();
    // Snapshots start inside commit() every DurableOptions::snapshot_every commands; reap them.
    (void)durable_->poll_snapshot();
  }

  const engine::Exchange& x = durable_->exchange();
  // Listeners first, so that a client that has its reply finds the feeds already updated.
  for (Applied& a : applied) {
    if (a.query || a.result.error) continue;
    std::size_t begin = 0;
    for (std::size_t k = 0; k < a.commands.size(); ++k) {
      const std::size_t end = a.ends[k];
      const Committed c{a.commands[k].first, a.commands[k].second,
                        std::span<const engine::ExEvent>(a.result.raw).subspan(begin, end - begin),
                        &a.result.events};
      for (EngineListener* l : listeners_) l->on_command(c, x);
      begin = end;
    }
  }
  if (commands > 0) {
    for (EngineListener* l : listeners_) l->on_batch_end(x);
  }
  for (Applied& a : applied) {
    if (a.query) {
      (*a.query)(x);
      continue;
    }
    if (a.done) a.done(a.result, x);
  }
}

void EngineService::projector_loop() {
  std::vector<store::CommandRecord> work;
  std::size_t in_tx = 0;       // commands applied since the last commit
  Clock::time_point opened{};  // when the open transaction took its first command
  auto publish = [&] {
    {
      std::lock_guard lk(proj_->done_mutex);
      projected_seq_.store(proj_->projector->committed_seq(), std::memory_order_release);
    }
    proj_->done_cv.notify_all();
  };
  auto commit = [&] {
    in_tx = 0;
    if (proj_->failed) return;
    if (auto r = proj_->projector->commit(); !r) {
      std::fprintf(stderr, "projector: commit: %s\n", r.error().message.c_str());
      proj_->failed = true;
      proj_->projector->rollback();
    }
    publish();
  };
  const auto waiting = [&] { return projection_waiters_.load(std::memory_order_acquire) > 0; };
  for (;;) {
    bool stop = false;
    {
      std::unique_lock lk(proj_->mutex);
      const auto ready = [&] {
        return proj_->stop || !proj_->inbox.empty() || (in_tx > 0 && waiting());
      };
      if (in_tx == 0) {
        proj_->wake.wait(lk, ready);
      } else {
        proj_->wake.wait_until(lk, opened + options_.projector_commit_interval, ready);
      }
      stop = proj_->stop;
      work.swap(proj_->inbox);
    }
    proj_->room.notify_all();
    if (options_.before_projecting && !work.empty()) options_.before_projecting();
    if (!proj_->failed) {
      for (const store::CommandRecord& rec : work) {
        if (auto r = proj_->projector->apply(rec); !r) {
          std::fprintf(stderr, "projector: %s (the read store stops here; restart to catch up)\n",
                       r.error().message.c_str());
          proj_->failed = true;
          proj_->projector->rollback();
          in_tx = 0;
          break;
        }
        if (in_tx++ == 0) opened = Clock::now();
        if (in_tx >= options_.projector_batch) commit();
      }
    }
    if (in_tx > 0 &&
        (stop || waiting() || Clock::now() >= opened + options_.projector_commit_interval)) {
      commit();
    }
    if (proj_->failed) publish();  // wake readers: they time out rather than wait for nothing
    {
      std::lock_guard lk(proj_->mutex);
      for (auto& r : work) {
        if (proj_->spare.size() < 4096) proj_->spare.push_back(std::move(r));
      }
    }
    work.clear();
    if (stop && in_tx == 0) {
      std::lock_guard lk(proj_->mutex);
      if (proj_->inbox.empty()) break;
    }
  }
}

}  // namespace cx::api
