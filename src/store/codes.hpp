#pragma once
/// Text codes of enums as the store keeps them (the engine's stable upper-case names), and
/// their parsing back. Internal to the store.

#include <optional>
#include <string_view>

#include "engine/asset.hpp"
#include "engine/reason.hpp"
#include "engine/types.hpp"
#include "store/records.hpp"

namespace cx::store::codes {

/// The enumerator of E, 0..last, whose to_string() is `s`.
template <class E>
std::optional<E> parse(std::string_view s, E last) noexcept {
  using U = std::underlying_type_t<E>;
  for (unsigned i = 0; i <= static_cast<unsigned>(last); ++i) {
    const auto e = static_cast<E>(static_cast<U>(i));
    if (to_string(e) == s) return e;
  }
  return std::nullopt;
}

inline Side side(std::string_view s) noexcept {
  return parse(s, Side::Sell).value_or(Side::Buy);
}
inline Mode mode(std::string_view s) noexcept {
  return engine::mode_from(s).value_or(Mode::Paper);
}

}  // namespace cx::store::codes
