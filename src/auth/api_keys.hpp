#pragma once
/// API keys for programs: user keys (the AI gateway), trader keys (the exchange) and provider
/// keys (compute nodes).
///
/// Format of a secret (61 characters, shown to its owner once, at creation or rotation):
///
///   cx_<k>_<prefix>_<secret>
///   k:      u (userAk), t (traderAk) or p (providerAk)
///   prefix: 12 characters of [A-Za-z0-9] from the CSPRNG (public: it names the key in lists)
///   secret: 43 characters, base64url of 32 random bytes (256 bits)
///
/// Stored: store::ApiKey with prefix "<k>_<prefix>" and hash = sha256_hex(whole secret). The
/// secret itself is kept nowhere; a lost key is rotated, not recovered.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/key_cache.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/read_store.hpp"
#include "store/records.hpp"

namespace cx::auth {

/// A key just made: the secret to hand over once and the record to store.
struct IssuedKey {
  std::string secret;
  store::ApiKey record;
};

/// The public parts of a well-formed secret.
struct KeyName {
  store::KeyKind kind = store::KeyKind::TraderAk;
  std::string prefix;  ///< as stored: "<k>_<12 chars>"
};

/// A fresh key of `kind` for `user_id` labelled `label`, created at `now` (not stored).
/// Threading: any thread. Throws only if the CSPRNG fails.
[[nodiscard]] IssuedKey make_api_key(store::KeyKind kind, std::string user_id, std::string label,
                                     Timestamp now);

/// The kind and stored prefix of `secret` if it has the exact format above, else nullopt
/// (says nothing about whether the key exists). Threading: any thread.
[[nodiscard]] std::optional<KeyName> parse_api_key(std::string_view secret);

/// Longest label accepted (bytes); labels may not contain control characters.
inline constexpr std::size_t kMaxKeyLabel = 64;

/// Creates, lists, rotates and revokes a user's keys.
/// Threading: not thread-safe (like the store::ReadStore it uses); the caller serialises use.
/// The store and the cache (if any) must outlive the service.
class KeyService {
 public:
  /// `cache`: the KeyCache that authenticate_key() uses, or null. Revoke and rotate erase the
  /// old key's hash from it after the store has committed, so the old secret fails on the next
  /// request in this process.
  explicit KeyService(store::ReadStore& store, KeyCache* cache = nullptr);

  /// Makes and stores a new key. NotFound if the user does not exist; InvalidArgument for a
  /// label over kMaxKeyLabel bytes or with control characters.
  [[nodiscard]] Result<IssuedKey> create(std::string_view user_id, store::KeyKind kind,
                                         std::string_view label, Timestamp now);

  /// The user's keys, oldest first, revoked ones included, of one kind if given. The `hash`
  /// field of each record is emptied: listings show prefixes only.
  [[nodiscard]] Result<std::vector<store::ApiKey>> list(std::string_view user_id,
                                                        std::optional<store::KeyKind> kind);

  /// Replaces the user's active key `prefix` with a new one of the same kind and label, in one
  /// store transaction; the old secret stops working. NotFound if the user has no such active
  /// key.
  [[nodiscard]] Result<IssuedKey> rotate(std::string_view user_id, std::string_view prefix,
                                         Timestamp now);

  /// Revokes the user's active key `prefix`. NotFound if there is none.
  [[nodiscard]] Result<void> revoke(std::string_view user_id, std::string_view prefix,
                                    Timestamp now);

 private:
  /// The user's active key with this prefix.
  [[nodiscard]] Result<std::optional<store::ApiKey>> active_key(std::string_view user_id,
                                                                std::string_view prefix);

  store::ReadStore& store_;
  KeyCache* cache_;
};

/// Checks an API key presented with a request that needs a key of kind `expected`: the cache
/// first, else the store (an active key found there is cached, see KeyCache::put_if).
/// Unauthenticated for a malformed, unknown or revoked key; Forbidden for a valid key of
/// another kind; store errors are passed on.
/// Threading: any thread, as long as `store` is this thread's own ReadStore; `cache` is shared.
[[nodiscard]] Result<CachedKey> authenticate_key(std::string_view secret, store::KeyKind expected,
                                                 KeyCache& cache, store::ReadStore& store);

}  // namespace cx::auth
