// Login codes: issue (rate-limited), verify (attempt-limited, single use).

#include "auth/login_codes.hpp"

#include <algorithm>
#include <stdexcept>

#include "auth/crypto.hpp"

namespace cx::auth {

namespace {

constexpr std::uint32_t kCodeSpace = 1'000'000;

std::string six_digits(std::uint32_t v) {
  std::string s(6, '0');
  for (std::size_t i = 6; i-- > 0; v /= 10) s[i] = static_cast<char>('0' + v % 10);
  return s;
}

}  // namespace

LoginCodes::LoginCodes(const LoginCodeOptions& options)
    : opt_(options),
      key_(random_bytes(32)),
      per_email_(options.per_email_burst, options.per_email_refill_ms, options.max_limiter_keys),
      per_ip_(options.per_ip_burst, options.per_ip_refill_ms, options.max_limiter_keys) {
  if (opt_.ttl_ms < 1) throw std::invalid_argument("LoginCodes: ttl_ms must be at least 1");
  if (opt_.max_attempts < 1)
    throw std::invalid_argument("LoginCodes: max_attempts must be at least 1");
  if (opt_.max_codes < 1) throw std::invalid_argument("LoginCodes: max_codes must be at least 1");
}

std::string LoginCodes::mac_of(std::string_view email, std::string_view code) const {
  std::string msg;
  msg.reserve(email.size() + 1 + code.size());
  msg.append(email).append(1, '\0').append(code);
  return hmac_sha256(key_, msg);
}

void LoginCodes::make_room(Timestamp now) {
  // Expired codes go at most once per ttl, and whenever the table is full.
  if (now >= next_sweep_ || codes_.size() >= opt_.max_codes) {
    std::erase_if(codes_, [now](const auto& kv) { return now >= kv.second.expires_at; });
    next_sweep_ = now + opt_.ttl_ms;
  }
  if (codes_.size() < opt_.max_codes) return;
  // Still full of live codes: drop the one that would expire first.
  auto oldest = std::min_element(codes_.begin(), codes_.end(), [](const auto& a, const auto& b) {
    return a.second.expires_at < b.second.expires_at;
  });
  codes_.erase(oldest);
}

Result<std::string> LoginCodes::issue(std::string_view email, std::string_view ip, Timestamp now,
                                      std::int64_t* retry_after_ms) {
  if (email.empty()) return fail(ErrorCode::InvalidArgument, "email is required");
  if (auto wait = per_ip_.take(ip, now)) {
    if (retry_after_ms) *retry_after_ms = *wait;
    return fail(ErrorCode::RateLimited, "too many login codes requested from this address");
  }
  if (auto wait = per_email_.take(email, now)) {
    if (retry_after_ms) *retry_after_ms = *wait;
    return fail(ErrorCode::RateLimited, "too many login codes requested for this email");
  }
  std::string code = six_digits(random_below(kCodeSpace));
  Entry e{mac_of(email, code), now + opt_.ttl_ms, opt_.max_attempts};
  std::lock_guard lock(mu_);
  auto it = codes_.find(std::string(email));
  if (it != codes_.end()) {
    it->second = std::move(e);
  } else {
    make_room(now);
    codes_.emplace(std::string(email), std::move(e));
  }
  return code;
}

Result<void> LoginCodes::verify(std::string_view email, std::string_view code, Timestamp now) {
  const std::string mac = mac_of(email, code);
  std::lock_guard lock(mu_);
  auto it = codes_.find(std::string(email));
  if (it == codes_.end())
    return fail(ErrorCode::Unauthenticated, "no login code pending for this email");
  if (now >= it->second.expires_at) {
    codes_.erase(it);
    return fail(ErrorCode::Unauthenticated, "login code expired");
  }
  if (!constant_time_equal(mac, it->second.mac)) {
    if (--it->second.attempts_left <= 0) {
      codes_.erase(it);
      return fail(ErrorCode::Unauthenticated, "wrong login code; no attempts left");
    }
    return fail(ErrorCode::Unauthenticated, "wrong login code");
  }
  codes_.erase(it);
  return {};
}

std::size_t LoginCodes::size() const {
  std::lock_guard lock(mu_);
  return codes_.size();
}

}  // namespace cx::auth
