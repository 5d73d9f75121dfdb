// HttpClient: checking a ClientRequest and serializing its head, on the caller's thread.

#include "net/client_exchange.hpp"
#include "net/url.hpp"

namespace cx::net::detail {

namespace {

/// RFC 9110 token characters (header names, methods).
bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    const bool ok = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

/// No CR, LF or NUL (no header injection); other bytes pass.
bool is_field_value(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

/// Visible ASCII only, no spaces.
bool is_target(std::string_view s) noexcept {
  if (s.empty() || (s.front() != '/' && s != "*")) return false;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

bool contains_token_ci(std::string_view list, std::string_view token) noexcept {
  for (std::size_t i = 0; i + token.size() <= list.size(); ++i) {
    if (iequals(list.substr(i, token.size()), token)) return true;
  }
  return false;
}

}  // namespace

PreparedRequest prepare_request(ClientRequest&& r) {
  PreparedRequest p;
  p.timeout = r.timeout;
  p.stream_idle_timeout = r.stream_idle_timeout;
  auto invalid = [&p](std::string message) {
    p.invalid = ClientError{ClientErrc::InvalidRequest, true, false, std::move(message)};
    return std::move(p);
  };
  if (r.method == Method::Other) return invalid("unsupported method");

  std::string target;
  if (!r.url.empty()) {
    auto url = parse_http_url(r.url);
    if (!url) {
      std::string message = "bad URL '";
      message.append(r.url).append("' (expected http://host[:port]/path)");
      return invalid(std::move(message));
    }
    p.host = std::move(url->host);
    p.port = url->port;
    target = std::move(url->target);
  } else {
    std::string_view host = r.host;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);
    }
    p.host = std::string(host);
    p.port = r.port;
    target = r.target.empty() ? std::string("/") : std::move(r.target);
  }
  if (p.host.empty() || p.port == 0) return invalid("missing host or port");
  if (!is_field_value(p.host) || p.host.find_first_of(" /?#@") != std::string::npos) {
    return invalid("bad host");
  }
  if (!is_target(target)) return invalid("bad request target");

  const bool v6 = p.host.find(':') != std::string::npos;
  std::string authority;
  if (v6) {
    authority.append("[").append(p.host).append("]");
  } else {
    authority = p.host;
  }
  p.key = authority;
  p.key.append(":").append(std::to_string(p.port));
  if (p.port != 80) authority.append(":").append(std::to_string(p.port));

  const std::string_view method = to_string(r.method);
  p.head_method = r.method == Method::Head;
  std::size_t size = method.size() + target.size() + authority.size() + 64;
  for (const auto& [name, value] : r.headers) size += name.size() + value.size() + 4;
  p.head.reserve(size);
  p.head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& field : r.headers) has_host = has_host || iequals(field.first, "host");
  if (!has_host) p.head.append("Host: ").append(authority).append("\r\n");
  for (const auto& [name, value] : r.headers) {
    if (!is_token(name) || !is_field_value(value)) {
      std::string message = "bad header '";
      message.append(is_field_value(name) ? name : "?").append("'");
      return invalid(std::move(message));
    }
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    if (iequals(name, "connection") && contains_token_ci(value, "close")) p.close = true;
    p.head.append(name).append(": ").append(value).append("\r\n");
  }
  const bool body_expected =
      r.method == Method::Post || r.method == Method::Put || r.method == Method::Patch;
  if (!r.body.empty() || body_expected) {
    p.head.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  }
  p.head.append("\r\n");
  p.body = std::move(r.body);
  return p;
}

}  // namespace cx::net::detail
