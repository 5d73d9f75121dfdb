// Snapshot compatibility: a state saved by the build before FundingClock (version 2) still
// loads, with the funding clock unknown; a version-3 state keeps it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "engine/state_io.hpp"

namespace cx::engine {
namespace {

MarketSpec perp_spec() {
  MarketSpec s;
  s.symbol = "BTC-PERP";
  s.kind = MarketKind::Perp;
  s.underlying = "BTC";
  s.price_scale = 2;
  s.qty_scale = 4;
  return s;
}

template <class T>
void append(std::vector<std::byte>& out, const T& v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + sizeof v);
}

TEST(StateCompat, FundingClockIsSavedAndRestored) {
  Exchange x;
  ExEventBuffer ev;
  x.apply(Command{1, 1'000, CreateMarket{perp_spec()}}, ev);
  x.apply(Command{2, 2'000, PriceUpdate{0, 100'00, 0}}, ev);
  x.apply(Command{3, 61'000, FundingSample{0}}, ev);
  x.apply(Command{4, 3'600'000, FundingSettle{0}}, ev);
  EXPECT_EQ(x.market(0).funding_clock.sampled_at, 61'000);
  EXPECT_EQ(x.market(0).funding_clock.settled_at, 3'600'000);
  std::vector<std::byte> bytes;
  save_state(x, bytes);
  auto loaded = load_state(bytes);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ((*loaded)->market(0).funding_clock.sampled_at, 61'000);
  EXPECT_EQ((*loaded)->market(0).funding_clock.settled_at, 3'600'000);
}

TEST(StateCompat, AVersionTwoStateLoadsWithTheClockUnknown) {
  Exchange x;
  ExEventBuffer ev;
  x.apply(Command{1, 1'000, CreateMarket{perp_spec()}}, ev);
  std::vector<std::byte> v3;
  save_state(x, v3);
  // A version-2 state is the same without the 16 bytes of FundingClock after MarketRisk: find
  // the market's risk (fresh: price_ts -1, the rest 0) followed by the clock (-1, -1).
  std::vector<std::byte> pattern;
  append(pattern, x.market(0).risk);
  append(pattern, x.market(0).funding_clock);
  const auto at = std::search(v3.begin(), v3.end(), pattern.begin(), pattern.end());
  ASSERT_NE(at, v3.end());
  ASSERT_EQ(std::search(at + 1, v3.end(), pattern.begin(), pattern.end()), v3.end());
  std::vector<std::byte> v2(v3.begin(), at + static_cast<std::ptrdiff_t>(sizeof(MarketRisk)));
  v2.insert(v2.end(), at + static_cast<std::ptrdiff_t>(pattern.size()), v3.end());
  const std::uint32_t two = 2;
  std::memcpy(v2.data() + sizeof(std::uint32_t), &two, sizeof two);  // after the magic

  auto loaded = load_state(v2);
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ((*loaded)->market(0).funding_clock.sampled_at, -1);
  EXPECT_EQ((*loaded)->market(0).funding_clock.settled_at, -1);
  EXPECT_EQ((*loaded)->market(0).spec.symbol, "BTC-PERP");
  std::vector<std::byte> again;
  save_state(**loaded, again);
  EXPECT_EQ(again, v3);  // saved as version 3, the same state

  // Versions other than 2 and 3 are refused.
  std::vector<std::byte> v1 = v2;
  const std::uint32_t one = 1;
  std::memcpy(v1.data() + sizeof(std::uint32_t), &one, sizeof one);
  EXPECT_FALSE(load_state(v1).has_value());
}

}  // namespace
}  // namespace cx::engine
