#include "engine/asset.hpp"

namespace cx::engine {

std::optional<AssetId> asset_by_symbol(std::string_view symbol) noexcept {
  for (std::size_t i = 0; i < kAssets.size(); ++i)
    if (kAssets[i].symbol == symbol) return static_cast<AssetId>(i);
  return std::nullopt;
}

std::string_view to_string(Mode m) noexcept {
  return m == Mode::Real ? "REAL" : "PAPER";
}

std::optional<Mode> mode_from(std::string_view s) noexcept {
  if (s == "REAL") return Mode::Real;
  if (s == "PAPER") return Mode::Paper;
  return std::nullopt;
}

std::string_view to_string(MarketKind k) noexcept {
  switch (k) {
    case MarketKind::Spot:
      return "SPOT";
    case MarketKind::Perp:
      return "PERP";
    case MarketKind::Future:
      return "FUTURE";
    case MarketKind::Option:
      return "OPTION";
  }
  return "SPOT";
}

std::optional<MarketKind> market_kind_from(std::string_view s) noexcept {
  if (s == "SPOT") return MarketKind::Spot;
  if (s == "PERP") return MarketKind::Perp;
  if (s == "FUTURE") return MarketKind::Future;
  if (s == "OPTION") return MarketKind::Option;
  return std::nullopt;
}

std::string_view to_string(MarketStatus s) noexcept {
  switch (s) {
    case MarketStatus::Active:
      return "ACTIVE";
    case MarketStatus::Paused:
      return "PAUSED";
    case MarketStatus::Delisted:
      return "DELISTED";
    case MarketStatus::Settled:
      return "SETTLED";
  }
  return "ACTIVE";
}

}  // namespace cx::engine
