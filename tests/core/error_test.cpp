#include "core/error.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace cx {
namespace {

struct CodeRow {
  ErrorCode code;
  std::string_view name;
  ErrorClass error_class;
};

// Every ErrorCode with the name clients match on. The names are public API: a change here
// is a breaking change. Appending a code means appending a row.
constexpr CodeRow kCodes[] = {
    {ErrorCode::InvalidNumber, "INVALID_NUMBER", ErrorClass::Malformed},
    {ErrorCode::TooManyDecimals, "TOO_MANY_DECIMALS", ErrorClass::Malformed},
    {ErrorCode::Overflow, "OVERFLOW", ErrorClass::Malformed},
    {ErrorCode::NegativeNotAllowed, "NEGATIVE_NOT_ALLOWED", ErrorClass::Malformed},
    {ErrorCode::EmptyValue, "EMPTY_VALUE", ErrorClass::Malformed},
    {ErrorCode::InvalidArgument, "INVALID_ARGUMENT", ErrorClass::Malformed},
    {ErrorCode::IoError, "IO_ERROR", ErrorClass::Internal},
    {ErrorCode::Corrupt, "CORRUPT", ErrorClass::Internal},
    {ErrorCode::Unauthenticated, "UNAUTHENTICATED", ErrorClass::Unauthorized},
    {ErrorCode::Forbidden, "FORBIDDEN", ErrorClass::Unauthorized},
    {ErrorCode::NotFound, "NOT_FOUND", ErrorClass::NotFound},
    {ErrorCode::Conflict, "CONFLICT", ErrorClass::Conflict},
    {ErrorCode::RateLimited, "RATE_LIMITED", ErrorClass::RetryLater},
    {ErrorCode::Unavailable, "UNAVAILABLE", ErrorClass::RetryLater},
    {ErrorCode::Rejected, "REJECTED", ErrorClass::Rejected},
    {ErrorCode::Internal, "INTERNAL", ErrorClass::Internal},
};

struct ClassRow {
  ErrorClass error_class;
  std::string_view name;
};

constexpr ClassRow kClasses[] = {
    {ErrorClass::Malformed, "MALFORMED"}, {ErrorClass::Unauthorized, "UNAUTHORIZED"},
    {ErrorClass::Rejected, "REJECTED"},   {ErrorClass::NotFound, "NOT_FOUND"},
    {ErrorClass::Conflict, "CONFLICT"},   {ErrorClass::RetryLater, "RETRY_LATER"},
    {ErrorClass::Internal, "INTERNAL"},
};

bool is_upper_snake(std::string_view s) {
  if (s.empty() || s.front() == '_' || s.back() == '_') return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

TEST(ErrorCodes, TableCoversEveryCodeInDeclarationOrder) {
  // The enum is append-only and dense from 0; the table must list each value once, in order.
  for (std::size_t i = 0; i < std::size(kCodes); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(kCodes[i].code), i) << kCodes[i].name;
  }
  // A value past the last known code is not a name anyone has registered: to_string falls back,
  // so a code appended without a row here shows up as this failure.
  const auto next = static_cast<ErrorCode>(std::size(kCodes));
  EXPECT_EQ(to_string(next), "INTERNAL") << "a new ErrorCode needs a row in kCodes";
}

TEST(ErrorCodes, EveryCodeHasItsStableName) {
  for (const CodeRow& row : kCodes) {
    EXPECT_FALSE(to_string(row.code).empty());
    EXPECT_EQ(to_string(row.code), row.name);
    EXPECT_TRUE(is_upper_snake(to_string(row.code))) << to_string(row.code);
  }
}

TEST(ErrorCodes, NamesAreDistinct) {
  std::set<std::string_view> seen;
  for (const CodeRow& row : kCodes) {
    EXPECT_TRUE(seen.insert(to_string(row.code)).second) << "duplicate " << to_string(row.code);
  }
}

TEST(ErrorCodes, EveryCodeHasItsStableClass) {
  for (const CodeRow& row : kCodes) {
    EXPECT_EQ(class_of(row.code), row.error_class) << row.name;
    EXPECT_FALSE(to_string(class_of(row.code)).empty()) << row.name;
  }
}

TEST(ErrorCodes, InvalidNumberIsMalformed) {
  EXPECT_EQ(to_string(ErrorCode::InvalidNumber), "INVALID_NUMBER");
  EXPECT_EQ(class_of(ErrorCode::InvalidNumber), ErrorClass::Malformed);
  EXPECT_EQ(to_string(class_of(ErrorCode::InvalidNumber)), "MALFORMED");
}

TEST(ErrorCodes, StorageFailuresAreInternal) {
  EXPECT_EQ(class_of(ErrorCode::IoError), ErrorClass::Internal);
  EXPECT_EQ(class_of(ErrorCode::Corrupt), ErrorClass::Internal);
}

TEST(ErrorClasses, EveryClassHasItsStableName) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < std::size(kClasses); ++i) {
    const ClassRow& row = kClasses[i];
    EXPECT_EQ(static_cast<std::size_t>(row.error_class), i) << row.name;
    EXPECT_EQ(to_string(row.error_class), row.name);
    EXPECT_TRUE(is_upper_snake(to_string(row.error_class))) << to_string(row.error_class);
    EXPECT_TRUE(seen.insert(to_string(row.error_class)).second) << row.name;
  }
}

TEST(ErrorClasses, UnknownValuesFallBackToInternal) {
  EXPECT_EQ(to_string(static_cast<ErrorClass>(200)), "INTERNAL");
  EXPECT_EQ(class_of(static_cast<ErrorCode>(60000)), ErrorClass::Internal);
  EXPECT_FALSE(to_string(static_cast<ErrorCode>(60000)).empty());
}

TEST(Error, FailCarriesCodeMessageAndClass) {
  const Result<int> r = fail(ErrorCode::Overflow, "too big");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::Overflow);
  EXPECT_EQ(r.error().message, "too big");
  EXPECT_EQ(r.error().error_class(), ErrorClass::Malformed);
}

TEST(Error, ErrorClassAgreesWithClassOf) {
  for (const CodeRow& row : kCodes) {
    const Error e{row.code, "m"};
    EXPECT_EQ(e.error_class(), class_of(row.code)) << row.name;
  }
}

}  // namespace
}  // namespace cx
