#include <gtest/gtest.h>

#include "oracle/simulated_source.hpp"

namespace cx::oracle {
namespace {

TEST(SimulatedSource, SameSeedSameWalk) {
  SimulatedSource a(7, {{"BTC", 6'000'000'000'000}, {"ETH", 300'000'000'000}});
  SimulatedSource b(7, {{"BTC", 6'000'000'000'000}, {"ETH", 300'000'000'000}});
  SimulatedSource c(8, {{"BTC", 6'000'000'000'000}, {"ETH", 300'000'000'000}});
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    auto qa = a.poll(i).value();
    auto qb = b.poll(i).value();
    auto qc = c.poll(i).value();
    ASSERT_EQ(qa.size(), 2u);
    for (std::size_t k = 0; k < qa.size(); ++k) {
      EXPECT_EQ(qa[k].price, qb[k].price);
      EXPECT_EQ(qa[k].ts, i);
      differs = differs || qa[k].price != qc[k].price;
    }
  }
  EXPECT_TRUE(differs);
}

TEST(SimulatedSource, EachStepMovesAtMostFiveBasisPoints) {
  SimulatedSource s(1, {{"BTC", 6'000'000'000'000}});
  std::int64_t prev = 6'000'000'000'000;
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t p = s.poll(i).value()[0].price;
    const std::int64_t move = p > prev ? p - prev : prev - p;
    EXPECT_LE(move, prev / 2000 + 1) << "step " << i;
    prev = p;
  }
}

TEST(SimulatedSource, ResumeContinuesFromAGivenPrice) {
  SimulatedSource s(1, {{"BTC", 6'000'000'000'000}});
  s.resume("SOL", 15'000'000'000);
  auto q = s.poll(0).value();
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[1].underlying, "SOL");
  EXPECT_LE(q[1].price, 15'000'000'000 + 15'000'000'000 / 2000 + 1);
  EXPECT_GE(q[1].price, 15'000'000'000 - 15'000'000'000 / 2000 - 1);
}

}  // namespace
}  // namespace cx::oracle
