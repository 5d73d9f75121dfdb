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

std::size_t WsGroup::broadcast(const std::shared_ptr<const std::string>& text) {
  std::vector<std::weak_ptr<WsSession>> targets;
  {
    const std::lock_guard lock(mutex_);
    targets.reserve(members_.size());
    for (const auto& [id, weak] : members_) targets.push_back(weak);
  }
  std::size_t sent = 0;
  bool expired = false;
  for (const auto& weak : targets) {
    auto s = weak.lock();
    if (!s) {
      expired = true;
    } else if (s->send(text)) {
      ++sent;
    }
  }
  if (expired) {
    const std::lock_guard lock(mutex_);
    std::erase_if(members_, [](const auto& m) { return m.second.expired(); });
  }
  return sent;
}

}  // namespace cx::net
