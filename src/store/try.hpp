#pragma once
/// Early return on failure, for Result-heavy store code. Internal to the store's .cpp files.

#include <utility>

/// Evaluates expr (a Result<T>); on failure returns its error from the enclosing function,
/// else declares `var` holding the T.
#define CX_TRY(var, expr)                                                       \
  auto var##_result_ = (expr);                                                  \
  if (!var##_result_) return std::unexpected(std::move(var##_result_.error())); \
  auto var = std::move(*var##_result_)

/// Evaluates expr (a Result); returns its error from the enclosing function on failure.
#define CX_CHECK(expr)                                        \
  do {                                                        \
    if (auto cx_check_r_ = (expr); !cx_check_r_)              \
      return std::unexpected(std::move(cx_check_r_.error())); \
  } while (false)
