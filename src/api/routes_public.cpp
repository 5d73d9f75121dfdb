// Public market data: markets, underlyings, instruments (option chains), klines, depth,
// recent trades, 24h summaries, oracle prices. No authentication; rate-limited per IP.
#include <boost/json/serialize.hpp>
#include <cctype>
#include <map>
#include <set>

#include "api/api.hpp"
#include "api/http_util.hpp"
#include "api/views.hpp"
#include "core/decimal.hpp"
#include "store/kline.hpp"

namespace cx::api {

namespace json = boost::json;

namespace {

/// Optional mode filter: absent means both.
Result<std::optional<engine::Mode>> optional_mode(const net::Request& req) {
  if (!req.query_value("mode")) return std::optional<engine::Mode>{};
  auto m = mode_of(req);
  if (!m) return std::unexpected(m.error());
  return std::optional<engine::Mode>(*m);
}

}  // namespace

void Api::add_public_routes(net::Router& r) {
  // Every public route below runs on the engine thread (live state) or the store.
  auto engine_view =
      [this](std::function<net::Response(const net::Request&, const engine::Exchange&)> view) {
        return [this, view = std::move(view)](const net::Request& req, net::Reply reply) {
          if (auto l = limited(req, {})) return reply(std::move(*l));
          auto copy = std::make_shared<net::Request>(req);
          const bool queued = engine_.query(
              [reply, copy, view](const engine::Exchange& x) { reply(view(*copy, x)); });
          if (!queued) reply(error_response(503, "UNAVAILABLE", "the engine is busy or stopping"));
        };
      };

  r.add_async(net::Method::Get, "/api/markets",
              engine_view([](const net::Request& req, const engine::Exchange& x) {
                auto mode = optional_mode(req);
                if (!mode) return error_response(mode.error());
                json::array out;
                for (MarketId id = 0; id < x.market_count(); ++id) {
                  const engine::Market& m = x.market(id);
                  if (*mode && m.spec.mode != **mode) continue;
                  out.push_back(market_json(x, m));
                }
                return json_response(json::object{{"markets", std::move(out)}});
              }));

  // The insurance fund of each mode is public (docs/margin.md): it pays deficits, collects
  // liquidation penalties and funding rounding, and goes negative only by an insuranceShortfall.
  r.add_async(net::Method::Get, "/api/insurance",
              engine_view([](const net::Request& req, const engine::Exchange& x) {
                auto mode = optional_mode(req);
                if (!mode) return error_response(mode.error());
                json::array out;
                for (engine::Mode m : {engine::Mode::Real, engine::Mode::Paper}) {
                  if (*mode && m != **mode) continue;
                  const engine::SystemAccounts& s = x.system(m);
                  const engine::AssetId a = engine::kUSDC;
                  out.push_back(json::object{
                      {"mode", mode_name(m)},
                      {"asset", engine::kAssets[a].symbol},
                      {"balance", format_decimal(s.insurance[a], engine::kAssets[a].scale)}});
                }
                return json_response(json::object{{"funds", std::move(out)}});
              }));

  r.add_async(net::Method::Get, "/api/underlyings",
              engine_view([](const net::Request&, const engine::Exchange& x) {
                std::map<std::string, std::set<std::string>> kinds;
                for (MarketId id = 0; id < x.market_count(); ++id) {
                  const engine::Market& m = x.market(id);
                  if (m.spec.underlying.empty()) continue;
                  kinds[m.spec.underlying].insert(std::string(engine::to_string(m.spec.kind)));
                }
                json::array out;
                for (const auto& [u, ks] : kinds) {
                  json::array k;
                  for (const auto& s : ks) k.push_back(json::string(s));
                  out.push_back(json::object{{"underlying", u}, {"kinds", std::move(k)}});
                }
                return json_response(json::object{{"underlyings", std::move(out)}});
              }));

  // Option chains: ?underlying=BTC [&expiry=ms] [&mode=]; grouped by expiry, then strike.
  r.add_async(net::Method::Get, "/api/instruments",
              engine_view([](const net::Request& req, const engine::Exchange& x) {
                auto mode = optional_mode(req);
                if (!mode) return error_response(mode.error());
                const auto underlying = req.query_value("underlying");
                if (!underlying) {
                  return error_response(400, "INVALID_ARGUMENT", "underlying is required");
                }
                std::optional<Timestamp> expiry;
                if (auto e = req.query_value("expiry")) {
                  try {
                    expiry = std::stoll(std::string(*e));
                  } catch (...) {
                    return error_response(400, "INVALID_ARGUMENT", "expiry must be milliseconds");
                  }
                }
                std::map<Timestamp, std::map<Price, json::object>> chains;
                json::array futures;
                for (MarketId id = 0; id < x.market_count(); ++id) {
                  const engine::Market& m = x.market(id);
                  if (m.spec.underlying != *underlying) continue;
                  if (*mode && m.spec.mode != **mode) continue;
                  if (expiry && m.spec.expiry != *expiry) continue;
                  if (m.spec.kind == engine::MarketKind::Future)
                    futures.push_back(market_json(x, m));
                  if (m.spec.kind != engine::MarketKind::Option) continue;
                  json::object& row = chains[m.spec.expiry][m.spec.strike];
                  row["strike"] = format_decimal(m.spec.strike, m.spec.price_scale);
                  row[m.spec.is_call ? "call" : "put"] = market_json(x, m);
                }
                json::array out;
                for (auto& [exp, strikes] : chains) {
                  json::array rows;
                  for (auto& [s, row] : strikes) rows.push_back(std::move(row));
                  out.push_back(json::object{{"expiry", exp}, {"strikes", std::move(rows)}});
                }
                return json_response(json::object{{"underlying", *underlying},
                                                  {"futures", std::move(futures)},
                                                  {"chains", std::move(out)}});
              }));

  r.add_async(net::Method::Get, "/api/depth",
              engine_view([this](const net::Request& req, const engine::Exchange& x) {
                auto mode = mode_of(req);
                if (!mode) return error_response(mode.error());
                const auto symbol = req.query_value("market");
                if (!symbol) return error_response(400, "INVALID_ARGUMENT", "market is required");
                auto levels = int_param(req, "levels", 20, 1, 500);
                if (!levels) return error_response(levels.error());
                const auto id = x.market_id(*mode, *symbol);
                if (!id)
                  return error_response(404, "NOT_FOUND", "no market " + std::string(*symbol));
                return net::Response::json(200,
                                           hub_.depth_json(*id, static_cast<std::size_t>(*levels)));
              }));

  r.add_async(net::Method::Get, "/api/summary",
              engine_view([](const net::Request& req, const engine::Exchange& x) {
                auto mode = optional_mode(req);
                if (!mode) return error_response(mode.error());
                const auto symbol = req.query_value("market");
                json::array out;
                for (MarketId id = 0; id < x.market_count(); ++id) {
                  const engine::Market& m = x.market(id);
                  if (*mode && m.spec.mode != **mode) continue;
                  if (symbol && m.spec.symbol != *symbol) continue;
                  json::object j = market_json(x, m);
                  const auto bids = m.book->depth(engine::Side::Buy, 1);
                  const auto asks = m.book->depth(engine::Side::Sell, 1);
                  j["bestBid"] =
                      bids.empty() ? json::value(nullptr)
                                   : json::value(format_decimal(bids[0].price, m.spec.price_scale));
                  j["bestAsk"] =
                      asks.empty() ? json::value(nullptr)
                                   : json::value(format_decimal(asks[0].price, m.spec.price_scale));
                  out.push_back(std::move(j));
                }
                return json_response(json::object{{"summaries", std::move(out)}});
              }));

  r.add_async(
      net::Method::Get, "/api/prices",
      engine_view([this](const net::Request& req, const engine::Exchange& x) {
        auto mode = optional_mode(req);
        if (!mode) return error_response(mode.error());
        const oracle::OracleStatus st = oracle_status_ ? oracle_status_() : oracle::OracleStatus{};
        std::map<std::string, const oracle::IndexPrice*, std::less<>> by_underlying;
        for (const auto& ip : st.indices) by_underlying[ip.underlying] = &ip;
        json::array out;
        for (MarketId id = 0; id < x.market_count(); ++id) {
          const engine::Market& m = x.market(id);
          if (*mode && m.spec.mode != **mode) continue;
          std::string u = m.spec.underlying;
          for (char& ch : u) ch = static_cast<char>(std::toupper(ch));
          const auto it = by_underlying.find(u);
          json::object o{{"market", m.spec.symbol},
                         {"mode", mode_name(m.spec.mode)},
                         {"underlying", m.spec.underlying},
                         {"index", format_decimal(m.index, m.spec.price_scale)},
                         {"mark", format_decimal(m.mark, m.spec.price_scale)},
                         {"sources", it == by_underlying.end() ? 0 : it->second->sources},
                         {"stale", x.stale(m)}};
          o["priceTs"] = m.risk.price_ts >= 0 ? json::value(m.risk.price_ts) : json::value(nullptr);
          out.push_back(std::move(o));
        }
        json::array indices;
        for (const auto& ip : st.indices) {
          json::object o{{"underlying", ip.underlying},
                         {"sources", ip.sources},
                         {"knownSources", ip.known},
                         {"ts", ip.ts},
                         {"stale", ip.stale}};
          o["index"] = ip.stale
                           ? json::value(nullptr)
                           : json::value(format_decimal_trimmed(ip.price, oracle::kOracleScale));
          indices.push_back(std::move(o));
        }
        json::array sources;
        for (const auto& s : st.sources) {
          json::object o{{"name", s.name},
                         {"maxAgeMs", s.max_age_ms},
                         {"polls", s.polls},
                         {"failures", s.failures}};
          o["lastOk"] = s.last_ok >= 0 ? json::value(s.last_ok) : json::value(nullptr);
          o["lastError"] = s.last_error.empty() ? json::value(nullptr) : json::value(s.last_error);
          sources.push_back(std::move(o));
        }
        return json_response(json::object{{"prices", std::move(out)},
                                          {"underlyings", std::move(indices)},
                                          {"sources", std::move(sources)},
                                          {"maxAgeMs", x.config().oracle_max_age_ms}});
      }));

  // ---- from the read store ----
  r.add_async(
      net::Method::Get, "/api/klines", on_readers([this](const net::Request& req) {
        if (auto l = limited(req, {})) return std::move(*l);
        auto mode = mode_of(req);
        if (!mode) return error_response(mode.error());
        const auto symbol = req.query_value("market");
        if (!symbol) return error_response(400, "INVALID_ARGUMENT", "market is required");
        const auto interval =
            store::kline_interval_from(req.query_value("interval").value_or("1m"));
        if (!interval) {
          return error_response(400, "INVALID_ARGUMENT",
                                "interval must be 1m, 5m, 1h, 1d, 1w or 1M");
        }
        auto window = time_window(req);
        if (!window) return error_response(window.error());
        read_your_writes();
        auto res = with_store([&](store::ReadStore& st) -> Result<json::object> {
          auto m = st.market_by_symbol(*mode, *symbol);
          if (!m) return std::unexpected(m.error());
          if (!*m) return fail(ErrorCode::NotFound, "no market " + std::string(*symbol));
          store::KlineQuery q;
          q.market = (*m)->id;
          q.interval = *interval;
          q.limit = static_cast<std::size_t>(window->limit);
          if (window->from >= 0) q.from = window->from;
          if (window->to >= 0) q.to = window->to;
          auto ks = st.klines(q);
          if (!ks) return std::unexpected(ks.error());
          json::array out;
          for (const auto& k : *ks) {
            out.push_back(kline_json(k, (*m)->price_scale, (*m)->qty_scale, (*m)->quote_scale));
          }
          return json::object{{"market", (*m)->symbol},
                              {"mode", mode_name(*mode)},
                              {"interval", store::to_string(*interval)},
                              {"klines", std::move(out)}};
        });
        if (!res) return error_response(res.error());
        return json_response(*res);
      }));

  r.add_async(
      net::Method::Get, "/api/prices/history", on_readers([this](const net::Request& req) {
        if (auto l = limited(req, {})) return std::move(*l);
        auto mode = mode_of(req);
        if (!mode) return error_response(mode.error());
        const auto symbol = req.query_value("market");
        if (!symbol) return error_response(400, "INVALID_ARGUMENT", "market is required");
        auto window = time_window(req);
        if (!window) return error_response(window.error());
        read_your_writes();
        auto res = with_store([&](store::ReadStore& st) -> Result<json::object> {
          auto m = st.market_by_symbol(*mode, *symbol);
          if (!m) return std::unexpected(m.error());
          if (!*m) return fail(ErrorCode::NotFound, "no market " + std::string(*symbol));
          store::PriceQuery q;
          q.market = (*m)->id;
          q.limit = static_cast<std::size_t>(window->limit);
          if (window->from >= 0) q.from = window->from;
          if (window->to >= 0) q.to = window->to;
          auto points = st.price_history(q);
          if (!points) return std::unexpected(points.error());
          json::array out;
          for (const auto& p : *points) {
            out.push_back(json::object{{"minute", p.minute},
                                       {"index", format_decimal(p.index, (*m)->price_scale)},
                                       {"mark", format_decimal(p.mark, (*m)->price_scale)},
                                       {"ts", p.ts}});
          }
          return json::object{
              {"market", (*m)->symbol}, {"mode", mode_name(*mode)}, {"prices", std::move(out)}};
        });
        if (!res) return error_response(res.error());
        return json_response(*res);
      }));

  r.add_async(net::Method::Get, "/api/trades", on_readers([this](const net::Request& req) {
                if (auto l = limited(req, {})) return std::move(*l);
                auto mode = mode_of(req);
                if (!mode) return error_response(mode.error());
                const auto symbol = req.query_value("market");
                if (!symbol) return error_response(400, "INVALID_ARGUMENT", "market is required");
                auto limit =
                    int_param(req, "limit", 100, 1, static_cast<std::int64_t>(store::kMaxPageSize));
                if (!limit) return error_response(limit.error());
                auto cursor = int_param(req, "cursor", 0, 0, INT64_MAX);
                if (!cursor) return error_response(cursor.error());
                read_your_writes();
                auto res = with_store([&](store::ReadStore& st) -> Result<json::object> {
                  auto m = st.market_by_symbol(*mode, *symbol);
                  if (!m) return std::unexpected(m.error());
                  if (!*m) return fail(ErrorCode::NotFound, "no market " + std::string(*symbol));
                  std::optional<std::uint64_t> before;
                  if (*cursor > 0) before = static_cast<std::uint64_t>(*cursor);
                  auto p = st.recent_trades((*m)->id, static_cast<std::size_t>(*limit), before);
                  if (!p) return std::unexpected(p.error());
                  json::array out;
                  for (const auto& t : p->items) out.push_back(trade_record_json(t));
                  json::object o{{"market", (*m)->symbol},
                                 {"mode", mode_name(*mode)},
                                 {"trades", std::move(out)}};
                  set_next(o, p->next);
                  return o;
                });
                if (!res) return error_response(res.error());
                return json_response(*res);
              }));
}

}  // namespace cx::api
