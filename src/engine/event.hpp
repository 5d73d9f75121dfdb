#pragma once
/// Events a book emits once it is consistent again (after liquibook: callbacks are queued while
/// the book changes and delivered after). One flat struct for every kind keeps the buffer a
/// plain vector that is reused between commands, so emitting allocates nothing after warm-up.

#include <cstdint>
#include <vector>

#include "core/ids.hpp"
#include "engine/reason.hpp"
#include "engine/types.hpp"

namespace cx::engine {

enum class EventType : std::uint8_t {
  Accepted,   ///< order entered: order_id, trader, client_id, side, price, qty
  Rejected,   ///< command refused, nothing changed: reason, trader, client_id, order_id (target)
  Fill,       ///< trade: taker in order_id/trader/client_id, maker in maker_*; side = taker side
  Cancelled,  ///< live order removed on request: reason, qty = the quantity removed
  Expired,    ///< order or remainder removed by a rule (IOC, FOK, market, STP, GTT): reason, qty
  Amended,    ///< resting order changed: price, qty = new total, remaining
  Triggered,  ///< stop/take-profit order released by a mark price: price = trigger price
  Depth,      ///< a price level's new state: side, price, qty = total (0: gone), count = orders
  // Exchange-level events (the book never emits these).
  TraderRegistered,  ///< trader: the new trader id (its PAPER grant follows as Deposited)
  MarketCreated,     ///< market: the new market id
  MarketStatus,      ///< market: count = the new MarketStatus
  Deposited,         ///< mode, trader, asset, amount
  Withdrawn,         ///< mode, trader, asset, amount
  PriceUpdated,      ///< market: price = mark, qty = index
};

struct Event {
  EventType type{};
  Side side{};
  Reason reason = Reason::None;
  MarketId market = 0;
  TraderId trader = 0;
  OrderId order_id = 0;
  ClientOrderId client_id = 0;
  Price price = 0;
  Qty qty = 0;
  Qty remaining = 0;  ///< the order's (taker's) remaining quantity after this event
  // Fill only: the resting side.
  OrderId maker_id = 0;
  ClientOrderId maker_client_id = 0;
  TraderId maker_trader = 0;
  std::uint32_t count = 0;  ///< Depth: orders at the level
  Qty maker_remaining = 0;
  // Set by the exchange.
  std::uint8_t mode = 0;   ///< Mode of the market / account
  std::uint8_t asset = 0;  ///< Deposited / Withdrawn
  std::uint32_t cid_ref = 0;        ///< Exchange::client_order_id(ref): the order's client id text
  std::uint32_t maker_cid_ref = 0;  ///< the same for the maker of a fill
  Amount amount = 0;       ///< Deposited / Withdrawn
  Amount maker_fee = 0;    ///< Fill: fee charged to the maker, in quote units
  Amount taker_fee = 0;    ///< Fill: fee charged to the taker
  Amount notional = 0;     ///< Fill: price x qty in quote units
};

using EventBuffer = std::vector<Event>;

/// Appends a zeroed event and returns it. Copies a constant blank (plain vector stores) rather
/// than value-initialising in place, which g++ turns into a slow `rep stos` for a struct this size.
inline Event& push_event(EventBuffer& out) {
  static constexpr Event kBlank{};
  out.push_back(kBlank);
  return out.back();
}

}  // namespace cx::engine
