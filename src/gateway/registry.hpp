#pragma once
/// Providers' compute nodes: registration, health, pools and selection (docs/gateway.md,
/// "Pools and selection" and "Node health").
///
/// A node offers (service, model) pairs; every pair with at least one Healthy node is a pool.
/// `pick` chooses a node from a pool by the power of two choices and returns a `Lease` that
/// counts the request as in flight on that node until it is destroyed.
///
/// States: add -> Pending --verified--> Healthy --(missed heartbeats | consecutive failures |
/// suspend)--> Suspended --(heartbeat after the penalty)--> Healthy (or Pending if the node was
/// never verified) ... --(no heartbeat for remove_after_ms)--> Removed; leave -> Left. Removed
/// and Left nodes stay visible (and refuse heartbeats with "register again") until
/// remove_after_ms after they ended, then `tick` forgets them.
///
/// Threading: every member may be called from any thread. `pick` works on an immutable
/// snapshot of the pools, rebuilt under the registry's mutex by the mutations that change which
/// nodes are Healthy; it holds a lock only to copy the snapshot's pointer (a reference-count
/// increment), never the registry's mutex, and reads the nodes' atomic counters. Mutations and
/// the views take the registry's mutex.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "gateway/clock.hpp"
#include "gateway/service.hpp"

namespace cx::gateway {

/// One thing a node serves. `model` is "" for model-less services (scrape, ...).
struct Offer {
  Service service = Service::Chat;
  std::string model;

  bool operator==(const Offer&) const = default;
};

struct NodeSpec {
  std::string provider_id;
  std::string endpoint;  ///< base URL, "http://..." or "https://..."
  std::vector<Offer> offers;
  std::string hardware_json;  ///< opaque to the registry (the caller validates the JSON)
  std::string region;
};

enum class NodeState : std::uint8_t { Pending, Healthy, Suspended, Removed, Left };

/// "pending", "healthy", "suspended", "removed", "left".
[[nodiscard]] std::string_view to_string(NodeState s) noexcept;

/// What a node says about itself in a heartbeat. Recorded for the views; selection uses the
/// gateway's own in-flight count, which the node's figure may exceed (other clients).
struct HeartbeatInfo {
  std::int64_t in_flight = 0;
  std::int32_t load_pct = 0;  ///< 0-100, as reported
};

struct RegistryOptions {
  std::int64_t heartbeat_interval_ms = 10'000;
  int miss_limit = 3;  ///< missed heartbeats (now - last_seen > miss_limit x interval) -> Suspended
  int failure_limit = 3;                         ///< consecutive failed requests -> Suspended
  std::int64_t suspend_base_ms = 30'000;         ///< first suspension
  std::int64_t suspend_max_ms = 30 * 60'000;     ///< the penalty doubles per suspension, up to this
  std::int64_t remove_after_ms = 24 * 3600'000;  ///< no heartbeat that long -> Removed
  std::int64_t forgive_after_ms = 3600'000;      ///< Healthy that long -> penalty level back to 0
  std::size_t max_nodes_per_provider = 64;       ///< live (not Removed or Left) nodes
  std::uint64_t seed = 1;                        ///< node ids and selection
  /// Latency assumed for a node that has not completed a request yet (its EWMA starts with its
  /// first measurement).
  std::int64_t initial_latency_us = 100'000;
  std::size_t max_offers_per_node = 64;
  std::size_t max_endpoint_bytes = 2'048;
  std::size_t max_id_bytes = 256;  ///< provider id, model name
  std::size_t max_region_bytes = 64;
  std::size_t max_hardware_json_bytes = 16 * 1024;
};

/// A pool as listed by `models()`.
struct ModelEntry {
  Service service = Service::Chat;
  std::string model;
  std::size_t node_count = 0;  ///< Healthy nodes

  bool operator==(const ModelEntry&) const = default;
};

/// A copy of a node's state at one instant.
struct NodeView {
  std::string id;
  std::string provider_id;
  std::string endpoint;
  std::vector<Offer> offers;
  std::string hardware_json;
  std::string region;
  NodeState state = NodeState::Pending;
  int penalty_level = 0;                ///< suspensions since the node was last forgiven
  std::int64_t suspended_until_ms = 0;  ///< end of the latest suspension (0: never suspended)
  std::int64_t last_seen_ms = 0;        ///< latest heartbeat, verification or registration
  std::int64_t registered_at_ms = 0;
  std::int64_t state_since_ms = 0;
  std::int64_t in_flight = 0;        ///< live leases
  std::int64_t ewma_latency_us = 0;  ///< 0 until the first success
  std::uint64_t served = 0;          ///< leases that succeeded
  std::uint64_t failed = 0;          ///< leases that failed
  std::int32_t consecutive_failures = 0;
  std::string reason;  ///< why the node was last suspended or removed
  std::int64_t reported_in_flight = 0;
  std::int32_t reported_load_pct = 0;
};

/// A node as saved by `export_nodes`; a restored node is Pending and must verify again.
struct NodeRow {
  std::string id;
  std::string provider_id;
  std::string endpoint;
  std::vector<Offer> offers;
  std::string hardware_json;
  std::string region;
  std::int64_t registered_at_ms = 0;
  int penalty_level = 0;
  std::uint64_t served = 0;
  std::uint64_t failed = 0;
};

/// Counts of what one `tick` did.
struct TickReport {
  std::size_t suspended = 0;
  std::size_t removed = 0;
  std::size_t forgiven = 0;
  std::size_t forgotten = 0;  ///< Removed/Left nodes dropped from memory
};

namespace detail {
struct Node;
struct RegistryCore;
}  // namespace detail

/// One request's claim on a node. Move-only. While it lives, the node's in-flight count
/// includes it. Report the outcome once with `succeeded` or `failed` (later reports are
/// ignored; a lease destroyed without a report counts as neither). Keeps the node's data
/// alive, so it stays valid after the node is suspended, removed or left and after the
/// Registry is destroyed. Not itself thread-safe: one owner at a time.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  /// "" for a moved-from lease.
  [[nodiscard]] const std::string& node_id() const noexcept;
  [[nodiscard]] const std::string& endpoint() const noexcept;
  [[nodiscard]] const std::string& provider_id() const noexcept;

