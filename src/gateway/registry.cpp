// Nodes under one mutex; pools as an immutable snapshot swapped atomically, so `pick` is a
// pointer load, a map lookup and two relaxed atomic reads.

#include "gateway/registry.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "core/flat_hash_map.hpp"
#include "core/int128.hpp"

namespace cx::gateway {

namespace detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

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
  RegistryCore(RegistryOptions o, Clock c) : options(o), clock(std::move(c)), rng(o.seed) {
    pools.store(std::make_shared<const PoolTable>());
  }

  const RegistryOptions options;
  const Clock clock;

  std::mutex mu;
  StringMap<std::shared_ptr<Node>> nodes;  // guarded by mu
  StringMap<std::size_t> live;             // live nodes per provider; guarded by mu
  std::uint64_t next_seq = 0;              // guarded by mu

  std::atomic<std::shared_ptr<const PoolTable>> pools;
  std::atomic<std::uint64_t> rng;

  /// splitmix64 over an atomic counter: thread-safe, lock-free, reproducible from the seed
  /// when called from one thread.
  std::uint64_t random() noexcept {
    constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
    return mix64(rng.fetch_add(kGolden, std::memory_order_relaxed) + kGolden);
  }

  Node* find_locked(std::string_view id) {
    auto it = nodes.find(id);
    return it == nodes.end() ? nullptr : it->second.get();
  }

  /// Rebuilds and publishes the pools from the Healthy nodes. Caller holds mu.
  void publish_locked() {
    auto table = std::make_shared<PoolTable>();
    for (const auto& [id, node] : nodes) {
      if (node->state != NodeState::Healthy) continue;
      for (const Offer& o : node->offers) {
        auto& pools_of = table->by_service[static_cast<std::size_t>(o.service)];
        auto it = pools_of.find(o.model);
        if (it == pools_of.end()) it = pools_of.emplace(o.model, Pool{}).first;
        it->second.push_back(node);
      }
    }
    for (auto& pools_of : table->by_service)
      for (auto& [model, pool] : pools_of)
        std::sort(pool.begin(), pool.end(),
                  [](const auto& a, const auto& b) { return a->seq < b->seq; });
    pools.store(std::shared_ptr<const PoolTable>(std::move(table)), std::memory_order_release);
  }

  void make_healthy_locked(Node& n, std::int64_t now) {
    n.state = NodeState::Healthy;
    n.verified_once = true;
    n.healthy_since_ms = now;
    n.state_since_ms = now;
    n.consecutive_failures.store(0, std::memory_order_relaxed);
  }

  /// Suspends `n` for the penalty of its level, then raises the level. A node Healthy for
  /// forgive_after_ms starts again from the base penalty.
  void suspend_locked(Node& n, std::int64_t now, std::string_view reason) {
    if (n.state == NodeState::Healthy && now - n.healthy_since_ms >= options.forgive_after_ms)
      n.penalty_level = 0;
    std::int64_t d = options.suspend_base_ms;
    for (int i = 0; i < n.penalty_level && d < options.suspend_max_ms; ++i)
      d = d > options.suspend_max_ms / 2 ? options.suspend_max_ms : d * 2;
    d = std::min(d, options.suspend_max_ms);
    n.penalty_level = std::min(n.penalty_level + 1, 1'000);
    n.state = NodeState::Suspended;
    if (__builtin_add_overflow(now, d, &n.suspended_until_ms))
      n.suspended_until_ms = std::numeric_limits<std::int64_t>::max();
    n.state_since_ms = now;
    n.reason.assign(reason);
  }

  /// Removed or Left. Caller holds mu.
  void end_locked(Node& n, NodeState to, std::int64_t now, std::string_view reason) {
    n.state = to;
    n.state_since_ms = now;
    n.reason.assign(reason);
    auto it = live.find(n.provider_id);
    if (it != live.end() && --it->second == 0) live.erase(it);
  }
};

}  // namespace detail

