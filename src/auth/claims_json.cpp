// A strict parser and writer for flat JSON objects (JWT headers and claims).

#include "auth/claims_json.hpp"

#include <cstddef>

namespace cx::auth::json {

namespace {

constexpr std::size_t kMaxInput = 8192;
constexpr std::size_t kMaxMembers = 64;
constexpr std::int64_t kMaxInt = std::int64_t{1} << 53;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::optional<Object> object() {
    Object out;
    ws();
    if (!eat('{')) return std::nullopt;
    ws();
    if (eat('}')) return finish(std::move(out));
    for (;;) {
      ws();
      auto key = string();
      if (!key) return std::nullopt;
      for (const auto& m : out)
        if (m.first == *key) return std::nullopt;  // duplicate key
      ws();
      if (!eat(':')) return std::nullopt;
      ws();
      auto v = value();
      if (!v) return std::nullopt;
      if (out.size() == kMaxMembers) return std::nullopt;
      out.emplace_back(std::move(*key), std::move(*v));
      ws();
      if (eat('}')) return finish(std::move(out));
      if (!eat(',')) return std::nullopt;
    }
  }

 private:
  std::optional<Object> finish(Object o) {
    ws();
    if (i_ != s_.size()) return std::nullopt;
    return o;
  }

  bool at_end() const noexcept { return i_ >= s_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : s_[i_]; }
  bool eat(char c) noexcept {
    if (at_end() || s_[i_] != c) return false;
    ++i_;
    return true;
  }
  void ws() noexcept {
    while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  std::optional<Value> value() {
    const char c = peek();
    if (c == '"') {
      auto s = string();
      if (!s) return std::nullopt;
      return Value{std::move(*s)};
    }
    if (c == '[') {
      auto a = array();
      if (!a) return std::nullopt;
      return Value{std::move(*a)};
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      auto n = integer();
      if (!n) return std::nullopt;
      return Value{*n};
    }
    return std::nullopt;
  }

  std::optional<std::vector<std::string>> array() {
    std::vector<std::string> out;
    if (!eat('[')) return std::nullopt;
    ws();
    if (eat(']')) return out;
    for (;;) {
      ws();
      auto s = string();
      if (!s || out.size() == kMaxMembers) return std::nullopt;
      out.push_back(std::move(*s));
      ws();
      if (eat(']')) return out;
      if (!eat(',')) return std::nullopt;
    }
  }

  std::optional<std::int64_t> integer() {
    const bool neg = eat('-');
    if (at_end() || peek() < '0' || peek() > '9') return std::nullopt;
    if (peek() == '0' && i_ + 1 < s_.size() && s_[i_ + 1] >= '0' && s_[i_ + 1] <= '9')
      return std::nullopt;  // leading zero
    std::int64_t v = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      v = v * 10 + (s_[i_++] - '0');
      if (v > kMaxInt) return std::nullopt;
    }
    const char c = peek();
    if (c == '.' || c == 'e' || c == 'E') return std::nullopt;
    return neg ? -v : v;
  }

  std::optional<unsigned> hex4() {
    if (s_.size() - i_ < 4) return std::nullopt;
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      unsigned d = 0;
      if (c >= '0' && c <= '9')
        d = static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        d = static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        d = static_cast<unsigned>(c - 'A' + 10);
      else
        return std::nullopt;
      v = v << 4 | d;
    }
    return v;
  }

  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | cp >> 6);
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | cp >> 12);
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | cp >> 18);
      out += static_cast<char>(0x80 | (cp >> 12 & 0x3F));
      out += static_cast<char>(0x80 | (cp >> 6 & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::optional<std::string> string() {
    if (!eat('"')) return std::nullopt;
    std::string out;
    for (;;) {
      if (at_end()) return std::nullopt;
      const char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_end()) return std::nullopt;
      switch (s_[i_++]) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          auto hi = hex4();
          if (!hi) return std::nullopt;
          unsigned cp = *hi;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return std::nullopt;  // lone low surrogate
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!eat('\\') || !eat('u')) return std::nullopt;
            auto lo = hex4();
            if (!lo || *lo < 0xDC00 || *lo > 0xDFFF) return std::nullopt;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (*lo - 0xDC00);
          }
          utf8(out, cp);
          break;
        }
        default:
          return std::nullopt;
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::string quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (const char c : s) {
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
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
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
  out += '"';
  return out;
}

namespace {
void open_member(std::string& out, std::string_view key) {
  if (!out.empty() && out.back() != '{') out += ',';
  out += quote(key);
  out += ':';
}
}  // namespace

void put(std::string& out, std::string_view key, std::string_view value) {
  open_member(out, key);
  out += quote(value);
}

void put(std::string& out, std::string_view key, std::int64_t value) {
  open_member(out, key);
  out += std::to_string(value);
}

void put(std::string& out, std::string_view key, const std::vector<std::string>& value) {
  open_member(out, key);
  out += '[';
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (i) out += ',';
    out += quote(value[i]);
  }
  out += ']';
}

std::optional<Object> parse_object(std::string_view text) {
  if (text.size() > kMaxInput) return std::nullopt;
  return Parser(text).object();
}

}  // namespace cx::auth::json
