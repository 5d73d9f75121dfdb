#pragma once
/// Assets, modes and market vocabulary of the exchange.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace cx::engine {

/// REAL (on-chain value) and PAPER (simulated money) never mix: every balance, order, position,
/// market and statistic belongs to exactly one mode.
enum class Mode : std::uint8_t { Real, Paper };
inline constexpr std::size_t kModeCount = 2;

using AssetId = std::uint8_t;
/// The assets, in a fixed order (the order is part of the snapshot format).
enum : AssetId { kUSDC, kCXPT, kSBTC, kSETH, kSPEAQ, kSAVAX, kSSOL, kSBNB, kSNEAR, kSOP, kSDOT };
inline constexpr std::size_t kAssetCount = 11;

struct AssetInfo {
  std::string_view symbol;
  int scale;  ///< decimals of the smallest unit inside the exchange
};
/// USDC has 6 decimals as on chain; CXPT and synths keep 8 inside the exchange (their 18 on-chain
/// decimals are converted at the chain boundary with exact checks).
inline constexpr std::array<AssetInfo, kAssetCount> kAssets{{
    {"USDC", 6},
    {"CXPT", 8},
    {"sBTC", 8},
    {"sETH", 8},
    {"sPEAQ", 8},
    {"sAVAX", 8},
    {"sSOL", 8},
    {"sBNB", 8},
    {"sNEAR", 8},
    {"sOP", 8},
    {"sDOT", 8},
}};

std::optional<AssetId> asset_by_symbol(std::string_view symbol) noexcept;

enum class MarketKind : std::uint8_t { Spot, Perp, Future, Option };
enum class MarketStatus : std::uint8_t { Active, Paused, Delisted, Settled };

std::string_view to_string(Mode m) noexcept;
std::optional<Mode> mode_from(std::string_view s) noexcept;
std::string_view to_string(MarketKind k) noexcept;
std::optional<MarketKind> market_kind_from(std::string_view s) noexcept;
std::string_view to_string(MarketStatus s) noexcept;

/// Everything that defines a market. Prices are in units of 10^-price_scale of the quote asset,
/// quantities in units of 10^-qty_scale of the base (spot) or of one contract (derivatives).
struct MarketSpec {
  std::string symbol;
  Mode mode = Mode::Paper;
  MarketKind kind = MarketKind::Spot;
  AssetId base = kSBTC;    ///< spot only: the synth bought and sold
  AssetId quote = kUSDC;   ///< every market settles in USDC
  std::string underlying;  ///< e.g. "BTC" (derivatives; for spot the synth's name without 's')
  int price_scale = 2;
  int qty_scale = 4;
  Price tick = 1;
  Qty lot = 1;
  Qty min_qty = 1;
  std::int32_t maker_fee_bps = 0;
  std::int32_t taker_fee_bps = 0;
  Timestamp expiry = 0;                       ///< FUTURE and OPTION
  Price strike = 0;                           ///< OPTION, in price units
  bool is_call = true;                        ///< OPTION
  std::int32_t initial_margin_bps = 1000;     ///< derivatives: 10% = 10x
  std::int32_t maintenance_margin_bps = 500;  ///< derivatives
};

}  // namespace cx::engine
