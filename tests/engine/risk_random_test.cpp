// Randomized derivatives trading with price shocks of up to +-50%: liquidations, ADL, funding and
// expiry happen all the time, and after every command the conservation audit holds and no
// balance is negative (the insurance fund only after a visible shortfall). The same log through
// the journal codec, and a snapshot taken halfway, give the same events.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "engine/command_codec.hpp"
#include "engine/exchange_dsl.hpp"
#include "engine/state_io.hpp"

namespace cx::engine {
namespace {

using namespace cx::engine::testing;

constexpr Qty kContract = 1'0000;

struct RiskSim {
  explicit RiskSim(std::uint64_t seed) : rng(seed) {}

  std::mt19937_64 rng;
  std::vector<OrderId> ids;
  Price index = 100'00;
  Timestamp ts = 1'000;
  static constexpr int kTraders = 8;
  static constexpr Timestamp kExpiry = 1'000'000;
  // Markets: 0 perp, 1 future, 2 call, 3 put, 4 spot, 5 a second perp (cross-margin accounts).

  std::int64_t pick(std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  }

  std::vector<CommandBody> setup(Venue& v) {
    std::vector<CommandBody> cmds;
    for (int i = 0; i < kTraders; ++i) cmds.push_back(RegisterTrader{"t" + std::to_string(i)});
    MarketSpec perp = v.perp_spec("BTC-PERP");
    MarketSpec fut = v.perp_spec("BTC-FUT");
    fut.kind = MarketKind::Future;
    fut.expiry = kExpiry;
    MarketSpec call = fut;
    call.symbol = "BTC-C";
    call.kind = MarketKind::Option;
    call.strike = 100'00;
    MarketSpec put = call;
    put.symbol = "BTC-P";
    put.is_call = false;
    MarketSpec spot = v.spot_spec("sBTC/USDC");
    MarketSpec perp2 = v.perp_spec("ETH-PERP");
    perp2.initial_margin_bps = 500;
    perp2.maintenance_margin_bps = 250;
    for (const auto& s : {perp, fut, call, put, spot, perp2}) cmds.push_back(CreateMarket{s});
    for (MarketId m = 0; m < 6; ++m) cmds.push_back(PriceUpdate{m, index, index});
    for (TraderId t = 0; t < kTraders; ++t)
      cmds.push_back(Deposit{Mode::Paper, t, kSBTC, Amount{50} * 100'000'000});
    return cmds;
  }

