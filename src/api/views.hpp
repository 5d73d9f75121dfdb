#pragma once
/// JSON views of exchange state and read-store records for the REST API (docs/openapi.yaml).
/// Decimals are strings at the market's or asset's scale; ids are decimal strings.
/// Functions taking an Exchange run on the engine thread.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "api/engine_service.hpp"
#include "engine/exchange.hpp"
#include "net/http_types.hpp"
#include "store/records.hpp"

namespace cx::api {

/// The first `rejected` event of a command, as an HTTP error: its reason is the code; the status
/// follows its class (MALFORMED 400, NOT_FOUND 404, CONFLICT 409, otherwise 422).
std::optional<net::Response> rejection_response(const CommandResult& r);

boost::json::object order_record_json(const store::OrderRecord& o);
boost::json::object fill_record_json(const store::FillRecord& f);
boost::json::object income_record_json(const store::IncomeRecord& r);
boost::json::object trade_record_json(const store::TradeRecord& t);
boost::json::object kline_json(const store::Kline& k, int price_scale, int qty_scale,
                               int quote_scale);
boost::json::object points_json(const store::PointsEntry& p);

/// The order a placement created, from its events: {"order": {...}, "fills": [...],
/// "events": [...]}. For a batch: {"orders": [...], "events": [...]}. Takes r.events (the
/// answer is the last use of a command's result).
boost::json::object placement_result_json(CommandResult& r, const engine::Exchange& x);
/// An order named by a resubmitted client order id: the live order if it is live, else what is
/// known of it (id, market, client order id; its history is in the read store shortly).
boost::json::object live_or_known_order_json(const engine::Exchange& x, OrderId id, MarketId market,
                                             std::string_view cid, engine::Mode mode, Qty qty,
                                             Qty remaining, std::string_view closed);
/// {"orders": [...]} of a trader's live orders in a mode (one market if `market` is not empty).
boost::json::object open_orders_json(const engine::Exchange& x, std::string_view trader,
                                     engine::Mode mode, std::string_view market);
boost::json::object balances_json(const engine::Exchange& x, std::string_view trader,
                                  engine::Mode mode);
boost::json::object positions_json(const engine::Exchange& x, std::string_view trader,
                                   engine::Mode mode);
/// One market's description and live figures.
boost::json::object market_json(const engine::Exchange& x, const engine::Market& m);

}  // namespace cx::api
