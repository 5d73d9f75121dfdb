#pragma once
/// What a handler sees and returns: a parsed request and a response, free of Beast types so that
/// API code including this header compiles quickly. docs/http-server.md has the server's rules.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cx::net {

enum class Method : std::uint8_t { Get, Head, Post, Put, Delete, Patch, Options, Other };

std::string_view to_string(Method m) noexcept;
/// "GET" -> Method::Get; anything unknown -> Method::Other. Case-sensitive, as in HTTP.
Method method_from_string(std::string_view s) noexcept;

/// Name/value pairs in arrival order; names as received (lookups ignore case).
using Fields = std::vector<std::pair<std::string, std::string>>;

/// One HTTP request, fully read. The server builds it; tests may build one by hand.
struct Request {
  Method method = Method::Get;
  std::string target;  ///< as received, e.g. "/api/orders/7?mode=PAPER"
  std::string path;    ///< target up to '?', not decoded ("/api/orders/7")
  Fields headers;      ///< as received
  Fields query;        ///< decoded ('+' is a space, %XX a byte), in order
  Fields params;       ///< path parameters by pattern name, decoded (set by the router)
  std::string body;
  std::string request_id;      ///< the x-request-id the response will carry
  std::string remote_address;  ///< peer IP as text ("127.0.0.1"); empty when unknown
  bool keep_alive = true;      ///< what the client asked for (HTTP/1.1 default or Connection)

  /// First header with this name, case-insensitive.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
  /// First query value with this (case-sensitive) name.
  std::optional<std::string_view> query_value(std::string_view name) const noexcept;
  /// Path parameter `{name}` of the matched pattern.
  std::optional<std::string_view> param(std::string_view name) const noexcept;
};

/// A response. The server adds Content-Length, Connection and x-request-id.
struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  Fields headers;  ///< extra headers (e.g. Set-Cookie, Allow, Retry-After)

  static Response json(unsigned status, std::string body);
  static Response text(unsigned status, std::string body);
  /// `{"error":{"code":"<code>","message":"<message>"}}` with the given status (message escaped).
  static Response error(unsigned status, std::string_view code, std::string_view message);
};

/// Appends `s` to `out` as the inside of a JSON string (quotes, backslashes and control bytes
/// escaped; other bytes copied, so UTF-8 passes through).
void append_json_escaped(std::string& out, std::string_view s);

/// True when two header names are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace cx::net
