#pragma once
/// Metering: one record per request, aggregated per day for the dashboards (UsageStats), and
/// handed from request threads to a writer thread without blocking (UsageQueue).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/pricing.hpp"
#include "gateway/service.hpp"

namespace cx::gateway {

/// What one request did and cost.
struct UsageRecord {
  std::string request_id;
  std::string user_id;
  std::string provider_id;  ///< "" if no provider served it
  std::string node_id;
  Service service = Service::Chat;
  std::string model;
  Usage usage;
  std::int64_t cost = 0;  ///< micro-credits debited
  std::int64_t provider_share = 0;
  std::int64_t platform_fee = 0;
  std::int64_t latency_us = 0;
  std::int64_t ts_ms = 0;  ///< when the request ended, ms since the Unix epoch
  int status = 200;        ///< HTTP status returned to the user
  bool cut_short = false;  ///< a stream that ended early; its output tokens were estimated
};

/// Day number (UTC, days since 1970-01-01) of a timestamp in ms; floors for negative times.
[[nodiscard]] constexpr std::int64_t day_of(std::int64_t ts_ms) noexcept {
  constexpr std::int64_t kDayMs = 86'400'000;
  return ts_ms >= 0 ? ts_ms / kDayMs : -((-ts_ms + kDayMs - 1) / kDayMs);
}

/// "YYYY-MM-DD" of a day number.
[[nodiscard]] std::string format_day(std::int64_t day);

/// Sums over a set of records. A request is an error when its status is outside 200-399.
/// Additions saturate at the int64 / uint64 maximum instead of wrapping.
struct UsageCounters {
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t cut_short = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t images = 0;
  std::int64_t media_ms = 0;
  std::int64_t cost = 0;
  std::int64_t provider_share = 0;
  std::int64_t platform_fee = 0;
  std::int64_t latency_sum_us = 0;
  std::int64_t latency_max_us = 0;

  void add(const UsageRecord& r) noexcept;
  void add(const UsageCounters& c) noexcept;
  bool operator==(const UsageCounters&) const = default;
};

struct UserDay {
  std::int64_t day = 0;
  std::string user_id;
  UsageCounters counters;
};

struct ModelDay {
  std::int64_t day = 0;
  Service service = Service::Chat;
  std::string model;
  UsageCounters counters;
};

struct ProviderDay {
  std::int64_t day = 0;
  std::string provider_id;
  UsageCounters counters;
};

/// Daily counters per user, per (service, model) and per provider. Memory grows with the
/// distinct keys per day; `prune_before` drops old days (call it daily).
/// Threading: any thread; one mutex (the writer thread adds in batches, the API reads).
class UsageStats {
 public:
  UsageStats();
  ~UsageStats();
  UsageStats(const UsageStats&) = delete;
  UsageStats& operator=(const UsageStats&) = delete;

  void add(const UsageRecord& record);
  /// Adds a batch under one lock.
  void add(std::span<const UsageRecord> records);

  /// The user's days in [from_day, to_day], oldest first (days without requests are absent).
  [[nodiscard]] std::vector<UserDay> user_days(std::string_view user_id, std::int64_t from_day,
                                               std::int64_t to_day) const;
  /// Every (day, service, model) in [from_day, to_day], by day, then service, then model.
  [[nodiscard]] std::vector<ModelDay> model_days(std::int64_t from_day, std::int64_t to_day) const;
  /// The provider's days in [from_day, to_day], oldest first (requests its nodes served).
  [[nodiscard]] std::vector<ProviderDay> provider_days(std::string_view provider_id,
                                                       std::int64_t from_day,
                                                       std::int64_t to_day) const;
  /// The user's counters summed over [from_day, to_day].
  [[nodiscard]] UsageCounters user_total(std::string_view user_id, std::int64_t from_day,
                                         std::int64_t to_day) const;

  /// Forgets every day before `day`.
  void prune_before(std::int64_t day);

 private:
  struct Maps;
  mutable std::mutex mu_;
  std::unique_ptr<Maps> maps_;
};

/// A bounded multi-producer queue of usage records (Vyukov's array queue). Request threads
/// `push` without locks or waiting: when the queue is full the record is dropped and counted.
/// A writer thread `drain`s it in batches, waiting a bounded time when it is empty.
/// Threading: `push`, `dropped`, `size` from any thread; `drain` and `close` from any thread
/// (drains are serialised by a mutex, producers never take it except to wake a sleeping
/// drainer).
class UsageQueue {
 public:
  /// `capacity` is rounded up to a power of two, at least 2 and at most 2^24.
  explicit UsageQueue(std::size_t capacity = 16'384);
  ~UsageQueue();
  UsageQueue(const UsageQueue&) = delete;
  UsageQueue& operator=(const UsageQueue&) = delete;

  /// Enqueues the record (moved from) or, if the queue is full, drops it, counts it in
  /// `dropped()` and returns false. Lock-free; never waits.
  bool push(UsageRecord&& record) noexcept;

  /// Up to `max` records in push order (per producer), waiting up to `wait` for the first one
  /// if there are none (not at all once closed). Empty on timeout.
  [[nodiscard]] std::vector<UsageRecord> drain(std::size_t max, std::chrono::milliseconds wait);
  /// Like drain, appending to `out` (reuses its capacity); returns how many were appended.
  std::size_t drain_into(std::vector<UsageRecord>& out, std::size_t max,
                         std::chrono::milliseconds wait);

  /// Wakes a waiting drain and makes later drains return at once (pushes are still accepted,
  /// so a final drain after close collects everything).
  void close();

  [[nodiscard]] std::uint64_t dropped() const noexcept {
    return dropped_.load(std::memory_order_relaxed);
  }
  /// Records waiting (approximate while producers are active).
  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }

 private:
  struct Cell {
    std::atomic<std::size_t> seq{0};
    UsageRecord value;
  };

  bool head_ready() const noexcept;  ///< caller holds mu_
  std::size_t pop_locked(std::vector<UsageRecord>& out, std::size_t max);

  std::size_t mask_;
  std::unique_ptr<Cell[]> cells_;
  alignas(64) std::atomic<std::size_t> enqueue_pos_{0};
  alignas(64) std::atomic<std::size_t> dequeue_pos_{0};  ///< written under mu_ only
  std::atomic<bool> sleeping_{false};                    ///< a drainer waits on cv_
  std::atomic<std::uint64_t> dropped_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;  ///< guarded by mu_
};

}  // namespace cx::gateway
