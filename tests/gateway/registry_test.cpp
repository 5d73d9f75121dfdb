// Node registry: registration, the health state machine with its penalties, pools and
// power-of-two-choices selection, leases, persistence and threads.

#include "gateway/registry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cx::gateway {
namespace {

/// A clock the test moves by hand.
struct FakeClock {
  std::shared_ptr<std::atomic<std::int64_t>> t =
      std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
  Clock clock() const {
    return [p = t] { return p->load(); };
  }
  std::int64_t now() const { return t->load(); }
  void advance(std::int64_t ms) const { t->fetch_add(ms); }
};

NodeSpec spec(std::string provider, std::vector<Offer> offers = {{Service::Chat, "llama"}},
              std::string endpoint = "http://10.0.0.1:8080") {
  return NodeSpec{std::move(provider), std::move(endpoint), std::move(offers), "{\"gpu\":\"A100\"}",
                  "eu-west"};
}

/// The registry under test with a hand-driven clock, and helpers that read like the domain.
struct Env {
  explicit Env(RegistryOptions o = {}) : reg(o, clock.clock()) {}

  FakeClock clock;
  Registry reg;

  std::string add(std::string provider = "prov",
                  std::vector<Offer> offers = {{Service::Chat, "llama"}}) {
    auto id = reg.add(spec(std::move(provider), std::move(offers)));
    EXPECT_TRUE(id) << id.error().message;
    return id ? *id : std::string();
  }
  std::string healthy(std::string provider = "prov",
                      std::vector<Offer> offers = {{Service::Chat, "llama"}}) {
    std::string id = add(std::move(provider), std::move(offers));
    EXPECT_TRUE(reg.verified(id));
    return id;
  }
  NodeState state(const std::string& id) const { return reg.node(id)->state; }
  /// Node id chosen by one pick in the chat/llama pool (the lease is dropped at once).
  std::string pick(std::string_view exclude = {}) const {
    auto l = reg.pick(Service::Chat, "llama", exclude);
    return l ? l->node_id() : std::string();
  }
  /// Makes a lease of `id` and reports `latency_us` on it.
  void measure(const std::string& id, std::int64_t latency_us) {
    for (int i = 0; i < 1'000; ++i) {
      auto l = reg.pick(Service::Chat, "llama");
      if (l && l->node_id() == id) {
        l->succeeded(latency_us);
        return;
      }
    }
    ADD_FAILURE() << "never picked " << id;
  }
  /// Reports `n` failures on leases of `id`.
  void fail(const std::string& id, int n) {
    for (int done = 0, tries = 0; done < n && tries < 10'000; ++tries) {
      auto l = reg.pick(Service::Chat, "llama");
      if (l && l->node_id() == id) {
        l->failed();
        ++done;
      }
    }
  }
};

// ---- registration ----

TEST(Registry, AddGivesAPendingNodeWithAFreshId) {
  Env env;
  const std::string a = env.add();
  const std::string b = env.add();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 19u);
  EXPECT_TRUE(a.starts_with("nd_"));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 3), std::string::npos);
  const NodeView v = *env.reg.node(a);
  EXPECT_EQ(v.state, NodeState::Pending);
  EXPECT_EQ(v.provider_id, "prov");
  EXPECT_EQ(v.endpoint, "http://10.0.0.1:8080");
  EXPECT_EQ(v.hardware_json, "{\"gpu\":\"A100\"}");
  EXPECT_EQ(v.region, "eu-west");
  EXPECT_EQ(v.registered_at_ms, env.clock.now());
  EXPECT_EQ(v.last_seen_ms, env.clock.now());
  ASSERT_EQ(v.offers.size(), 1u);
  EXPECT_EQ(v.offers[0], (Offer{Service::Chat, "llama"}));
}

TEST(Registry, TheSameSeedGivesTheSameIds) {
  Env x, y;
  EXPECT_EQ(x.add(), y.add());
  Env z(RegistryOptions{.seed = 2});
  Env w;
  EXPECT_NE(z.add(), w.add());
}

