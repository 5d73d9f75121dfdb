#include <gtest/gtest.h>

#include <vector>

#include "oracle/index_book.hpp"

namespace cx::oracle {
namespace {

constexpr std::int64_t usd(std::int64_t whole) {
  return whole * 100'000'000;
}

TEST(Median, OddCountIsTheMiddleValue) {
  std::vector<std::int64_t> v{usd(3), usd(1), usd(2)};
  EXPECT_EQ(median(v), usd(2));
}

TEST(Median, EvenCountIsTheMeanOfTheTwoMiddleValuesTruncated) {
  std::vector<std::int64_t> v{7, 1, 4, 100};
  EXPECT_EQ(median(v), 5);  // (4 + 7) / 2 = 5.5 -> 5
  std::vector<std::int64_t> one{42};
  EXPECT_EQ(median(one), 42);
}

TEST(Median, AnOutlierDoesNotMoveIt) {
  std::vector<std::int64_t> v{usd(60000), usd(60010), usd(1)};
  EXPECT_EQ(median(v), usd(60000));
}

TEST(IndexBook, IndexIsTheMedianOfFreshSources) {
  IndexBook b;
  const auto a = b.add_source("a", 10'000);
  const auto c = b.add_source("c", 10'000);
  const auto d = b.add_source("d", 10'000);
  b.record(a, {"BTC", usd(60000), 1000});
  b.record(c, {"BTC", usd(60100), 1000});
  b.record(d, {"BTC", usd(99999), 1000});
  const auto idx = b.compute(2000);
  ASSERT_EQ(idx.size(), 1u);
  EXPECT_EQ(idx[0].underlying, "BTC");
  EXPECT_EQ(idx[0].price, usd(60100));
  EXPECT_EQ(idx[0].sources, 3u);
  EXPECT_FALSE(idx[0].stale);
}

TEST(IndexBook, AStaleSourceLeavesTheMedian) {
  IndexBook b;
  const auto slow = b.add_source("slow", 5'000);
  const auto fast = b.add_source("fast", 60'000);
  b.record(slow, {"ETH", usd(1), 0});
  b.record(fast, {"ETH", usd(3000), 0});
  auto idx = b.compute(5'000);  // exactly max_age old: still fresh
  EXPECT_EQ(idx[0].sources, 2u);
  idx = b.compute(5'001);
  EXPECT_EQ(idx[0].sources, 1u);
  EXPECT_EQ(idx[0].price, usd(3000));
  EXPECT_EQ(idx[0].known, 2u);
}

TEST(IndexBook, NoFreshSourceMeansStale) {
  IndexBook b;
  const auto s = b.add_source("s", 1'000);
  b.record(s, {"BTC", usd(60000), 10'000});
  auto idx = b.compute(11'001);
  ASSERT_EQ(idx.size(), 1u);
  EXPECT_TRUE(idx[0].stale);
  EXPECT_EQ(idx[0].price, 0);
  EXPECT_EQ(idx[0].sources, 0u);
  EXPECT_EQ(idx[0].ts, 10'000);
  // A new quote makes it fresh again.
  b.record(s, {"BTC", usd(61000), 11'500});
  idx = b.compute(12'000);
  EXPECT_FALSE(idx[0].stale);
  EXPECT_EQ(idx[0].price, usd(61000));
}

TEST(IndexBook, AnOlderQuoteDoesNotReplaceANewerOne) {
  IndexBook b;
  const auto s = b.add_source("s", 60'000);
  b.record(s, {"BTC", usd(2), 2'000});
  b.record(s, {"BTC", usd(1), 1'000});
  EXPECT_EQ(b.compute(3'000)[0].price, usd(2));
}

TEST(IndexBook, UnderlyingsAreIndependentAndInNameOrder) {
  IndexBook b;
  const auto s = b.add_source("s", 1'000);
  const auto t = b.add_source("t", 100'000);
  b.record(s, {"SOL", usd(150), 0});
  b.record(t, {"BTC", usd(60000), 0});
  const auto idx = b.compute(50'000);
  ASSERT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx[0].underlying, "BTC");
  EXPECT_FALSE(idx[0].stale);
  EXPECT_EQ(idx[1].underlying, "SOL");
  EXPECT_TRUE(idx[1].stale);
}

}  // namespace
}  // namespace cx::oracle
