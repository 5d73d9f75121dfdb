#include "core/error.hpp"

namespace cx {

std::string_view to_string(ErrorClass c) noexcept {
  switch (c) {
    case ErrorClass::Malformed:
      return "MALFORMED";
    case ErrorClass::Unauthorized:
      return "UNAUTHORIZED";
    case ErrorClass::Rejected:
      return "REJECTED";
    case ErrorClass::NotFound:
      return "NOT_FOUND";
    case ErrorClass::Conflict:
      return "CONFLICT";
    case ErrorClass::RetryLater:
      return "RETRY_LATER";
    case ErrorClass::Internal:
      return "INTERNAL";
  }
  return "INTERNAL";
}

std::string_view to_string(ErrorCode c) noexcept {
  switch (c) {
    case ErrorCode::InvalidNumber:
      return "INVALID_NUMBER";
    case ErrorCode::TooManyDecimals:
      return "TOO_MANY_DECIMALS";
    case ErrorCode::Overflow:
      return "OVERFLOW";
    case ErrorCode::NegativeNotAllowed:
      return "NEGATIVE_NOT_ALLOWED";
    case ErrorCode::EmptyValue:
      return "EMPTY_VALUE";
    case ErrorCode::InvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::IoError:
      return "IO_ERROR";
    case ErrorCode::Corrupt:
      return "CORRUPT";
    case ErrorCode::Unauthenticated:
      return "UNAUTHENTICATED";
    case ErrorCode::Forbidden:
      return "FORBIDDEN";
    case ErrorCode::NotFound:
      return "NOT_FOUND";
    case ErrorCode::Conflict:
      return "CONFLICT";
    case ErrorCode::RateLimited:
      return "RATE_LIMITED";
    case ErrorCode::Unavailable:
      return "UNAVAILABLE";
    case ErrorCode::Rejected:
      return "REJECTED";
    case ErrorCode::Internal:
      return "INTERNAL";
  }
  return "INTERNAL";
}

ErrorClass class_of(ErrorCode c) noexcept {
  switch (c) {
    case ErrorCode::InvalidNumber:
    case ErrorCode::TooManyDecimals:
    case ErrorCode::Overflow:
    case ErrorCode::NegativeNotAllowed:
    case ErrorCode::EmptyValue:
    case ErrorCode::InvalidArgument:
      return ErrorClass::Malformed;
    case ErrorCode::IoError:
    case ErrorCode::Corrupt:
    case ErrorCode::Internal:
      return ErrorClass::Internal;
    case ErrorCode::Unauthenticated:
    case ErrorCode::Forbidden:
      return ErrorClass::Unauthorized;
    case ErrorCode::NotFound:
      return ErrorClass::NotFound;
    case ErrorCode::Conflict:
      return ErrorClass::Conflict;
    case ErrorCode::RateLimited:
    case ErrorCode::Unavailable:
      return ErrorClass::RetryLater;
    case ErrorCode::Rejected:
      return ErrorClass::Rejected;
  }
  return ErrorClass::Internal;
}

}  // namespace cx