TEST(Registry, AddRefusesBadSpecsWithAReason) {
  Env env;
  auto message = [&](NodeSpec s) {
    auto r = env.reg.add(std::move(s));
    if (r) return std::string("accepted");
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    return r.error().message;
  };
  EXPECT_EQ(message(spec("")), "provider id is empty");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "m"}}, "")), "endpoint is empty");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "m"}}, "ftp://x")),
            "endpoint must start with http:// or https://");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "m"}}, "10.0.0.1:80")),
            "endpoint must start with http:// or https://");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "m"}}, "http://")), "endpoint has no host");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "m"}}, "http:///v1")), "endpoint has no host");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "m"}}, "http://a b")),
            "endpoint contains spaces or control characters");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "m"}}, "http://a\r\nX: y")),
            "endpoint contains spaces or control characters");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "m"}}, "http://" + std::string(3'000, 'a'))),
            "endpoint is longer than 2048 bytes");
  EXPECT_EQ(message(spec("p", {})), "a node must offer at least one service");
  EXPECT_EQ(
      message(spec("p", {{Service::Chat, "m"}, {Service::Embeddings, "m"}, {Service::Chat, "m"}})),
      "duplicate offer: chat/m");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "*"}})), "model name \"*\" is reserved");
  EXPECT_EQ(message(spec("p", {{Service::Chat, "a model"}})),
            "model name contains spaces or control characters");
  std::vector<Offer> many;
  for (int i = 0; i < 65; ++i) many.push_back({Service::Chat, "m" + std::to_string(i)});
  EXPECT_EQ(message(spec("p", many)), "too many offers: at most 64");
  NodeSpec big = spec("p");
  big.hardware_json.assign(20'000, ' ');
  EXPECT_EQ(message(big), "hardware description is longer than 16384 bytes");
  // Accepted: https, model-less offers, the same model under two services.
  EXPECT_EQ(
      message(spec("p", {{Service::Scrape, ""}, {Service::Chat, "m"}, {Service::Embeddings, "m"}},
                   "https://node.example.com/base")),
      "accepted");
}

TEST(Registry, AProviderHasAtMostMaxNodesLive) {
  Env env(RegistryOptions{.max_nodes_per_provider = 2});
  const std::string a = env.add("p");
  env.add("p");
  auto third = env.reg.add(spec("p"));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, ErrorCode::Rejected);
  EXPECT_EQ(third.error().message, "provider already has 2 nodes; the limit is 2");
  EXPECT_TRUE(env.reg.add(spec("q")));  // another provider is not affected
  ASSERT_TRUE(env.reg.leave(a, "p"));
  EXPECT_TRUE(env.reg.add(spec("p")));  // a Left node no longer counts
}

TEST(Registry, BadOptionsThrow) {
  EXPECT_THROW(Registry(RegistryOptions{.heartbeat_interval_ms = 0}), std::invalid_argument);
  EXPECT_THROW(Registry(RegistryOptions{.miss_limit = 0}), std::invalid_argument);
  EXPECT_THROW(Registry(RegistryOptions{.failure_limit = 0}), std::invalid_argument);
  EXPECT_THROW(Registry(RegistryOptions{.suspend_base_ms = 10, .suspend_max_ms = 5}),
               std::invalid_argument);
  EXPECT_NO_THROW(Registry(RegistryOptions{}));
}

// ---- pools and selection ----

TEST(Registry, PendingNodesAreNotPickedUntilVerified) {
  Env env;
  const std::string id = env.add();
  EXPECT_FALSE(env.reg.pick(Service::Chat, "llama"));
  EXPECT_TRUE(env.reg.models().empty());
  ASSERT_TRUE(env.reg.verified(id));
  EXPECT_EQ(env.state(id), NodeState::Healthy);
  EXPECT_EQ(env.pick(), id);
}

