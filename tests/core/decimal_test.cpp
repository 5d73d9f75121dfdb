#include "core/decimal.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cx {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();

__extension__ using i128 = __int128;

// Parses and expects success; the error message is shown on failure.
std::int64_t parsed(std::string_view text, int scale, Sign sign = Sign::Any) {
  const auto r = parse_decimal(text, scale, sign);
  EXPECT_TRUE(r.has_value()) << "\"" << text << "\" at scale " << scale << ": "
                             << (r ? "" : r.error().message);
  return r.value_or(-424242);
}

// Parses and expects failure with `code`; returns the message.
std::string rejected(std::string_view text, int scale, ErrorCode code, Sign sign = Sign::Any) {
  const auto r = parse_decimal(text, scale, sign);
  if (r.has_value()) {
    ADD_FAILURE() << "\"" << text << "\" at scale " << scale << " parsed as " << *r;
    return {};
  }
  EXPECT_EQ(to_string(r.error().code), to_string(code))
      << "\"" << text << "\" at scale " << scale << ": " << r.error().message;
  EXPECT_FALSE(r.error().message.empty());
  return r.error().message;
}

// Seed for randomized tests: CX_TEST_SEED if set (to replay a failure), random otherwise.
std::uint64_t test_seed() {
  if (const char* env = std::getenv("CX_TEST_SEED")) return std::strtoull(env, nullptr, 10);
  return (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
}

// ---------------------------------------------------------------------------------------
// Parsing: accepted forms

TEST(Decimal, ParsesIntegersAtScaleZero) {
  EXPECT_EQ(parsed("0", 0), 0);
  EXPECT_EQ(parsed("123", 0), 123);
  EXPECT_EQ(parsed("-123", 0), -123);
}

TEST(Decimal, PadsShortFractionsUpToTheScale) {
  EXPECT_EQ(parsed("1.5", 2), 150);
  EXPECT_EQ(parsed("0.5", 2), 50);
  EXPECT_EQ(parsed("-1.25", 2), -125);
  EXPECT_EQ(parsed("0.05", 2), 5);
  EXPECT_EQ(parsed("7", 4), 70000);
}

TEST(Decimal, AcceptsLeadingZeros) {
  EXPECT_EQ(parsed("007.5", 1), 75);
  EXPECT_EQ(parsed("000", 0), 0);
  EXPECT_EQ(parsed("-00.10", 2), -10);
  EXPECT_EQ(parsed("00000000000000000000000000000001", 18), pow10(18));
}

TEST(Decimal, AcceptsTrailingZerosBeyondTheScale) {
  EXPECT_EQ(parsed("1.500", 2), 150);
  EXPECT_EQ(parsed("1.0", 0), 1);
  EXPECT_EQ(parsed("2.000000000000000000000000", 0), 2);
  EXPECT_EQ(parsed("-0.1000", 1), -1);
}

TEST(Decimal, ParsesAtTheLargestScale) {
  EXPECT_EQ(parsed("1", 18), pow10(18));
  EXPECT_EQ(parsed("0.000000000000000001", 18), 1);
  EXPECT_EQ(parsed("9.223372036854775807", 18), kMax);
  EXPECT_EQ(parsed("-9.223372036854775808", 18), kMin);
}

// ---------------------------------------------------------------------------------------
// Parsing: rejected forms

TEST(Decimal, RejectsEmptyStringAsEmptyValue) {
  rejected("", 2, ErrorCode::EmptyValue);
  rejected("", 0, ErrorCode::EmptyValue, Sign::PositiveOnly);
}

TEST(Decimal, RejectsNonDigits) {
  for (std::string_view s : {"abc", "1a", "a1", "1,5", "0x10", "1_000", "NaN", "inf", "\xd9\xa1",
                             "1/2", "1'000", "(1)"}) {
    rejected(s, 2, ErrorCode::InvalidNumber);
  }
  rejected(std::string_view("1\0", 2), 0, ErrorCode::InvalidNumber);
  rejected(std::string_view("\0", 1), 0, ErrorCode::InvalidNumber);
}

TEST(Decimal, RejectsWhitespaceAnywhere) {
  for (std::string_view s : {" 1", "1 ", "1\t", "\n1", "1 000", "1. 5", "- 1", " "}) {
    const std::string msg = rejected(s, 2, ErrorCode::InvalidNumber);
    EXPECT_NE(msg.find("whitespace"), std::string::npos) << msg;
  }
}

TEST(Decimal, RejectsExponents) {
  for (std::string_view s : {"1e5", "1E5", "1.5e2", "1e-5", "1e+5", "e5"}) {
    rejected(s, 2, ErrorCode::InvalidNumber);
  }
  EXPECT_NE(rejected("1e5", 0, ErrorCode::InvalidNumber).find("exponent"), std::string::npos);
}

TEST(Decimal, RejectsLeadingPlus) {
  EXPECT_NE(rejected("+1", 0, ErrorCode::InvalidNumber).find("'+'"), std::string::npos);
  rejected("+0.5", 2, ErrorCode::InvalidNumber, Sign::NonNegative);
  rejected("-+1", 0, ErrorCode::InvalidNumber);
}

TEST(Decimal, RejectsALoneMinus) {
  for (Sign sign : {Sign::Any, Sign::NonNegative, Sign::PositiveOnly}) {
    rejected("-", 2, ErrorCode::InvalidNumber, sign);
  }
}

TEST(Decimal, RejectsADotWithoutDigitsOnBothSides) {
  for (std::string_view s : {".", "1.", ".5", "-.5", "-1.", "-.", "..", ".5."}) {
    rejected(s, 2, ErrorCode::InvalidNumber);
  }
}

TEST(Decimal, RejectsMoreThanOneDot) {
  for (std::string_view s : {"1..2", "1.2.3", "1.2.", "1.0.0"}) {
    rejected(s, 4, ErrorCode::InvalidNumber);
  }
}

TEST(Decimal, RejectsMisplacedMinus) {
  for (std::string_view s : {"--1", "1-", "-1-", "1-2", "1.-5", "-"}) {
    rejected(s, 2, ErrorCode::InvalidNumber);
  }
}

TEST(Decimal, RejectsMoreDecimalsThanScale) {
  rejected("1.234", 2, ErrorCode::TooManyDecimals);
  rejected("0.1", 0, ErrorCode::TooManyDecimals);
  rejected("1.0001", 2, ErrorCode::TooManyDecimals);
  rejected("-0.0000000000000000001", 18, ErrorCode::TooManyDecimals);
  const std::string msg = rejected("1.234", 2, ErrorCode::TooManyDecimals);
  EXPECT_NE(msg.find("2 decimal"), std::string::npos) << msg;
}

TEST(Decimal, AcceptsInt64MaxUnitsAndRejectsOneMore) {
  EXPECT_EQ(parsed("9223372036854775807", 0), kMax);
  rejected("9223372036854775808", 0, ErrorCode::Overflow);
  EXPECT_EQ(parsed("92233720368547758.07", 2), kMax);
  rejected("92233720368547758.08", 2, ErrorCode::Overflow);
  EXPECT_EQ(parsed("9.223372036854775807", 18), kMax);
  rejected("9.223372036854775808", 18, ErrorCode::Overflow);
  // Padding the fraction is what overflows here.
  rejected("92233720368547758.1", 2, ErrorCode::Overflow);
  EXPECT_EQ(parsed("9223372036854775807", 0, Sign::PositiveOnly), kMax);
}

TEST(Decimal, AcceptsInt64MinUnitsWithSignAnyAndRejectsOneLess) {
  EXPECT_EQ(parsed("-9223372036854775808", 0), kMin);
  rejected("-9223372036854775809", 0, ErrorCode::Overflow);
  EXPECT_EQ(parsed("-92233720368547758.08", 2), kMin);
  rejected("-92233720368547758.09", 2, ErrorCode::Overflow);
  EXPECT_EQ(parsed("-9.223372036854775808", 18), kMin);
  rejected("-9.223372036854775809", 18, ErrorCode::Overflow);
}

TEST(Decimal, RejectsMagnitudesFarBeyondInt64) {
  rejected("10", 18, ErrorCode::Overflow);
  rejected("18446744073709551616", 0, ErrorCode::Overflow);  // 2^64 wraps a uint64
  rejected("99999999999999999999999999999999999999", 0, ErrorCode::Overflow);
  rejected("-99999999999999999999999999999999999999", 0, ErrorCode::Overflow);
}

TEST(Decimal, RejectsMinusUnlessSignIsAny) {
  rejected("-1", 2, ErrorCode::NegativeNotAllowed, Sign::NonNegative);
  rejected("-1", 2, ErrorCode::NegativeNotAllowed, Sign::PositiveOnly);
  rejected("-0.01", 2, ErrorCode::NegativeNotAllowed, Sign::NonNegative);
  EXPECT_EQ(parsed("-1", 2, Sign::Any), -100);
}

TEST(Decimal, NegativeZeroIsZeroButCountsAsASign) {
  EXPECT_EQ(parsed("-0", 2, Sign::Any), 0);
  EXPECT_EQ(parsed("-0.00", 2, Sign::Any), 0);
  rejected("-0", 2, ErrorCode::NegativeNotAllowed, Sign::NonNegative);
  rejected("-0", 2, ErrorCode::NegativeNotAllowed, Sign::PositiveOnly);
}

TEST(Decimal, AcceptsZeroUnlessPositiveOnly) {
  EXPECT_EQ(parsed("0", 2, Sign::NonNegative), 0);
  EXPECT_EQ(parsed("0.00", 2, Sign::Any), 0);
  for (std::string_view s : {"0", "0.00", "000", "0.000000"}) {
    const std::string msg = rejected(s, 2, ErrorCode::InvalidArgument, Sign::PositiveOnly);
    EXPECT_NE(msg.find("must be positive"), std::string::npos) << msg;
  }
  EXPECT_EQ(parsed("0.01", 2, Sign::PositiveOnly), 1);
}

TEST(Decimal, RejectsScaleOutsideZeroToEighteen) {
  for (int scale : {-1, 19, 100, std::numeric_limits<int>::min()}) {
    rejected("1", scale, ErrorCode::InvalidArgument);
  }
  EXPECT_EQ(parsed("1", 0), 1);
  EXPECT_EQ(parsed("1", 18), pow10(18));
}

TEST(Decimal, ChecksRulesInAFixedOrder) {
  // Scale, then emptiness, syntax, sign, precision, range, positivity.
  rejected("", 19, ErrorCode::InvalidArgument);
  rejected("-1x", 2, ErrorCode::InvalidNumber, Sign::NonNegative);
  rejected("-1.234", 2, ErrorCode::NegativeNotAllowed, Sign::NonNegative);
  rejected("99999999999999999999.123", 2, ErrorCode::TooManyDecimals);
  rejected("0.001", 2, ErrorCode::TooManyDecimals, Sign::PositiveOnly);
}

TEST(Decimal, ErrorsAreMalformedAndQuoteTheInput) {
  const auto r = parse_decimal("1e5", 2);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().error_class(), ErrorClass::Malformed);
  EXPECT_NE(r.error().message.find("\"1e5\""), std::string::npos) << r.error().message;
}

