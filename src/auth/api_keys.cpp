// API keys: format, issue, rotation, revocation and authentication.

#include "auth/api_keys.hpp"

#include <algorithm>

#include "auth/crypto.hpp"

namespace cx::auth {

namespace {

constexpr std::string_view kBase62 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kPrefixChars = 12;
constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kSecretChars = 43;
constexpr std::size_t kKeyChars = 3 + 2 + kPrefixChars + 1 + kSecretChars;  // 61

char letter_of(store::KeyKind k) noexcept {
  switch (k) {
    case store::KeyKind::UserAk:
      return 'u';
    case store::KeyKind::TraderAk:
      return 't';
    case store::KeyKind::ProviderAk:
      return 'p';
  }
  return '?';
}

std::optional<store::KeyKind> kind_of(char c) noexcept {
  switch (c) {
    case 'u':
      return store::KeyKind::UserAk;
    case 't':
      return store::KeyKind::TraderAk;
    case 'p':
      return store::KeyKind::ProviderAk;
    default:
      return std::nullopt;
  }
}

bool is_base62(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_b64url(char c) noexcept {
  return is_base62(c) || c == '-' || c == '_';
}

bool valid_label(std::string_view l) noexcept {
  return l.size() <= kMaxKeyLabel && std::none_of(l.begin(), l.end(), [](char c) {
           return static_cast<unsigned char>(c) < 0x20 || c == 0x7F;
         });
}

template <class T>
Result<T> pass_on(Error e) {
  return std::unexpected(std::move(e));
}

}  // namespace

IssuedKey make_api_key(store::KeyKind kind, std::string user_id, std::string label, Timestamp now) {
  std::string prefix;
  prefix += letter_of(kind);
  prefix += '_';
  for (std::size_t i = 0; i < kPrefixChars; ++i)
    prefix += kBase62[random_below(static_cast<std::uint32_t>(kBase62.size()))];
  IssuedKey k;
  k.secret = "cx_" + prefix + "_" + random_token(kSecretBytes);
  k.record.prefix = std::move(prefix);
  k.record.kind = kind;
  k.record.user_id = std::move(user_id);
  k.record.hash = sha256_hex(k.secret);
  k.record.label = std::move(label);
  k.record.created_at = now;
  return k;
}

std::optional<KeyName> parse_api_key(std::string_view s) {
  if (s.size() != kKeyChars || !s.starts_with("cx_") || s[4] != '_' || s[5 + kPrefixChars] != '_')
    return std::nullopt;
  const auto kind = kind_of(s[3]);
  const std::string_view id = s.substr(5, kPrefixChars);
  const std::string_view secret = s.substr(6 + kPrefixChars);
  if (!kind || !std::all_of(id.begin(), id.end(), is_base62) ||
      !std::all_of(secret.begin(), secret.end(), is_b64url))
    return std::nullopt;
  // 43 characters carry 258 bits: the last must leave its 2 spare bits zero (canonical).
  if (!base64url_decode(secret)) return std::nullopt;
  return KeyName{*kind, std::string(s.substr(3, 2 + kPrefixChars))};
}

KeyService::KeyService(store::ReadStore& store, KeyCache* cache) : store_(store), cache_(cache) {}

Result<std::optional<store::ApiKey>> KeyService::active_key(std::string_view user_id,
                                                            std::string_view prefix) {
  auto keys = store_.api_keys(user_id, std::nullopt);
  if (!keys) return pass_on<std::optional<store::ApiKey>>(std::move(keys.error()));
  for (store::ApiKey& k : *keys)
    if (k.prefix == prefix && k.active()) return std::optional<store::ApiKey>(std::move(k));
  return std::optional<store::ApiKey>{};
}

Result<IssuedKey> KeyService::create(std::string_view user_id, store::KeyKind kind,
                                     std::string_view label, Timestamp now) {
  if (!valid_label(label))
    return fail(ErrorCode::InvalidArgument,
                "key label must be at most 64 bytes without control characters");
  auto user = store_.user(user_id);
  if (!user) return pass_on<IssuedKey>(std::move(user.error()));
  if (!*user) return fail(ErrorCode::NotFound, "no such user");
  IssuedKey k = make_api_key(kind, std::string(user_id), std::string(label), now);
  auto created = store_.create_api_key(k.record);
  if (!created) return pass_on<IssuedKey>(std::move(created.error()));
  if (!*created) return fail(ErrorCode::Internal, "API key prefix or hash collision");
  return k;
}

Result<std::vector<store::ApiKey>> KeyService::list(std::string_view user_id,
                                                    std::optional<store::KeyKind> kind) {
  auto keys = store_.api_keys(user_id, kind);
  if (keys)
    for (store::ApiKey& k : *keys) k.hash.clear();
  return keys;
}

Result<IssuedKey> KeyService::rotate(std::string_view user_id, std::string_view prefix,
                                     Timestamp now) {
  auto old = active_key(user_id, prefix);
  if (!old) return pass_on<IssuedKey>(std::move(old.error()));
  if (!*old) return fail(ErrorCode::NotFound, "no such active API key");
  IssuedKey k = make_api_key((*old)->kind, std::string(user_id), (*old)->label, now);
  auto rotated = store_.rotate_api_key(user_id, prefix, k.record, now);
  if (!rotated) return pass_on<IssuedKey>(std::move(rotated.error()));
  if (!*rotated) return fail(ErrorCode::NotFound, "no such active API key");
  if (cache_) cache_->erase((*old)->hash);
  return k;
}

Result<void> KeyService::revoke(std::string_view user_id, std::string_view prefix, Timestamp now) {
  auto old = active_key(user_id, prefix);
  if (!old) return pass_on<void>(std::move(old.error()));
  if (!*old) return fail(ErrorCode::NotFound, "no such active API key");
  auto revoked = store_.revoke_api_key(user_id, prefix, now);
  if (!revoked) return pass_on<void>(std::move(revoked.error()));
  if (!*revoked) return fail(ErrorCode::NotFound, "no such active API key");
  if (cache_) cache_->erase((*old)->hash);
  return {};
}

Result<CachedKey> authenticate_key(std::string_view secret, store::KeyKind expected,
                                   KeyCache& cache, store::ReadStore& store) {
  if (!parse_api_key(secret)) return fail(ErrorCode::Unauthenticated, "malformed API key");
  std::string hash = sha256_hex(secret);
  const auto check_kind = [expected](CachedKey k) -> Result<CachedKey> {
    if (k.kind != expected)
      return fail(ErrorCode::Forbidden,
                  "this endpoint needs a " + std::string(store::to_string(expected)) + " key");
    return k;
  };
  if (auto hit = cache.get(hash)) return check_kind(std::move(*hit));
  const std::uint64_t seen = cache.epoch();
  auto found = store.api_key_by_hash(hash);
  if (!found) return pass_on<CachedKey>(std::move(found.error()));
  if (!*found || !(*found)->active())
    return fail(ErrorCode::Unauthenticated, "unknown or revoked API key");
  CachedKey k{(*found)->user_id, (*found)->kind, (*found)->prefix};
  cache.put_if(std::move(hash), k, seen);
  return check_kind(std::move(k));
}

}  // namespace cx::auth
