// Admin routes (a session whose user has the "admin" role): create, pause, resume and delist
// markets; fee and insurance balances; deposits into PAPER or REAL accounts.
#include <boost/json/serialize.hpp>

#include "api/api.hpp"
#include "api/http_util.hpp"
#include "api/views.hpp"
#include "core/decimal.hpp"
#include "engine/asset.hpp"

namespace cx::api {

namespace json = boost::json;

void Api::add_admin_routes(net::Router& r) {
  auto admin = [this](const net::Request& req) -> Result<Principal> {
    auto who = session_principal(req);
    if (!who) return who;
    if (!who->admin()) return fail(ErrorCode::Forbidden, "admin only");
    return who;
  };

  // Body: the createMarket fields of docs/replay.md (mode, symbol, kind, base, tickSize, ...).
  r.add_async(net::Method::Post, "/api/admin/markets",
              [this, admin](const net::Request& req, net::Reply reply) {
                auto who = admin(req);
                if (!who) return reply(error_response(who.error()));
                auto body = body_object(req);
                if (!body) return reply(error_response(body.error()));
                json::object cmd = std::move(*body);
                cmd["cmd"] = "createMarket";
                cmd.erase("ts");
                submit(std::move(cmd), reply,
                       [](CommandResult& res, const engine::Exchange& x) {
                         if (auto bad = rejection_response(res)) return std::move(*bad);
                         for (const engine::ExEvent& e : res.raw) {
                           if (e.type == engine::EventType::MarketCreated) {
                             return json_response(market_json(x, x.market(e.market)), 201);
                           }
                         }
                         return error_response(500, "INTERNAL", "no market was created");
                       });
              });

  // Body: {"mode", "market", "status": "ACTIVE" | "PAUSED" | "DELISTED"}.
  r.add_async(
      net::Method::Post, "/api/admin/markets/status",
      [this, admin](const net::Request& req, net::Reply reply) {
        auto who = admin(req);
        if (!who) return reply(error_response(who.error()));
        auto body = body_object(req);
        if (!body) return reply(error_response(body.error()));
        auto mode = mode_of(req, &*body);
        if (!mode) return reply(error_response(mode.error()));
        const std::string status = string_field(*body, "status").value_or("");
        const std::string market = string_field(*body, "market").value_or("");
        std::string cmd_name;
        if (status == "ACTIVE") cmd_name = "resumeMarket";
        if (status == "PAUSED") cmd_name = "pauseMarket";
        if (status == "DELISTED") cmd_name = "delistMarket";
        if (cmd_name.empty()) {
          return reply(
              error_response(400, "INVALID_ARGUMENT", "status must be ACTIVE, PAUSED or DELISTED"));
        }
        json::object cmd{{"cmd", cmd_name}, {"mode", mode_name(*mode)}, {"market", market}};
        submit(std::move(cmd), reply, [](CommandResult& res, const engine::Exchange&) {
          if (auto bad = rejection_response(res)) return std::move(*bad);
          return json_response(json::object{{"events", res.events}});
        });
      });

  // Body: {"mode", "trader", "asset", "amount"}: credits an account (PAPER top-ups; REAL
  // deposits normally come from the chain watcher).
  r.add_async(net::Method::Post, "/api/admin/deposit",
              [this, admin](const net::Request& req, net::Reply reply) {
                auto who = admin(req);
                if (!who) return reply(error_response(who.error()));
                auto body = body_object(req);
                if (!body) return reply(error_response(body.error()));
                json::object cmd;
                for (std::string_view f : {"mode", "trader", "asset", "amount"}) {
                  if (const json::value* v = body->if_contains(f)) cmd[f] = *v;
                }
                cmd["cmd"] = "deposit";
                // Only existing traders: the codec would register an unknown name.
                const std::string trader = string_field(*body, "trader").value_or("");
                submit(
                    std::move(cmd), reply,
                    [](CommandResult& res, const engine::Exchange&) {
                      if (auto bad = rejection_response(res)) return std::move(*bad);
                      return json_response(json::object{{"events", res.events}});
                    },
                    [trader](const engine::Exchange& x) -> std::optional<CommandResult> {
                      if (x.trader_id(trader)) return std::nullopt;
                      CommandResult res;
                      res.error = Error{ErrorCode::NotFound, "no trader \"" + trader + "\""};
                      return res;
                    });
              });

  r.add_async(
      net::Method::Get, "/api/admin/fees",
      [this, admin](const net::Request& req, net::Reply reply) {
        auto who = admin(req);
        if (!who) return reply(error_response(who.error()));
        const bool queued = engine_.query([reply](const engine::Exchange& x) {
          json::array out;
          for (engine::Mode m : {engine::Mode::Real, engine::Mode::Paper}) {
            const engine::SystemAccounts& s = x.system(m);
            for (engine::AssetId a = 0; a < engine::kAssetCount; ++a) {
              if (s.fees[a] == 0 && s.insurance[a] == 0 && s.deposits[a] == 0) continue;
              const int sc = engine::kAssets[a].scale;
              out.push_back(json::object{{"mode", mode_name(m)},
                                         {"asset", engine::kAssets[a].symbol},
                                         {"fees", format_decimal(s.fees[a], sc)},
                                         {"insurance", format_decimal(s.insurance[a], sc)},
                                         {"deposits", format_decimal(s.deposits[a], sc)},
                                         {"withdrawals", format_decimal(s.withdrawals[a], sc)}});
            }
          }
          const engine::AuditReport audit = x.audit();
          reply(json_response(json::object{{"accounts", std::move(out)}, {"auditOk", audit.ok()}}));
        });
        if (!queued) reply(error_response(503, "UNAVAILABLE", "the engine is busy or stopping"));
      });
}

}  // namespace cx::api
