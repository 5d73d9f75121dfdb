#pragma once
/// The tiny JSON dialect of JWT headers and claims: one flat object whose values are strings,
/// integers or arrays of strings. Written by hand (no JSON library in this module) and parsed
/// strictly; fuzzed by tests/auth/auth_fuzz.cpp.
///
/// Threading: any thread (pure functions).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace cx::auth::json {

using Value = std::variant<std::string, std::int64_t, std::vector<std::string>>;
/// Members in document order; keys are unique.
using Object = std::vector<std::pair<std::string, Value>>;

/// `s` as a JSON string literal, quotes included: '"' and '\' escaped, control characters as
/// \u00XX (or \n, \t ...); every other byte copied as is.
[[nodiscard]] std::string quote(std::string_view s);

/// Appends `"key":value` (with a leading ',' unless `out` ends in '{').
void put(std::string& out, std::string_view key, std::string_view value);
void put(std::string& out, std::string_view key, std::int64_t value);
void put(std::string& out, std::string_view key, const std::vector<std::string>& value);

/// Parses one object. Accepts insignificant whitespace; strings with the JSON escapes
/// (\uXXXX surrogate pairs decoded to UTF-8, lone surrogates refused; raw bytes >= 0x80 copied);
/// integers in [-2^53, 2^53] without fraction, exponent or leading zeros; arrays of strings.
/// Refuses anything else: nested objects, other value types, duplicate keys, trailing bytes,
/// more than 64 members or 64 array elements, and input over 8 KiB.
[[nodiscard]] std::optional<Object> parse_object(std::string_view text);

/// The member named `key`, if present and holding a T.
template <class T>
const T* find(const Object& o, std::string_view key) noexcept {
  for (const auto& [k, v] : o)
    if (k == key) return std::get_if<T>(&v);
  return nullptr;
}

}  // namespace cx::auth::json
