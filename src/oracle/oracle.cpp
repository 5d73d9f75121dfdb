#include "oracle/oracle.hpp"

namespace cx::oracle {

Oracle::Oracle(Clock clock, Publish publish, std::chrono::milliseconds round, Log log)
    : clock_(std::move(clock)), publish_(std::move(publish)), round_(round), log_(std::move(log)) {}

Oracle::~Oracle() {
  stop();
}

void Oracle::add_source(std::unique_ptr<Source> source, Timestamp max_age_ms,
                        std::chrono::milliseconds every) {
  Entry e;
  e.id = book_.add_source(source->name(), max_age_ms);
  e.every_ms = every.count();
  std::lock_guard lk(mutex_);
  status_.sources.push_back({source->name(), max_age_ms, -1, {}, 0, 0});
  e.source = std::move(source);
  entries_.push_back(std::move(e));
}

void Oracle::poll_once() {
  for (Entry& e : entries_) {
    const Timestamp now = clock_();
    if (now < e.next_poll) continue;
    e.next_poll = now + e.every_ms;
    auto quotes = e.source->poll(now);
    std::string note;  // logged on a change only: the first failure, another error, recovery
    std::string what = "oracle source ";
    what.append(e.source->name()).append(": ");
    {
      std::lock_guard lk(mutex_);
      SourceStatus& s = status_.sources[e.id];
      s.polls += 1;
      if (quotes) {
        if (!s.last_error.empty()) note = what.append("recovered");
        s.last_ok = now;
        s.last_error.clear();
      } else {
        s.failures += 1;
        if (s.last_error != quotes.error().message) note = what.append(quotes.error().message);
        s.last_error = quotes.error().message;
      }
    }
    if (!note.empty() && log_) log_(note);
    if (!quotes) continue;
    for (const Quote& q : *quotes) book_.record(e.id, q);
  }
  const Timestamp now = clock_();
  std::vector<IndexPrice> indices = book_.compute(now);
  {
    std::lock_guard lk(mutex_);
    status_.at = now;
    status_.indices = indices;
  }
  if (publish_) publish_(indices, now);
}

void Oracle::start() {
  thread_ = std::thread([this] { loop(); });
}

void Oracle::loop() {
  std::unique_lock lk(mutex_);
  while (!stop_) {
    lk.unlock();
    poll_once();
    lk.lock();
    if (cv_.wait_for(lk, round_, [&] { return stop_; })) break;
  }
}

void Oracle::stop() {
  {
    std::lock_guard lk(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

OracleStatus Oracle::status() const {
  std::lock_guard lk(mutex_);
  return status_;
}

}  // namespace cx::oracle
