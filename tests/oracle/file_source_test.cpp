#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "oracle/file_source.hpp"

namespace cx::oracle {
namespace {

TEST(PriceLine, CsvWithHeaderCommentsAndBlanks) {
  EXPECT_FALSE(parse_price_line("ts,underlying,price").value().has_value());
  EXPECT_FALSE(parse_price_line("# recorded 2024-05-01").value().has_value());
  EXPECT_FALSE(parse_price_line("   \r").value().has_value());
  auto q = parse_price_line("1714566896789, btc ,60123.45\r").value();
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->ts, 1'714'566'896'789);
  EXPECT_EQ(q->underlying, "BTC");
  EXPECT_EQ(q->price, 6'012'345'000'000);
}

TEST(PriceLine, JsonLinesWithStringOrNumberPrice) {
  auto a = parse_price_line(R"({"ts":5,"underlying":"eth","price":"3000.5"})").value();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->underlying, "ETH");
  EXPECT_EQ(a->price, 300'050'000'000);
  auto b = parse_price_line(R"({"ts":6,"underlying":"ETH","price":3001})").value();
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->ts, 6);
  EXPECT_EQ(b->price, 300'100'000'000);
}

TEST(PriceLine, BadLinesAreRefused) {
  EXPECT_FALSE(parse_price_line("1,BTC"));
  EXPECT_FALSE(parse_price_line("1,BTC,2,3"));
  EXPECT_FALSE(parse_price_line("x,BTC,2"));
  EXPECT_FALSE(parse_price_line("-1,BTC,2"));
  EXPECT_FALSE(parse_price_line("1,,2"));
  EXPECT_FALSE(parse_price_line("1,BTC,0"));
  EXPECT_FALSE(parse_price_line(R"({"ts":1,"price":"2"})"));
  EXPECT_FALSE(parse_price_line(R"({"ts":"1","underlying":"BTC","price":"2"})"));
  EXPECT_FALSE(parse_price_line(R"({"ts":1,"underlying":"BTC","price":"two"})"));
  EXPECT_FALSE(parse_price_line("{broken"));
}

TEST(PriceFile, ErrorsNameTheLineAndRecordsAreSortedByTime) {
  auto bad = parse_price_file("ts,underlying,price\n1,BTC,2\n2,BTC,nope\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("line 3"), std::string::npos) << bad.error().message;
  auto ok = parse_price_file("30,BTC,3\n10,BTC,1\n{\"ts\":20,\"underlying\":\"BTC\",\"price\":2}");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->size(), 3u);
  EXPECT_EQ((*ok)[0].ts, 10);
  EXPECT_EQ((*ok)[1].ts, 20);
  EXPECT_EQ((*ok)[2].ts, 30);
}

TEST(FileSource, PlaysRecordsAtTheirRecordedPaceFromTheFirstPoll) {
  FileSource src("file:test", parse_price_file("1000,BTC,100\n"
                                               "1000,ETH,10\n"
                                               "1500,BTC,101\n"
                                               "1700,BTC,102\n"
                                               "3000,ETH,11\n")
                                  .value());
  // First poll at 50,000: records are shifted by +49,000.
  auto a = src.poll(50'000).value();
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].underlying, "BTC");
  EXPECT_EQ(a[0].price, 100'00000000);
  EXPECT_EQ(a[0].ts, 50'000);
  EXPECT_EQ(a[1].underlying, "ETH");
  // Nothing due yet.
  EXPECT_TRUE(src.poll(50'400).value().empty());
  // Two BTC records due: only the latest is reported, with its playback time.
  auto b = src.poll(50'800).value();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].price, 102'00000000);
  EXPECT_EQ(b[0].ts, 50'700);
  auto c = src.poll(60'000).value();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].underlying, "ETH");
  EXPECT_TRUE(src.poll(70'000).value().empty());  // the end: nothing more
}

TEST(FileSource, OpenReadsAFileAndRefusesAnEmptyOne) {
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("cx_oracle_file_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "p.csv") << "ts,underlying,price\n1,BTC,60000\n";
    std::ofstream(dir / "empty.csv") << "ts,underlying,price\n";
  }
  auto src = FileSource::open(dir / "p.csv");
  ASSERT_TRUE(src) << src.error().message;
  EXPECT_EQ((*src)->name(), "file:p.csv");
  EXPECT_EQ((*src)->poll(5).value().size(), 1u);
  EXPECT_FALSE(FileSource::open(dir / "empty.csv"));
  EXPECT_FALSE(FileSource::open(dir / "missing.csv"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cx::oracle