namespace {

using detail::Node;
using detail::RegistryCore;

constexpr std::int64_t kMaxLatencyUs = 1'000'000'000'000;  // 11.6 days: a clamp, not a limit

bool is_live(NodeState s) noexcept {
  return s == NodeState::Pending || s == NodeState::Healthy || s == NodeState::Suspended;
}

/// Printable ASCII without spaces.
bool is_token(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

bool has_control(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

std::string too_long(std::string_view what, std::size_t limit) {
  return std::string(what)
      .append(" is longer than ")
      .append(std::to_string(limit))
      .append(" bytes");
}

Result<void> validate(const NodeSpec& s, const RegistryOptions& o) {
  if (s.provider_id.empty()) return fail(ErrorCode::InvalidArgument, "provider id is empty");
  if (s.provider_id.size() > o.max_id_bytes)
    return fail(ErrorCode::InvalidArgument, too_long("provider id", o.max_id_bytes));
  if (s.endpoint.empty()) return fail(ErrorCode::InvalidArgument, "endpoint is empty");
  if (s.endpoint.size() > o.max_endpoint_bytes)
    return fail(ErrorCode::InvalidArgument, too_long("endpoint", o.max_endpoint_bytes));
  std::string_view rest = s.endpoint;
  if (rest.starts_with("http://"))
    rest.remove_prefix(7);
  else if (rest.starts_with("https://"))
    rest.remove_prefix(8);
  else
    return fail(ErrorCode::InvalidArgument, "endpoint must start with http:// or https://");
  if (rest.empty() || rest.front() == '/')
    return fail(ErrorCode::InvalidArgument, "endpoint has no host");
  if (!is_token(rest))
    return fail(ErrorCode::InvalidArgument, "endpoint contains spaces or control characters");
  if (s.offers.empty())
    return fail(ErrorCode::InvalidArgument, "a node must offer at least one service");
  if (s.offers.size() > o.max_offers_per_node)
    return fail(
        ErrorCode::InvalidArgument,
        std::string("too many offers: at most ").append(std::to_string(o.max_offers_per_node)));
  for (std::size_t i = 0; i < s.offers.size(); ++i) {
    const Offer& offer = s.offers[i];
    if (static_cast<std::size_t>(offer.service) >= kServiceCount)
      return fail(ErrorCode::InvalidArgument, "unknown service in offer");
    if (offer.model.size() > o.max_id_bytes)
      return fail(ErrorCode::InvalidArgument, too_long("model name", o.max_id_bytes));
    if (offer.model == "*") return fail(ErrorCode::InvalidArgument, "model name \"*\" is reserved");
    if (!is_token(offer.model))
      return fail(ErrorCode::InvalidArgument, "model name contains spaces or control characters");
    for (std::size_t j = 0; j < i; ++j)
      if (s.offers[j] == offer)
        return fail(ErrorCode::InvalidArgument, std::string("duplicate offer: ")
                                                    .append(to_string(offer.service))
                                                    .append("/")
                                                    .append(offer.model));
  }
  if (s.region.size() > o.max_region_bytes)
    return fail(ErrorCode::InvalidArgument, too_long("region", o.max_region_bytes));
  if (has_control(s.region))
    return fail(ErrorCode::InvalidArgument, "region contains control characters");
  if (s.hardware_json.size() > o.max_hardware_json_bytes)
    return fail(ErrorCode::InvalidArgument,
                too_long("hardware description", o.max_hardware_json_bytes));
  return {};
}

void check_options(const RegistryOptions& o) {
  auto bad = [](const char* what) {
    throw std::invalid_argument(std::string("Registry: ") + what);
  };
  if (o.heartbeat_interval_ms < 1) bad("heartbeat_interval_ms must be positive");
  if (o.miss_limit < 1) bad("miss_limit must be positive");
  if (o.failure_limit < 1) bad("failure_limit must be positive");
  if (o.suspend_base_ms < 1) bad("suspend_base_ms must be positive");
  if (o.suspend_max_ms < o.suspend_base_ms) bad("suspend_max_ms must be >= suspend_base_ms");
  if (o.remove_after_ms < 1) bad("remove_after_ms must be positive");
  if (o.forgive_after_ms < 0) bad("forgive_after_ms must not be negative");
  if (o.max_nodes_per_provider < 1) bad("max_nodes_per_provider must be positive");
  if (o.max_offers_per_node < 1) bad("max_offers_per_node must be positive");
  if (o.initial_latency_us < 1) bad("initial_latency_us must be positive");
  std::int64_t silent = 0;
  if (__builtin_mul_overflow(o.heartbeat_interval_ms, std::int64_t{o.miss_limit}, &silent))
    bad("heartbeat_interval_ms x miss_limit overflows");
}

NodeView make_view(const Node& n) {
  NodeView v;
  v.id = n.id;
  v.provider_id = n.provider_id;
  v.endpoint = n.endpoint;
  v.offers = n.offers;
  v.hardware_json = n.hardware_json;
  v.region = n.region;
  v.state = n.state;
  v.penalty_level = n.penalty_level;
  v.suspended_until_ms = n.suspended_until_ms;
  v.last_seen_ms = n.last_seen_ms;
  v.registered_at_ms = n.registered_at_ms;
  v.state_since_ms = n.state_since_ms;
  v.in_flight = n.in_flight.load(std::memory_order_relaxed);
  v.ewma_latency_us = n.ewma_latency_us.load(std::memory_order_relaxed);
  v.served = n.served.load(std::memory_order_relaxed);
  v.failed = n.failed.load(std::memory_order_relaxed);
  v.consecutive_failures = n.consecutive_failures.load(std::memory_order_relaxed);
  v.reason = n.reason;
  v.reported_in_flight = n.reported_in_flight;
  v.reported_load_pct = n.reported_load_pct;
  return v;
}

/// Nodes matching `keep`, oldest first. Caller holds mu.
template <class Keep, class Out>
std::vector<Out> collect_locked(const RegistryCore& core, Keep keep, Out (*make)(const Node&)) {
  std::vector<const Node*> found;
  for (const auto& [id, node] : core.nodes)
    if (keep(*node)) found.push_back(node.get());
  std::sort(found.begin(), found.end(),
            [](const Node* a, const Node* b) { return a->seq < b->seq; });
  std::vector<Out> out;
  out.reserve(found.size());
  for (const Node* n : found) out.push_back(make(*n));
  return out;
}

NodeRow make_row(const Node& n) {
  NodeRow r;
  r.id = n.id;
  r.provider_id = n.provider_id;
  r.endpoint = n.endpoint;
  r.offers = n.offers;
  r.hardware_json = n.hardware_json;
  r.region = n.region;
  r.registered_at_ms = n.registered_at_ms;
  r.penalty_level = n.penalty_level;
  r.served = n.served.load(std::memory_order_relaxed);
  r.failed = n.failed.load(std::memory_order_relaxed);
  return r;
}

/// A uniform-enough index in [0, n) (multiply-shift; bias below n / 2^64).
std::size_t index_below(std::uint64_t r, std::size_t n) noexcept {
  return static_cast<std::size_t>((u128{r} * n) >> 64);
}

Error not_found(std::string_view node_id) {
  return Error{ErrorCode::NotFound,
               std::string("unknown node ").append(node_id).append("; register it again")};
}

Error ended(const Node& n) {
  std::string msg = "node ";
  msg.append(n.id).append(n.state == NodeState::Left ? " has left" : " was removed");
  if (!n.reason.empty()) msg.append(" (").append(n.reason).append(")");
  msg.append("; register it again");
  return Error{ErrorCode::NotFound, std::move(msg)};
}

Error not_owner(std::string_view node_id) {
  return Error{ErrorCode::Forbidden,
               std::string("node ").append(node_id).append(" belongs to another provider")};
}

}  // namespace

std::string_view to_string(NodeState s) noexcept {
  switch (s) {
    case NodeState::Pending:
      return "pending";
    case NodeState::Healthy:
      return "healthy";
    case NodeState::Suspended:
      return "suspended";
    case NodeState::Removed:
      return "removed";
    case NodeState::Left:
      return "left";
  }
  return "unknown";
}

// ---- Lease ----

Lease::Lease(std::shared_ptr<Node> node) noexcept : node_(std::move(node)) {
  node_->in_flight.fetch_add(1, std::memory_order_relaxed);
}

Lease::Lease(Lease&& other) noexcept
    : node_(std::move(other.node_)), reported_(std::exchange(other.reported_, false)) {}

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (node_) node_->in_flight.fetch_sub(1, std::memory_order_relaxed);
    node_ = std::move(other.node_);
    reported_ = std::exchange(other.reported_, false);
  }
  return *this;
}

