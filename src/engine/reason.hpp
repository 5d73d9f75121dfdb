#pragma once
/// Why an order was rejected, cancelled or expired. Stable codes: the strings are public API.

#include <cstdint>
#include <string_view>

#include "core/error.hpp"

namespace cx::engine {

enum class Reason : std::uint8_t {
  None,
  // Rejections, malformed (nothing changes)
  InvalidQuantity,         ///< quantity <= 0
  QtyNotMultipleOfLot,     ///< quantity is not a whole number of lots
  QtyBelowMinimum,         ///< quantity under the market's minimum size
  InvalidPrice,            ///< price <= 0 (limit price or market protection price)
  PriceNotMultipleOfTick,  ///< price or trigger is not a whole number of ticks
  InvalidTimeInForce,      ///< e.g. a MARKET order that is GTC or GTT
  InvalidTrigger,          ///< trigger price <= 0
  InvalidFlags,            ///< post-only with IOC/FOK/MARKET/trigger orders
  ExpireTimeInPast,        ///< GTT whose expire_at is not after the command's time
  // Rejections against state (nothing changes)
  PostOnlyWouldTake,        ///< a post-only order or amend would cross the book
  WouldTriggerImmediately,  ///< trigger already reached by the current mark price
  DuplicateClientOrderId,   ///< the trader has a live order with this client order id
  OrderNotFound,            ///< no live order with that id for that trader
  AmendQtyTooSmall,         ///< new total quantity not above what has already filled
  NotAmendable,             ///< only orders resting on the book can be amended
  // Why a live order (or its remainder) left the book
  Cancelled,        ///< cancelled by its trader
  CancelAll,        ///< removed by a cancel-all
  IocRemainder,     ///< the unfilled part of an IOC order
  FokUnfillable,    ///< a FOK order that could not fill completely
  MarketRemainder,  ///< a market order's rest: no liquidity within its protection price
  SelfTrade,        ///< removed by self-trade prevention
  GttExpired,       ///< a GTT order reached its expiry time
  // Added by the exchange layer (kept here so there is one code space)
  MarketNotActive,
  InsufficientBalance,
  ReduceOnlyWouldIncrease,
  UnknownMarket,
  UnknownAsset,
  UnknownTrader,
  DuplicateTrader,
  DuplicateMarket,
  InvalidMarketSpec,  ///< tick x lot not a whole quote unit, bad scales, fees, margins...
  InvalidAmount,      ///< deposit / withdrawal amount <= 0
  NotionalTooLarge,   ///< price x quantity does not fit
  NotInBatch,         ///< a batch may hold only place, amend and cancel commands
  SeqOutOfOrder,      ///< a command's sequence number is not the next one
  // Derivatives lifecycle (docs/margin.md)
  InsufficientMargin,  ///< a derivative order would take equity below initial margin
  StaleOraclePrice,    ///< the market's last price is older than the allowed age: no new risk
  Liquidation,         ///< order cancelled (or filled) by the liquidation of its trader
  MarketSettled,       ///< order cancelled because its market settled at expiry
  NotExpired,          ///< settlement asked for before the market's expiry
  WrongMarketKind,     ///< e.g. funding on a market that is not a perpetual
  MarginCall,          ///< orders cancelled: the trader's cash no longer covers their locks
};

std::string_view to_string(Reason r) noexcept;
/// Class of a rejection reason (Malformed, Rejected, NotFound, Conflict).
ErrorClass class_of(Reason r) noexcept;

}  // namespace cx::engine
