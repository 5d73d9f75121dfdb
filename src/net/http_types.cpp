#include "net/http_types.hpp"

#include <array>

namespace cx::net {

namespace {

constexpr std::array<std::pair<std::string_view, Method>, 7> kMethods{
    {{"GET", Method::Get},
     {"HEAD", Method::Head},
     {"POST", Method::Post},
     {"PUT", Method::Put},
     {"DELETE", Method::Delete},
     {"PATCH", Method::Patch},
     {"OPTIONS", Method::Options}}};

char lower(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::optional<std::string_view> find(const Fields& fields, std::string_view name,
                                     bool ignore_case) noexcept {
  for (const auto& [k, v] : fields) {
    if (ignore_case ? iequals(k, name) : k == name) return std::string_view(v);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(Method m) noexcept {
  for (const auto& [name, method] : kMethods) {
    if (method == m) return name;
  }
  return "OTHER";
}

Method method_from_string(std::string_view s) noexcept {
  for (const auto& [name, method] : kMethods) {
    if (name == s) return method;
  }
  return Method::Other;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> Request::header(std::string_view name) const noexcept {
  return find(headers, name, true);
}

std::optional<std::string_view> Request::query_value(std::string_view name) const noexcept {
  return find(query, name, false);
}

std::optional<std::string_view> Request::param(std::string_view name) const noexcept {
  return find(params, name, false);
}

Response Response::json(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::text(unsigned status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

Response Response::error(unsigned status, std::string_view code, std::string_view message) {
  std::string body;
  body.reserve(40 + code.size() + message.size());
  body += R"({"error":{"code":")";
  append_json_escaped(body, code);
  body += R"(","message":")";
  append_json_escaped(body, message);
  body += "\"}}";
  return json(status, std::move(body));
}

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
}

}  // namespace cx::net
