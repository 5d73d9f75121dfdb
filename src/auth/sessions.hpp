#pragma once
/// Login sessions: a short-lived access token (JWT, tokens.hpp) plus a long-lived refresh token.
///
/// A refresh token is random_token(32) (43 base64url characters); only its SHA-256 is stored,
/// as a store::Session. Each use rotates it: the old one is revoked and a new pair is returned.
/// Presenting a refresh token that was already rotated or revoked means two parties hold it —
/// the user and a thief — so every session of that user is revoked (both must log in again).

#include <cstdint>
#include <string>
#include <string_view>

#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/read_store.hpp"
#include "store/records.hpp"

namespace cx::auth {

struct TokenPair {
  std::string access;                ///< JWT for Authorization: Bearer
  std::string refresh;               ///< shown to the client once; stored only hashed
  Timestamp access_expires_at = 0;   ///< ms
  Timestamp refresh_expires_at = 0;  ///< ms
};

/// Starts, renews and ends sessions.
/// Threading: not thread-safe. Like the store::ReadStore it uses (one per thread), an instance
/// belongs to one thread at a time; the caller serialises its use. The signer must outlive it.
class SessionService {
 public:
  /// `refresh_ttl_ms`: lifetime of each refresh token from its issue; a rotation starts a new
  /// full lifetime (a sliding window). Both references must outlive the service. Throws
  /// std::invalid_argument if `refresh_ttl_ms` < 1.
  SessionService(store::ReadStore& store, const TokenSigner& signer,
                 std::int64_t refresh_ttl_ms = 30LL * 24 * 3600 * 1000);

  /// A new session for `user` (who has just proven who they are) at `now`. Store errors are
  /// passed on; Internal if the new token's hash is somehow taken.
  [[nodiscard]] Result<TokenPair> start(const store::User& user, Timestamp now);

  /// Rotates `refresh_token`: revokes it and returns a new pair (with the user's current
  /// roles). Unauthenticated for a malformed or unknown token, an expired session or a user
  /// that no longer exists; for a token that was already rotated or revoked, first revokes
  /// every active session of its user (theft), then Unauthenticated.
  [[nodiscard]] Result<TokenPair> refresh(std::string_view refresh_token, Timestamp now);

  /// Ends the session of `refresh_token`. Idempotent: an already revoked or expired session is
  /// fine (no theft alarm: a client may log out twice). Unauthenticated for a malformed or
  /// unknown token.
  [[nodiscard]] Result<void> logout(std::string_view refresh_token, Timestamp now);

 private:
  [[nodiscard]] Result<TokenPair> pair_for(const store::User& user, Timestamp now,
                                           store::Session& session) const;

  store::ReadStore& store_;
  const TokenSigner& signer_;
  std::int64_t refresh_ttl_ms_;
};

}  // namespace cx::auth
