// Trading routes: orders (place, batch, list, get, cancel, cancel-all, amend), balances,
// positions, trade history, PAPER points. Every call names its mode.
#include <boost/json/serialize.hpp>
#include <charconv>
#include <functional>
#include <optional>

#include "api/api.hpp"
#include "api/http_util.hpp"
#include "api/views.hpp"
#include "core/decimal.hpp"

namespace cx::api {

namespace json = boost::json;
using engine::EventType;

namespace {

/// Fields of a placement the client may send; everything else is ignored (never "trader").
constexpr std::string_view kOrderFields[] = {
    "mode",         "market",   "side",         "type",     "price",      "qty",
    "timeInForce",  "expireAt", "triggerPrice", "postOnly", "reduceOnly", "selfTradePrevention",
    "clientOrderId"};

/// The placement command of a request body; takes the fields out of `body`.
json::object placement(json::object& body, const std::string& trader) {
  json::object o(body.storage());
  o.reserve(std::size(kOrderFields) + 2);
  for (std::string_view f : kOrderFields) {
    if (json::value* v = body.if_contains(f)) o[f] = std::move(*v);
  }
  o["cmd"] = "placeOrder";
  o["trader"] = trader;
  return o;
}

}  // namespace

void Api::add_trading_routes(net::Router& r) {
  // ---- place (and the legacy alias) ----
  auto place = [this](const net::Request& req, net::Reply reply) {
    auto who = authenticate(req, true);
    if (!who) return reply(error_response(who.error()));
    if (auto l = limited(req, who->user_id)) return reply(std::move(*l));
    auto body = body_object(req);
    if (!body) return reply(error_response(body.error()));
    auto mode = mode_of(req, &*body);
    if (!mode) return reply(error_response(mode.error()));
    const std::string cid = string_field(*body, "clientOrderId").value_or("");
    json::object cmd = placement(*body, who->user_id);
    // A client order id that was already used returns the original order: first from the read
    // store (orders it holds), then, on the engine thread, from orders not yet projected.
    if (!cid.empty()) {
      auto prior =
          with_store([&](store::ReadStore& st) -> Result<std::optional<store::OrderRecord>> {
            auto tid = trader_id_of(st, who->user_id);
            if (!tid) return std::unexpected(tid.error());
            if (!*tid) return std::optional<store::OrderRecord>{};
            return st.order_by_client_id(**tid, *mode, cid);
          });
      if (prior && *prior) {
        json::object out{{"duplicate", true}, {"order", order_record_json(**prior)}};
        return reply(json_response(out));
      }
    }
    EngineService::Guard guard;
    if (!cid.empty()) {
      guard = [this, user = who->user_id, m = *mode,
               cid](const engine::Exchange& x) -> std::optional<CommandResult> {
        const auto tid = x.trader_id(user);
        if (!tid) return std::nullopt;
        auto it = recent_cids_.find(cid_key(*tid, m, cid));
        if (it == recent_cids_.end()) return std::nullopt;
        CommandResult res;
        res.duplicate_of = it->second.order_id;
        const RecentOrder& ro = it->second;
        res.note = json::serialize(live_or_known_order_json(x, ro.order_id, ro.market, cid, m,
                                                            ro.qty, ro.remaining, ro.closed));
        return res;
      };
    }
    submit(
        std::move(cmd), reply,
        [](CommandResult& res, const engine::Exchange& x) {
          if (res.duplicate_of) {
            return net::Response::json(200, R"({"duplicate":true,"order":)" + res.note + "}");
          }
          if (auto bad = rejection_response(res)) return std::move(*bad);
          return json_response(placement_result_json(res, x), 201);
        },
        std::move(guard));
  };
  r.add_async(net::Method::Post, "/api/orders", place);
  r.add_async(net::Method::Post, "/api/v1/trade", place);

  // ---- batch: {"mode", "orders":[...], "cancels":[{"orderId"}|{"clientOrderId"}]} ----
  r.add_async(
      net::Method::Post, "/api/orders/batch", [this](const net::Request& req, net::Reply reply) {
        auto who = authenticate(req, true);
        if (!who) return reply(error_response(who.error()));
        if (auto l = limited(req, who->user_id)) return reply(std::move(*l));
        auto body = body_object(req);
        if (!body) return reply(error_response(body.error()));
        auto mode = mode_of(req, &*body);
        if (!mode) return reply(error_response(mode.error()));
        json::array commands;
        if (const json::value* cs = body->if_contains("cancels")) {
          if (!cs->is_array())
            return reply(error_response(400, "INVALID_ARGUMENT", "cancels must be an array"));
          for (const json::value& c : cs->as_array()) {
            if (!c.is_object())
              return reply(error_response(400, "INVALID_ARGUMENT", "each cancel is an object"));
            json::object o;
            for (std::string_view f : {"orderId", "clientOrderId"}) {
              if (const json::value* v = c.as_object().if_contains(f)) o[f] = *v;
            }
            o["cmd"] = "cancelOrder";
            commands.push_back(std::move(o));
          }
        }
        if (json::value* os = body->if_contains("orders")) {
          if (!os->is_array())
            return reply(error_response(400, "INVALID_ARGUMENT", "orders must be an array"));
          for (json::value& o : os->as_array()) {
            if (!o.is_object())
              return reply(error_response(400, "INVALID_ARGUMENT", "each order is an object"));
            json::object p = placement(o.as_object(), who->user_id);
            p.erase("trader");
            commands.push_back(std::move(p));
          }
        }
        if (commands.empty() || commands.size() > 100) {
          return reply(
              error_response(400, "INVALID_ARGUMENT", "a batch holds 1 to 100 orders and cancels"));
        }
        json::object cmd{{"cmd", "batch"},
                         {"mode", mode_name(*mode)},
                         {"trader", who->user_id},
                         {"commands", std::move(commands)}};
        submit(std::move(cmd), reply, [](CommandResult& res, const engine::Exchange& x) {
          if (auto bad = rejection_response(res)) return std::move(*bad);
          return json_response(placement_result_json(res, x), 201);
        });
      });

  // ---- cancel one ----
  r.add_async(net::Method::Delete, "/api/orders/{orderId}",
              [this](const net::Request& req, net::Reply reply) {
                auto who = authenticate(req, true);
                if (!who) return reply(error_response(who.error()));
                if (auto l = limited(req, who->user_id)) return reply(std::move(*l));
                auto mode = mode_of(req);
                if (!mode) return reply(error_response(mode.error()));
                json::object cmd{{"cmd", "cancelOrder"},
                                 {"mode", mode_name(*mode)},
                                 {"trader", who->user_id},
                                 {"orderId", std::string(*req.param("orderId"))}};
                submit(std::move(cmd), reply,
                       [](CommandResult& res, const engine::Exchange&) {
                         if (auto bad = rejection_response(res)) return std::move(*bad);
                         json::array cancelled;
                         for (const json::value& v : res.events) {
                           if (v.as_object().at("event").as_string() == "cancelled")
                             cancelled.push_back(v);
                         }
                         return json_response(json::object{{"cancelled", std::move(cancelled)}});
                       });
              });

  // ---- cancel all (optionally one market) ----
  r.add_async(
      net::Method::Delete, "/api/orders", [this](const net::Request& req, net::Reply reply) {
        auto who = authenticate(req, true);
        if (!who) return reply(error_response(who.error()));
        if (auto l = limited(req, who->user_id)) return reply(std::move(*l));
        auto mode = mode_of(req);
        if (!mode) return reply(error_response(mode.error()));
        json::object cmd{
            {"cmd", "cancelAll"}, {"mode", mode_name(*mode)}, {"trader", who->user_id}};
        if (auto m = req.query_value("market")) cmd["market"] = *m;
        submit(std::move(cmd), reply, [](CommandResult& res, const engine::Exchange&) {
          if (auto bad = rejection_response(res)) return std::move(*bad);
          json::array cancelled;
          for (const json::value& v : res.events) {
            if (v.as_object().at("event").as_string() == "cancelled") cancelled.push_back(v);
          }
          const std::size_t n = cancelled.size();
          return json_response(json::object{{"count", n}, {"cancelled", std::move(cancelled)}});
        });
      });

  // ---- amend: {"mode", "price"?, "qty"?} ----
  auto amend = [this](const net::Request& req, net::Reply reply) {
    auto who = authenticate(req, true);
    if (!who) return reply(error_response(who.error()));
    if (auto l = limited(req, who->user_id)) return reply(std::move(*l));
    auto body = body_object(req);
    if (!body) return reply(error_response(body.error()));
    auto mode = mode_of(req, &*body);
    if (!mode) return reply(error_response(mode.error()));
    json::object cmd{{"cmd", "amendOrder"},
                     {"mode", mode_name(*mode)},
                     {"trader", who->user_id},
                     {"orderId", std::string(*req.param("orderId"))}};
    for (std::string_view f : {"price", "qty"}) {
      if (const json::value* v = body->if_contains(f); v && !v->is_null()) cmd[f] = *v;
    }
    if (!cmd.contains("price") && !cmd.contains("qty")) {
      return reply(
          error_response(400, "INVALID_ARGUMENT", "an amend names a price, a qty or both"));
    }
    submit(std::move(cmd), reply, [](CommandResult& res, const engine::Exchange&) {
      if (auto bad = rejection_response(res)) return std::move(*bad);
      json::array amended;
      for (const json::value& v : res.events) {
        const auto& kind = v.as_object().at("event").as_string();
        if (kind == "amended" || kind == "fill") amended.push_back(v);
      }
      return json_response(json::object{{"events", std::move(amended)}});
    });
  };
  r.add_async(net::Method::Patch, "/api/orders/{orderId}", amend);
  r.add_async(net::Method::Post, "/api/orders/{orderId}/amend", amend);

  // ---- one order (own orders only; another's is 404) ----
  r.add_async(net::Method::Get, "/api/orders/{orderId}",
              on_readers([this](const net::Request& req, net::Reply reply) {
                auto who = authenticate(req, true);
                if (!who) return reply(error_response(who.error()));
                if (auto l = limited(req, who->user_id)) return reply(std::move(*l));
                std::uint64_t id = 0;
                const std::string_view text = *req.param("orderId");
                const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
                if (ec != std::errc{} || p != text.data() + text.size()) {
                  return reply(
                      error_response(400, "INVALID_ARGUMENT", "orderId must be a decimal integer"));
                }
                read_your_writes();
                auto found = with_store([&](store::ReadStore& st) -> Result<json::object> {
                  auto o = st.order(id);
                  if (!o) return std::unexpected(o.error());
                  auto tid = trader_id_of(st, who->user_id);
                  if (!tid) return std::unexpected(tid.error());
                  if (!*o || !*tid || (*o)->trader != **tid) {
                    return fail(ErrorCode::NotFound, "no order " + std::string(text));
                  }
                  return order_record_json(**o);
                });
                if (!found) return reply(error_response(found.error()));
                reply(json_response(*found));
              }));

  // ---- balances and positions (live, from the engine) ----
  r.add_async(net::Method::Get, "/api/balances", [this](const net::Request& req, net::Reply reply) {
    auto who = authenticate(req, true);
    if (!who) return reply(error_response(who.error()));
    auto mode = mode_of(req);
    if (!mode) return reply(error_response(mode.error()));
    const bool queued =
        engine_.query([reply, user = who->user_id, m = *mode](const engine::Exchange& x) {
          reply(json_response(balances_json(x, user, m)));
        });
    if (!queued) reply(error_response(503, "UNAVAILABLE", "the engine is busy or stopping"));
  });
  r.add_async(
      net::Method::Get, "/api/positions", [this](const net::Request& req, net::Reply reply) {
        auto who = authenticate(req, true);
        if (!who) return reply(error_response(who.error()));
        auto mode = mode_of(req);
        if (!mode) return reply(error_response(mode.error()));
        const bool queued =
            engine_.query([reply, user = who->user_id, m = *mode](const engine::Exchange& x) {
              reply(json_response(positions_json(x, user, m)));
            });
        if (!queued) reply(error_response(503, "UNAVAILABLE", "the engine is busy or stopping"));
      });

  // ---- the caller's own history (read store): orders, fills and income ----
  // Mode, limit, cursor and market are parsed once here; `fetch` reads one page for the
  // caller's trader and returns its items and the next cursor.
  struct HistoryPage {
    json::array items;
    std::optional<std::uint64_t> next;
  };
  using Fetch = std::function<Result<HistoryPage>(store::ReadStore&, TraderId, engine::Mode,
                                                  std::optional<MarketId>, std::size_t,
                                                  std::optional<std::uint64_t>)>;
  auto own_history = [this](std::string field, Fetch fetch) {
    return [this, field = std::move(field), fetch = std::move(fetch)](const net::Request& req,
                                                                      net::Reply reply) {
      auto who = authenticate(req, true);
      if (!who) return reply(error_response(who.error()));
      if (auto l = limited(req, who->user_id)) return reply(std::move(*l));
      auto mode = mode_of(req);
      if (!mode) return reply(error_response(mode.error()));
      auto limit = int_param(req, "limit", 100, 1, static_cast<std::int64_t>(store::kMaxPageSize));
      if (!limit) return reply(error_response(limit.error()));
      auto cursor = int_param(req, "cursor", 0, 0, INT64_MAX);
      if (!cursor) return reply(error_response(cursor.error()));
      const std::string market(req.query_value("market").value_or(""));
      read_your_writes();
      auto page = with_store([&](store::ReadStore& st) -> Result<json::object> {
        auto tid = trader_id_of(st, who->user_id);
        if (!tid) return std::unexpected(tid.error());
        if (!*tid) return json::object{{field, json::array{}}, {"next", nullptr}};
        std::optional<MarketId> market_id;
        if (!market.empty()) {
          auto m = st.market_by_symbol(*mode, market);
          if (!m) return std::unexpected(m.error());
          if (!*m) return fail(ErrorCode::NotFound, "no market " + market);
          market_id = (*m)->id;
        }
        std::optional<std::uint64_t> before;
        if (*cursor > 0) before = static_cast<std::uint64_t>(*cursor);
        auto p = fetch(st, **tid, *mode, market_id, static_cast<std::size_t>(*limit), before);
        if (!p) return std::unexpected(p.error());
        json::object out{{field, std::move(p->items)}};
        set_next(out, p->next);
        return out;
      });
      if (!page) return reply(error_response(page.error()));
      reply(json_response(*page));
    };
  };

  // A Fetch from a store query of that shape (trader, mode, market, limit, before), the store
  // call that reads it and the item's JSON view.
  auto fetch_page = [](auto query, auto read, auto to_json) -> Fetch {
    return [=](store::ReadStore& st, TraderId t, engine::Mode mode, std::optional<MarketId> market,
               std::size_t limit, std::optional<std::uint64_t> before) -> Result<HistoryPage> {
      auto q = query;
      q.trader = t;
      q.mode = mode;
      q.market = market;
      q.limit = limit;
      q.before = before;
      auto p = read(st, q);
      if (!p) return std::unexpected(p.error());
      HistoryPage out{{}, p->next};
      for (const auto& item : p->items) out.items.push_back(to_json(item));
      return out;
    };
  };

  r.add_async(
      net::Method::Get, "/api/trades/history",
      on_readers(own_history(
          "fills", fetch_page(
                       store::FillQuery{},
                       [](store::ReadStore& st, const store::FillQuery& q) { return st.fills(q); },
                       fill_record_json))));

  // ---- list: open (live, from the engine) or history (read store, paged like the fills) ----
  r.add_async(
      net::Method::Get, "/api/orders",
      on_readers([this, own_history, fetch_page](const net::Request& req, net::Reply reply) {
        const std::string status(req.query_value("status").value_or("open"));
        if (status != "open") {
          store::OrderQuery query;
          std::optional<Error> bad;
          if (status == "history" || status == "all") {
            query.statuses = status == "all" ? store::StatusSet::all() : store::StatusSet::closed();
          } else if (auto st = store::order_status_from(status)) {
            query.statuses = store::StatusSet::none().with(*st);
          } else {
            bad = Error{ErrorCode::InvalidArgument,
                        "status must be open, history, all or an order status"};
          }
          auto read = [bad](store::ReadStore& st,
                            const store::OrderQuery& q) -> Result<store::Page<store::OrderRecord>> {
            if (bad) return std::unexpected(*bad);  // after authentication, as for the others
            return st.orders(q);
          };
          return own_history("orders", fetch_page(query, read, order_record_json))(req, reply);
        }
        auto who = authenticate(req, true);
        if (!who) return reply(error_response(who.error()));
        if (auto l = limited(req, who->user_id)) return reply(std::move(*l));
        auto mode = mode_of(req);
        if (!mode) return reply(error_response(mode.error()));
        // Not used by the open list (it is never paged), but checked as for the others.
        auto limit =
            int_param(req, "limit", 100, 1, static_cast<std::int64_t>(store::kMaxPageSize));
        if (!limit) return reply(error_response(limit.error()));
        auto cursor = int_param(req, "cursor", 0, 0, INT64_MAX);
        if (!cursor) return reply(error_response(cursor.error()));
        const std::string market(req.query_value("market").value_or(""));
        const bool queued = engine_.query(
            [reply, user = who->user_id, m = *mode, market](const engine::Exchange& x) {
              if (!market.empty() && !x.market_id(m, market)) {
                // As for the other statuses: a filter naming no market is not an empty list.
                return reply(error_response(404, "NOT_FOUND", "no market " + market));
              }
              reply(json_response(open_orders_json(x, user, m, market)));
            });
        if (!queued) reply(error_response(503, "UNAVAILABLE", "the engine is busy or stopping"));
      }));

  // Funding, settlement, penalties and insurance: the cash that moved outside trading.
  r.add_async(net::Method::Get, "/api/income",
              on_readers([own_history, fetch_page](const net::Request& req, net::Reply reply) {
                store::IncomeQuery query;
                if (auto k = req.query_value("kind")) {
                  query.kind = store::income_kind_from(*k);
                  if (!query.kind)
                    return reply(error_response(
                        Error{ErrorCode::InvalidArgument,
                              "kind must be FUNDING, SETTLEMENT, SETTLEMENT_HAIRCUT, "
                              "LIQUIDATION_PENALTY, INSURANCE_PAID or INSURANCE_SHORTFALL"}));
                }
                own_history("income", fetch_page(
                                          query,
                                          [](store::ReadStore& st, const store::IncomeQuery& q) {
                                            return st.income(q);
                                          },
                                          income_record_json))(req, std::move(reply));
              }));

  // ---- PAPER points (public, like the leaderboard) ----
  r.add_async(net::Method::Get, "/api/trades/{traderId}/paper-points",
              on_readers([this](const net::Request& req) {
                const std::string name(*req.param("traderId"));
                read_your_writes();
                auto res = with_store([&](store::ReadStore& st) -> Result<json::object> {
                  auto tid = trader_id_of(st, name);
                  if (!tid) return std::unexpected(tid.error());
                  if (!*tid) return fail(ErrorCode::NotFound, "no trader " + name);
                  auto p = st.paper_points(**tid);
                  if (!p) return std::unexpected(p.error());
                  if (!*p)
                    return json::object{{"traderId", name}, {"points", 0}, {"rank", nullptr}};
                  return points_json(**p);
                });
                if (!res) return error_response(res.error());
                return json_response(*res);
              }));
  r.add_async(net::Method::Get, "/api/leaderboard", on_readers([this](const net::Request& req) {
                auto limit = int_param(req, "limit", 50, 1, 500);
                if (!limit) return error_response(limit.error());
                auto offset = int_param(req, "offset", 0, 0, 1'000'000);
                if (!offset) return error_response(offset.error());
                const std::string_view by = req.query_value("by").value_or("points");
                if (by != "points" && by != "pnl") {
                  return error_response(400, "INVALID_ARGUMENT", "by must be points or pnl");
                }
                auto res = with_store([&](store::ReadStore& st) -> Result<json::array> {
                  const auto n = static_cast<std::size_t>(*limit);
                  const auto from = static_cast<std::size_t>(*offset);
                  auto rows = by == "pnl" ? st.pnl_leaderboard(n, from) : st.leaderboard(n, from);
                  if (!rows) return std::unexpected(rows.error());
                  json::array out;
                  for (const auto& p : *rows) out.push_back(points_json(p));
                  return out;
                });
                if (!res) return error_response(res.error());
                return json_response(
                    json::object{{"mode", "PAPER"}, {"by", by}, {"leaderboard", std::move(*res)}});
              }));
}

}  // namespace cx::api
