#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "oracle/json_price.hpp"

namespace cx::oracle {
namespace {

TEST(OraclePrice, TextAndNumbersConvertToTheOracleScale) {
  EXPECT_EQ(price_from_text("60123.45").value(), 6'012'345'000'000);
  EXPECT_FALSE(price_from_text("0").has_value());
  EXPECT_FALSE(price_from_text("-1").has_value());
  EXPECT_FALSE(price_from_text("1.123456789").has_value());  // 9 decimals
  EXPECT_EQ(price_from_double(0.5).value(), 50'000'000);
  EXPECT_EQ(price_from_double(60123.456789).value(), 6'012'345'678'900);
  EXPECT_FALSE(price_from_double(-3).has_value());
  EXPECT_FALSE(price_from_double(1e12).has_value());
}

TEST(OraclePrice, MarketUnitsTruncate) {
  EXPECT_EQ(to_market_units(6'012'345'678'900, 2).value(), 6'012'345);
  EXPECT_EQ(to_market_units(6'012'345'678'900, 8).value(), 6'012'345'678'900);
  EXPECT_EQ(to_market_units(150'000'000, 10).value(), 15'000'000'000);
  EXPECT_FALSE(to_market_units(1, 2).has_value());  // rounds to 0
}

TEST(JsonPath, FollowsObjectsAndArrayIndices) {
  const auto doc = boost::json::parse(R"({"data":{"price":"1.5","list":[{"p":2},{"p":3.25}]},
                                          "bitcoin":{"usd":60000}})");
  EXPECT_EQ(parse_path_price(R"({"data":{"price":"1.5"}})", "data.price").value(), 150'000'000);
  ASSERT_NE(at_path(doc, "data.list.1.p"), nullptr);
  EXPECT_EQ(price_of(*at_path(doc, "data.list.1.p")).value(), 325'000'000);
  EXPECT_EQ(price_of(*at_path(doc, "bitcoin.usd")).value(), 6'000'000'000'000);
  EXPECT_EQ(at_path(doc, "data.list.2.p"), nullptr);
  EXPECT_EQ(at_path(doc, "data.nope"), nullptr);
  EXPECT_EQ(at_path(doc, "data.price.x"), nullptr);
}

TEST(JsonPath, ErrorsSayWhatIsWrong) {
  auto missing = parse_path_price(R"({"a":1})", "b");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_FALSE(parse_path_price("not json", "a"));
  EXPECT_FALSE(parse_path_price(R"({"a":true})", "a"));
  EXPECT_FALSE(parse_path_price(R"({"a":"abc"})", "a"));
}

TEST(Iso8601, ParsesUtcWithAndWithoutFraction) {
  EXPECT_EQ(parse_iso8601_ms("1970-01-01T00:00:01Z").value(), 1000);
  EXPECT_EQ(parse_iso8601_ms("2024-05-01T12:34:56.789Z").value(), 1'714'566'896'789);
  EXPECT_EQ(parse_iso8601_ms("2024-05-01T12:34:56.7Z").value(), 1'714'566'896'700);
  EXPECT_FALSE(parse_iso8601_ms("2024-05-01 12:34:56Z").has_value());
  EXPECT_FALSE(parse_iso8601_ms("2024-05-01T12:34:56+02:00").has_value());
}

constexpr const char* kCmc = R"({
  "status": {"timestamp": "2024-05-01T12:35:00.000Z", "error_code": 0, "error_message": null},
  "data": {
    "BTC": {"id": 1, "symbol": "BTC",
            "quote": {"USD": {"price": 60123.456789, "last_updated": "2024-05-01T12:34:00.000Z"}}},
    "ETH": [{"id": 1027, "symbol": "ETH", "quote": {"USD": {"price": 3001.5}}}]
  }
})";

TEST(CmcQuotes, ReadsEachSymbolsUsdPriceAndTime) {
  const Timestamp now = 1'714'567'000'000;
  auto q = parse_cmc_quotes(kCmc, {"BTC", "ETH", "SOL"}, "USD", now);
  ASSERT_TRUE(q) << q.error().message;
  ASSERT_EQ(q->size(), 2u);  // SOL is not in the answer
  EXPECT_EQ((*q)[0].underlying, "BTC");
  EXPECT_EQ((*q)[0].price, 6'012'345'678'900);
  EXPECT_EQ((*q)[0].ts, 1'714'566'840'000);
  EXPECT_EQ((*q)[1].underlying, "ETH");
  EXPECT_EQ((*q)[1].price, 300'150'000'000);
  EXPECT_EQ((*q)[1].ts, now);  // no last_updated
}

TEST(CmcQuotes, AQuoteFromTheFutureIsStampedNow) {
  auto q = parse_cmc_quotes(kCmc, {"BTC"}, "USD", 1000);
  ASSERT_TRUE(q);
  EXPECT_EQ((*q)[0].ts, 1000);
}

TEST(CmcQuotes, AnErrorStatusFails) {
  auto q = parse_cmc_quotes(
      R"({"status":{"error_code":1002,"error_message":"API key missing."},"data":null})", {"BTC"},
      "USD", 0);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().code, ErrorCode::Unavailable);
  EXPECT_NE(q.error().message.find("API key missing."), std::string::npos);
  EXPECT_FALSE(parse_cmc_quotes("[]", {"BTC"}, "USD", 0));
  EXPECT_FALSE(
      parse_cmc_quotes(R"({"data":{"BTC":{"quote":{"USD":{"price":-1}}}}})", {"BTC"}, "USD", 0));
}

}  // namespace
}  // namespace cx::oracle