TEST(Decimal, ErrorMessagesEscapeControlBytesAndStayShort) {
  const std::string hostile = "1\n" + std::string(10000, 'x');
  const auto r = parse_decimal(hostile, 2);
  ASSERT_FALSE(r.has_value());
  EXPECT_LT(r.error().message.size(), 200u);
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("\\x0a"), std::string::npos) << r.error().message;
}

// ---------------------------------------------------------------------------------------
// Formatting

TEST(Decimal, FormatsExactlyScaleFractionalDigits) {
  EXPECT_EQ(format_decimal(150, 2), "1.50");
  EXPECT_EQ(format_decimal(5, 2), "0.05");
  EXPECT_EQ(format_decimal(0, 2), "0.00");
  EXPECT_EQ(format_decimal(-5, 2), "-0.05");
  EXPECT_EQ(format_decimal(-150, 2), "-1.50");
  EXPECT_EQ(format_decimal(1, 18), "0.000000000000000001");
  EXPECT_EQ(format_decimal(pow10(18), 18), "1.000000000000000000");
}

TEST(Decimal, FormatsWithoutFractionAtScaleZero) {
  EXPECT_EQ(format_decimal(0, 0), "0");
  EXPECT_EQ(format_decimal(123, 0), "123");
  EXPECT_EQ(format_decimal(-123, 0), "-123");
}