Lease::~Lease() {
  if (node_) node_->in_flight.fetch_sub(1, std::memory_order_relaxed);
}

namespace {
const std::string kEmpty;
}

const std::string& Lease::node_id() const noexcept {
  return node_ ? node_->id : kEmpty;
}
const std::string& Lease::endpoint() const noexcept {
  return node_ ? node_->endpoint : kEmpty;
}
const std::string& Lease::provider_id() const noexcept {
  return node_ ? node_->provider_id : kEmpty;
}

void Lease::succeeded(std::int64_t latency_us) noexcept {
  if (!node_ || reported_) return;
  reported_ = true;
  Node& n = *node_;
  n.served.fetch_add(1, std::memory_order_relaxed);
  n.consecutive_failures.store(0, std::memory_order_relaxed);
  const std::int64_t sample = std::clamp<std::int64_t>(latency_us, 1, kMaxLatencyUs);
  std::int64_t old = n.ewma_latency_us.load(std::memory_order_relaxed);
  std::int64_t next = 0;
  do {
    next = old == 0 ? sample : std::max<std::int64_t>(1, old + (sample - old) / 5);
  } while (!n.ewma_latency_us.compare_exchange_weak(old, next, std::memory_order_relaxed));
}

void Lease::failed() {
  if (!node_ || reported_) return;
  reported_ = true;
  Node& n = *node_;
  n.failed.fetch_add(1, std::memory_order_relaxed);
  const std::int32_t count = n.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::shared_ptr<RegistryCore> core = n.core.lock();
  if (!core || count < core->options.failure_limit) return;
  std::string reason = std::to_string(count);
  reason.append(" consecutive request failures");
  const std::int64_t now = core->clock();
  std::lock_guard lock(core->mu);
  if (n.state != NodeState::Healthy ||
      n.consecutive_failures.load(std::memory_order_relaxed) < core->options.failure_limit)
    return;
  core->suspend_locked(n, now, reason);
  core->publish_locked();
}

