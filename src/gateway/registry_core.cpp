// The registry's state machine steps (suspend, heal, end), pool publishing and validation.

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "gateway/registry_internal.hpp"

namespace cx::gateway::detail {

RegistryCore::RegistryCore(RegistryOptions o, Clock c)
    : options(o), clock(std::move(c)), rng(o.seed), pools_(std::make_shared<const PoolTable>()) {}

Node* RegistryCore::find_locked(std::string_view id) {
  auto it = nodes.find(id);
  return it == nodes.end() ? nullptr : it->second.get();
}

void RegistryCore::publish_locked() {
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
  std::shared_ptr<const PoolTable> old = std::move(table);
  {
    std::lock_guard lock(pools_mu_);
    pools_.swap(old);
  }
  // `old` (the previous table) is released here, outside pools_mu_.
}

void RegistryCore::make_healthy_locked(Node& n, std::int64_t now) {
  n.state = NodeState::Healthy;
  n.verified_once = true;
  n.healthy_since_ms = now;
  n.state_since_ms = now;
  n.consecutive_failures.store(0, std::memory_order_relaxed);
}

void RegistryCore::suspend_locked(Node& n, std::int64_t now, std::string_view reason) {
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

void RegistryCore::end_locked(Node& n, NodeState to, std::int64_t now, std::string_view reason) {
  n.state = to;
  n.state_since_ms = now;
  n.reason.assign(reason);
  auto it = live.find(n.provider_id);
  if (it != live.end() && --it->second == 0) live.erase(it);
}

bool is_live(NodeState s) noexcept {
  return s == NodeState::Pending || s == NodeState::Healthy || s == NodeState::Suspended;
}

bool is_token(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

static bool has_control(std::string_view s) noexcept {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

static std::string too_long(std::string_view what, std::size_t limit) {
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

}  // namespace cx::gateway::detail
