#pragma once
/// One-time email login codes: six digits, mailed to the user, valid for a short time and a
/// few attempts (docs/auth.md).
///
/// Only an HMAC of each code is kept, under a key drawn at random when the LoginCodes object is
/// made: codes do not survive a restart, and a memory dump does not reveal live codes.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/rate_limiter.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"

namespace cx::auth {

struct LoginCodeOptions {
  std::int64_t ttl_ms = 600000;              ///< a code expires this long after it was issued
  int max_attempts = 5;                      ///< wrong guesses that kill a code
  std::uint32_t per_email_burst = 3;         ///< codes an address may request at once ...
  std::int64_t per_email_refill_ms = 60000;  ///< ... and one more per this many ms
  std::uint32_t per_ip_burst = 20;           ///< codes one client IP may request at once ...
  std::int64_t per_ip_refill_ms = 30000;     ///< ... and one more per this many ms
  std::size_t max_codes = 100000;            ///< live codes kept (memory bound)
  std::size_t max_limiter_keys = 100000;     ///< buckets kept by each rate limiter
};

/// Issues and checks login codes.
/// Threading: every member function may be called from any thread concurrently.
class LoginCodes {
 public:
  /// Throws std::invalid_argument for nonsensical options (ttl or attempts below 1, or limits
  /// the RateLimiter refuses).
  explicit LoginCodes(const LoginCodeOptions& options = {});

  /// A fresh code for `email` (already normalised by the caller, see normalize_email) asked
  /// from client address `ip` at `now`: six decimal digits, uniform over 000000-999999. It
  /// replaces any earlier code of that address (whose attempts are forgotten with it).
  /// RateLimited, with *retry_after_ms (if given) set to the ms until a retry may succeed,
  /// when the per-IP or the per-email limit refuses; the per-IP limit is checked first, so a
  /// client blocked by its own limit does not use up the address's allowance.
  [[nodiscard]] Result<std::string> issue(std::string_view email, std::string_view ip,
                                          Timestamp now, std::int64_t* retry_after_ms = nullptr);

  /// Checks `code` for `email` at `now`. Success consumes the code (single use).
  /// Unauthenticated when there is no code for the address, when it has expired
  /// (now >= issued + ttl), or when `code` is wrong; a wrong code uses up one attempt and the
  /// max_attempts-th wrong one deletes the code, so a new one must be requested. The
  /// comparison is constant-time (of HMACs).
  [[nodiscard]] Result<void> verify(std::string_view email, std::string_view code, Timestamp now);

  /// Live codes kept (for tests and metrics).
  [[nodiscard]] std::size_t size() const;

 private:
  struct Entry {
    std::string mac;  ///< HMAC(key_, email '\0' code)
    Timestamp expires_at = 0;
    int attempts_left = 0;
  };
  std::string mac_of(std::string_view email, std::string_view code) const;
  void make_room(Timestamp now);  // requires mu_

  LoginCodeOptions opt_;
  std::string key_;  ///< per-process HMAC key
  RateLimiter per_email_;
  RateLimiter per_ip_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> codes_;
  Timestamp next_sweep_ = 0;
};

}  // namespace cx::auth
