// Registration, health transitions, selection and views. Nodes live under one mutex; pools
// are an immutable snapshot replaced on every change of the Healthy set, so `pick` copies a
// pointer (under a lock held for a reference-count increment) and then works on its own.

#include "gateway/registry.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "core/int128.hpp"
#include "gateway/registry_internal.hpp"

namespace cx::gateway {

namespace {

using detail::ended;
using detail::is_live;
using detail::is_token;
using detail::make_row;
using detail::make_view;
using detail::Node;
using detail::not_found;
using detail::not_owner;
using detail::RegistryCore;
using detail::validate;

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

/// A uniform-enough index in [0, n) (multiply-shift; bias below n / 2^64).
std::size_t index_below(std::uint64_t r, std::size_t n) noexcept {
  return static_cast<std::size_t>((u128{r} * n) >> 64);
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

Registry::Registry(RegistryOptions options, Clock clock) {
  detail::check_options(options);
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
  const std::shared_ptr<const detail::PoolTable> table = c.pools();
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
  const std::shared_ptr<const detail::PoolTable> table = core_->pools();
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
