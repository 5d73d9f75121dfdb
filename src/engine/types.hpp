#pragma once
/// Order vocabulary shared by the book, the exchange and their events.

#include <cstdint>
#include <string_view>

#include "core/ids.hpp"

namespace cx::engine {

enum class Side : std::uint8_t { Buy, Sell };
constexpr Side opposite(Side s) noexcept {
  return s == Side::Buy ? Side::Sell : Side::Buy;
}

/// LIMIT rests at its price; MARKET never rests and never fills beyond its protection price.
enum class OrderType : std::uint8_t { Limit, Market };

/// GTC rests until cancelled; IOC fills what it can now; FOK fills completely now or not at all;
/// GTT rests until `expire_at` (a time from the command stream, never the wall clock).
enum class TimeInForce : std::uint8_t { GTC, IOC, FOK, GTT };

/// Held outside the book until the mark price reaches the trigger. STOP fires when the price
/// moves against the holder (buy: rises to the trigger; sell: falls to it); TAKE_PROFIT fires
/// when it moves in favour (buy: falls to it; sell: rises to it).
enum class TriggerKind : std::uint8_t { None, Stop, TakeProfit };

/// Self-trade prevention, decided by the taker's setting when it meets its own resting order.
enum class SelfTradePrevention : std::uint8_t { None, ExpireTaker, ExpireMaker, ExpireBoth };

std::string_view to_string(Side s) noexcept;
std::string_view to_string(OrderType t) noexcept;
std::string_view to_string(TimeInForce t) noexcept;
std::string_view to_string(TriggerKind k) noexcept;
std::string_view to_string(SelfTradePrevention s) noexcept;

}  // namespace cx::engine
