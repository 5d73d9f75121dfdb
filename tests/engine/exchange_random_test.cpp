// Randomized trading through the whole exchange: after every command the conservation audit
// holds (balances + fees + insurance + clearing = deposits - withdrawals, every pending equals
// its orders' locks, nothing negative), and two exchanges fed the same log agree exactly.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "engine/command_codec.hpp"
#include "engine/exchange_dsl.hpp"

namespace cx::engine {
namespace {

using namespace cx::engine::testing;

struct Sim {
  explicit Sim(std::uint64_t seed) : rng(seed) {}

  std::mt19937_64 rng;
  std::vector<MarketId> markets;
  std::vector<TraderId> traders;
  std::vector<OrderId> ids;  ///< every accepted id, live or not
  Timestamp ts = 1'000;

  std::int64_t pick(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  }

  /// The setup: five traders, spot, perp and option markets in PAPER plus a REAL spot market.
  std::vector<CommandBody> setup(Venue& v) {
    std::vector<CommandBody> cmds;
    for (const char* n : {"t0", "t1", "t2", "t3", "t4"}) cmds.push_back(RegisterTrader{n});
    MarketSpec spot = v.spot_spec("sBTC/USDC");
    MarketSpec perp = v.perp_spec("BTC-PERP");
    MarketSpec opt = v.perp_spec("BTC-OPT-100-C");
    opt.kind = MarketKind::Option;
    opt.expiry = 10'000'000'000;
    opt.strike = 100'00;
    MarketSpec real = v.spot_spec("sBTC/USDC", Mode::Real);
    for (const auto& s : {spot, perp, opt, real}) cmds.push_back(CreateMarket{s});
    for (TraderId t = 0; t < 5; ++t) {
      cmds.push_back(Deposit{Mode::Paper, t, kSBTC, Amount{50} * 100'000'000});
      cmds.push_back(Deposit{Mode::Real, t, kUSDC, 5'000'000'000});
      cmds.push_back(Deposit{Mode::Real, t, kSBTC, Amount{20} * 100'000'000});
    }
    return cmds;
  }

  CommandBody next(const Exchange& x) {
    const auto t = static_cast<TraderId>(pick(0, 4));
    const auto m = static_cast<MarketId>(pick(0, 3));
    const Mode mode = x.market(m).spec.mode;
    const std::int64_t r = pick(0, 99);
    if (r < 55) {
      NewOrder o;
      o.trader = t;
      o.side = pick(0, 1) ? Side::Buy : Side::Sell;
      const bool option = x.market(m).spec.kind == MarketKind::Option;
      o.price = option ? pick(1, 10) * 1'00 : pick(95, 105) * 1'00 + pick(0, 1) * 50;
      o.qty = pick(1, 20) * 1'000;
      const std::int64_t k = pick(0, 19);
      if (k < 2) {
        o.type = OrderType::Market;
        o.tif = pick(0, 1) ? TimeInForce::IOC : TimeInForce::FOK;
      } else if (k < 4) {
        o.tif = TimeInForce::IOC;
      } else if (k < 5) {
        o.tif = TimeInForce::FOK;
      } else if (k < 7) {
        o.tif = TimeInForce::GTT;
        o.expire_at = ts + pick(1, 5'000);
      } else if (k < 9) {
        o.post_only = true;
      } else if (k < 10) {
        o.trigger_kind = pick(0, 1) ? TriggerKind::Stop : TriggerKind::TakeProfit;
        o.trigger = pick(90, 110) * 1'00;
      } else if (k < 11 && x.market(m).spec.kind != MarketKind::Spot) {
        o.reduce_only = true;
      }
      o.stp = static_cast<SelfTradePrevention>(pick(0, 3));
      std::string cid = pick(0, 3) == 0 ? "c" + std::to_string(pick(0, 30)) : std::string{};
      return PlaceOrder{m, o, cid};
    }
    if (r < 70 && !ids.empty()) {
      OrderId id =
          ids[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(ids.size()) - 1))];
      return CancelOrder{mode, t, pick(0, 4) == 0 ? 0 : id,
                         pick(0, 1) ? "c" + std::to_string(pick(0, 30)) : std::string{}};
    }
    if (r < 82 && !ids.empty()) {
      OrderId id =
          ids[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(ids.size()) - 1))];
      AmendRequest a{t, id, 0, pick(0, 2) ? pick(95, 105) * 1'00 : 0,
                     pick(0, 1) ? pick(1, 20) * 1'000 : 0};
      return AmendOrder{mode, m, a, {}};
    }
    if (r < 84) return CancelAll{mode, t, pick(0, 1) ? std::optional<MarketId>(m) : std::nullopt};
    if (r < 90) return PriceUpdate{m, pick(95, 105) * 1'00, pick(90, 110) * 1'00};
    if (r < 93) return Deposit{mode, t, static_cast<AssetId>(pick(0, 2)), pick(1, 1'000'000'000)};
    if (r < 96) return Withdraw{mode, t, static_cast<AssetId>(pick(0, 2)), pick(1, 500'000'000)};
    if (r < 97) {
      Batch b;
      for (int i = 0; i < 3; ++i) {
        NewOrder o;
        o.trader = t;
        o.side = i % 2 ? Side::Buy : Side::Sell;
        o.price = pick(95, 105) * 1'00;
        o.qty = pick(1, 5) * 1'000;
        b.commands.push_back(Command{0, 0, PlaceOrder{m == 2 ? MarketId{0} : m, o, {}}});
      }
      return b;
    }
    return ClockTick{};
  }
};

int commands_per_seed() {
  return std::getenv("CX_SANITIZED") ? 5'000 : 60'000;
}

TEST(ExchangeRandom, ConservationHoldsAfterEveryCommand) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    std::printf("ExchangeRandom seed=%llu commands=%d\n", static_cast<unsigned long long>(seed),
                commands_per_seed());
    Sim sim(seed);
    Venue v;
    for (auto& c : sim.setup(v)) v.run(std::move(c));
    std::size_t fills = 0;
    for (int i = 0; i < commands_per_seed(); ++i) {
      sim.ts += sim.pick(0, 50);
      v.ts = sim.ts;
      v.run(sim.next(v.x));
      for (const ExEvent& e : v.ev) {
        if (e.type == EventType::Accepted) sim.ids.push_back(e.order_id);
        if (e.type == EventType::Fill) ++fills;
      }
      AuditReport a = v.x.audit();
      if (!a.ok()) {
        ADD_FAILURE() << "seed " << seed << " command " << i << ": " << a.problems.front();
        return;
      }
    }
    EXPECT_GT(fills, 100u) << "seed " << seed << ": the simulation should trade";
  }
}

bool same(const ExEvent& a, const ExEvent& b) {
  return std::memcmp(&a, &b, sizeof(ExEvent)) == 0;
}

/// The command as the journal would give it back: encoded, then decoded.
CommandBody through_journal_codec(const CommandBody& body, SeqNo seq, Timestamp ts) {
  std::vector<std::byte> bytes;
  encode(Command{seq, ts, body}, bytes);
  auto back = decode(seq, bytes);
  EXPECT_TRUE(back.has_value());
  std::vector<std::byte> again;
  encode(*back, again);
  EXPECT_EQ(bytes, again);
  EXPECT_EQ(back->ts, ts);
  return back->body;
}

// The second exchange reads every command back through the journal codec.
TEST(ExchangeRandom, SameLogGivesTheSameEventsOnTwoExchanges) {
  const std::uint64_t seed = 99;
  std::printf("ExchangeRandom determinism seed=%llu\n", static_cast<unsigned long long>(seed));
  Sim sim(seed);
  Venue a, b;
  for (auto& c : sim.setup(a)) {
    a.run(c);
    b.run(through_journal_codec(c, b.seq + 1, b.ts));
  }
  for (int i = 0; i < commands_per_seed(); ++i) {
    sim.ts += sim.pick(0, 50);
    a.ts = b.ts = sim.ts;
    CommandBody c = sim.next(a.x);
    a.run(c);
    b.run(through_journal_codec(c, b.seq + 1, b.ts));
    ASSERT_EQ(a.ev.size(), b.ev.size()) << "command " << i;
    for (std::size_t k = 0; k < a.ev.size(); ++k) ASSERT_TRUE(same(a.ev[k], b.ev[k])) << i;
    for (const ExEvent& e : a.ev)
      if (e.type == EventType::Accepted) sim.ids.push_back(e.order_id);
  }
}

}  // namespace
}  // namespace cx::engine

