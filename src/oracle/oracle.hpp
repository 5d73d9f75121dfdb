#pragma once
/// The oracle: polls its sources on a thread of its own, keeps the index (IndexBook: median of
/// the fresh sources per underlying) and hands each round's indices to a publisher, which in
/// the server turns the fresh ones into PriceUpdate commands (so prices enter the exchange only
/// through the command log and replay reproduces them). docs/oracle.md.
///
/// Threading: add_source() before start(); start()/stop() from one control thread;
/// poll_once() from one thread at a time (the oracle's own once started); status() from any.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "oracle/index_book.hpp"
#include "oracle/source.hpp"

namespace cx::oracle {

struct SourceStatus {
  std::string name;
  Timestamp max_age_ms = 0;
  Timestamp last_ok = -1;  ///< time of the last successful poll (-1: never)
  std::string last_error;  ///< of the last poll ("" when it succeeded)
  std::uint64_t polls = 0;
  std::uint64_t failures = 0;
};

struct OracleStatus {
  Timestamp at = -1;  ///< time of the last round
  std::vector<IndexPrice> indices;
  std::vector<SourceStatus> sources;
};

class Oracle {
 public:
  using Clock = std::function<Timestamp()>;
  /// Called after every round on the polling thread with every underlying's index (stale ones
  /// included, flagged) and the round's time. Must not block for long.
  using Publish = std::function<void(const std::vector<IndexPrice>&, Timestamp now)>;
  /// Told when a source starts failing, fails differently, or recovers (not on every poll).
  using Log = std::function<void(const std::string&)>;

  /// `round`: how often the thread wakes to poll the sources that are due.
  Oracle(Clock clock, Publish publish, std::chrono::milliseconds round, Log log = {});
  ~Oracle();
  Oracle(const Oracle&) = delete;
  Oracle& operator=(const Oracle&) = delete;

  /// A source whose quotes count for `max_age_ms` after their time, polled every `every`
  /// (at most once per round).
  void add_source(std::unique_ptr<Source> source, Timestamp max_age_ms,
                  std::chrono::milliseconds every);
  /// Polls every due source, recomputes the index and publishes it.
  void poll_once();
  void start();
  void stop();
  OracleStatus status() const;
  std::size_t source_count() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    std::unique_ptr<Source> source;
    std::size_t id = 0;
    Timestamp every_ms = 0;
    Timestamp next_poll = 0;
  };
  void loop();

  Clock clock_;
  Publish publish_;
  std::chrono::milliseconds round_;
  Log log_;
  std::vector<Entry> entries_;
  IndexBook book_;  ///< the polling thread's

  mutable std::mutex mutex_;  ///< guards status_, stop_
  OracleStatus status_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace cx::oracle
