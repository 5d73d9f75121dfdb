// Kline buckets: UTC boundaries, Monday weeks, calendar months.

#include <gtest/gtest.h>

#include "store/kline.hpp"
#include "store_fixture.hpp"

namespace cx::store::test {
namespace {

using KI = KlineInterval;

TEST(KlineBuckets, NamesRoundTripAndMinuteDiffersFromMonth) {
  for (KI i : kKlineIntervals) EXPECT_EQ(kline_interval_from(to_string(i)), i);
  EXPECT_EQ(kline_interval_from("1m"), KI::M1);
  EXPECT_EQ(kline_interval_from("1M"), KI::MO1);
  EXPECT_FALSE(kline_interval_from("2h"));
}

TEST(KlineBuckets, FixedLengthIntervalsStartAtUtcMultiples) {
  const Timestamp t = utc(2024, 3, 13, 14, 37, 42) + 123;
  EXPECT_EQ(bucket_start(KI::M1, t), utc(2024, 3, 13, 14, 37));
  EXPECT_EQ(bucket_start(KI::M5, t), utc(2024, 3, 13, 14, 35));
  EXPECT_EQ(bucket_start(KI::H1, t), utc(2024, 3, 13, 14));
  EXPECT_EQ(bucket_start(KI::D1, t), utc(2024, 3, 13));
  EXPECT_EQ(bucket_end(KI::M5, utc(2024, 3, 13, 14, 35)), utc(2024, 3, 13, 14, 40));
  // The boundary belongs to the bucket it starts.
  EXPECT_EQ(bucket_start(KI::H1, utc(2024, 3, 13, 15)), utc(2024, 3, 13, 15));
  EXPECT_EQ(bucket_start(KI::H1, utc(2024, 3, 13, 15) - 1), utc(2024, 3, 13, 14));
}

TEST(KlineBuckets, WeeksStartOnMondayMidnightUtc) {
  // 2024-04-01 was a Monday.
  EXPECT_EQ(bucket_start(KI::W1, utc(2024, 4, 1)), utc(2024, 4, 1));
  EXPECT_EQ(bucket_start(KI::W1, utc(2024, 4, 1) - 1), utc(2024, 3, 25));
  EXPECT_EQ(bucket_start(KI::W1, utc(2024, 4, 7, 23, 59, 59)), utc(2024, 4, 1));
  EXPECT_EQ(bucket_end(KI::W1, utc(2024, 4, 1)), utc(2024, 4, 8));
  // The epoch was a Thursday: its week began on Monday 1969-12-29.
  EXPECT_EQ(bucket_start(KI::W1, 0), utc(1969, 12, 29));
}

TEST(KlineBuckets, MonthsAreCalendarMonths) {
  EXPECT_EQ(bucket_start(KI::MO1, utc(2024, 2, 29, 23, 59, 59)), utc(2024, 2, 1));
  EXPECT_EQ(bucket_end(KI::MO1, utc(2024, 2, 1)), utc(2024, 3, 1));  // leap February: 29 days
  EXPECT_EQ(bucket_end(KI::MO1, utc(2023, 2, 1)), utc(2023, 3, 1));
  EXPECT_EQ(bucket_start(KI::MO1, utc(2024, 12, 31, 12)), utc(2024, 12, 1));
  EXPECT_EQ(bucket_end(KI::MO1, utc(2024, 12, 1)), utc(2025, 1, 1));
  EXPECT_EQ(bucket_start(KI::MO1, utc(2025, 1, 1)), utc(2025, 1, 1));
}

TEST(KlineBuckets, TimesBeforeTheEpochFloor) {
  EXPECT_EQ(bucket_start(KI::M1, -1), -60'000);
  EXPECT_EQ(bucket_start(KI::D1, -1), utc(1969, 12, 31));
  EXPECT_EQ(bucket_start(KI::MO1, -1), utc(1969, 12, 1));
}

}  // namespace
}  // namespace cx::store::test