TEST(Registry, PoolsAreKeyedByServiceAndModel) {
  Env env;
  const std::string chat = env.healthy("p", {{Service::Chat, "llama"}});
  const std::string emb = env.healthy("p", {{Service::Embeddings, "llama"}});
  const std::string scrape = env.healthy("p", {{Service::Scrape, ""}});
  EXPECT_EQ(env.reg.pick(Service::Chat, "llama")->node_id(), chat);
  EXPECT_EQ(env.reg.pick(Service::Embeddings, "llama")->node_id(), emb);
  EXPECT_EQ(env.reg.pick(Service::Scrape, "")->node_id(), scrape);
  EXPECT_FALSE(env.reg.pick(Service::Chat, "mistral"));
  EXPECT_FALSE(env.reg.pick(Service::Image, "llama"));
}

TEST(Registry, ASingleHealthyNodeIsAlwaysPicked) {
  Env env;
  const std::string id = env.healthy();
  env.add();  // pending: not a candidate
  for (int i = 0; i < 100; ++i) ASSERT_EQ(env.pick(), id);
  auto lease = env.reg.pick(Service::Chat, "llama");
  EXPECT_EQ(lease->endpoint(), "http://10.0.0.1:8080");
  EXPECT_EQ(lease->provider_id(), "prov");
}

TEST(Registry, ExcludedNodeIsNeverPicked) {
  Env env;
  const std::string a = env.healthy();
  const std::string b = env.healthy();
  const std::string c = env.healthy();
  std::map<std::string, int> seen;
  for (int i = 0; i < 600; ++i) ++seen[env.pick(b)];
  EXPECT_EQ(seen.count(b), 0u);
  EXPECT_GT(seen[a], 100);
  EXPECT_GT(seen[c], 100);
  // A pool of two minus one: the other, always.
  Env two;
  const std::string x = two.healthy();
  const std::string y = two.healthy();
  for (int i = 0; i < 50; ++i) ASSERT_EQ(two.pick(x), y);
  // Excluding the only node leaves nothing; excluding a stranger changes nothing.
  Env one;
  const std::string only = one.healthy();
  EXPECT_FALSE(one.reg.pick(Service::Chat, "llama", only));
  EXPECT_EQ(one.pick("nd_0000000000000000"), only);
}

