// Metering: daily counters per user, per (service, model) and per provider; the bounded
// queue between request threads and the writer.

#include "gateway/usage.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace cx::gateway {
namespace {

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kT0 = 20'000 * kDay;  // 2024-10-04T00:00:00Z

UsageRecord record(std::string user, std::int64_t ts, std::int64_t cost = 100,
                   std::string model = "llama", int status = 200) {
  UsageRecord r;
  r.request_id = "req-" + std::to_string(ts);
  r.user_id = std::move(user);
  r.provider_id = "prov";
  r.node_id = "nd_1";
  r.service = Service::Chat;
  r.model = std::move(model);
  r.usage = Usage{.input_tokens = 10, .output_tokens = 20};
  r.cost = cost;
  r.provider_share = cost / 10 * 7;
  r.platform_fee = cost - r.provider_share;
  r.latency_us = 1'000 + ts % 1'000;
  r.ts_ms = ts;
  r.status = status;
  return r;
}

TEST(UsageDays, DayNumbersAndTheirDates) {
  EXPECT_EQ(day_of(0), 0);
  EXPECT_EQ(day_of(kDay - 1), 0);
  EXPECT_EQ(day_of(kDay), 1);
  EXPECT_EQ(day_of(-1), -1);
  EXPECT_EQ(format_day(0), "1970-01-01");
  EXPECT_EQ(format_day(day_of(kT0)), "2024-10-04");
  EXPECT_EQ(format_day(-1), "1969-12-31");
}

TEST(UsageStats, CountsPerUserAndDay) {
  UsageStats stats;
  stats.add(record("alice", kT0 + 1, 100));
  stats.add(record("alice", kT0 + 2, 50, "llama", 502));
  stats.add(record("alice", kT0 + kDay + 5, 7));
  stats.add(record("bob", kT0 + 3, 1'000));
  const auto days = stats.user_days("alice", day_of(kT0), day_of(kT0) + 10);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, day_of(kT0));
  EXPECT_EQ(days[0].user_id, "alice");
  const UsageCounters& c = days[0].counters;
  EXPECT_EQ(c.requests, 2u);
  EXPECT_EQ(c.errors, 1u);
  EXPECT_EQ(c.input_tokens, 20);
  EXPECT_EQ(c.output_tokens, 40);
  EXPECT_EQ(c.cost, 150);
  EXPECT_EQ(c.provider_share + c.platform_fee, 150);
  EXPECT_EQ(c.latency_sum_us, 1'001 + 1'002);
  EXPECT_EQ(c.latency_max_us, 1'002);
  EXPECT_EQ(days[1].counters.cost, 7);
  // The range is inclusive and other users stay apart.
  EXPECT_EQ(stats.user_days("alice", day_of(kT0) + 1, day_of(kT0) + 1).size(), 1u);
  EXPECT_TRUE(stats.user_days("alice", 0, day_of(kT0) - 1).empty());
  EXPECT_EQ(stats.user_total("alice", 0, day_of(kT0) + 10).cost, 157);
  EXPECT_EQ(stats.user_total("bob", 0, day_of(kT0) + 10).cost, 1'000);
  EXPECT_TRUE(stats.user_days("al", 0, day_of(kT0) + 10).empty());
}

TEST(UsageStats, CountsPerServiceModelAndDay) {
  UsageStats stats;
  UsageRecord emb = record("alice", kT0 + 1, 3, "bge");
  emb.service = Service::Embeddings;
  stats.add(std::vector<UsageRecord>{record("alice", kT0, 1, "mistral"),
                                     record("bob", kT0 + 9, 2, "llama"), emb,
                                     record("bob", kT0 + kDay, 4, "llama")});
  const auto rows = stats.model_days(day_of(kT0), day_of(kT0) + 1);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].model, "llama");  // chat before embeddings, then by model
  EXPECT_EQ(rows[1].model, "mistral");
  EXPECT_EQ(rows[2].service, Service::Embeddings);
  EXPECT_EQ(rows[3].day, day_of(kT0) + 1);
  EXPECT_EQ(stats.model_days(day_of(kT0) + 1, day_of(kT0) + 1).size(), 1u);
}

TEST(UsageStats, CountsPerProviderAndSkipsUnservedRequests) {
  UsageStats stats;
  stats.add(record("alice", kT0, 10));
  UsageRecord unserved = record("alice", kT0 + 1, 0, "llama", 503);
  unserved.provider_id.clear();
  stats.add(unserved);
  const auto days = stats.provider_days("prov", 0, day_of(kT0));
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].counters.requests, 1u);
  EXPECT_EQ(days[0].counters.provider_share, 7);
  EXPECT_EQ(stats.user_total("alice", 0, day_of(kT0)).errors, 1u);
}

TEST(UsageStats, CutShortStreamsAreCounted) {
  UsageStats stats;
  UsageRecord r = record("alice", kT0);
  r.cut_short = true;
  stats.add(r);
  EXPECT_EQ(stats.user_total("alice", 0, day_of(kT0)).cut_short, 1u);
}

