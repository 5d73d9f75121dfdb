#include "store/kline.hpp"

#include <chrono>

namespace cx::store {

namespace {

constexpr Timestamp kMinute = 60'000;
constexpr Timestamp kHour = 60 * kMinute;
constexpr Timestamp kDay = 24 * kHour;
constexpr Timestamp kWeek = 7 * kDay;
/// 1970-01-01 was a Thursday: Monday 00:00 UTC falls 3 days after a multiple of a week from it.
constexpr Timestamp kMondayOffset = 4 * kDay;

constexpr Timestamp floor_to(Timestamp ts, Timestamp len) noexcept {
  Timestamp q = ts / len;
  if (ts % len < 0) --q;
  return q * len;
}

}  // namespace

std::string_view to_string(KlineInterval i) noexcept {
  switch (i) {
    case KlineInterval::M1:
      return "1m";
    case KlineInterval::M5:
      return "5m";
    case KlineInterval::H1:
      return "1h";
    case KlineInterval::D1:
      return "1d";
    case KlineInterval::W1:
      return "1w";
    case KlineInterval::MO1:
      return "1M";
  }
  return "1m";
}

std::optional<KlineInterval> kline_interval_from(std::string_view s) noexcept {
  for (KlineInterval i : kKlineIntervals)
    if (to_string(i) == s) return i;
  return std::nullopt;
}

Timestamp bucket_start(KlineInterval interval, Timestamp ts) noexcept {
  switch (interval) {
    case KlineInterval::M1:
      return floor_to(ts, kMinute);
    case KlineInterval::M5:
      return floor_to(ts, 5 * kMinute);
    case KlineInterval::H1:
      return floor_to(ts, kHour);
    case KlineInterval::D1:
      return floor_to(ts, kDay);
    case KlineInterval::W1:
      return floor_to(ts - kMondayOffset, kWeek) + kMondayOffset;
    case KlineInterval::MO1: {
      using namespace std::chrono;
      const sys_days day{days{floor_to(ts, kDay) / kDay}};
      const year_month_day ymd{day};
      const sys_days first{ymd.year() / ymd.month() / std::chrono::day{1}};
      return static_cast<Timestamp>(first.time_since_epoch().count()) * kDay;
    }
  }
  return ts;
}

Timestamp bucket_end(KlineInterval interval, Timestamp start) noexcept {
  switch (interval) {
    case KlineInterval::M1:
      return start + kMinute;
    case KlineInterval::M5:
      return start + 5 * kMinute;
    case KlineInterval::H1:
      return start + kHour;
    case KlineInterval::D1:
      return start + kDay;
    case KlineInterval::W1:
      return start + kWeek;
    case KlineInterval::MO1: {
      using namespace std::chrono;
      const year_month_day ymd{sys_days{days{floor_to(start, kDay) / kDay}}};
      const year_month next = ymd.year() / ymd.month() + months{1};
      const sys_days first{next / std::chrono::day{1}};
      return static_cast<Timestamp>(first.time_since_epoch().count()) * kDay;
    }
  }
  return start;
}

}  // namespace cx::store
