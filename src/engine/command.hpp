#pragma once
/// Commands: the only way the exchange's state changes. Each carries the sequence number and
/// timestamp given to it when it was sequenced; the exchange never reads a clock.
/// Names (traders, markets) are resolved to ids before a command is built: a new trader is a
/// RegisterTrader command, a new market a CreateMarket command, so ids are assigned in log order.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/ids.hpp"
#include "engine/asset.hpp"
#include "engine/order_book.hpp"

namespace cx::engine {

struct RegisterTrader {
  std::string name;
};
struct CreateMarket {
  MarketSpec spec;
};
struct SetMarketStatus {
  MarketId market = 0;
  MarketStatus status = MarketStatus::Active;  ///< Active (resume), Paused or Delisted
};
struct Deposit {
  Mode mode = Mode::Paper;
  TraderId trader = 0;
  AssetId asset = kUSDC;
  Amount amount = 0;
};
struct Withdraw {
  Mode mode = Mode::Paper;
  TraderId trader = 0;
  AssetId asset = kUSDC;
  Amount amount = 0;
};
struct PlaceOrder {
  MarketId market = 0;
  NewOrder order;               ///< order.client_id is derived from client_order_id
  std::string client_order_id;  ///< optional; unique among the trader's live orders in the mode
};
struct AmendOrder {
  Mode mode = Mode::Paper;  ///< the order must belong to a market of this mode
  MarketId market = 0;      ///< used with client_order_id; ignored with an order id
  AmendRequest amend;
  std::string client_order_id;
};
struct CancelOrder {
  Mode mode = Mode::Paper;
  TraderId trader = 0;
  OrderId order_id = 0;  ///< or, when 0, client_order_id
  std::string client_order_id;
};
struct CancelAll {
  Mode mode = Mode::Paper;
  TraderId trader = 0;
  std::optional<MarketId> market;  ///< none: every market of the mode
};
struct PriceUpdate {
  MarketId market = 0;
  Price index = 0;  ///< oracle index of the underlying, in the market's price units
  Price mark = 0;   ///< mark price (stop and take-profit orders trigger on it); 0: the exchange
                    ///< derives it from the index and the book (docs/margin.md, "Mark price")
};
struct ClockTick {};
/// Perpetuals: sample the premium (mark vs index) now; a scheduler sends it every minute.
struct FundingSample {
  MarketId market = 0;
};
/// Perpetuals: pay funding for the samples since the last settlement; sent every hour.
struct FundingSettle {
  MarketId market = 0;
};
/// Futures and options at or after expiry: settle at the TWAP of the index (docs/margin.md).
struct SettleMarket {
  MarketId market = 0;
};

struct Command;
struct Batch {
  std::vector<Command> commands;  ///< places, amends and cancels, applied in order
};

using CommandBody = std::variant<RegisterTrader, CreateMarket, SetMarketStatus, Deposit, Withdraw,
                                 PlaceOrder, AmendOrder, CancelOrder, CancelAll, PriceUpdate,
                                 ClockTick, Batch, FundingSample, FundingSettle, SettleMarket>;

struct Command {
  SeqNo seq = 0;
  Timestamp ts = 0;
  CommandBody body;
};

}  // namespace cx::engine
