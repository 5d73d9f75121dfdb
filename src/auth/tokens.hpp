#pragma once
/// Access tokens: JSON Web Tokens (RFC 7519) signed with HMAC-SHA-256 (HS256).
///
///   base64url({"alg":"HS256","typ":"JWT"}) . base64url(claims) . base64url(HMAC(secret, h.p))
///   claims: {"sub":"<user id>","roles":["admin",...],"iat":<s>,"exp":<s>}  (seconds, UTC)
///
/// Access tokens are not stored anywhere and cannot be revoked; they are short-lived (15 min by
/// default) and renewed with a refresh token (sessions.hpp).

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"

namespace cx::auth {

/// What a verified access token says.
struct AccessClaims {
  std::string user_id;             ///< "sub"
  std::vector<std::string> roles;  ///< "roles", as issued
  Timestamp issued_at = 0;         ///< "iat" x 1000 (ms, whole seconds)
  Timestamp expires_at = 0;        ///< "exp" x 1000 (ms, whole seconds)
};

/// Longest token verify() looks at; anything longer is refused unparsed.
inline constexpr std::size_t kMaxTokenSize = 8192;

/// Issues and verifies HS256 access tokens under one secret.
/// Threading: immutable after construction; issue() and verify() may be called from any thread
/// concurrently.
class TokenSigner {
 public:
  /// `secret`: at least 32 bytes (random, kept out of the repository); `ttl_ms` (>= 1000): how
  /// long a token lives. Throws std::invalid_argument otherwise (a start-up error).
  explicit TokenSigner(std::string secret, std::int64_t ttl_ms = 900000);

  /// A token for `user_id` with `roles`, issued at `now` (ms). iat = floor(now / 1000 s),
  /// exp = floor((now + ttl) / 1000 s).
  [[nodiscard]] std::string issue(std::string_view user_id, std::span<const std::string> roles,
                                  Timestamp now) const;

  /// The expiry (ms, a whole second) of a token issued at `now`.
  [[nodiscard]] Timestamp expiry_for(Timestamp now) const noexcept;

  /// Checks `token` at `now`. Unauthenticated (with a reason in the message, for logs, not for
  /// clients) for: a token over kMaxTokenSize, not three dot-separated parts, bad base64url, a
  /// header that is not exactly {"alg":"HS256"} plus an optional "typ":"JWT" (so "none" and
  /// every other algorithm are refused), a wrong signature (compared in constant time), claims
  /// without a non-empty string "sub", an array of strings "roles", integers "iat" and "exp",
  /// or a token that has expired (now >= exp). Claims other than these are ignored.
  [[nodiscard]] Result<AccessClaims> verify(std::string_view token, Timestamp now) const;

  std::int64_t ttl_ms() const noexcept { return ttl_ms_; }

 private:
  std::string secret_;
  std::int64_t ttl_ms_;
};

}  // namespace cx::auth
