#pragma once
/// Small helpers the REST handlers share: JSON bodies in and out, errors with the right status,
/// query parameters, modes, and the session cookies.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "engine/asset.hpp"
#include "net/http_types.hpp"

namespace cx::api {

/// The HTTP status for an error: Malformed 400, Unauthenticated 401, Forbidden 403, NotFound
/// 404, Conflict 409, Rejected 422, RateLimited 429, Unavailable 503, Internal 500.
unsigned status_of(const Error& e) noexcept;
/// {"error":{"code","message"}} with status_of(e).
net::Response error_response(const Error& e);
/// {"error":{"code","message"}} with an explicit status and code.
net::Response error_response(unsigned status, std::string_view code, std::string_view message);
/// A 200 (or `status`) JSON response.
net::Response json_response(const boost::json::value& v, unsigned status = 200);

/// The body as a JSON object; Malformed when it is not one.
[[nodiscard]] Result<boost::json::object> body_object(const net::Request& req);
/// "REAL"/"PAPER" from the body's "mode" or the query's; Malformed when missing or unknown.
[[nodiscard]] Result<engine::Mode> mode_of(const net::Request& req,
                                           const boost::json::object* body = nullptr);
std::string_view mode_name(engine::Mode m) noexcept;
/// A query parameter as an integer in [lo, hi]; `fallback` when absent; Malformed otherwise.
[[nodiscard]] Result<std::int64_t> int_param(const net::Request& req, std::string_view name,
                                             std::int64_t fallback, std::int64_t lo,
                                             std::int64_t hi);
/// A time-range page of a series: `limit` (1..store::kMaxPageSize, default 500), `from` and `to`
/// (milliseconds; -1 when absent). The first bad one is its error.
struct TimeWindow {
  std::int64_t limit = 500;
  std::int64_t from = -1;
  std::int64_t to = -1;
};
[[nodiscard]] Result<TimeWindow> time_window(const net::Request& req);
/// Sets `out["next"]`: the cursor of the next page, or null on the last one.
void set_next(boost::json::object& out, std::optional<std::uint64_t> next);
/// The value of cookie `name` from the Cookie header.
std::optional<std::string_view> cookie(const net::Request& req, std::string_view name);
/// A Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Max-Age (0 deletes).
std::string set_cookie(std::string_view name, std::string_view value, std::int64_t max_age_s,
                       bool secure);
/// The string field `name` of `o`, or nullopt when absent or not a string.
std::optional<std::string> string_field(const boost::json::object& o, std::string_view name);

}  // namespace cx::api
