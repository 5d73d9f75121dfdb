#include "api/http_util.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cstdint>

#include "store/records.hpp"

namespace cx::api {

namespace json = boost::json;

unsigned status_of(const Error& e) noexcept {
  switch (e.code) {
    case ErrorCode::Unauthenticated:
      return 401;
    case ErrorCode::Forbidden:
      return 403;
    case ErrorCode::RateLimited:
      return 429;
    case ErrorCode::Unavailable:
      return 503;
    default:
      break;
  }
  switch (e.error_class()) {
    case ErrorClass::Malformed:
      return 400;
    case ErrorClass::Unauthorized:
      return 403;
    case ErrorClass::Rejected:
      return 422;
    case ErrorClass::NotFound:
      return 404;
    case ErrorClass::Conflict:
      return 409;
    case ErrorClass::RetryLater:
      return 503;
    case ErrorClass::Internal:
      return 500;
  }
  return 500;
}

net::Response error_response(const Error& e) {
  std::string_view code = to_string(e.code);
  if (e.error_class() == ErrorClass::Malformed && e.code != ErrorCode::InvalidArgument) {
    // Decimal parse errors keep their precise code (TOO_MANY_DECIMALS, ...).
    code = to_string(e.code);
  }
  return net::Response::error(status_of(e), code, e.message);
}

net::Response error_response(unsigned status, std::string_view code, std::string_view message) {
  return net::Response::error(status, code, message);
}

net::Response json_response(const json::value& v, unsigned status) {
  return net::Response::json(status, json::serialize(v));
}

Result<json::object> body_object(const net::Request& req) {
  if (req.body.empty()) return fail(ErrorCode::InvalidArgument, "a JSON object body is required");
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) return fail(ErrorCode::InvalidArgument, "the body is not valid JSON: " + ec.message());
  if (!v.is_object()) return fail(ErrorCode::InvalidArgument, "the body must be a JSON object");
  // cppcheck-suppress returnStdMoveLocal ; moves the object out of the value (no elision here)
  return std::move(v.as_object());
}

std::string_view mode_name(engine::Mode m) noexcept {
  return m == engine::Mode::Real ? "REAL" : "PAPER";
}

Result<engine::Mode> mode_of(const net::Request& req, const json::object* body) {
  std::optional<std::string> text;
  if (body != nullptr) {
    if (const json::value* v = body->if_contains("mode"); v && !v->is_null()) {
      if (!v->is_string()) return fail(ErrorCode::InvalidArgument, "mode must be a string");
      text = std::string(v->as_string());
    }
  }
  if (!text) {
    if (auto q = req.query_value("mode")) text = std::string(*q);
  }
  if (!text) return fail(ErrorCode::InvalidArgument, "mode is required: REAL or PAPER");
  if (*text == "REAL") return engine::Mode::Real;
  if (*text == "PAPER") return engine::Mode::Paper;
  return fail(ErrorCode::InvalidArgument, "mode must be REAL or PAPER, not \"" + *text + "\"");
}

Result<std::int64_t> int_param(const net::Request& req, std::string_view name,
                               std::int64_t fallback, std::int64_t lo, std::int64_t hi) {
  auto q = req.query_value(name);
  if (!q) return fallback;
  std::int64_t v = 0;
  const char* end = q->data() + q->size();
  auto [p, ec] = std::from_chars(q->data(), end, v);
  if (q->empty() || ec != std::errc{} || p != end || v < lo || v > hi) {
    return fail(ErrorCode::InvalidArgument, std::string(name) + " must be an integer from " +
                                                std::to_string(lo) + " to " + std::to_string(hi));
  }
  return v;
}

Result<TimeWindow> time_window(const net::Request& req) {
  TimeWindow w;
  auto limit = int_param(req, "limit", 500, 1, static_cast<std::int64_t>(store::kMaxPageSize));
  if (!limit) return std::unexpected(limit.error());
  auto from = int_param(req, "from", -1, 0, INT64_MAX);
  if (!from) return std::unexpected(from.error());
  auto to = int_param(req, "to", -1, 0, INT64_MAX);
  if (!to) return std::unexpected(to.error());
  return TimeWindow{*limit, *from, *to};
}

void set_next(boost::json::object& out, std::optional<std::uint64_t> next) {
  if (next) {
    out["next"] = *next;
  } else {
    out["next"] = nullptr;
  }
}

std::optional<std::string_view> cookie(const net::Request& req, std::string_view name) {
  auto h = req.header("cookie");
  if (!h) return std::nullopt;
  std::string_view s = *h;
  while (!s.empty()) {
    const auto semi = s.find(';');
    std::string_view part = s.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return part.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    s.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

std::string set_cookie(std::string_view name, std::string_view value, std::int64_t max_age_s,
                       bool secure) {
  std::string c(name);
  c += '=';
  c += value;
  c += "; Path=/; HttpOnly; SameSite=Strict; Max-Age=";
  c += std::to_string(max_age_s);
  if (secure) c += "; Secure";
  return c;
}

std::optional<std::string> string_field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

}  // namespace cx::api
