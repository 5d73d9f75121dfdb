// `[oracle]` and `[scheduler]` settings: TOML tables, the text form of the environment and
// flags, and refusals of unknown keys and incomplete sources.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "app/config.hpp"

namespace cx::app {
namespace {

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cx_config_" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Result<Config> load(const std::string& toml, std::vector<std::string> extra = {}) {
    const auto path = dir_ / "c.toml";
    std::ofstream(path) << toml;
    std::vector<std::string> args{"--config", path.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return load_config(args);
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFile, DefaultsTurnTheStalenessLimitOnWithoutSources) {
  auto c = load("");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->oracle_max_age_ms, 30'000);
  EXPECT_TRUE(c->oracle_sources.empty());
  EXPECT_TRUE(c->scheduler_enabled);
  EXPECT_EQ(c->funding_sample_ms, 60'000);
  EXPECT_EQ(c->funding_settle_ms, 3'600'000);
}

TEST_F(ConfigFile, OracleSourcesAsTables) {
  auto c = load(R"(
[oracle]
poll_ms = 500
max_age_ms = 10000
cmc_api_key = "k"

[[oracle.sources]]
kind = "cmc"
url = "http://127.0.0.1:1"
symbols = ["BTC", "ETH"]
poll_ms = 60000

[[oracle.sources]]
kind = "json"
url = "http://127.0.0.1:2/p"
path = "bitcoin.usd"
underlying = "BTC"
max_age_ms = 5000

[[oracle.sources]]
kind = "simulated"
seed = 9

[scheduler]
funding_sample_ms = 1000
funding_settle_ms = 5000
)");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->oracle_poll_ms, 500);
  EXPECT_EQ(c->oracle_max_age_ms, 10'000);
  EXPECT_EQ(c->oracle_cmc_api_key, "k");
  ASSERT_EQ(c->oracle_sources.size(), 3u);
  EXPECT_EQ(c->oracle_sources[0].kind, "cmc");
  EXPECT_EQ(c->oracle_sources[0].symbols, (std::vector<std::string>{"BTC", "ETH"}));
  EXPECT_EQ(c->oracle_sources[0].poll_ms, 60'000);
  EXPECT_EQ(c->oracle_sources[1].path, "bitcoin.usd");
  EXPECT_EQ(c->oracle_sources[1].max_age_ms, 5'000);
  EXPECT_EQ(c->oracle_sources[2].seed, 9u);
  EXPECT_EQ(c->funding_settle_ms, 5'000);
}

TEST_F(ConfigFile, UnknownOrMissingSourceKeysAreRefused) {
  auto typo = load(
      "[[oracle.sources]]\nkind = \"json\"\nurl = \"u\"\npath = \"p\"\n"
      "underlying = \"BTC\"\npaht = \"x\"\n");
  ASSERT_FALSE(typo);
  EXPECT_NE(typo.error().message.find("paht"), std::string::npos) << typo.error().message;
  auto missing = load("[[oracle.sources]]\nkind = \"json\"\nurl = \"u\"\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("required"), std::string::npos);
  auto kind = load("[[oracle.sources]]\nkind = \"magic\"\n");
  ASSERT_FALSE(kind);
  auto section = load("[oracle]\nmax_agee_ms = 1\n");
  ASSERT_FALSE(section);
  EXPECT_NE(section.error().message.find("oracle.max_agee_ms"), std::string::npos);
}

TEST_F(ConfigFile, TheFlagTakesTheTextForm) {
  auto c =
      load("", {"--oracle-sources",
                "simulated, file=/tmp/p.csv, cmc=http://h, json=http://h/x?a=b#data.price#eth"});
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->oracle_sources.size(), 4u);
  EXPECT_EQ(c->oracle_sources[0].kind, "simulated");
  EXPECT_EQ(c->oracle_sources[1].file, "/tmp/p.csv");
  EXPECT_EQ(c->oracle_sources[2].url, "http://h");
  EXPECT_EQ(c->oracle_sources[3].url, "http://h/x?a=b");
  EXPECT_EQ(c->oracle_sources[3].path, "data.price");
  EXPECT_EQ(c->oracle_sources[3].underlying, "eth");
  EXPECT_FALSE(load("", {"--oracle-sources", "json=http://h"}));
  EXPECT_FALSE(load("", {"--oracle-sources", "simulated=3"}));
}

}  // namespace
}  // namespace cx::app
