// Randomly mutated command lines: each is either a bad line that changes nothing, or applied
// whole; the exchange stays consistent. Prints its seed; CX_SEED=<n> replays one.
#include <cstdlib>
#include <iostream>
#include <random>

#include "app/replay_fixture.hpp"

namespace cx::app::testing {
namespace {

std::uint64_t seed_from_env() {
  if (const char* s = std::getenv("CX_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

std::string mutate(std::string line, std::mt19937_64& rng) {
  static constexpr std::string_view kAlphabet = "{}[]\",:.-0123456789 eE+abcxyzSELLBUY\\";
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::size_t edits = pick(4);
  for (std::size_t i = 0; i < edits && !line.empty(); ++i) {
    const std::size_t at = pick(line.size());
    switch (pick(3)) {
      case 0:
        line[at] = kAlphabet[pick(kAlphabet.size())];
        break;
      case 1:
        line.erase(at, 1 + pick(8));
        break;
      default:
        line.insert(at, 1, kAlphabet[pick(kAlphabet.size())]);
        break;
    }
  }
  return line;
}

TEST(ReplayRandom, AMutatedLineIsEitherBadAndChangesNothingOrApplied) {
  const std::uint64_t seed = seed_from_env();
  std::cout << "ReplayRandom seed " << seed << " (CX_SEED=" << seed << " to replay)\n";
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);

  const std::vector<std::string> corpus = {
      std::string(kSpotMarket),
      std::string(kPerpMarket),
      deposit("alice", "sBTC", "3"),
      deposit("bob", "USDC", "250.5"),
      R"({"cmd":"withdraw","mode":"PAPER","trader":"bob","asset":"USDC","amount":"1.5"})",
      place("alice", "SELL", "100.00", "0.5", "a1"),
      place("bob", "BUY", "100.00", "0.25", "b1"),
      place("bob", "BUY", "50000.0", "0.01", "b2", "BTC-PERP"),
      place("alice", "SELL", "50000.0", "0.01", "a2", "BTC-PERP", R"("timeInForce":"IOC")"),
      R"({"cmd":"placeOrder","mode":"PAPER","trader":"bob","market":"sBTC/USDC","side":"BUY","type":"STOP_MARKET","price":"120.00","triggerPrice":"110.00","qty":"0.1"})",
      R"({"cmd":"amendOrder","mode":"PAPER","trader":"alice","market":"sBTC/USDC","clientOrderId":"a1","price":"101.00","qty":"0.4"})",
      R"({"cmd":"cancelOrder","mode":"PAPER","trader":"bob","clientOrderId":"b1"})",
      R"({"cmd":"cancelAll","mode":"PAPER","trader":"alice"})",
      R"({"cmd":"price","mode":"PAPER","market":"sBTC/USDC","index":"105.00","mark":"111.00","ts":10})",
      R"({"cmd":"batch","mode":"PAPER","trader":"carol","commands":[{"cmd":"placeOrder","market":"sBTC/USDC","side":"BUY","type":"LIMIT","price":"99.00","qty":"1","clientOrderId":"c1"},{"cmd":"cancelOrder","clientOrderId":"c1"}]})",
      R"({"cmd":"pauseMarket","mode":"PAPER","market":"sBTC/USDC"})",
      R"({"cmd":"resumeMarket","mode":"PAPER","market":"sBTC/USDC"})",
      R"({"cmd":"tick","ts":20})",
  };
  std::ostringstream out, err;
  Replayer r(out, err);
  r.feed(corpus[0], 1);
  r.feed(corpus[1], 2);
  for (std::size_t n = 3; n < 1500; ++n) {
    const std::string line = mutate(corpus[rng() % corpus.size()], rng);
    const std::string before = json::serialize(state_json(r.exchange()));
    const SeqNo seq = r.last_seq();
    const std::size_t bad = r.bad_lines();
    out.str("");
    r.feed(line, n);
    std::istringstream lines(out.str());
    std::vector<json::object> events;
    for (std::string l; std::getline(lines, l);) events.push_back(json::parse(l).as_object());
    if (r.bad_lines() != bad) {
      ASSERT_EQ(events.size(), 1u) << line;
      EXPECT_EQ(events[0].at("event").as_string(), "error") << line;
      EXPECT_EQ(events[0].at("line").as_int64(), static_cast<std::int64_t>(n));
      EXPECT_EQ(r.last_seq(), seq) << line;
      ASSERT_EQ(json::serialize(state_json(r.exchange())), before) << line;
    } else {
      for (const auto& e : events) {
        ASSERT_TRUE(e.contains("seq")) << line << "\n" << json::serialize(e);
        EXPECT_GT(e.at("seq").as_int64(), static_cast<std::int64_t>(seq)) << line;
      }
    }
  }
  std::cout << "ReplayRandom: " << r.bad_lines() << " bad lines, " << r.last_seq()
            << " commands applied\n";
  const auto state = state_json(r.exchange());
  EXPECT_TRUE(state.at("audit").at("ok").as_bool()) << json::serialize(state.at("audit"));
}

}  // namespace
}  // namespace cx::app::testing