  /// The request completed in `latency_us`: folds it into the node's latency EWMA
  /// (ewma = ewma + (sample - ewma) / 5, i.e. alpha = 0.2, in integers; the first sample
  /// replaces the initial guess) and clears the node's consecutive failures. Lock-free.
  void succeeded(std::int64_t latency_us) noexcept;

  /// The request failed because of the node (connection refused, timeout, 5xx, garbage).
  /// failure_limit consecutive failures suspend the node (takes the registry's mutex then).
  void failed();

 private:
  friend class Registry;
  explicit Lease(std::shared_ptr<detail::Node> node) noexcept;

  std::shared_ptr<detail::Node> node_;
  bool reported_ = false;
};

class Registry {
 public:
  /// Throws std::invalid_argument on nonsensical options (a non-positive interval, base or
  /// limit, suspend_max_ms < suspend_base_ms, initial_latency_us < 1): start-up errors.
  /// A moved-from Registry may only be destroyed or assigned.
  explicit Registry(RegistryOptions options = {}, Clock clock = system_now_ms);
  Registry(Registry&&) noexcept;
  Registry& operator=(Registry&&) noexcept;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  ~Registry();

  /// Registers a node (state Pending) and returns its id, "nd_" + 16 hex digits, unique.
  /// Errors: InvalidArgument with the reason (empty provider id; endpoint empty, not
  /// http:// or https:// with a host, containing spaces or control characters, or too long;
  /// no offers, too many, a duplicate, a model "*" or a model with spaces or control
  /// characters; fields too long); Rejected when the provider already has
  /// max_nodes_per_provider live nodes.
  [[nodiscard]] Result<std::string> add(NodeSpec spec);

  /// The caller checked the node (a test request): Pending -> Healthy, or Suspended -> Healthy
  /// once its suspension has elapsed; no-op when Healthy. Counts as a sign of life.
  /// Errors: NotFound (unknown, Removed or Left: register again); Conflict (still suspended).
  [[nodiscard]] Result<void> verified(std::string_view node_id);

  /// A heartbeat from the node's provider. Refreshes last-seen; a Suspended node whose
  /// suspension has elapsed becomes Healthy (Pending if it was never verified: verify it).
  /// Returns the node's state afterwards. Errors: NotFound (unknown, Removed or Left: the
  /// message says to register again); Forbidden (the node belongs to another provider).
  [[nodiscard]] Result<NodeState> heartbeat(std::string_view node_id, std::string_view provider_id,
                                            HeartbeatInfo info = {});

  /// The provider takes the node away: Left, out of every pool at once. Leases already given
  /// out stay valid. Errors as for heartbeat.
  [[nodiscard]] Result<void> leave(std::string_view node_id, std::string_view provider_id);

  /// Suspends a Pending, Healthy or Suspended node with the next penalty (e.g. a failed
  /// verification). Errors: NotFound (unknown, Removed or Left).
  [[nodiscard]] Result<void> suspend(std::string_view node_id, std::string_view reason);

  /// Applies the clock: Healthy nodes silent for more than miss_limit x interval are
  /// suspended; nodes silent for more than remove_after_ms are removed; Healthy nodes that
  /// have been Healthy for forgive_after_ms get their penalty level reset; Removed and Left
  /// nodes are forgotten remove_after_ms after they ended. An elapsed suspension is not ended
  /// here: that takes a heartbeat. Call it every second or so (O(nodes)).
  TickReport tick();

  /// A Healthy node of the (service, model) pool other than `exclude_node`, by the power of
  /// two choices: two distinct nodes at random, the one with the lower
  /// (in_flight + 1) x latency (EWMA, or initial_latency_us before the first success) wins,
  /// ties at random; a pool of one gives that node. nullopt if no candidate. Allocates
  /// nothing; never takes the registry's mutex.
  [[nodiscard]] std::optional<Lease> pick(Service service, std::string_view model,
                                          std::string_view exclude_node = {}) const;

  /// Pools with at least one Healthy node, sorted by service then model.
  [[nodiscard]] std::vector<ModelEntry> models() const;
  [[nodiscard]] std::optional<NodeView> node(std::string_view node_id) const;
  /// The provider's nodes (including Removed and Left ones not yet forgotten), oldest first.
  [[nodiscard]] std::vector<NodeView> nodes_of(std::string_view provider_id) const;
  /// Every node known, oldest first.
  [[nodiscard]] std::vector<NodeView> all() const;

  /// Pending, Healthy and Suspended nodes, oldest first.
  [[nodiscard]] std::vector<NodeRow> export_nodes() const;

  /// A registry holding `rows` as Pending nodes (they must verify again) with last-seen = now,
  /// so that the gateway's own downtime does not count against them. Errors (Corrupt): a
  /// row that `add` would refuse (the per-provider limit excepted), an id not of the form
  /// "nd_...", or a duplicate id.
  [[nodiscard]] static Result<Registry> restore(RegistryOptions options,
                                                std::span<const NodeRow> rows,
                                                Clock clock = system_now_ms);

  [[nodiscard]] const RegistryOptions& options() const noexcept;

 private:
  std::shared_ptr<detail::RegistryCore> core_;
};

}  // namespace cx::gateway