TEST(Decimal, FormatsInt64Extremes) {
  EXPECT_EQ(format_decimal(kMax, 0), "9223372036854775807");
  EXPECT_EQ(format_decimal(kMin, 0), "-9223372036854775808");
  EXPECT_EQ(format_decimal(kMax, 2), "92233720368547758.07");
  EXPECT_EQ(format_decimal(kMin, 2), "-92233720368547758.08");
  EXPECT_EQ(format_decimal(kMax, 18), "9.223372036854775807");
  EXPECT_EQ(format_decimal(kMin, 18), "-9.223372036854775808");
  EXPECT_EQ(format_decimal(kMin + 1, 0), "-9223372036854775807");
}

TEST(Decimal, TrimmedFormatDropsTrailingZerosAndABareDot) {
  EXPECT_EQ(format_decimal_trimmed(150, 2), "1.5");
  EXPECT_EQ(format_decimal_trimmed(200, 2), "2");
  EXPECT_EQ(format_decimal_trimmed(105, 2), "1.05");
  EXPECT_EQ(format_decimal_trimmed(0, 2), "0");
  EXPECT_EQ(format_decimal_trimmed(-100, 2), "-1");
  EXPECT_EQ(format_decimal_trimmed(-10, 2), "-0.1");
  EXPECT_EQ(format_decimal_trimmed(1000, 0), "1000");
  EXPECT_EQ(format_decimal_trimmed(kMin, 18), "-9.223372036854775808");
  EXPECT_EQ(format_decimal_trimmed(kMax, 0), "9223372036854775807");
  EXPECT_EQ(format_decimal_trimmed(pow10(18), 18), "1");
}

