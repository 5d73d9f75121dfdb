// Leases: in-flight counting, the latency EWMA and failure streaks, without the registry's
// lock except when a streak suspends the node.

#include <algorithm>
#include <mutex>
#include <utility>

#include "gateway/registry_internal.hpp"

namespace cx::gateway {

namespace {

using detail::Node;
using detail::RegistryCore;

constexpr std::int64_t kMaxLatencyUs = 1'000'000'000'000;  // 11.6 days: a clamp, not a limit
const std::string kEmpty;

}  // namespace

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

}  // namespace cx::gateway