// ---- Registry ----

Registry::Registry(RegistryOptions options, Clock clock) {
  check_options(options);
  if (!clock) clock = system_now_ms;
  core_ = std::make_shared<RegistryCore>(options, std::move(clock));
}

Registry::Registry(Registry&&) noexcept = default;
Registry& Registry::operator=(Registry&&) noexcept = default;
Registry::~Registry() = default;

const RegistryOptions& Registry::options() const noexcept {
  return core_->options;
}

Result<std::string> Registry::add(NodeSpec spec) {
  if (auto ok = validate(spec, core_->options); !ok) return std::unexpected(std::move(ok.error()));
  RegistryCore& c = *core_;
  auto node = std::make_shared<Node>();
  node->provider_id = std::move(spec.provider_id);
  node->endpoint = std::move(spec.endpoint);
  node->offers = std::move(spec.offers);
  node->hardware_json = std::move(spec.hardware_json);
  node->region = std::move(spec.region);
  node->core = core_;
  const std::int64_t now = c.clock();
  node->registered_at_ms = now;
  node->last_seen_ms = now;
  node->state_since_ms = now;
  std::string id;
  {
    std::lock_guard lock(c.mu);
    std::size_t& count = c.live[node->provider_id];
    if (count >= c.options.max_nodes_per_provider) {
      if (count == 0) c.live.erase(node->provider_id);
      return fail(ErrorCode::Rejected,
                  std::string("provider already has ")
                      .append(std::to_string(count))
                      .append(" nodes; the limit is ")
                      .append(std::to_string(c.options.max_nodes_per_provider)));
    }
    static constexpr char kHex[] = "0123456789abcdef";
    do {
      std::uint64_t r = c.random();
      id.assign("nd_");
      for (int i = 0; i < 16; ++i, r >>= 4) id.push_back(kHex[r & 15]);
    } while (c.nodes.contains(id));
    node->id = id;
    node->seq = c.next_seq++;
    ++count;
    c.nodes.emplace(id, std::move(node));
  }
  return id;
}

Result<void> Registry::verified(std::string_view node_id) {
  RegistryCore& c = *core_;
  const std::int64_t now = c.clock();
  std::lock_guard lock(c.mu);
  Node* n = c.find_locked(node_id);
  if (n == nullptr) return std::unexpected(not_found(node_id));
  if (!is_live(n->state)) return std::unexpected(ended(*n));
  n->last_seen_ms = std::max(n->last_seen_ms, now);
  if (n->state == NodeState::Healthy) return {};
  if (n->state == NodeState::Suspended && now < n->suspended_until_ms)
    return fail(ErrorCode::Conflict, std::string("node ")
                                         .append(node_id)
                                         .append(" is suspended until ")
                                         .append(std::to_string(n->suspended_until_ms))
                                         .append(" ms"));
  c.make_healthy_locked(*n, now);
  c.publish_locked();
  return {};
}

