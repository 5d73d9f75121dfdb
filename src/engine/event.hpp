#pragma once
/// Events a book emits once it is consistent again (after liquibook: callbacks are queued while
/// the book changes and delivered after). One flat struct for every kind keeps the buffer a
/// plain vector that is reused between commands, so emitting allocates nothing after warm-up.

#include <cstdint>
#include <vector>

#include "core/ids.hpp"
#include "engine/asset.hpp"
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
  // Exchange-level events (the book never emits these; they come as ExEvent).
  TraderRegistered,  ///< trader: the new trader id (its PAPER grant follows as Deposited)
  MarketCreated,     ///< market: the new market id
  MarketStatus,      ///< market: count = the new MarketStatus
  Deposited,         ///< mode, trader, asset, amount
  Withdrawn,         ///< mode, trader, asset, amount
  PriceUpdated,      ///< market: price = mark, qty = index
  // Derivatives lifecycle (docs/margin.md). Amounts are USDC units; mode is set.
  Liquidation,         ///< trader, market (whose mark triggered it, or kNoMarket): amount =
                       ///< equity, notional = maintenance margin
  LiquidationPenalty,  ///< trader: amount moved from the trader to the insurance fund
  InsurancePaid,       ///< trader: amount the insurance fund paid towards the trader's deficit
  InsuranceShortfall,  ///< trader: amount beyond the fund, left as a negative fund balance
  AutoDeleveraged,     ///< trader (deleveraged) closed qty at price against maker_trader
                       ///< (liquidated); side = the deleveraged trader's side of that trade
  FundingSampled,      ///< market: amount = premium sample, ppm of the index
  FundingSettled,      ///< market: amount = rate (ppm), notional = rounding to the fund,
                       ///< count = samples
  FundingPaid,         ///< trader, market: amount = received (< 0: paid), qty = position,
                       ///< price = index
  MarketSettled,       ///< market: price = settlement price (TWAP of the index)
  SettlementPaid,      ///< trader, market: amount = cash (futures: realised PnL), qty = position
  SettlementHaircut,   ///< trader, market: amount taken from a settlement gain to cover losers'
                       ///< deficits beyond the insurance fund (to the fund, which pays them)
  ProfitRealized,      ///< trader, market: amount of unrealised profit turned into cash to cover
                       ///< a negative cash balance (the position's cost moves by it)
};

/// What the book says happened. 72 bytes, written whole, so emitting is a few stores.
struct Event {
  EventType type{};
  Side side{};
  Reason reason = Reason::None;
  std::uint8_t mode = 0;  ///< Mode of the market or account (set by the exchange)
  MarketId market = 0;
  TraderId trader = 0;        ///< the order's trader (the taker's, for a fill)
  TraderId maker_trader = 0;  ///< Fill
  std::uint32_t count = 0;    ///< Depth: orders at the level; MarketStatus: the new status
  std::uint32_t reserved = 0;
  OrderId order_id = 0;  ///< the order (the taker, for a fill)
  OrderId maker_id = 0;  ///< Fill
  Price price = 0;
  Qty qty = 0;
  Qty remaining = 0;        ///< the order's remaining quantity (see docs/matching.md, Events)
  Qty maker_remaining = 0;  ///< Fill
};
static_assert(sizeof(Event) == 72);

using EventBuffer = std::vector<Event>;

/// An event as the exchange reports it: the book's event plus what settlement added.
struct ExEvent : Event {
  ExEvent() = default;
  explicit ExEvent(const Event& e) : Event(e) {}
  AssetId asset = 0;  ///< Deposited / Withdrawn
  std::uint8_t reserved_bytes[3] = {};
  std::uint32_t cid_ref = 0;        ///< Exchange::client_order_id(ref): the order's client id text
  std::uint32_t maker_cid_ref = 0;  ///< the same for the maker of a fill
  std::uint32_t reserved2 = 0;
  Amount amount = 0;     ///< Deposited / Withdrawn
  Amount notional = 0;   ///< Fill: price x qty in quote units
  Amount maker_fee = 0;  ///< Fill: charged to the maker, quote units
  Amount taker_fee = 0;  ///< Fill: charged to the taker
};

static_assert(sizeof(ExEvent) == 120, "no implicit padding: events are compared as bytes");

using ExEventBuffer = std::vector<ExEvent>;

/// Appends a zeroed event and returns it. Copies a constant blank (plain vector stores) rather
/// than value-initialising in place, which g++ can turn into a slow `rep stos`.
template <class E>
inline E& push_event(std::vector<E>& out) {
  static const E kBlank{};
  out.push_back(kBlank);
  return out.back();
}

}  // namespace cx::engine
