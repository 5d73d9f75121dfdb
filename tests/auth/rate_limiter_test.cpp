// Token buckets: bursts, refill, Retry-After, key independence, bounded memory, threads.

#include "auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace cx::auth {
namespace {

TEST(RateLimiter, AllowsABurstThenRefusesWithTheTimeToTheNextToken) {
  RateLimiter rl(3, 60'000);
  EXPECT_FALSE(rl.take("a", 1'000));
  EXPECT_FALSE(rl.take("a", 1'000));
  EXPECT_FALSE(rl.take("a", 1'000));
  EXPECT_EQ(rl.take("a", 1'000), 60'000);
  EXPECT_EQ(rl.take("a", 31'000), 30'000);
  EXPECT_EQ(rl.take("a", 60'999), 1);
  EXPECT_FALSE(rl.take("a", 61'000));  // exactly one refill interval later
  EXPECT_EQ(rl.take("a", 61'000), 60'000);
}

TEST(RateLimiter, RefusedRequestsTakeNothing) {
  RateLimiter rl(1, 1'000);
  EXPECT_FALSE(rl.take("a", 0));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(rl.take("a", 500), 500);
  EXPECT_FALSE(rl.take("a", 1'000));
}

TEST(RateLimiter, RefillsAtMostToCapacity) {
  RateLimiter rl(2, 1'000);
  EXPECT_FALSE(rl.take("a", 0));
  // A day of idleness gives back two tokens, not 86 400.
  EXPECT_FALSE(rl.take("a", 86'400'000));
  EXPECT_FALSE(rl.take("a", 86'400'000));
  EXPECT_EQ(rl.take("a", 86'400'000), 1'000);
}

TEST(RateLimiter, PartialRefillAccumulatesExactly) {
  RateLimiter rl(2, 1'000);
  EXPECT_FALSE(rl.take("a", 0));
  EXPECT_FALSE(rl.take("a", 0));
  EXPECT_EQ(rl.take("a", 400), 600);
  EXPECT_FALSE(rl.take("a", 1'000));
  EXPECT_EQ(rl.take("a", 1'500), 500);
  EXPECT_FALSE(rl.take("a", 2'000));
}

TEST(RateLimiter, KeysHaveSeparateBuckets) {
  RateLimiter rl(1, 10'000);
  EXPECT_FALSE(rl.take("1.2.3.4", 0));
  EXPECT_TRUE(rl.take("1.2.3.4", 0));
  EXPECT_FALSE(rl.take("5.6.7.8", 0));
}

TEST(RateLimiter, ClockGoingBackwardsGivesNothingBack) {
  RateLimiter rl(1, 1'000);
  EXPECT_FALSE(rl.take("a", 10'000));
  EXPECT_EQ(rl.take("a", 5'000), 6'000);
  EXPECT_FALSE(rl.take("a", 11'000));
}

TEST(RateLimiter, NonsensicalConfigurationIsRefused) {
  EXPECT_THROW(RateLimiter(0, 1'000), std::invalid_argument);
  EXPECT_THROW(RateLimiter(1, 0), std::invalid_argument);
  EXPECT_THROW(RateLimiter(1, 1, 0), std::invalid_argument);
  EXPECT_THROW(RateLimiter(4'000'000'000u, INT64_MAX / 2), std::invalid_argument);
}

TEST(RateLimiter, FullBucketsAreDroppedFirstWhenMemoryIsFull) {
  RateLimiter rl(2, 1'000, 4);
  EXPECT_FALSE(rl.take("busy", 0));
  EXPECT_FALSE(rl.take("busy", 0));  // empty: refilling until 2 000
  for (const char* k : {"a", "b", "c"}) EXPECT_FALSE(rl.take(k, 0));
  EXPECT_EQ(rl.size(), 4u);
  // At 1 000 a, b and c are full again and go; "busy" is still one token short and stays.
  EXPECT_FALSE(rl.take("d", 1'000));
  EXPECT_EQ(rl.size(), 2u);
  EXPECT_FALSE(rl.take("busy", 1'000));
  EXPECT_EQ(rl.take("busy", 1'000), 1'000);
}

TEST(RateLimiter, MemoryStaysBoundedUnderAFloodOfKeys) {
  RateLimiter rl(5, 60'000, 64);
  for (int i = 0; i < 10'000; ++i) {
    EXPECT_FALSE(rl.take("k" + std::to_string(i), 0));
    ASSERT_LE(rl.size(), 64u);
  }
  // A flooded limiter still limits: the most recent key is known.
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(rl.take("k9999", 0));
  EXPECT_TRUE(rl.take("k9999", 0));
}

TEST(RateLimiter, ConcurrentTakesNeverExceedTheBurst) {
  RateLimiter rl(1'000, 1'000'000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (!rl.take("shared", 0)) allowed.fetch_add(1);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 1'000);
}

}  // namespace
}  // namespace cx::auth