Result<NodeState> Registry::heartbeat(std::string_view node_id, std::string_view provider_id,
                                      HeartbeatInfo info) {
  RegistryCore& c = *core_;
  const std::int64_t now = c.clock();
  std::lock_guard lock(c.mu);
  Node* n = c.find_locked(node_id);
  if (n == nullptr) return std::unexpected(not_found(node_id));
  if (n->provider_id != provider_id) return std::unexpected(not_owner(node_id));
  if (!is_live(n->state)) return std::unexpected(ended(*n));
  n->last_seen_ms = std::max(n->last_seen_ms, now);
  n->reported_in_flight = info.in_flight;
  n->reported_load_pct = info.load_pct;
  if (n->state == NodeState::Suspended && now >= n->suspended_until_ms) {
    if (n->verified_once) {
      c.make_healthy_locked(*n, now);
      c.publish_locked();
    } else {
      n->state = NodeState::Pending;
      n->state_since_ms = now;
    }
  }
  return n->state;
}

Result<void> Registry::leave(std::string_view node_id, std::string_view provider_id) {
  RegistryCore& c = *core_;
  const std::int64_t now = c.clock();
  std::lock_guard lock(c.mu);
  Node* n = c.find_locked(node_id);
  if (n == nullptr) return std::unexpected(not_found(node_id));
  if (n->provider_id != provider_id) return std::unexpected(not_owner(node_id));
  if (!is_live(n->state)) return std::unexpected(ended(*n));
  const bool was_healthy = n->state == NodeState::Healthy;
  c.end_locked(*n, NodeState::Left, now, "left by its provider");
  if (was_healthy) c.publish_locked();
  return {};
}

Result<void> Registry::suspend(std::string_view node_id, std::string_view reason) {
  RegistryCore& c = *core_;
  const std::int64_t now = c.clock();
  std::lock_guard lock(c.mu);
  Node* n = c.find_locked(node_id);
  if (n == nullptr) return std::unexpected(not_found(node_id));
  if (!is_live(n->state)) return std::unexpected(ended(*n));
  const bool was_healthy = n->state == NodeState::Healthy;
  c.suspend_locked(*n, now, reason);
  if (was_healthy) c.publish_locked();
  return {};
}

TickReport Registry::tick() {
  RegistryCore& c = *core_;
  const RegistryOptions& o = c.options;
  const std::int64_t silent_limit = o.heartbeat_interval_ms * o.miss_limit;
  const std::string missed = std::string("missed heartbeats (none for over ")
                                 .append(std::to_string(silent_limit))
                                 .append(" ms)");
  const std::string gone =
      std::string("no heartbeat for over ").append(std::to_string(o.remove_after_ms)).append(" ms");
  TickReport report;
  const std::int64_t now = c.clock();
  std::lock_guard lock(c.mu);
  bool dirty = false;
  for (auto it = c.nodes.begin(); it != c.nodes.end();) {
    Node& n = *it->second;
    if (!is_live(n.state)) {
      if (now - n.state_since_ms >= o.remove_after_ms) {
        it = c.nodes.erase(it);
        ++report.forgotten;
        continue;
      }
    } else if (now - n.last_seen_ms > o.remove_after_ms) {
      dirty |= n.state == NodeState::Healthy;
      c.end_locked(n, NodeState::Removed, now, gone);
      ++report.removed;
    } else if (n.state == NodeState::Healthy && now - n.last_seen_ms > silent_limit) {
      c.suspend_locked(n, now, missed);
      dirty = true;
      ++report.suspended;
    } else if (n.state == NodeState::Healthy && n.penalty_level > 0 &&
               now - n.healthy_since_ms >= o.forgive_after_ms) {
      n.penalty_level = 0;
      ++report.forgiven;
    }
    ++it;
  }
  if (dirty) c.publish_locked();
  return report;
}