TEST(Decimal, CountsTheFractionalDigitsAValueNeeds) {
  EXPECT_EQ(decimals_used(150, 2), 1);
  EXPECT_EQ(decimals_used(200, 2), 0);
  EXPECT_EQ(decimals_used(105, 2), 2);
  EXPECT_EQ(decimals_used(0, 5), 0);
  EXPECT_EQ(decimals_used(1000, 2), 0);
  EXPECT_EQ(decimals_used(123, 0), 0);
  EXPECT_EQ(decimals_used(1, 18), 18);
  EXPECT_EQ(decimals_used(-150, 2), 1);
  EXPECT_EQ(decimals_used(kMin, 18), 18);
  EXPECT_EQ(decimals_used(kMax, 18), 18);
}

// ---------------------------------------------------------------------------------------
// Round trips

// parse(format(x)) == x, for both formats, and the trimmed form uses decimals_used digits.
void expect_round_trip(std::int64_t units, int scale) {
  const std::string full = format_decimal(units, scale);
  const std::string trimmed = format_decimal_trimmed(units, scale);
  const auto a = parse_decimal(full, scale);
  const auto b = parse_decimal(trimmed, scale);
  ASSERT_TRUE(a.has_value()) << full << " at " << scale << ": " << a.error().message;
  ASSERT_TRUE(b.has_value()) << trimmed << " at " << scale << ": " << b.error().message;
  EXPECT_EQ(*a, units) << full << " at " << scale;
  EXPECT_EQ(*b, units) << trimmed << " at " << scale;
  const auto dot = trimmed.find('.');
  const int shown = dot == std::string::npos ? 0 : static_cast<int>(trimmed.size() - dot - 1);
  EXPECT_EQ(shown, decimals_used(units, scale)) << trimmed << " at " << scale;
  if (scale > 0) {
    EXPECT_EQ(full.size() - full.find('.') - 1, static_cast<std::size_t>(scale)) << full;
  }
}

TEST(Decimal, RoundTripsBoundaryValuesAtEveryScale) {
  std::vector<std::int64_t> values = {0, 1, -1, 9, -9, 10, -10, kMax, kMin, kMax - 1, kMin + 1};
  for (int k = 0; k <= kMaxScale; ++k) {
    for (std::int64_t v : {pow10(k), pow10(k) - 1, pow10(k) + 1}) {
      values.push_back(v);
      values.push_back(-v);
    }
  }
  for (int scale = 0; scale <= kMaxScale; ++scale) {
    for (std::int64_t v : values) expect_round_trip(v, scale);
  }
}

TEST(Decimal, RoundTripsRandomValues) {
  const std::uint64_t seed = test_seed();
  std::cout << "[ seed     ] CX_TEST_SEED=" << seed << "\n";
  SCOPED_TRACE("CX_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 100'000 && !HasFailure(); ++i) {
    // Uniform bit width, so small values and values near the limits both show up.
    const auto bits = static_cast<int>(rng() % 64);
    std::uint64_t raw = rng();
    if (bits < 63) raw &= (std::uint64_t{1} << bits) - 1;
    std::int64_t v = static_cast<std::int64_t>(raw & static_cast<std::uint64_t>(kMax));
    if (rng() & 1) v = v == 0 && (rng() & 1) ? kMin : -v;
    const auto scale = static_cast<int>(rng() % (kMaxScale + 1));
    expect_round_trip(v, scale);
  }
}

// ---------------------------------------------------------------------------------------
// mul_div

std::int64_t trunc_of(std::int64_t a, std::int64_t b, std::int64_t d) {
  std::int64_t out = -424242;
  EXPECT_TRUE(mul_div_trunc(a, b, d, out)) << a << " * " << b << " / " << d;
  return out;
}