TEST(UsageStats, PruneForgetsOldDays) {
  UsageStats stats;
  for (int d = 0; d < 5; ++d) stats.add(record("alice", kT0 + d * kDay));
  stats.prune_before(day_of(kT0) + 3);
  const auto days = stats.user_days("alice", 0, day_of(kT0) + 10);
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, day_of(kT0) + 3);
  EXPECT_EQ(stats.model_days(0, day_of(kT0) + 10).size(), 2u);
  EXPECT_EQ(stats.provider_days("prov", 0, day_of(kT0) + 10).size(), 2u);
}

TEST(UsageCounters, SaturateInsteadOfWrapping) {
  UsageCounters c;
  UsageRecord r = record("a", 0, std::numeric_limits<std::int64_t>::max());
  c.add(r);
  c.add(r);
  EXPECT_EQ(c.cost, std::numeric_limits<std::int64_t>::max());
}

TEST(UsageQueue, DrainsInPushOrderInBatches) {
  UsageQueue q(8);
  EXPECT_EQ(q.capacity(), 8u);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.push(record("u", i)));
  EXPECT_EQ(q.size(), 5u);
  auto first = q.drain(3, std::chrono::milliseconds(0));
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].ts_ms, 0);
  EXPECT_EQ(first[2].ts_ms, 2);
  auto rest = q.drain(10, std::chrono::milliseconds(0));
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[1].ts_ms, 4);
  EXPECT_EQ(rest[1].user_id, "u");
  EXPECT_EQ(q.size(), 0u);
}

TEST(UsageQueue, AFullQueueDropsAndCounts) {
  UsageQueue q(3);  // rounded up to 4
  EXPECT_EQ(q.capacity(), 4u);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.push(record("u", i)));
  EXPECT_FALSE(q.push(record("u", 99)));
  EXPECT_FALSE(q.push(record("u", 100)));
  EXPECT_EQ(q.dropped(), 2u);
  EXPECT_EQ(q.drain(100, std::chrono::milliseconds(0)).size(), 4u);
  // Room again, around the ring many times.
  for (int lap = 0; lap < 10; ++lap) {
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(q.push(record("u", lap * 4 + i)));
    auto batch = q.drain(4, std::chrono::milliseconds(0));
    ASSERT_EQ(batch.size(), 4u);
    EXPECT_EQ(batch[3].ts_ms, lap * 4 + 3);
  }
  EXPECT_EQ(q.dropped(), 2u);
}

TEST(UsageQueue, AnEmptyDrainWaitsAtMostTheTimeout) {
  UsageQueue q(4);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(q.drain(10, std::chrono::milliseconds(30)).empty());
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(30));
}

TEST(UsageQueue, APushWakesAWaitingDrain) {
  UsageQueue q(4);
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    q.push(record("u", 1));
  });
  const auto start = std::chrono::steady_clock::now();
  auto got = q.drain(10, std::chrono::seconds(10));
  producer.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(UsageQueue, CloseWakesTheDrainAndStopsWaiting) {
  UsageQueue q(4);
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    q.close();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(q.drain(10, std::chrono::seconds(10)).empty());
  closer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ASSERT_TRUE(q.push(record("u", 1)));  // still accepted for the final drain
  EXPECT_EQ(q.drain(10, std::chrono::seconds(10)).size(), 1u);
}

TEST(UsageQueue, ManyProducersOneWriterLoseNothingButTheCountedDrops) {
  UsageQueue q(256);
  constexpr int kProducers = 4;
  constexpr int kEach = 20'000;
  std::atomic<int> accepted{0};
  std::atomic<int> running{kProducers};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i)
        if (q.push(record("u" + std::to_string(p), p * kEach + i))) ++accepted;
      --running;
    });
  }
  std::vector<UsageRecord> got;
  std::vector<std::int64_t> last(kProducers, -1);
  bool in_order = true;
  while (running.load() > 0 || q.size() > 0) {
    const std::size_t before = got.size();
    q.drain_into(got, 64, std::chrono::milliseconds(5));
    for (std::size_t i = before; i < got.size(); ++i) {
      const auto p = static_cast<std::size_t>(got[i].ts_ms / kEach);
      in_order &= got[i].ts_ms > last[p];
      last[p] = got[i].ts_ms;
    }
  }
  for (auto& t : producers) t.join();
  q.drain_into(got, 1'000'000, std::chrono::milliseconds(0));
  EXPECT_EQ(static_cast<int>(got.size()), accepted.load());
  EXPECT_EQ(got.size() + q.dropped(), static_cast<std::size_t>(kProducers * kEach));
  EXPECT_TRUE(in_order);  // each producer's records arrive in its order
  std::set<std::int64_t> distinct;
  for (const auto& r : got) distinct.insert(r.ts_ms);
  EXPECT_EQ(distinct.size(), got.size());
}

}  // namespace
}  // namespace cx::gateway
