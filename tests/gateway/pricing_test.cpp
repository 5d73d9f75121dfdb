// Prices per (service, model), the cost formula with its rounding, overflow and the token
// estimate.

#include "gateway/pricing.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace cx::gateway {
namespace {

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

TEST(PriceTable, ExactModelThenServiceDefaultThenNothing) {
  PriceTable t;
  t.set(Service::Chat, "*", Price{.per_million_input = 100});
  t.set(Service::Chat, "llama-3-70b", Price{.per_million_input = 900});
  EXPECT_EQ(t.find(Service::Chat, "llama-3-70b")->per_million_input, 900);
  EXPECT_EQ(t.find(Service::Chat, "mistral-7b")->per_million_input, 100);
  EXPECT_FALSE(t.find(Service::Embeddings, "llama-3-70b"));
  EXPECT_FALSE(t.find(Service::Image, "*"));
}

TEST(PriceTable, SetReplacesAndEraseRemoves) {
  PriceTable t;
  t.set(Service::Tts, "kokoro", Price{.per_second = 5});
  t.set(Service::Tts, "kokoro", Price{.per_second = 7});
  EXPECT_EQ(t.find(Service::Tts, "kokoro")->per_second, 7);
  EXPECT_TRUE(t.erase(Service::Tts, "kokoro"));
  EXPECT_FALSE(t.erase(Service::Tts, "kokoro"));
  EXPECT_FALSE(t.find(Service::Tts, "kokoro"));
}

TEST(PriceTable, ModelLessServicesUseTheEmptyModel) {
  PriceTable t;
  t.set(Service::Scrape, "", Price{.per_request = 1'000});
  EXPECT_EQ(t.find(Service::Scrape, "")->per_request, 1'000);
}

TEST(Cost, TokensAreChargedPerMillionRoundedUp) {
  const Price p{.per_million_input = 150'000, .per_million_output = 600'000};
  // 1000 in x 0.15 credits/M = 150 micro; 500 out x 0.6/M = 300 micro.
  EXPECT_EQ(PriceTable::cost(p, Usage{.input_tokens = 1'000, .output_tokens = 500}), 450);
  // One token at 0.15 credits/M is 0.15 micro: rounds up to 1.
  EXPECT_EQ(PriceTable::cost(p, Usage{.input_tokens = 1}), 1);
  // Input and output are summed before rounding: 0.15 + 0.6 micro -> 1, not 2.
  EXPECT_EQ(PriceTable::cost(p, Usage{.input_tokens = 1, .output_tokens = 1}), 1);
  EXPECT_EQ(PriceTable::cost(p, Usage{}), 0);
}

TEST(Cost, ImagesMediaAndRequests) {
  const Price p{.per_image = 20'000, .per_second = 1'500, .per_request = 7};
  EXPECT_EQ(PriceTable::cost(p, Usage{.images = 3}), 60'000);
  // 2.5 s at 1500 micro/s = 3750; 1 ms = 1.5 micro -> 2.
  EXPECT_EQ(PriceTable::cost(p, Usage{.media_ms = 2'500}), 3'750);
  EXPECT_EQ(PriceTable::cost(p, Usage{.media_ms = 1}), 2);
  EXPECT_EQ(PriceTable::cost(p, Usage{.requests = 2}), 14);
  EXPECT_EQ(PriceTable::cost(p, Usage{.images = 1, .media_ms = 1'000, .requests = 1}),
            20'000 + 1'500 + 7);
}

TEST(Cost, ExactWhereSixtyFourBitProductsWouldOverflow) {
  // 10^12 tokens x 10^9 micro/M = 10^21 before the division: needs 128 bits.
  const Price p{.per_million_input = 1'000'000'000};
  EXPECT_EQ(PriceTable::cost(p, Usage{.input_tokens = 1'000'000'000'000}), 1'000'000'000'000'000);
}

TEST(Cost, OverflowIsAnErrorNotAWrap) {
  auto r = PriceTable::cost(Price{.per_image = kMax}, Usage{.images = 2});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::Overflow);
  auto s = PriceTable::cost(Price{.per_image = kMax, .per_request = 1},
                            Usage{.images = 1, .requests = 1});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::Overflow);
  EXPECT_EQ(PriceTable::cost(Price{.per_image = kMax}, Usage{.images = 1}), kMax);
  auto t = PriceTable::cost(Price{.per_million_input = kMax, .per_million_output = kMax},
                            Usage{.input_tokens = kMax, .output_tokens = kMax});
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, ErrorCode::Overflow);
}

TEST(Cost, NegativeInputsAreRefused) {
  auto r = PriceTable::cost(Price{.per_request = 1}, Usage{.requests = -1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::NegativeNotAllowed);
  auto s = PriceTable::cost(Price{.per_image = -1}, Usage{.images = 1});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::NegativeNotAllowed);
}

TEST(EstimateTokens, FourBytesPerTokenRoundedUp) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("a"), 1);
  EXPECT_EQ(estimate_tokens("abcd"), 1);
  EXPECT_EQ(estimate_tokens("abcde"), 2);
  EXPECT_EQ(estimate_tokens(std::string(4'001, 'x')), 1'001);
}

TEST(FormatCredits, SixDecimalsLikeDollars) {
  EXPECT_EQ(format_credits(0), "0.000000");
  EXPECT_EQ(format_credits(1'500'000), "1.500000");
  EXPECT_EQ(format_credits(1), "0.000001");
  EXPECT_EQ(format_credits(-2'000'001), "-2.000001");
}

}  // namespace
}  // namespace cx::gateway