std::optional<Lease> Registry::pick(Service service, std::string_view model,
                                    std::string_view exclude_node) const {
  RegistryCore& c = *core_;
  const std::shared_ptr<const detail::PoolTable> table = c.pools.load(std::memory_order_acquire);
  const auto& pools_of = table->by_service[static_cast<std::size_t>(service)];
  const auto it = pools_of.find(model);
  if (it == pools_of.end()) return std::nullopt;
  const detail::Pool& pool = it->second;
  const std::size_t n = pool.size();
  std::size_t skip = n;  // index of the excluded node, n if none
  if (!exclude_node.empty())
    for (std::size_t i = 0; i < n; ++i)
      if (pool[i]->id == exclude_node) {
        skip = i;
        break;
      }
  const std::size_t m = skip < n ? n - 1 : n;  // candidates
  if (m == 0) return std::nullopt;
  auto at = [&](std::size_t k) -> const std::shared_ptr<Node>& {
    return pool[k >= skip ? k + 1 : k];
  };
  if (m == 1) return Lease(at(0));
  const std::uint64_t r = c.random();
  const std::size_t i = index_below(r, m);
  std::size_t j = index_below(mix64(r ^ 0x5bd1e995ULL), m - 1);
  if (j >= i) ++j;
  const Node& a = *at(i);
  const Node& b = *at(j);
  auto score = [&c](const Node& x) {
    const std::int64_t ewma = x.ewma_latency_us.load(std::memory_order_relaxed);
    const std::int64_t latency = ewma > 0 ? ewma : c.options.initial_latency_us;
    const std::int64_t load =
        std::max<std::int64_t>(0, x.in_flight.load(std::memory_order_relaxed));
    return i128{load + 1} * latency;
  };
  // (i, j) is a uniformly random ordered pair, so taking the first on a tie is a fair coin.
  return Lease(score(b) < score(a) ? at(j) : at(i));
}

std::vector<ModelEntry> Registry::models() const {
  const std::shared_ptr<const detail::PoolTable> table =
      core_->pools.load(std::memory_order_acquire);
  std::vector<ModelEntry> out;
  for (std::size_t s = 0; s < kServiceCount; ++s)
    for (const auto& [model, pool] : table->by_service[s])
      out.push_back(ModelEntry{static_cast<Service>(s), model, pool.size()});
  return out;
}

std::optional<NodeView> Registry::node(std::string_view node_id) const {
  std::lock_guard lock(core_->mu);
  const Node* n = core_->find_locked(node_id);
  if (n == nullptr) return std::nullopt;
  return make_view(*n);
}

std::vector<NodeView> Registry::nodes_of(std::string_view provider_id) const {
  std::lock_guard lock(core_->mu);
  return collect_locked(
      *core_, [provider_id](const Node& n) { return n.provider_id == provider_id; }, &make_view);
}

std::vector<NodeView> Registry::all() const {
  std::lock_guard lock(core_->mu);
  return collect_locked(
      *core_, [](const Node&) { return true; }, &make_view);
}

std::vector<NodeRow> Registry::export_nodes() const {
  std::lock_guard lock(core_->mu);
  return collect_locked(
      *core_, [](const Node& n) { return is_live(n.state); }, &make_row);
}

Result<Registry> Registry::restore(RegistryOptions options, std::span<const NodeRow> rows,
                                   Clock clock) {
  Registry reg(options, std::move(clock));
  RegistryCore& c = *reg.core_;
  const std::int64_t now = c.clock();
  std::lock_guard lock(c.mu);
  for (const NodeRow& row : rows) {
    auto corrupt = [&row](std::string_view why) {
      return fail(ErrorCode::Corrupt,
                  std::string("restore: node ").append(row.id).append(": ").append(why));
    };
    if (row.id.size() <= 3 || !row.id.starts_with("nd_") || !is_token(row.id) ||
        row.id.size() > c.options.max_id_bytes)
      return corrupt("bad node id");
    NodeSpec spec{row.provider_id, row.endpoint, row.offers, row.hardware_json, row.region};
    if (auto ok = validate(spec, c.options); !ok) return corrupt(ok.error().message);
    if (c.nodes.contains(row.id)) return corrupt("duplicate node id");
    auto node = std::make_shared<Node>();
    node->id = row.id;
    node->provider_id = std::move(spec.provider_id);
    node->endpoint = std::move(spec.endpoint);
    node->offers = std::move(spec.offers);
    node->hardware_json = std::move(spec.hardware_json);
    node->region = std::move(spec.region);
    node->registered_at_ms = row.registered_at_ms;
    node->seq = c.next_seq++;
    node->core = reg.core_;
    node->served.store(row.served, std::memory_order_relaxed);
    node->failed.store(row.failed, std::memory_order_relaxed);
    node->penalty_level = std::clamp(row.penalty_level, 0, 1'000);
    node->last_seen_ms = now;
    node->state_since_ms = now;
    ++c.live[node->provider_id];
    c.nodes.emplace(row.id, std::move(node));
  }
  return reg;
}

}  // namespace cx::gateway
