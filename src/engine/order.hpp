#pragma once
/// An order as the book stores it: one 80-byte record in a pool, linked into its price level's
/// FIFO queue and into its trader's list by 32-bit slot indices.

#include <cstdint>

#include "core/ids.hpp"
#include "engine/types.hpp"

namespace cx::engine {

inline constexpr std::uint32_t kNil = 0xFFFFFFFFu;
/// `Order::level` while the order waits for its trigger (not in the book).
inline constexpr std::uint32_t kPendingTrigger = 0xFFFFFFFEu;

/// Order ids carry their pool slot and the slot's generation, so a lookup is one array access
/// and a stale id (an order that is gone, whose slot was reused) never finds the new order.
constexpr OrderId make_order_id(std::uint32_t slot, std::uint32_t gen) noexcept {
  return (static_cast<OrderId>(gen) << 32) | slot;
}
constexpr std::uint32_t slot_of(OrderId id) noexcept {
  return static_cast<std::uint32_t>(id);
}

struct Order {
  enum Flag : std::uint8_t {
    kPostOnly = 1,
    kReduceOnly = 2,
    kCidRegistered = 4,  ///< client_id is in the book's (trader, client id) index
    kInTraderList = 8,
    kInGttHeap = 16,
    kRisingTrigger = 128,  ///< pending trigger fires when the mark rises to it (else falls)
  };

  OrderId id = 0;
  Price price = 0;  ///< limit price, or the protection price of a market order
  Qty qty = 0;      ///< total quantity (amends change it)
  Qty remaining = 0;
  ClientOrderId client_id = 0;
  Timestamp expire_at = 0;  ///< GTT only
  TraderId trader = 0;
  MarketId market = 0;
  std::uint32_t prev = kNil;  ///< level queue links; hold the trigger price while pending
  std::uint32_t next = kNil;
  std::uint32_t trader_prev = kNil;
  std::uint32_t trader_next = kNil;
  std::uint32_t level = kNil;  ///< level slot, kNil when not on the book, or kPendingTrigger
  Side side = Side::Buy;
  OrderType type = OrderType::Limit;
  TimeInForce tif = TimeInForce::GTC;
  std::uint8_t bits = 0;  ///< Flag bits, with the self-trade mode in bits 5-6

  SelfTradePrevention stp() const noexcept {
    return static_cast<SelfTradePrevention>((bits >> 5) & 3);
  }
  void set_stp(SelfTradePrevention s) noexcept {
    bits = static_cast<std::uint8_t>((bits & 0x9Fu) | (static_cast<unsigned>(s) << 5));
  }
  bool has(Flag f) const noexcept { return (bits & f) != 0; }
  void set(Flag f, bool on) noexcept {
    bits = static_cast<std::uint8_t>(on ? (bits | f) : (bits & ~static_cast<unsigned>(f)));
  }
  /// Trigger price of a pending stop/take-profit order (stored in the unused queue links).
  Price trigger() const noexcept {
    return static_cast<Price>((static_cast<std::uint64_t>(prev) << 32) | next);
  }
  void set_trigger(Price p) noexcept {
    prev = static_cast<std::uint32_t>(static_cast<std::uint64_t>(p) >> 32);
    next = static_cast<std::uint32_t>(static_cast<std::uint64_t>(p));
  }
  bool on_book() const noexcept { return level < kPendingTrigger; }
  bool pending_trigger() const noexcept { return level == kPendingTrigger; }
  Qty filled() const noexcept { return qty - remaining; }
};
static_assert(sizeof(Order) == 80, "Order is one 80-byte record");

}  // namespace cx::engine
