// HS256 JWT access tokens.

#include "auth/tokens.hpp"

#include <stdexcept>

#include "auth/claims_json.hpp"
#include "auth/crypto.hpp"

namespace cx::auth {

namespace {

constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";

/// floor(ms / 1000), also for times before the epoch.
std::int64_t to_seconds(Timestamp ms) noexcept {
  return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

Result<AccessClaims> refuse(const std::string& why) {
  return fail(ErrorCode::Unauthenticated, "invalid access token: " + why);
}

}  // namespace

TokenSigner::TokenSigner(std::string secret, std::int64_t ttl_ms)
    : secret_(std::move(secret)), ttl_ms_(ttl_ms) {
  if (secret_.size() < 32)
    throw std::invalid_argument("TokenSigner: the secret must be at least 32 bytes");
  if (ttl_ms < 1000) throw std::invalid_argument("TokenSigner: ttl must be at least 1 s");
}

Timestamp TokenSigner::expiry_for(Timestamp now) const noexcept {
  return to_seconds(now + ttl_ms_) * 1000;
}

std::string TokenSigner::issue(std::string_view user_id, std::span<const std::string> roles,
                               Timestamp now) const {
  std::string claims = "{";
  json::put(claims, "sub", user_id);
  json::put(claims, "roles", std::vector<std::string>(roles.begin(), roles.end()));
  json::put(claims, "iat", to_seconds(now));
  json::put(claims, "exp", to_seconds(now + ttl_ms_));
  claims += '}';
  std::string token = base64url_encode(kHeaderJson);
  token += '.';
  token += base64url_encode(claims);
  const std::string sig = hmac_sha256(secret_, token);
  token += '.';
  token += base64url_encode(sig);
  return token;
}

Result<AccessClaims> TokenSigner::verify(std::string_view token, Timestamp now) const {
  if (token.size() > kMaxTokenSize) return refuse("too long");
  const std::size_t d1 = token.find('.');
  const std::size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return refuse("not three parts");
  const auto header = base64url_decode(token.substr(0, d1));
  const auto payload = base64url_decode(token.substr(d1 + 1, d2 - d1 - 1));
  const auto sig = base64url_decode(token.substr(d2 + 1));
  if (!header || !payload || !sig) return refuse("bad base64url");

  // Header: only HS256, checked before anything else is trusted.
  const auto h = json::parse_object(*header);
  if (!h) return refuse("bad header");
  const std::string* alg = json::find<std::string>(*h, "alg");
  const std::string* typ = json::find<std::string>(*h, "typ");
  if (!alg || *alg != "HS256") return refuse("algorithm is not HS256");
  if (h->size() != (typ ? 2u : 1u) || (typ && *typ != "JWT")) return refuse("bad header");

  // Signature over the encoded header and payload, before the claims are parsed.
  const std::string expected = hmac_sha256(secret_, token.substr(0, d2));
  if (!constant_time_equal(*sig, expected)) return refuse("bad signature");

  const auto c = json::parse_object(*payload);
  if (!c) return refuse("bad claims");
  const std::string* sub = json::find<std::string>(*c, "sub");
  const auto* roles = json::find<std::vector<std::string>>(*c, "roles");
  const std::int64_t* iat = json::find<std::int64_t>(*c, "iat");
  const std::int64_t* exp = json::find<std::int64_t>(*c, "exp");
  if (!sub || sub->empty() || !roles || !iat || !exp) return refuse("missing claims");
  // |iat|, |exp| <= 2^53 s, so the products below cannot overflow.
  const Timestamp expires_at = *exp * 1000;
  if (now >= expires_at) return refuse("expired");
  return AccessClaims{*sub, *roles, *iat * 1000, expires_at};
}

}  // namespace cx::auth