TEST(Registry, EqualNodesShareTheTrafficAtRandom) {
  Env env;
  const std::string a = env.healthy();
  const std::string b = env.healthy();
  std::map<std::string, int> seen;
  for (int i = 0; i < 2'000; ++i) ++seen[env.pick()];
  EXPECT_GT(seen[a], 800);
  EXPECT_GT(seen[b], 800);
}

TEST(Registry, PowerOfTwoChoicesPrefersTheLessLoadedNode) {
  Env env;
  const std::string busy = env.healthy();
  std::vector<Lease> in_flight;  // taken while `busy` is alone in the pool
  for (int i = 0; i < 8; ++i) in_flight.push_back(std::move(*env.reg.pick(Service::Chat, "llama")));
  ASSERT_EQ(env.reg.node(busy)->in_flight, 8);
  const std::string idle1 = env.healthy();
  const std::string idle2 = env.healthy();
  const std::string idle3 = env.healthy();
  std::map<std::string, int> seen;
  for (int i = 0; i < 3'000; ++i) ++seen[env.pick()];
  // The busy node loses every comparison it is drawn into.
  EXPECT_LT(seen[busy], 30);
  EXPECT_GT(seen[idle1], 700);
  EXPECT_GT(seen[idle2], 700);
  EXPECT_GT(seen[idle3], 700);
}

TEST(Registry, PowerOfTwoChoicesPrefersTheFasterNode) {
  Env env;
  const std::string fast = env.healthy();
  std::vector<std::string> slow = {env.healthy(), env.healthy(), env.healthy()};
  env.measure(fast, 10'000);
  for (const auto& id : slow) env.measure(id, 200'000);
  std::map<std::string, int> seen;
  for (int i = 0; i < 3'000; ++i) ++seen[env.pick()];
  // The fast node is in half of all pairs and wins each of them: about 1500 of 3000.
  EXPECT_GT(seen[fast], 1'200);
  for (const auto& id : slow) EXPECT_LT(seen[id], seen[fast] / 2);
}

TEST(Registry, LeasesKeptOpenSpreadEvenlyOverEqualNodes) {
  Env env;
  std::vector<std::string> ids = {env.healthy(), env.healthy(), env.healthy()};
  std::vector<Lease> open;
  for (int i = 0; i < 300; ++i) open.push_back(std::move(*env.reg.pick(Service::Chat, "llama")));
  std::int64_t lo = 1'000, hi = 0;
  for (const auto& id : ids) {
    const std::int64_t f = env.reg.node(id)->in_flight;
    lo = std::min(lo, f);
    hi = std::max(hi, f);
  }
  EXPECT_LE(hi - lo, 3);
  open.clear();
  for (const auto& id : ids) EXPECT_EQ(env.reg.node(id)->in_flight, 0);
}

TEST(Registry, ALeaseCountsInFlightUntilDestroyed) {
  Env env;
  const std::string id = env.healthy();
  {
    auto a = env.reg.pick(Service::Chat, "llama");
    EXPECT_EQ(env.reg.node(id)->in_flight, 1);
    Lease moved = std::move(*a);
    EXPECT_EQ(env.reg.node(id)->in_flight, 1);
    EXPECT_EQ(a->node_id(), "");  // moved from
    auto b = env.reg.pick(Service::Chat, "llama");
    EXPECT_EQ(env.reg.node(id)->in_flight, 2);
    moved = std::move(*b);  // the first lease ends
    EXPECT_EQ(env.reg.node(id)->in_flight, 1);
  }
  EXPECT_EQ(env.reg.node(id)->in_flight, 0);
}

TEST(Registry, SuccessFeedsTheLatencyAverage) {
  Env env;
  const std::string id = env.healthy();
  EXPECT_EQ(env.reg.node(id)->ewma_latency_us, 0);
  env.measure(id, 1'000);
  EXPECT_EQ(env.reg.node(id)->ewma_latency_us, 1'000);  // the first sample replaces the guess
  env.measure(id, 2'000);
  EXPECT_EQ(env.reg.node(id)->ewma_latency_us, 1'200);  // 1000 + (2000 - 1000) / 5
  env.measure(id, 200);
  EXPECT_EQ(env.reg.node(id)->ewma_latency_us, 1'000);  // 1200 + (200 - 1200) / 5
  auto l = env.reg.pick(Service::Chat, "llama");
  l->succeeded(50'000);
  l->succeeded(1);  // a second report is ignored
  l->failed();
  const NodeView v = *env.reg.node(id);
  EXPECT_EQ(v.ewma_latency_us, 10'800);
  EXPECT_EQ(v.served, 4u);
  EXPECT_EQ(v.failed, 0u);
}

TEST(Registry, ModelsListsPoolsWithHealthyNodesSorted) {
  Env env;
  env.healthy("p", {{Service::Embeddings, "bge"}, {Service::Chat, "llama"}});
  env.healthy("q", {{Service::Chat, "llama"}, {Service::Chat, "alpha"}});
  env.add("r", {{Service::Chat, "pending-only"}});
  const std::string gone = env.healthy("s", {{Service::Tts, "kokoro"}});
  ASSERT_TRUE(env.reg.suspend(gone, "test"));
  const std::vector<ModelEntry> want = {
      {Service::Chat, "alpha", 1},
      {Service::Chat, "llama", 2},
      {Service::Embeddings, "bge", 1},
  };
  EXPECT_EQ(env.reg.models(), want);
}

// ---- health ----

TEST(Registry, MissedHeartbeatsSuspend) {
  Env env;  // interval 10 s, 3 misses
  const std::string id = env.healthy();
  env.clock.advance(30'000);
  env.reg.tick();
  EXPECT_EQ(env.state(id), NodeState::Healthy);  // exactly 3 intervals: not yet
  env.clock.advance(1);
  const TickReport r = env.reg.tick();
  EXPECT_EQ(r.suspended, 1u);
  const NodeView v = *env.reg.node(id);
  EXPECT_EQ(v.state, NodeState::Suspended);
  EXPECT_EQ(v.penalty_level, 1);
  EXPECT_EQ(v.suspended_until_ms, env.clock.now() + 30'000);
  EXPECT_EQ(v.reason, "missed heartbeats (none for over 30000 ms)");
  EXPECT_FALSE(env.reg.pick(Service::Chat, "llama"));
}

TEST(Registry, RegularHeartbeatsKeepANodeHealthy) {
  Env env;
  const std::string id = env.healthy();
  for (int i = 0; i < 100; ++i) {
    env.clock.advance(10'000);
    ASSERT_EQ(env.reg.heartbeat(id, "prov", HeartbeatInfo{.in_flight = 4, .load_pct = 55}),
              NodeState::Healthy);
    env.reg.tick();
  }
  const NodeView v = *env.reg.node(id);
  EXPECT_EQ(v.state, NodeState::Healthy);
  EXPECT_EQ(v.last_seen_ms, env.clock.now());
  EXPECT_EQ(v.reported_in_flight, 4);
  EXPECT_EQ(v.reported_load_pct, 55);
}

TEST(Registry, PendingNodesAreNotSuspendedForSilence) {
  Env env;
  const std::string id = env.add();
  env.clock.advance(60'000);
  env.reg.tick();
  EXPECT_EQ(env.state(id), NodeState::Pending);
}

TEST(Registry, ConsecutiveFailuresSuspend) {
  Env env;  // failure limit 3
  const std::string id = env.healthy();
  const std::string other = env.healthy();
  env.fail(id, 2);
  env.measure(id, 1'000);  // a success clears the streak
  env.fail(id, 2);
  EXPECT_EQ(env.state(id), NodeState::Healthy);
  EXPECT_EQ(env.reg.node(id)->consecutive_failures, 2);
  env.fail(id, 1);
  const NodeView v = *env.reg.node(id);
  EXPECT_EQ(v.state, NodeState::Suspended);
  EXPECT_EQ(v.reason, "3 consecutive request failures");
  EXPECT_EQ(v.failed, 5u);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(env.pick(), other);
}

TEST(Registry, HeartbeatEndsASuspensionOnlyAfterThePenalty) {
  Env env;
  const std::string id = env.healthy();
  ASSERT_TRUE(env.reg.suspend(id, "manual"));
  env.clock.advance(29'999);
  EXPECT_EQ(env.reg.heartbeat(id, "prov"), NodeState::Suspended);
  env.reg.tick();
  EXPECT_EQ(env.state(id), NodeState::Suspended);
  env.clock.advance(1);
  env.reg.tick();  // expiry alone does not heal
  EXPECT_EQ(env.state(id), NodeState::Suspended);
  EXPECT_FALSE(env.reg.pick(Service::Chat, "llama"));
  EXPECT_EQ(env.reg.heartbeat(id, "prov"), NodeState::Healthy);
  EXPECT_EQ(env.pick(), id);
}

TEST(Registry, RepeatedSuspensionsLastLongerUpToTheCap) {
  Env env(RegistryOptions{.suspend_base_ms = 30'000, .suspend_max_ms = 100'000});
  const std::string id = env.healthy();
  std::vector<std::int64_t> lengths;
  for (int i = 0; i < 4; ++i) {
    env.fail(id, 3);
    const NodeView v = *env.reg.node(id);
    ASSERT_EQ(v.state, NodeState::Suspended);
    lengths.push_back(v.suspended_until_ms - env.clock.now());
    env.clock.advance(lengths.back());
    ASSERT_EQ(env.reg.heartbeat(id, "prov"), NodeState::Healthy);
  }
  EXPECT_EQ(lengths, (std::vector<std::int64_t>{30'000, 60'000, 100'000, 100'000}));
  EXPECT_EQ(env.reg.node(id)->penalty_level, 4);
}

TEST(Registry, ALongHealthyStretchForgivesThePenalty) {
  Env env;  // forgive after 1 h
  const std::string id = env.healthy();
  env.fail(id, 3);
  env.clock.advance(30'000);
  ASSERT_EQ(env.reg.heartbeat(id, "prov"), NodeState::Healthy);
  for (int i = 0; i < 360; ++i) {  // an hour of heartbeats
    env.clock.advance(10'000);
    ASSERT_TRUE(env.reg.heartbeat(id, "prov"));
  }
  const TickReport r = env.reg.tick();
  EXPECT_EQ(r.forgiven, 1u);
  EXPECT_EQ(env.reg.node(id)->penalty_level, 0);
  env.fail(id, 3);
  const NodeView v = *env.reg.node(id);
  EXPECT_EQ(v.suspended_until_ms - env.clock.now(), 30'000);  // the base again, not 60 s
}

TEST(Registry, ForgivenessAppliesEvenWithoutATick) {
  Env env;
  const std::string id = env.healthy();
  env.fail(id, 3);
  env.clock.advance(30'000);
  ASSERT_EQ(env.reg.heartbeat(id, "prov"), NodeState::Healthy);
  env.clock.advance(3'600'000);
  ASSERT_TRUE(env.reg.heartbeat(id, "prov"));
  ASSERT_TRUE(env.reg.suspend(id, "verification failed"));
  EXPECT_EQ(env.reg.node(id)->suspended_until_ms - env.clock.now(), 30'000);
}

TEST(Registry, AnUnverifiedNodeReturnsToPendingAfterItsPenalty) {
  Env env;
  const std::string id = env.add();
  ASSERT_TRUE(env.reg.suspend(id, "verification failed"));
  EXPECT_EQ(env.reg.node(id)->reason, "verification failed");
  env.clock.advance(30'000);
  EXPECT_EQ(env.reg.heartbeat(id, "prov"), NodeState::Pending);
  EXPECT_FALSE(env.reg.pick(Service::Chat, "llama"));
  ASSERT_TRUE(env.reg.verified(id));
  EXPECT_EQ(env.pick(), id);
}

TEST(Registry, VerifyingASuspendedNodeWaitsForThePenalty) {
  Env env;
  const std::string id = env.healthy();
  ASSERT_TRUE(env.reg.suspend(id, "manual"));
  auto early = env.reg.verified(id);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::Conflict);
  env.clock.advance(30'000);
  ASSERT_TRUE(env.reg.verified(id));
  EXPECT_EQ(env.state(id), NodeState::Healthy);
  EXPECT_TRUE(env.reg.verified(id));  // already healthy: no-op
}

TEST(Registry, NoHeartbeatForADayRemovesTheNode) {
  Env env;
  const std::string healthy = env.healthy();
  const std::string pending = env.add();
  env.clock.advance(86'400'000);
  EXPECT_EQ(env.reg.tick().removed, 0u);  // suspended for silence, not yet removed
  EXPECT_EQ(env.state(healthy), NodeState::Suspended);
  env.clock.advance(1);
  EXPECT_EQ(env.reg.tick().removed, 2u);
  EXPECT_EQ(env.state(healthy), NodeState::Removed);
  EXPECT_EQ(env.state(pending), NodeState::Removed);
  auto hb = env.reg.heartbeat(healthy, "prov");
  ASSERT_FALSE(hb);
  EXPECT_EQ(hb.error().code, ErrorCode::NotFound);
  EXPECT_EQ(hb.error().message, "node " + healthy +
                                    " was removed (no heartbeat for over 86400000 ms); register "
                                    "it again");
  EXPECT_EQ(env.reg.verified(healthy).error().code, ErrorCode::NotFound);
  EXPECT_EQ(env.reg.suspend(healthy, "x").error().code, ErrorCode::NotFound);
  // A removed node is forgotten a day later.
  env.clock.advance(86'400'000);
  EXPECT_EQ(env.reg.tick().forgotten, 2u);
  EXPECT_FALSE(env.reg.node(healthy));
  EXPECT_EQ(env.reg.heartbeat(healthy, "prov").error().message,
            "unknown node " + healthy + "; register it again");
  EXPECT_TRUE(env.reg.add(spec("prov")));
}

TEST(Registry, LeaveTakesTheNodeOutAtOnce) {
  Env env;
  const std::string a = env.healthy();
  const std::string b = env.healthy();
  auto lease = env.reg.pick(Service::Chat, "llama", b);
  ASSERT_EQ(lease->node_id(), a);
  ASSERT_TRUE(env.reg.leave(a, "prov"));
  EXPECT_EQ(env.state(a), NodeState::Left);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(env.pick(), b);
  EXPECT_EQ(lease->endpoint(), "http://10.0.0.1:8080");  // the lease stays usable
  lease->failed();
  lease.reset();
  EXPECT_EQ(env.reg.heartbeat(a, "prov").error().code, ErrorCode::NotFound);
  EXPECT_EQ(env.reg.leave(a, "prov").error().code, ErrorCode::NotFound);
  EXPECT_EQ(env.reg.export_nodes().size(), 1u);
}

TEST(Registry, OnlyTheOwnerMayHeartbeatOrLeave) {
  Env env;
  const std::string id = env.healthy("alice");
  auto hb = env.reg.heartbeat(id, "mallory");
  ASSERT_FALSE(hb);
  EXPECT_EQ(hb.error().code, ErrorCode::Forbidden);
  EXPECT_EQ(hb.error().error_class(), ErrorClass::Unauthorized);
  EXPECT_EQ(env.reg.leave(id, "mallory").error().code, ErrorCode::Forbidden);
  EXPECT_EQ(env.state(id), NodeState::Healthy);
  EXPECT_EQ(env.reg.heartbeat("nd_nope", "alice").error().code, ErrorCode::NotFound);
}

TEST(Registry, ViewsListNodesOldestFirst) {
  Env env;
  const std::string a = env.add("p");
  env.clock.advance(5);
  const std::string b = env.add("q");
  env.clock.advance(5);
  const std::string c = env.add("p");
  const auto mine = env.reg.nodes_of("p");
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, a);
  EXPECT_EQ(mine[1].id, c);
  const auto every = env.reg.all();
  ASSERT_EQ(every.size(), 3u);
  EXPECT_EQ(every[1].id, b);
  EXPECT_TRUE(env.reg.nodes_of("nobody").empty());
  EXPECT_FALSE(env.reg.node("nd_missing"));
  EXPECT_EQ(to_string(NodeState::Suspended), "suspended");
}

// ---- lifetimes ----

TEST(Registry, ALeaseMayOutliveTheRegistry) {
  std::optional<Lease> lease;
  {
    Registry reg;
    auto id = reg.add(spec("p"));
    ASSERT_TRUE(reg.verified(*id));
    lease = reg.pick(Service::Chat, "llama");
  }
  EXPECT_TRUE(lease->node_id().starts_with("nd_"));
  lease->failed();
  lease.reset();
}

TEST(Registry, ALeaseMayOutliveItsNodesRemoval) {
  Env env(RegistryOptions{.failure_limit = 1});
  const std::string id = env.healthy();
  auto lease = env.reg.pick(Service::Chat, "llama");
  env.clock.advance(86'400'001);
  env.reg.tick();
  env.clock.advance(86'400'001);
  env.reg.tick();
  ASSERT_FALSE(env.reg.node(id));  // forgotten
  lease->failed();                 // no suspension of a node that is gone
  lease->succeeded(5);
  EXPECT_EQ(lease->node_id(), id);
}

// ---- persistence ----

TEST(Registry, ExportAndRestoreBringNodesBackPending) {
  Env env;
  const std::string a = env.healthy("p", {{Service::Chat, "llama"}, {Service::Scrape, ""}});
  const std::string b = env.healthy("q");
  const std::string gone = env.healthy("q");
  env.measure(a, 1'000);
  env.fail(b, 3);
  ASSERT_TRUE(env.reg.leave(gone, "q"));
  const std::vector<NodeRow> rows = env.reg.export_nodes();
  ASSERT_EQ(rows.size(), 2u);

  FakeClock later;
  later.advance(10 * 86'400'000);  // the gateway was down for ten days
  auto r = Registry::restore(RegistryOptions{}, rows, later.clock());
  ASSERT_TRUE(r) << r.error().message;
  Registry& reg = *r;
  const NodeView va = *reg.node(a);
  EXPECT_EQ(va.state, NodeState::Pending);
  EXPECT_EQ(va.last_seen_ms, later.now());
  EXPECT_EQ(va.registered_at_ms, env.reg.node(a)->registered_at_ms);
  EXPECT_EQ(va.offers.size(), 2u);
  EXPECT_EQ(va.served, 1u);
  const NodeView vb = *reg.node(b);
  EXPECT_EQ(vb.penalty_level, 1);
  EXPECT_EQ(vb.failed, 3u);
  EXPECT_FALSE(reg.node(gone));
  EXPECT_FALSE(reg.pick(Service::Chat, "llama"));
  reg.tick();
  EXPECT_EQ(reg.node(a)->state, NodeState::Pending);  // not removed for the downtime
  ASSERT_TRUE(reg.verified(a));
  EXPECT_EQ(reg.pick(Service::Chat, "llama")->node_id(), a);
  EXPECT_TRUE(reg.heartbeat(b, "q"));
  auto fresh = reg.add(spec("p"));
  ASSERT_TRUE(fresh);
  EXPECT_NE(*fresh, a);
  EXPECT_NE(*fresh, b);
}

TEST(Registry, RestoreRefusesBadRows) {
  Env env;
  env.add();
  std::vector<NodeRow> rows = env.reg.export_nodes();
  rows.push_back(rows[0]);
  auto dup = Registry::restore({}, rows);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::Corrupt);
  rows.pop_back();
  rows[0].id = "x1";
  EXPECT_EQ(Registry::restore({}, rows).error().code, ErrorCode::Corrupt);
  rows[0].id = "nd_1";
  rows[0].endpoint = "gopher://x";
  auto bad = Registry::restore({}, rows);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "restore: node nd_1: endpoint must start with http:// or https://");
}

// ---- threads ----

TEST(Registry, ConcurrentPicksAndMutations) {
  Env env(RegistryOptions{.failure_limit = 5, .suspend_base_ms = 1, .suspend_max_ms = 4});
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(env.healthy("p" + std::to_string(i % 2)));
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> picks{0};
  std::vector<std::thread> pickers;
  for (int t = 0; t < 4; ++t) {
    pickers.emplace_back([&, t] {
      std::uint64_t n = 0;
      while (!stop.load()) {
        auto l = env.reg.pick(Service::Chat, "llama", ids[n % ids.size()]);
        if (l) {
          if ((n + static_cast<std::uint64_t>(t)) % 7 == 0)
            l->failed();
          else
            l->succeeded(static_cast<std::int64_t>(100 + n % 1'000));
        }
        (void)env.reg.models();
        ++n;
      }
      picks += n;
    });
  }
  std::thread admin([&] {
    for (int i = 0; i < 2'000; ++i) {
      env.clock.advance(1);
      const std::string& id = ids[static_cast<std::size_t>(i) % ids.size()];
      (void)env.reg.heartbeat(id, "p" + std::to_string((i % 6) % 2));
      (void)env.reg.verified(id);
      if (i % 50 == 0) (void)env.reg.suspend(id, "churn");
      if (i % 97 == 0) {
        auto extra = env.reg.add(spec("x"));
        if (extra) {
          (void)env.reg.verified(*extra);
          (void)env.reg.leave(*extra, "x");
        }
      }
      env.reg.tick();
      (void)env.reg.all();
    }
    stop = true;
  });
  admin.join();
  for (auto& th : pickers) th.join();
  EXPECT_GT(picks.load(), 0u);
  for (const auto& v : env.reg.all()) EXPECT_EQ(v.in_flight, 0) << v.id;
}

}  // namespace
}  // namespace cx::gateway