  CommandBody next(const Exchange& x) {
    const auto t = static_cast<TraderId>(pick(0, kTraders - 1));
    const auto m = static_cast<MarketId>(pick(0, 5));
    const std::int64_t r = pick(0, 999);
    if (r < 600) {
      NewOrder o;
      o.trader = t;
      o.side = pick(0, 1) ? Side::Buy : Side::Sell;
      const MarketKind kind = x.market(m).spec.kind;
      const Price ref =
          kind == MarketKind::Option ? std::max<Price>(x.market(m).mark, 1'00) : index;
      o.price = std::max<Price>(1, ref + ref * pick(-300, 300) / 10'000);
      o.qty = pick(1, 100) * kContract / 2;
      if (pick(0, 9) == 0) {
        o.type = OrderType::Market;
        o.tif = TimeInForce::IOC;
        o.price = o.side == Side::Buy ? ref * 2 : std::max<Price>(1, ref / 2);
      } else if (pick(0, 9) == 0) {
        o.tif = TimeInForce::IOC;
      } else if (pick(0, 19) == 0 && kind != MarketKind::Spot) {
        o.reduce_only = true;
      } else if (pick(0, 19) == 0) {
        o.trigger_kind = pick(0, 1) ? TriggerKind::Stop : TriggerKind::TakeProfit;
        o.trigger = std::max<Price>(1, index + index * pick(-1'000, 1'000) / 10'000);
      }
      return PlaceOrder{m, o, {}};
    }
    if (r < 700 && !ids.empty()) {
      OrderId id =
          ids[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(ids.size()) - 1))];
      return CancelOrder{Mode::Paper, t, id, {}};
    }
    if (r < 740 && !ids.empty()) {
      OrderId id =
          ids[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(ids.size()) - 1))];
      AmendRequest a{t, id, 0, std::max<Price>(1, index + index * pick(-300, 300) / 10'000),
                     pick(0, 1) ? pick(1, 60) * kContract / 10 : 0};
      return AmendOrder{Mode::Paper, m, a, {}};
    }
    if (r < 850) {
      // The index walks; one move in ten is a shock of up to +-50%.
      const std::int64_t bps = pick(0, 9) == 0 ? pick(-5'000, 5'000) : pick(-100, 100);
      index = std::clamp<Price>(index + index * bps / 10'000, 5'00, 2'000'00);
      const MarketId pm = static_cast<MarketId>(pick(0, 5));
      const bool derived = pick(0, 1) == 0;
      return PriceUpdate{pm, index, derived ? 0 : index + index * pick(-50, 50) / 10'000};
    }
    if (r < 880) return FundingSample{pick(0, 1) ? MarketId{0} : MarketId{5}};
    if (r < 890) return FundingSettle{pick(0, 1) ? MarketId{0} : MarketId{5}};
    if (r < 895 && ts > kExpiry) return SettleMarket{static_cast<MarketId>(pick(1, 3))};
    if (r < 905) return Deposit{Mode::Paper, t, kUSDC, pick(1, 2'000) * 1'000'000};
    if (r < 990) return Withdraw{Mode::Paper, t, kUSDC, pick(1, 2'000) * 1'000'000};
    return CancelAll{Mode::Paper, t, std::nullopt};
  }

  void observe(const ExEventBuffer& ev) {
    for (const ExEvent& e : ev) {
      if (e.type == EventType::Accepted) ids.push_back(e.order_id);
      if (e.type == EventType::Liquidation) ++liquidations;
      if (e.type == EventType::AutoDeleveraged) ++adl;
      if (e.type == EventType::InsurancePaid) ++insurance_paid;
      if (e.type == EventType::FundingPaid) ++funding;
      if (e.type == EventType::SettlementPaid) ++settlements;
      if (e.type == EventType::Fill) ++fills;
      if (e.type == EventType::InsuranceShortfall) ++shortfalls;
    }
  }
  std::size_t liquidations = 0, adl = 0, insurance_paid = 0, funding = 0, settlements = 0,
              fills = 0, shortfalls = 0;
};

std::vector<std::uint64_t> seeds() {
  // CX_RISK_SEEDS=N runs seeds 11..10+N (a longer search); the suite runs three.
  const char* n = std::getenv("CX_RISK_SEEDS");
  const std::uint64_t count = n ? std::strtoull(n, nullptr, 10) : 3;
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = 11; s < 11 + count; ++s) out.push_back(s);
  return out;
}

int risk_commands() {
  return std::getenv("CX_SANITIZED") ? 6'000 : 100'000;
}

TEST(RiskRandom, AuditHoldsAndNoBalanceIsNegativeThroughShocks) {
  for (std::uint64_t seed : seeds()) {
    std::printf("RiskRandom seed=%llu commands=%d\n", static_cast<unsigned long long>(seed),
                risk_commands());
    RiskSim sim(seed);
    Venue v;
    for (auto& c : sim.setup(v)) v.run(std::move(c));
    for (int i = 0; i < risk_commands(); ++i) {
      sim.ts += sim.pick(0, 60);
      v.ts = sim.ts;
      v.run(sim.next(v.x));
      sim.observe(v.ev);
      AuditReport a = v.x.audit();
      if (!a.ok()) {
        ADD_FAILURE() << "seed " << seed << " command " << i << ": " << a.problems.front();
        return;
      }
      // Losses beyond an account's equity go to the fund, then to deleveraged counterparties
      // (each up to its own equity) and settlement winners; only when all of them are used up
      // does the fund go below zero, and then with an InsuranceShortfall event saying by how much.
      if (v.x.insurance_fund(Mode::Paper) < 0 && sim.shortfalls == 0) {
        ADD_FAILURE() << "seed " << seed << " command " << i << ": insurance fund "
                      << v.x.insurance_fund(Mode::Paper) << " without a shortfall event";
        return;
      }
    }
    std::printf(
        "RiskRandom seed=%llu fills=%zu liquidations=%zu adl=%zu insurance_paid=%zu "
        "funding=%zu settlements=%zu shortfalls=%zu fund=%lld\n",
        static_cast<unsigned long long>(seed), sim.fills, sim.liquidations, sim.adl,
        sim.insurance_paid, sim.funding, sim.settlements, sim.shortfalls,
        static_cast<long long>(v.x.insurance_fund(Mode::Paper)));
    EXPECT_GT(sim.liquidations, 0u) << "seed " << seed << ": shocks should liquidate someone";
    EXPECT_GT(sim.funding, 0u);
  }
}

bool same(const ExEvent& a, const ExEvent& b) {
  return std::memcmp(&a, &b, sizeof(ExEvent)) == 0;
}

CommandBody through_codec(const CommandBody& body, SeqNo seq, Timestamp ts) {
  std::vector<std::byte> bytes;
  encode(Command{seq, ts, body}, bytes);
  auto back = decode(seq, bytes);
  EXPECT_TRUE(back.has_value());
  return back ? back->body : CommandBody{ClockTick{}};
}

TEST(RiskRandom, SameLogAndSnapshotGiveTheSameEvents) {
  const std::uint64_t seed = 21;
  std::printf("RiskRandom determinism seed=%llu\n", static_cast<unsigned long long>(seed));
  RiskSim sim(seed);
  Venue a, b;
  for (auto& c : sim.setup(a)) {
    a.run(c);
    b.run(through_codec(c, b.seq + 1, b.ts));
  }
  const int n = risk_commands() / 2;
  std::unique_ptr<Exchange> loaded;
  ExEventBuffer lev;
  for (int i = 0; i < n; ++i) {
    sim.ts += sim.pick(0, 60);
    a.ts = b.ts = sim.ts;
    CommandBody c = sim.next(a.x);
    a.run(c);
    b.run(through_codec(c, b.seq + 1, b.ts));
    ASSERT_EQ(a.ev.size(), b.ev.size()) << "command " << i;
    for (std::size_t k = 0; k < a.ev.size(); ++k) ASSERT_TRUE(same(a.ev[k], b.ev[k])) << i;
    if (loaded) {
      lev.clear();
      loaded->apply(Command{a.seq, a.ts, c}, lev);
      ASSERT_EQ(a.ev.size(), lev.size()) << "after the snapshot, command " << i;
      for (std::size_t k = 0; k < lev.size(); ++k) ASSERT_TRUE(same(a.ev[k], lev[k])) << i;
    }
    sim.observe(a.ev);
    if (i == n / 2) {
      std::vector<std::byte> bytes;
      save_state(a.x, bytes);
      auto r = load_state(bytes);
      ASSERT_TRUE(r.has_value()) << r.error().message;
      loaded = std::move(*r);
      std::vector<std::byte> again;
      save_state(*loaded, again);
      ASSERT_EQ(bytes, again);
    }
  }
  EXPECT_GT(sim.liquidations, 0u);
}

}  // namespace
}  // namespace cx::engine