std::int64_t ceil_of(std::int64_t a, std::int64_t b, std::int64_t d) {
  std::int64_t out = -424242;
  EXPECT_TRUE(mul_div_ceil(a, b, d, out)) << a << " * " << b << " / " << d;
  return out;
}

TEST(MulDiv, TruncRoundsTowardZero) {
  EXPECT_EQ(trunc_of(7, 1, 2), 3);
  EXPECT_EQ(trunc_of(-7, 1, 2), -3);
  EXPECT_EQ(trunc_of(7, 1, -2), -3);
  EXPECT_EQ(trunc_of(-7, -1, 2), 3);
  EXPECT_EQ(trunc_of(1, 1, 3), 0);
  EXPECT_EQ(trunc_of(-1, 1, 3), 0);
}

TEST(MulDiv, CeilRoundsTowardPositiveInfinity) {
  EXPECT_EQ(ceil_of(7, 1, 2), 4);
  EXPECT_EQ(ceil_of(1, 1, 3), 1);
  EXPECT_EQ(ceil_of(-7, 1, 2), -3);  // ceiling, not away from zero
  EXPECT_EQ(ceil_of(7, 1, -2), -3);
  EXPECT_EQ(ceil_of(-7, -1, 2), 4);
  EXPECT_EQ(ceil_of(-7, 1, -2), 4);
  EXPECT_EQ(ceil_of(-1, 1, 3), 0);
}

TEST(MulDiv, ExactQuotientsAreTheSameEitherWay) {
  EXPECT_EQ(trunc_of(6, 1, 2), 3);
  EXPECT_EQ(ceil_of(6, 1, 2), 3);
  EXPECT_EQ(trunc_of(-6, 1, 2), -3);
  EXPECT_EQ(ceil_of(-6, 1, 2), -3);
  EXPECT_EQ(trunc_of(0, kMax, 7), 0);
  EXPECT_EQ(ceil_of(0, kMin, -7), 0);
}

TEST(MulDiv, FeeOnANotionalRoundsUpForTheExchange) {
  // 1.23 (scale 2) * 0.0005 fee rate (scale 4) -> scale 2: 0.000615 rounds up to 0.01.
  EXPECT_EQ(ceil_of(123, 5, pow10(4)), 1);
  EXPECT_EQ(trunc_of(123, 5, pow10(4)), 0);
}

TEST(MulDiv, FailsOnZeroDivisorAndLeavesOutputAlone) {
  std::int64_t out = 77;
  EXPECT_FALSE(mul_div_trunc(1, 1, 0, out));
  EXPECT_FALSE(mul_div_ceil(1, 1, 0, out));
  EXPECT_FALSE(mul_div_trunc(0, 0, 0, out));
  EXPECT_FALSE(mul_div_ceil(kMin, kMin, 0, out));
  EXPECT_EQ(out, 77);
}

TEST(MulDiv, UsesA128BitIntermediateProduct) {
  EXPECT_EQ(trunc_of(kMax, kMax, kMax), kMax);
  EXPECT_EQ(ceil_of(kMax, kMax, kMax), kMax);
  EXPECT_EQ(trunc_of(pow10(18), pow10(18), pow10(18)), pow10(18));
  EXPECT_EQ(trunc_of(kMin, kMin, kMin), kMin);
  EXPECT_EQ(ceil_of(kMin, kMin, kMin), kMin);
  EXPECT_EQ(trunc_of(kMin, kMax, kMax), kMin);
  EXPECT_EQ(trunc_of(kMin, -1, -1), kMin);
  EXPECT_EQ(trunc_of(kMax, 3, 4), 6917529027641081855);
  EXPECT_EQ(ceil_of(kMax, 3, 4), 6917529027641081856);
}

TEST(MulDiv, FailsWhenTheResultOverflowsInt64) {
  std::int64_t out = 77;
  EXPECT_FALSE(mul_div_trunc(kMax, 2, 1, out));
  EXPECT_FALSE(mul_div_ceil(kMax, 2, 1, out));
  EXPECT_FALSE(mul_div_trunc(kMin, -1, 1, out));
  EXPECT_FALSE(mul_div_trunc(kMin, 1, -1, out));
  EXPECT_FALSE(mul_div_ceil(kMin, 1, -1, out));
  EXPECT_FALSE(mul_div_trunc(kMin, kMin, 1, out));
  EXPECT_FALSE(mul_div_ceil(kMin, kMin, -1, out));
  EXPECT_EQ(out, 77);
}

