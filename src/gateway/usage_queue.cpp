// Vyukov's bounded MPMC array queue, used with one drainer at a time. Each cell's sequence
// number says whose turn it is: pos (free for the producer of ticket pos), pos + 1 (written,
// for the consumer), pos + capacity (free again for the next lap).
//
// Waking the drainer: it announces `sleeping_` and re-checks the head cell before it waits;
// a producer publishes its cell and then reads `sleeping_`. Both sides use seq_cst, so at least
// one of them sees the other (the drainer sees the record, or the producer sees the flag and
// notifies under the mutex, which the drainer holds until it waits).

#include "gateway/usage.hpp"

#include <algorithm>
#include <bit>

namespace cx::gateway {

namespace {
constexpr std::size_t kMaxCapacity = std::size_t{1} << 24;
}  // namespace

UsageQueue::UsageQueue(std::size_t capacity)
    : mask_(std::bit_ceil(std::clamp<std::size_t>(capacity, 2, kMaxCapacity)) - 1),
      cells_(std::make_unique<Cell[]>(mask_ + 1)) {
  for (std::size_t i = 0; i <= mask_; ++i) cells_[i].seq.store(i, std::memory_order_relaxed);
}

UsageQueue::~UsageQueue() = default;

bool UsageQueue::push(UsageRecord&& record) noexcept {
  std::size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
  Cell* cell = nullptr;
  for (;;) {
    cell = &cells_[pos & mask_];
    const std::size_t seq = cell->seq.load(std::memory_order_acquire);
    const auto diff = static_cast<std::ptrdiff_t>(seq - pos);
    if (diff == 0) {
      if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
    } else if (diff < 0) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    } else {
      pos = enqueue_pos_.load(std::memory_order_relaxed);
    }
  }
  cell->value = std::move(record);
  cell->seq.store(pos + 1, std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_seq_cst) &&
      sleeping_.exchange(false, std::memory_order_seq_cst)) {
    std::lock_guard lock(mu_);
    cv_.notify_one();
  }
  return true;
}

bool UsageQueue::head_ready() const noexcept {
  const std::size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
  return cells_[pos & mask_].seq.load(std::memory_order_seq_cst) == pos + 1;
}

std::size_t UsageQueue::pop_locked(std::vector<UsageRecord>& out, std::size_t max) {
  std::size_t n = 0;
  std::size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
  while (n < max) {
    Cell& cell = cells_[pos & mask_];
    if (cell.seq.load(std::memory_order_acquire) != pos + 1) break;
    out.push_back(std::move(cell.value));
    cell.seq.store(pos + mask_ + 1, std::memory_order_release);
    ++pos;
    ++n;
  }
  dequeue_pos_.store(pos, std::memory_order_relaxed);
  return n;
}

std::size_t UsageQueue::drain_into(std::vector<UsageRecord>& out, std::size_t max,
                                   std::chrono::milliseconds wait) {
  if (max == 0) return 0;
  std::unique_lock lock(mu_);
  std::size_t n = pop_locked(out, max);
  if (n > 0 || closed_ || wait.count() <= 0) return n;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!closed_ && !head_ready()) {
    sleeping_.store(true, std::memory_order_seq_cst);
    if (head_ready()) break;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) break;
  }
  sleeping_.store(false, std::memory_order_relaxed);
  return pop_locked(out, max);
}

std::vector<UsageRecord> UsageQueue::drain(std::size_t max, std::chrono::milliseconds wait) {
  std::vector<UsageRecord> out;
  drain_into(out, max, wait);
  return out;
}

void UsageQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

std::size_t UsageQueue::size() const noexcept {
  const std::size_t tail = dequeue_pos_.load(std::memory_order_relaxed);
  const std::size_t head = enqueue_pos_.load(std::memory_order_relaxed);
  return head >= tail ? std::min(head - tail, mask_ + 1) : 0;
}

}  // namespace cx::gateway
