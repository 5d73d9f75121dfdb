#pragma once
/// Errors are values: every fallible path returns `Result<T>` (std::expected<T, Error>).
/// An `Error` carries a stable code and a class; the class decides how a caller reacts
/// (the HTTP status, whether to retry), the code is what a client matches on.

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace cx {

/// How a caller should treat a failure (after rippled's malformed / failed / retry grouping).
enum class ErrorClass : std::uint8_t {
  Malformed,     ///< the request itself is invalid; resending it unchanged fails again
  Unauthorized,  ///< who is asking may not do this
  Rejected,      ///< well-formed, but refused by a rule or by risk against current state
  NotFound,      ///< the thing named does not exist (or is not visible to the caller)
  Conflict,      ///< clashes with existing state (duplicate id, wrong status)
  RetryLater,    ///< transient; the same request may succeed later
  Internal,      ///< a bug or an I/O failure on our side
};

std::string_view to_string(ErrorClass c) noexcept;

/// Stable error codes. Append only; the names are part of the public API.
enum class ErrorCode : std::uint16_t {
  // Malformed
  InvalidNumber,       ///< not a decimal number
  TooManyDecimals,     ///< more fractional digits than the scale allows
  Overflow,            ///< magnitude does not fit
  NegativeNotAllowed,  ///< a sign where the value must be positive
  EmptyValue,
  InvalidArgument,
  // Internal
  IoError,
  Corrupt,
  // Added for the server (append only)
  Unauthenticated,  ///< no credentials, or credentials that are wrong, expired or revoked (401)
  Forbidden,        ///< authenticated, but not allowed (403)
  NotFound,         ///< the thing named does not exist or is not visible to the caller
  Conflict,         ///< clashes with existing state
  RateLimited,      ///< too many requests; retry later (429)
  Unavailable,      ///< the service cannot take the request now (503)
  Rejected,         ///< refused by a rule against current state
  Internal,         ///< a bug or failure on our side
};

std::string_view to_string(ErrorCode c) noexcept;
ErrorClass class_of(ErrorCode c) noexcept;

struct Error {
  ErrorCode code;
  std::string message;

  ErrorClass error_class() const noexcept { return class_of(code); }
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace cx
