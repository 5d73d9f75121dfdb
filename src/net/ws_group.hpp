#pragma once
/// A set of WebSocket sessions to broadcast to (a channel's subscribers, or every session).
///
/// Holds weak pointers: a closed session drops out on its own. broadcast() takes strong pointers
/// to the members under the lock and sends outside it, so a slow send never blocks add/remove or
/// another broadcast, and the group keeps no session alive beyond a broadcast. All members are
/// thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "net/ws_session.hpp"

namespace cx::net {

class WsGroup {
 public:
  /// Adds a session; adding one twice keeps one entry.
  void add(const WsSessionPtr& session);
  /// Removes by id; false if it was not a member.
  bool remove(std::uint64_t session_id);
  bool contains(std::uint64_t session_id) const;
  /// Live members (expired ones are pruned first).
  std::size_t size() const;
  /// No members at all. Cheap (no pruning): a member that closed may still count until the next
  /// broadcast or size() drops it.
  bool empty() const;

  /// Sends `text` to every open member, one shared buffer for all. Returns how many accepted it
  /// (a member whose queue is full is being closed and is not counted).
  std::size_t broadcast(std::string text);
  std::size_t broadcast(const std::shared_ptr<const std::string>& text);
  /// Sends several messages, in order, to every open member (WsSession::send of a span: all or
  /// none per member, one wake of its writer). Returns how many members accepted them.
  std::size_t broadcast(std::span<const std::shared_ptr<const std::string>> texts);

  /// The live members (a copy).
  std::vector<WsSessionPtr> members() const;

 private:
  mutable std::mutex mutex_;
  mutable std::vector<std::pair<std::uint64_t, std::weak_ptr<WsSession>>> members_;
};

}  // namespace cx::net
