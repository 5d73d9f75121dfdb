#pragma once
/// The registry's insides, shared by registry.cpp, registry_core.cpp and lease.cpp. Not part
/// of the gateway's API.
///
/// Locking: RegistryCore::mu guards the node map, the per-provider counts and every node field
/// marked "guarded"; RegistryCore::pools_mu guards only the pools pointer (held for a
/// reference-count increment). Lock order: mu, then pools_mu. Node counters touched by leases
/// are atomics.

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/flat_hash_map.hpp"
#include "gateway/registry.hpp"
#include "core/string_map.hpp"

namespace cx::gateway::detail {

struct RegistryCore;

struct Node {
  // Immutable once the node is in the registry.
  std::string id;
  std::string provider_id;
  std::string endpoint;
  std::vector<Offer> offers;
  std::string hardware_json;
  std::string region;
  std::int64_t registered_at_ms = 0;
  std::uint64_t seq = 0;  ///< registration order, for stable listings and pools
  std::weak_ptr<RegistryCore> core;

  // Touched by leases without the lock.
  std::atomic<std::int64_t> in_flight{0};
  std::atomic<std::int64_t> ewma_latency_us{0};  ///< 0: no success measured yet
  std::atomic<std::uint64_t> served{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::int32_t> consecutive_failures{0};

  // Guarded by RegistryCore::mu.
  NodeState state = NodeState::Pending;
  bool verified_once = false;  ///< has been Healthy since it was added or restored
  int penalty_level = 0;
  std::int64_t suspended_until_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t healthy_since_ms = 0;
  std::int64_t state_since_ms = 0;
  std::string reason;
  std::int64_t reported_in_flight = 0;
  std::int32_t reported_load_pct = 0;
};

using Pool = std::vector<std::shared_ptr<Node>>;

/// Healthy nodes per (service, model), each pool in registration order. Immutable once
/// published.
struct PoolTable {
  std::array<std::map<std::string, Pool, std::less<>>, kServiceCount> by_service;
};

struct RegistryCore {
  RegistryCore(RegistryOptions o, Clock c);

  const RegistryOptions options;
  const Clock clock;

  std::mutex mu;
  StringMap<std::shared_ptr<Node>> nodes;  ///< guarded by mu
  StringMap<std::size_t> live;             ///< live nodes per provider; guarded by mu
  std::uint64_t next_seq = 0;              ///< guarded by mu

  std::atomic<std::uint64_t> rng;

  /// splitmix64 over an atomic counter: thread-safe, lock-free, reproducible from the seed
  /// when called from one thread.
  std::uint64_t random() noexcept {
    constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
    return mix64(rng.fetch_add(kGolden, std::memory_order_relaxed) + kGolden);
  }

  /// The current pools (never null). Any thread.
  std::shared_ptr<const PoolTable> pools() const {
    std::lock_guard lock(pools_mu_);
    return pools_;
  }

  /// The node called `id`, or nullptr. Caller holds mu.
  Node* find_locked(std::string_view id);
  /// Rebuilds the pools from the Healthy nodes and publishes them. Caller holds mu.
  void publish_locked();
  /// Pending or Suspended -> Healthy. Caller holds mu.
  void make_healthy_locked(Node& n, std::int64_t now);
  /// Suspends `n` for the penalty of its level, then raises the level; a node Healthy for
  /// forgive_after_ms starts again from the base penalty. Caller holds mu.
  void suspend_locked(Node& n, std::int64_t now, std::string_view reason);
  /// -> Removed or Left. Caller holds mu.
  void end_locked(Node& n, NodeState to, std::int64_t now, std::string_view reason);

 private:
  mutable std::mutex pools_mu_;
  std::shared_ptr<const PoolTable> pools_;  ///< guarded by pools_mu_
};

/// Pending, Healthy or Suspended.
bool is_live(NodeState s) noexcept;
/// Printable ASCII without spaces.
bool is_token(std::string_view s) noexcept;
/// add's checks of a spec (InvalidArgument with the reason).
Result<void> validate(const NodeSpec& s, const RegistryOptions& o);
/// Throws std::invalid_argument on nonsensical options.
void check_options(const RegistryOptions& o);
/// Caller holds mu.
NodeView make_view(const Node& n);
/// Caller holds mu.
NodeRow make_row(const Node& n);

Error not_found(std::string_view node_id);
Error ended(const Node& n);
Error not_owner(std::string_view node_id);

}  // namespace cx::gateway::detail
