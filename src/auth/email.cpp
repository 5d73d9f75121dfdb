// Email address normalisation and shape check.

#include "auth/email.hpp"

#include <algorithm>
#include <cstring>

namespace cx::auth {

namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool is_local_char(char c) noexcept {
  return is_alnum(c) || (c != '\0' && std::strchr("!#$%&'*+/=?^_`{|}~.-", c) != nullptr);
}

bool valid_local(std::string_view s) noexcept {
  if (s.empty() || s.size() > 64 || s.front() == '.' || s.back() == '.') return false;
  if (s.find("..") != std::string_view::npos) return false;
  return std::all_of(s.begin(), s.end(), is_local_char);
}

bool valid_label(std::string_view l) noexcept {
  return !l.empty() && l.size() <= 63 && l.front() != '-' && l.back() != '-' &&
         std::all_of(l.begin(), l.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

bool valid_domain(std::string_view d) noexcept {
  std::size_t labels = 0;
  std::string_view last;
  for (;;) {
    const std::size_t dot = d.find('.');
    const std::string_view label = d.substr(0, dot);
    if (!valid_label(label)) return false;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    d.remove_prefix(dot + 1);
  }
  const bool numeric_tld =
      std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; });
  return labels >= 2 && !numeric_tld;
}

}  // namespace

std::optional<std::string> normalize_email(std::string_view input) {
  while (!input.empty() && is_space(input.front())) input.remove_prefix(1);
  while (!input.empty() && is_space(input.back())) input.remove_suffix(1);
  if (input.empty() || input.size() > 254) return std::nullopt;
  std::string s;
  s.reserve(input.size());
  for (const char c : input) {
    if (c <= ' ' || c > '~') return std::nullopt;  // controls, space, DEL and non-ASCII
    s += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::size_t at = s.find('@');
  if (at == std::string::npos || s.find('@', at + 1) != std::string::npos) return std::nullopt;
  const std::string_view view(s);
  if (!valid_local(view.substr(0, at)) || !valid_domain(view.substr(at + 1))) return std::nullopt;
  return s;
}

}  // namespace cx::auth
