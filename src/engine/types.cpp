#include "engine/types.hpp"
#include "engine/reason.hpp"

namespace cx::engine {

std::string_view to_string(Side s) noexcept {
  return s == Side::Buy ? "BUY" : "SELL";
}

std::string_view to_string(OrderType t) noexcept {
  return t == OrderType::Limit ? "LIMIT" : "MARKET";
}

std::string_view to_string(TimeInForce t) noexcept {
  switch (t) {
    case TimeInForce::GTC:
      return "GTC";
    case TimeInForce::IOC:
      return "IOC";
    case TimeInForce::FOK:
      return "FOK";
    case TimeInForce::GTT:
      return "GTT";
  }
  return "GTC";
}

std::string_view to_string(TriggerKind k) noexcept {
  switch (k) {
    case TriggerKind::None:
      return "NONE";
    case TriggerKind::Stop:
      return "STOP";
    case TriggerKind::TakeProfit:
      return "TAKE_PROFIT";
  }
  return "NONE";
}

std::string_view to_string(SelfTradePrevention s) noexcept {
  switch (s) {
    case SelfTradePrevention::None:
      return "NONE";
    case SelfTradePrevention::ExpireTaker:
      return "EXPIRE_TAKER";
    case SelfTradePrevention::ExpireMaker:
      return "EXPIRE_MAKER";
    case SelfTradePrevention::ExpireBoth:
      return "EXPIRE_BOTH";
  }
  return "NONE";
}

std::string_view to_string(Reason r) noexcept {
  switch (r) {
    case Reason::None:
      return "NONE";
    case Reason::InvalidQuantity:
      return "INVALID_QUANTITY";
    case Reason::QtyNotMultipleOfLot:
      return "QTY_NOT_MULTIPLE_OF_LOT";
    case Reason::QtyBelowMinimum:
      return "QTY_BELOW_MINIMUM";
    case Reason::InvalidPrice:
      return "INVALID_PRICE";
    case Reason::PriceNotMultipleOfTick:
      return "PRICE_NOT_MULTIPLE_OF_TICK";
    case Reason::InvalidTimeInForce:
      return "INVALID_TIME_IN_FORCE";
    case Reason::InvalidTrigger:
      return "INVALID_TRIGGER";
    case Reason::InvalidFlags:
      return "INVALID_FLAGS";
    case Reason::ExpireTimeInPast:
      return "EXPIRE_TIME_IN_PAST";
    case Reason::PostOnlyWouldTake:
      return "POST_ONLY_WOULD_TAKE";
    case Reason::WouldTriggerImmediately:
      return "WOULD_TRIGGER_IMMEDIATELY";
    case Reason::DuplicateClientOrderId:
      return "DUPLICATE_CLIENT_ORDER_ID";
    case Reason::OrderNotFound:
      return "ORDER_NOT_FOUND";
    case Reason::AmendQtyTooSmall:
      return "AMEND_QTY_TOO_SMALL";
    case Reason::NotAmendable:
      return "NOT_AMENDABLE";
    case Reason::Cancelled:
      return "CANCELLED";
    case Reason::CancelAll:
      return "CANCEL_ALL";
    case Reason::IocRemainder:
      return "IOC_REMAINDER";
    case Reason::FokUnfillable:
      return "FOK_UNFILLABLE";
    case Reason::MarketRemainder:
      return "MARKET_REMAINDER";
    case Reason::SelfTrade:
      return "SELF_TRADE";
    case Reason::GttExpired:
      return "GTT_EXPIRED";
    case Reason::MarketNotActive:
      return "MARKET_NOT_ACTIVE";
    case Reason::InsufficientBalance:
      return "INSUFFICIENT_BALANCE";
    case Reason::ReduceOnlyWouldIncrease:
      return "REDUCE_ONLY_WOULD_INCREASE";
    case Reason::UnknownMarket:
      return "UNKNOWN_MARKET";
    case Reason::UnknownAsset:
      return "UNKNOWN_ASSET";
    case Reason::UnknownTrader:
      return "UNKNOWN_TRADER";
    case Reason::DuplicateTrader:
      return "DUPLICATE_TRADER";
    case Reason::DuplicateMarket:
      return "DUPLICATE_MARKET";
    case Reason::InvalidMarketSpec:
      return "INVALID_MARKET_SPEC";
    case Reason::InvalidAmount:
      return "INVALID_AMOUNT";
    case Reason::NotionalTooLarge:
      return "NOTIONAL_TOO_LARGE";
    case Reason::NotInBatch:
      return "NOT_IN_BATCH";
    case Reason::SeqOutOfOrder:
      return "SEQ_OUT_OF_ORDER";
    case Reason::InsufficientMargin:
      return "INSUFFICIENT_MARGIN";
    case Reason::StaleOraclePrice:
      return "STALE_ORACLE_PRICE";
    case Reason::Liquidation:
      return "LIQUIDATION";
    case Reason::MarketSettled:
      return "MARKET_SETTLED";
    case Reason::NotExpired:
      return "NOT_EXPIRED";
    case Reason::WrongMarketKind:
      return "WRONG_MARKET_KIND";
    case Reason::MarginCall:
      return "MARGIN_CALL";
  }
  return "NONE";
}

ErrorClass class_of(Reason r) noexcept {
  switch (r) {
    case Reason::InvalidQuantity:
    case Reason::QtyNotMultipleOfLot:
    case Reason::QtyBelowMinimum:
    case Reason::InvalidPrice:
    case Reason::PriceNotMultipleOfTick:
    case Reason::InvalidTimeInForce:
    case Reason::InvalidTrigger:
    case Reason::InvalidFlags:
    case Reason::ExpireTimeInPast:
    case Reason::InvalidMarketSpec:
    case Reason::InvalidAmount:
    case Reason::NotInBatch:
    case Reason::WrongMarketKind:
      return ErrorClass::Malformed;
    case Reason::UnknownTrader:
    case Reason::OrderNotFound:
    case Reason::UnknownMarket:
    case Reason::UnknownAsset:
      return ErrorClass::NotFound;
    case Reason::DuplicateClientOrderId:
    case Reason::DuplicateTrader:
    case Reason::DuplicateMarket:
    case Reason::SeqOutOfOrder:
      return ErrorClass::Conflict;
    default:
      return ErrorClass::Rejected;
  }
}

}  // namespace cx::engine
