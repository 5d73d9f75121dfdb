#pragma once
/// Small cryptographic helpers on OpenSSL: randomness, SHA-256, HMAC-SHA-256, base64url and a
/// constant-time comparison. Byte strings travel as std::string (any byte values).
///
/// Threading: every function may be called from any thread at any time.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cx::auth {

/// `n` bytes from OpenSSL's CSPRNG (RAND_bytes). Throws std::runtime_error only if the
/// generator fails (an unusable process: start-up or bug class, not a request error).
[[nodiscard]] std::string random_bytes(std::size_t n);

/// `bytes` random bytes as base64url without padding (ceil(4 * bytes / 3) characters).
[[nodiscard]] std::string random_token(std::size_t bytes);

/// A uniformly random integer in [0, bound) without modulo bias (rejection sampling).
/// `bound` must be at least 1. Throws like random_bytes.
[[nodiscard]] std::uint32_t random_below(std::uint32_t bound);

/// SHA-256 of `data` as 64 lowercase hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view data);

/// HMAC-SHA-256 of `data` under `key` (any length, empty allowed): 32 raw bytes.
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view data);

/// RFC 4648 section 5 encoding (alphabet A-Z a-z 0-9 - _), without '=' padding.
[[nodiscard]] std::string base64url_encode(std::string_view data);

/// Strict inverse of base64url_encode: nullopt for padding, any character outside the
/// alphabet, a length of 1 modulo 4, or non-zero unused bits in the last character (so every
/// byte string has exactly one accepted encoding).
[[nodiscard]] std::optional<std::string> base64url_decode(std::string_view text);

/// True when `a` and `b` are equal. Takes the same time for every pair of equal-length inputs
/// (the lengths themselves are not treated as secret).
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace cx::auth
