// The flat JSON of JWT headers and claims: writer, strict parser, hostile inputs.

#include "auth/claims_json.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

namespace cx::auth {
namespace {

TEST(ClaimsJson, WriterEscapesAndParserRoundTrips) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::string out = "{";
  json::put(out, "sub", all);
  json::put(out, "roles", std::vector<std::string>{"a\"b", "c\\d", ""});
  json::put(out, "iat", std::int64_t{-5});
  json::put(out, "exp", std::int64_t{1'700'000'000});
  out += '}';
  const auto o = json::parse_object(out);
  ASSERT_TRUE(o);
  EXPECT_EQ(*json::find<std::string>(*o, "sub"), all);
  EXPECT_EQ(*json::find<std::vector<std::string>>(*o, "roles"),
            (std::vector<std::string>{"a\"b", "c\\d", ""}));
  EXPECT_EQ(*json::find<std::int64_t>(*o, "iat"), -5);
  EXPECT_EQ(*json::find<std::int64_t>(*o, "exp"), 1'700'000'000);
  EXPECT_EQ(json::find<std::int64_t>(*o, "sub"), nullptr);  // wrong type
  EXPECT_EQ(json::find<std::string>(*o, "nope"), nullptr);
}

TEST(ClaimsJson, QuoteUsesShortEscapesAndHexForOtherControls) {
  EXPECT_EQ(json::quote("a\"\\\n\t\x01"), R"("a\"\\\n\t\u0001")");
}

TEST(ClaimsJson, AcceptsWhitespaceEscapesAndSurrogatePairs) {
  const auto o =
      json::parse_object(" {\n\"a\" : \"\\u00e9\\ud83d\\ude00\\/\" ,\t\"b\":[ ] , \"c\":0} ");
  ASSERT_TRUE(o);
  EXPECT_EQ(*json::find<std::string>(*o, "a"), "\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_TRUE(json::find<std::vector<std::string>>(*o, "b")->empty());
  EXPECT_EQ(*json::find<std::int64_t>(*o, "c"), 0);
  EXPECT_TRUE(json::parse_object("{}"));
}

TEST(ClaimsJson, RefusesEverythingOutsideTheDialect) {
  for (const char* bad : {
           "",
           "{",
           "}",
           "[]",
           "\"x\"",
           "{\"a\":1,}",
           "{\"a\":1 \"b\":2}",
           "{\"a\" 1}",
           "{a:1}",
           "{'a':1}",
           "{\"a\":1}x",
           "{\"a\":1}{}",
           "{\"a\":true}",
           "{\"a\":null}",
           "{\"a\":{}}",
           "{\"a\":[1]}",
           "{\"a\":[[]]}",
           "{\"a\":[\"x\",]}",
           "{\"a\":1.5}",
           "{\"a\":1e3}",
           "{\"a\":01}",
           "{\"a\":-}",
           "{\"a\":+1}",
           "{\"a\":9007199254740993}",
           "{\"a\":1,\"a\":2}",
           "{\"a\":\"\\x\"}",
           "{\"a\":\"\\u12\"}",
           "{\"a\":\"\\ud800\"}",
           "{\"a\":\"\\udc00\"}",
           "{\"a\":\"\\ud800\\u0041\"}",
           "{\"a\":\"tab\there\"}",
           "{\"a\":\"unterminated}",
           "{\"a\":\"\\",
       })
    EXPECT_FALSE(json::parse_object(bad)) << bad;
  EXPECT_FALSE(json::parse_object(std::string_view("{\"a\":\"\0\"}", 8)));
}

TEST(ClaimsJson, RefusesOversizedInputs) {
  std::string many = "{";
  for (int i = 0; i < 65; ++i) json::put(many, "k" + std::to_string(i), std::int64_t{i});
  many += '}';
  EXPECT_FALSE(json::parse_object(many));
  std::string big = "{\"a\":\"" + std::string(9000, 'x') + "\"}";
  EXPECT_FALSE(json::parse_object(big));
  EXPECT_TRUE(json::parse_object("{\"a\":9007199254740992,\"b\":-9007199254740992}"));
}

TEST(ClaimsJson, SurvivesRandomMutationsOfAValidObject) {
  const std::uint32_t seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  const std::string base = R"({"sub":"alice","roles":["admin","trader"],"iat":1,"exp":2})";
  const std::string alphabet = "{}[]\",:\\u0123456789-abcdefnrt \x01\xff";
  for (int i = 0; i < 20'000; ++i) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          s.erase(at, 1);
          break;
        default:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    (void)json::parse_object(s);  // must not crash, leak or trip a sanitizer
  }
}

}  // namespace
}  // namespace cx::auth
