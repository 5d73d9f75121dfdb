#include "net/ws_group.hpp"

#include <algorithm>

namespace cx::net {

void WsGroup::add(const WsSessionPtr& session) {
  if (!session) return;
  const std::lock_guard lock(mutex_);
  for (const auto& [id, weak] : members_) {
    if (id == session->id()) return;
  }
  members_.emplace_back(session->id(), session);
}

bool WsGroup::remove(std::uint64_t session_id) {
  const std::lock_guard lock(mutex_);
  const auto it = std::find_if(members_.begin(), members_.end(),
                               [&](const auto& m) { return m.first == session_id; });
  if (it == members_.end()) return false;
  *it = std::move(members_.back());
  members_.pop_back();
  return true;
}

bool WsGroup::contains(std::uint64_t session_id) const {
  const std::lock_guard lock(mutex_);
  return std::any_of(members_.begin(), members_.end(),
                     [&](const auto& m) { return m.first == session_id && !m.second.expired(); });
}

std::size_t WsGroup::size() const {
  const std::lock_guard lock(mutex_);
  std::erase_if(members_, [](const auto& m) { return m.second.expired(); });
  return members_.size();
}

std::vector<WsSessionPtr> WsGroup::members() const {
  std::vector<WsSessionPtr> out;
  const std::lock_guard lock(mutex_);
  out.reserve(members_.size());
  std::erase_if(members_, [&](const auto& m) {
    auto s = m.second.lock();
    if (!s) return true;
    out.push_back(std::move(s));
    return false;
  });
  return out;
}

std::size_t WsGroup::broadcast(std::string text) {
  return broadcast(std::make_shared<const std::string>(std::move(text)));
}

bool WsGroup::empty() const {
  const std::lock_guard lock(mutex_);
  return members_.empty();
}

std::size_t WsGroup::broadcast(const std::shared_ptr<const std::string>& text) {
  if (!text) return 0;
  return broadcast(std::span<const std::shared_ptr<const std::string>>(&text, 1));
}

std::size_t WsGroup::broadcast(std::span<const std::shared_ptr<const std::string>> texts) {
  // One strong pointer per live member, taken under the lock (the expired ones are pruned on the
  // way); sending happens outside it. The vector's storage is reused by this thread's next
  // broadcast.
  thread_local std::vector<WsSessionPtr> spare;
  std::vector<WsSessionPtr> targets;
  targets.swap(spare);
  {
    const std::lock_guard lock(mutex_);
    targets.reserve(members_.size());
    std::erase_if(members_, [&targets](auto& m) {
      auto s = m.second.lock();
      if (!s) return true;
      targets.push_back(std::move(s));
      return false;
    });
  }
  std::size_t sent = 0;
  for (const WsSessionPtr& s : targets) {
    if (s->send(texts)) ++sent;
  }
  targets.clear();  // the group keeps no session alive
  if (spare.capacity() < targets.capacity()) spare.swap(targets);
  return sent;
}

}  // namespace cx::net
