#pragma once
/// Request-target helpers: percent-decoding and query-string parsing. No allocation beyond the
/// decoded strings; malformed escapes are reported, never guessed.

#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.hpp"

namespace cx::net {

/// Decodes %XX escapes (and '+' as a space when `plus_is_space`, the query-string rule).
/// nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

/// Parses "a=1&b=x%20y&flag" into {{"a","1"},{"b","x y"},{"flag",""}}; empty pieces ("a=1&&b")
/// are skipped. False (with `out` partly filled) on a malformed escape.
bool parse_query(std::string_view query, Fields& out);

/// Splits a request target at the first '?': {path, query}. The query excludes the '?'.
std::pair<std::string_view, std::string_view> split_target(std::string_view target) noexcept;

}  // namespace cx::net