TEST(MulDiv, CeilCanOverflowWhereTruncDoesNot) {
  // (2^64 - 1) / 2 = INT64_MAX + 0.5: truncates to INT64_MAX, its ceiling is 2^63.
  constexpr std::int64_t a = 4294967295;  // 2^32 - 1
  constexpr std::int64_t b = 4294967297;  // 2^32 + 1
  EXPECT_EQ(trunc_of(a, b, 2), kMax);
  std::int64_t out = 77;
  EXPECT_FALSE(mul_div_ceil(a, b, 2, out));
  EXPECT_EQ(out, 77);
  // -(2^64 + 1) / 2 = INT64_MIN - 0.5: both directions land on INT64_MIN.
  EXPECT_EQ(trunc_of(-274177, 67280421310721, 2), kMin);
  EXPECT_EQ(ceil_of(-274177, 67280421310721, 2), kMin);
}

// Checks q against the defining inequalities of the rounded quotient of p / d.
void expect_quotients(std::int64_t a, std::int64_t b, std::int64_t d) {
  const i128 p = static_cast<i128>(a) * b;
  const i128 id = d;
  std::int64_t t = 0;
  std::int64_t c = 0;
  const bool t_ok = mul_div_trunc(a, b, d, t);
  const bool c_ok = mul_div_ceil(a, b, d, c);
  // Exact floor and ceiling of p / d in i128 (|p| <= 2^126, so nothing overflows here).
  i128 fl = p / id;
  if (p % id != 0 && ((p < 0) != (id < 0))) --fl;
  const i128 ce = p % id == 0 ? fl : fl + 1;
  const i128 tr = (p < 0) != (id < 0) ? ce : fl;
  // ce * d is the smallest multiple of d at or above p (d > 0), at or below it (d < 0).
  if (id > 0) {
    ASSERT_TRUE(ce * id >= p && (ce - 1) * id < p);
  } else {
    ASSERT_TRUE(ce * id <= p && (ce - 1) * id > p);
  }
  auto fits = [](i128 v) { return v >= kMin && v <= kMax; };
  ASSERT_EQ(t_ok, fits(tr)) << a << " * " << b << " / " << d;
  ASSERT_EQ(c_ok, fits(ce)) << a << " * " << b << " / " << d;
  if (t_ok) {
    ASSERT_TRUE(t == tr) << a << " * " << b << " / " << d << " trunc gave " << t;
  }
  if (c_ok) {
    ASSERT_TRUE(c == ce) << a << " * " << b << " / " << d << " ceil gave " << c;
  }
}

TEST(MulDiv, MatchesExactArithmeticOnSmallOperands) {
  for (std::int64_t a = -30; a <= 30; ++a) {
    for (std::int64_t b = -12; b <= 12; ++b) {
      for (std::int64_t d = -9; d <= 9; ++d) {
        if (d != 0) expect_quotients(a, b, d);
      }
    }
  }
}

TEST(MulDiv, MatchesExactArithmeticOnRandomOperands) {
  const std::uint64_t seed = test_seed();
  std::cout << "[ seed     ] CX_TEST_SEED=" << seed << "\n";
  SCOPED_TRACE("CX_TEST_SEED=" + std::to_string(seed));
  std::mt19937_64 rng(seed);
  auto any = [&] {
    const auto bits = static_cast<int>(rng() % 65);
    std::uint64_t raw = rng();
    if (bits < 64) raw &= (std::uint64_t{1} << bits) - 1;
    return static_cast<std::int64_t>(raw);
  };
  for (int i = 0; i < 100'000 && !HasFailure(); ++i) {
    const std::int64_t d = any();
    if (d != 0) expect_quotients(any(), any(), d);
  }
}

}  // namespace
}  // namespace cx

#include "core/divisor.hpp"

TEST(Divisor, AgreesWithTheModuloOperatorEverywhereItIsCheckedOn) {
  for (std::int64_t d : {1, 2, 3, 5, 6, 7, 10, 12, 25, 64, 100, 1000, 12345, 1'000'000'007}) {
    cx::Divisor div(d);
    for (std::int64_t x = -3000; x <= 3000; ++x)
      ASSERT_EQ(div.divides(x), x % d == 0) << x << " " << d;
    for (std::int64_t x : {INT64_MAX, INT64_MAX - 1, INT64_MIN + 1, std::int64_t{1} << 62})
      ASSERT_EQ(div.divides(x), x % d == 0) << x << " " << d;
  }
}
