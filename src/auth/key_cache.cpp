// The API key cache.

#include "auth/key_cache.hpp"

#include <mutex>

namespace cx::auth {

KeyCache::KeyCache(std::size_t max_entries) : max_entries_(max_entries == 0 ? 1 : max_entries) {}

std::optional<CachedKey> KeyCache::get(std::string_view hash) const {
  std::shared_lock lock(mu_);
  auto it = map_.find(hash);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

void KeyCache::insert(std::string hash, CachedKey key) {
  auto it = map_.find(hash);
  if (it != map_.end()) {
    it->second = std::move(key);
    return;
  }
  if (map_.size() >= max_entries_) map_.clear();
  map_.emplace(std::move(hash), std::move(key));
}

void KeyCache::put(std::string hash, CachedKey key) {
  std::unique_lock lock(mu_);
  insert(std::move(hash), std::move(key));
}

bool KeyCache::put_if(std::string hash, CachedKey key, std::uint64_t seen) {
  std::unique_lock lock(mu_);
  if (epoch_ != seen) return false;
  insert(std::move(hash), std::move(key));
  return true;
}

void KeyCache::erase(std::string_view hash) {
  std::unique_lock lock(mu_);
  ++epoch_;
  if (auto it = map_.find(hash); it != map_.end()) map_.erase(it);
}

void KeyCache::clear() {
  std::unique_lock lock(mu_);
  ++epoch_;
  map_.clear();
}

std::uint64_t KeyCache::epoch() const {
  std::shared_lock lock(mu_);
  return epoch_;
}

std::size_t KeyCache::size() const {
  std::shared_lock lock(mu_);
  return map_.size();
}

}  // namespace cx::auth