namespace cx::engine {
namespace {

TEST(CommandCodec, TruncatedOrGarbagePayloadIsCorruptNotACrash) {
  std::vector<std::byte> bytes;
  NewOrder o;
  o.price = 5;
  o.qty = 7;
  encode(Command{1, 42, PlaceOrder{3, o, "abc"}}, bytes);
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto r = decode(1, std::span<const std::byte>(bytes.data(), n));
    EXPECT_FALSE(r.has_value()) << "prefix of " << n << " bytes";
  }
  bytes.push_back(std::byte{0});
  EXPECT_FALSE(decode(1, bytes).has_value());  // trailing bytes
  std::vector<std::byte> junk(40, std::byte{0xEE});
  EXPECT_FALSE(decode(1, junk).has_value());
}

}  // namespace
}  // namespace cx::engine

#include "engine/state_io.hpp"

namespace cx::engine {
namespace {

using namespace cx::engine::testing;

// A snapshot taken mid-stream and loaded into a fresh exchange behaves exactly like the
// original from then on: same events (order ids included), same state bytes.
TEST(StateIo, LoadedStateContinuesExactlyLikeTheOriginal) {
  const std::uint64_t seed = 7;
  std::printf("StateIo seed=%llu\n", static_cast<unsigned long long>(seed));
  Sim sim(seed);
  Venue a;
  for (auto& c : sim.setup(a)) a.run(std::move(c));
  const int n = commands_per_seed() / 2;
  for (int i = 0; i < n; ++i) {
    sim.ts += sim.pick(0, 50);
    a.ts = sim.ts;
    a.run(sim.next(a.x));
    for (const ExEvent& e : a.ev)
      if (e.type == EventType::Accepted) sim.ids.push_back(e.order_id);
  }
  std::vector<std::byte> bytes;
  save_state(a.x, bytes);
  auto loaded = load_state(bytes);
  ASSERT_TRUE(loaded.has_value()) << loaded.error().message;
  Exchange& b = **loaded;
  std::vector<std::byte> again;
  save_state(b, again);
  ASSERT_EQ(bytes.size(), again.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) ASSERT_EQ(bytes[i], again[i]) << "byte " << i;
  EXPECT_TRUE(b.audit().ok());
  ExEventBuffer ev;
  for (int i = 0; i < n; ++i) {
    sim.ts += sim.pick(0, 50);
    a.ts = sim.ts;
    CommandBody c = sim.next(a.x);
    ev.clear();
    b.apply(Command{a.seq + 1, a.ts, c}, ev);
    a.run(std::move(c));
    ASSERT_EQ(a.ev.size(), ev.size()) << "command " << i;
    for (std::size_t k = 0; k < ev.size(); ++k) ASSERT_TRUE(same(a.ev[k], ev[k])) << i;
    for (const ExEvent& e : a.ev)
      if (e.type == EventType::Accepted) sim.ids.push_back(e.order_id);
  }
}

TEST(StateIo, DamagedStateIsRefusedNotTrusted) {
  Venue v;
  Sim sim(3);
  for (auto& c : sim.setup(v)) v.run(std::move(c));
  for (int i = 0; i < 500; ++i) v.run(sim.next(v.x));
  std::vector<std::byte> bytes;
  save_state(v.x, bytes);
  for (std::size_t cut : {std::size_t{0}, std::size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
    auto r = load_state(std::span<const std::byte>(bytes.data(), cut));
    EXPECT_FALSE(r.has_value()) << "cut at " << cut;
  }
  bytes[4] = std::byte{99};  // version
  EXPECT_FALSE(load_state(bytes).has_value());
}

}  // namespace
}  // namespace cx::engine
