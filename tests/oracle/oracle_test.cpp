#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "oracle/oracle.hpp"

namespace cx::oracle {
namespace {

using namespace std::chrono_literals;

/// A source the test scripts: the quotes it returns next, or an error.
class ScriptedSource final : public Source {
 public:
  explicit ScriptedSource(std::string n) : name_(std::move(n)) {}
  const std::string& name() const noexcept override { return name_; }
  Result<std::vector<Quote>> poll(Timestamp) override {
    ++polls;
    if (fail_next) return fail(ErrorCode::Unavailable, "scripted failure");
    return std::exchange(next, {});
  }
  std::string name_;
  std::vector<Quote> next;
  bool fail_next = false;
  int polls = 0;
};

struct OracleFixture : ::testing::Test {
  Timestamp now = 1'000'000;
  std::vector<IndexPrice> published;
  std::vector<std::string> logged;
  Oracle oracle{[this] { return now; },
                [this](const std::vector<IndexPrice>& p, Timestamp) { published = p; }, 10ms,
                [this](const std::string& m) { logged.push_back(m); }};
};

TEST_F(OracleFixture, PublishesTheMedianAndGoesStaleWhenSourcesStop) {
  auto a = std::make_unique<ScriptedSource>("a");
  auto b = std::make_unique<ScriptedSource>("b");
  auto c = std::make_unique<ScriptedSource>("c");
  ScriptedSource* pa = a.get();
  ScriptedSource* pb = b.get();
  ScriptedSource* pc = c.get();
  oracle.add_source(std::move(a), 30'000, 0ms);
  oracle.add_source(std::move(b), 30'000, 0ms);
  oracle.add_source(std::move(c), 30'000, 0ms);
  pa->next = {{"BTC", 100, now}};
  pb->next = {{"BTC", 300, now}};
  pc->next = {{"BTC", 200, now}};
  oracle.poll_once();
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(published[0].price, 200);
  EXPECT_EQ(published[0].sources, 3u);
  // One source fails: its last quote still counts while fresh, and the failure is reported.
  now += 10'000;
  pa->fail_next = true;
  oracle.poll_once();
  EXPECT_EQ(published[0].price, 200);
  const OracleStatus st = oracle.status();
  ASSERT_EQ(st.sources.size(), 3u);
  EXPECT_EQ(st.sources[0].failures, 1u);
  EXPECT_EQ(st.sources[0].last_error, "scripted failure");
  EXPECT_EQ(st.sources[1].last_ok, now);
  // Nothing new for longer than the max age: stale.
  now += 20'001;
  oracle.poll_once();
  EXPECT_TRUE(published[0].stale);
  EXPECT_EQ(oracle.status().indices[0].sources, 0u);
}

TEST_F(OracleFixture, FailuresAreLoggedWhenTheyStartAndEndNotOnEveryPoll) {
  auto a = std::make_unique<ScriptedSource>("a");
  ScriptedSource* pa = a.get();
  oracle.add_source(std::move(a), 30'000, 0ms);
  pa->fail_next = true;
  oracle.poll_once();
  oracle.poll_once();
  oracle.poll_once();
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0], "oracle source a: scripted failure");
  EXPECT_EQ(oracle.status().sources[0].failures, 3u);
  pa->fail_next = false;
  oracle.poll_once();
  oracle.poll_once();
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged[1], "oracle source a: recovered");
}

TEST_F(OracleFixture, ASourceIsPolledOnlyWhenDue) {
  auto a = std::make_unique<ScriptedSource>("a");
  ScriptedSource* pa = a.get();
  oracle.add_source(std::move(a), 30'000, 5000ms);
  oracle.poll_once();
  now += 4'999;
  oracle.poll_once();
  EXPECT_EQ(pa->polls, 1);
  now += 1;
  oracle.poll_once();
  EXPECT_EQ(pa->polls, 2);
}

}  // namespace
}  // namespace cx::oracle
