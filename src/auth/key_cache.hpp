#pragma once
/// An in-process cache of active API keys, by the SHA-256 (hex) of their secret, so that a
/// request signed with an API key does not read the store.
///
/// Only keys that were active when read are put in; revoking or rotating a key through
/// KeyService erases it (KeyService is given the cache), so a revoked key fails on the very
/// next request. A concurrent reader cannot put a key back after its erasure: readers take an
/// epoch() before reading the store and insert with put_if(), which refuses if any erase
/// happened since. Other processes sharing the store are not told: in a cluster, revocations
/// must be broadcast to every node's cache (or the cache left out).
///
/// Threading: every member function may be called from any thread concurrently
/// (std::shared_mutex: lookups share, changes are exclusive).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/string_map.hpp"
#include "store/records.hpp"

namespace cx::auth {

/// What a request needs to know about the key it was signed with.
struct CachedKey {
  std::string user_id;
  store::KeyKind kind = store::KeyKind::TraderAk;
  std::string prefix;
  bool operator==(const CachedKey&) const = default;
};

class KeyCache {
 public:
  /// Keeps at most `max_entries` keys; when full, a put() empties the cache first (it only
  /// costs store reads to refill).
  explicit KeyCache(std::size_t max_entries = 100000);

  /// The key cached under `hash`, if any.
  [[nodiscard]] std::optional<CachedKey> get(std::string_view hash) const;

  /// Caches `key` under `hash` (replacing any entry).
  void put(std::string hash, CachedKey key);

  /// Caches `key` under `hash` unless erase() or clear() was called after epoch() returned
  /// `seen`; true if it was cached. Use this for a key read from the store after taking
  /// `seen`, so that a revocation in between is not undone.
  bool put_if(std::string hash, CachedKey key, std::uint64_t seen);

  /// Drops the entry under `hash` (no-op if absent) and advances the epoch.
  void erase(std::string_view hash);

  /// Drops everything and advances the epoch.
  void clear();

  /// A counter advanced by every erase() and clear().
  [[nodiscard]] std::uint64_t epoch() const;

  [[nodiscard]] std::size_t size() const;

 private:
  void insert(std::string hash, CachedKey key);  // requires mu_ held exclusively

  std::size_t max_entries_;
  mutable std::shared_mutex mu_;
  StringMap<CachedKey> map_;
  std::uint64_t epoch_ = 0;
};

}  // namespace cx::auth
