#pragma once
/// Request-target helpers: percent-decoding and query-string parsing, and the http:// URLs of
/// HttpClient. No allocation beyond the results; malformed input is reported, never guessed.

#include <cstdint>
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

/// An http:// URL taken apart.
struct HttpUrl {
  std::string host;  ///< a name or an IP literal, IPv6 without its brackets
  std::uint16_t port = 80;
  std::string target;  ///< path and query, at least "/"; the fragment is dropped
};

/// Parses "http://host[:port][/path][?query][#fragment]" (scheme case-insensitive).
/// nullopt for another scheme, an empty host, userinfo ("user@host"), or a port that is not
/// 1..65535.
std::optional<HttpUrl> parse_http_url(std::string_view url);

}  // namespace cx::net
