// Refresh-token sessions with rotation and reuse (theft) detection.

#include "auth/sessions.hpp"

#include <algorithm>
#include <stdexcept>

#include "auth/crypto.hpp"

namespace cx::auth {

namespace {

constexpr std::size_t kRefreshBytes = 32;
constexpr std::size_t kRefreshChars = 43;  // base64url of 32 bytes, unpadded

bool well_formed(std::string_view token) noexcept {
  return token.size() == kRefreshChars && std::all_of(token.begin(), token.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
         });
}

}  // namespace

SessionService::SessionService(store::ReadStore& store, const TokenSigner& signer,
                               std::int64_t refresh_ttl_ms)
    : store_(store), signer_(signer), refresh_ttl_ms_(refresh_ttl_ms) {
  if (refresh_ttl_ms < 1)
    throw std::invalid_argument("SessionService: refresh ttl must be at least 1 ms");
}

Result<TokenPair> SessionService::pair_for(const store::User& user, Timestamp now,
                                           store::Session& session) const {
  TokenPair p;
  p.refresh = random_token(kRefreshBytes);
  p.refresh_expires_at = now + refresh_ttl_ms_;
  p.access = signer_.issue(user.id, user.roles, now);
  p.access_expires_at = signer_.expiry_for(now);
  session = store::Session{sha256_hex(p.refresh), user.id, now, p.refresh_expires_at, {}};
  return p;
}

Result<TokenPair> SessionService::start(const store::User& user, Timestamp now) {
  store::Session s;
  auto pair = pair_for(user, now, s);
  if (!pair) return pair;
  auto created = store_.create_session(s);
  if (!created) return std::unexpected(std::move(created.error()));
  if (!*created) return fail(ErrorCode::Internal, "refresh token hash collision");
  return pair;
}

Result<TokenPair> SessionService::refresh(std::string_view refresh_token, Timestamp now) {
  if (!well_formed(refresh_token))
    return fail(ErrorCode::Unauthenticated, "malformed refresh token");
  const std::string hash = sha256_hex(refresh_token);
  auto found = store_.session(hash);
  if (!found) return std::unexpected(std::move(found.error()));
  if (!*found) return fail(ErrorCode::Unauthenticated, "unknown refresh token");
  const store::Session& old = **found;

  const auto theft = [&]() -> Result<TokenPair> {
    auto n = store_.revoke_sessions_of(old.user_id, now);
    if (!n) return std::unexpected(std::move(n.error()));
    return fail(ErrorCode::Unauthenticated,
                "refresh token reused: every session of the user was revoked");
  };
  if (old.revoked_at) return theft();
  if (now >= old.expires_at) return fail(ErrorCode::Unauthenticated, "refresh token expired");

  auto user = store_.user(old.user_id);
  if (!user) return std::unexpected(std::move(user.error()));
  if (!*user) {
    (void)store_.revoke_session(hash, now);
    return fail(ErrorCode::Unauthenticated, "the session's user no longer exists");
  }
  store::Session next;
  auto pair = pair_for(**user, now, next);
  if (!pair) return pair;
  auto rotated = store_.rotate_session(hash, next, now);
  if (!rotated) return std::unexpected(std::move(rotated.error()));
  // Active a moment ago: someone else rotated it in between (another server thread or node).
  if (!*rotated) return theft();
  return pair;
}

Result<void> SessionService::logout(std::string_view refresh_token, Timestamp now) {
  if (!well_formed(refresh_token))
    return fail(ErrorCode::Unauthenticated, "malformed refresh token");
  const std::string hash = sha256_hex(refresh_token);
  auto found = store_.session(hash);
  if (!found) return std::unexpected(std::move(found.error()));
  if (!*found) return fail(ErrorCode::Unauthenticated, "unknown refresh token");
  auto revoked = store_.revoke_session(hash, now);
  if (!revoked) return std::unexpected(std::move(revoked.error()));
  return {};
}

}  // namespace cx::auth
