#pragma once
// Replay stories in tests: feed JSON command lines, read back the parsed event lines.
//   Replay r = run({kSpotMarket, place("alice", "BUY", "100.00", "1.5", "a1")});
//   EXPECT_EQ(r.of("fill").size(), 1u);

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <initializer_list>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "app/replay.hpp"

namespace cx::app::testing {

namespace json = boost::json;

/// The sBTC/USDC market of the examples: tick 0.01, lot 0.0001, maker 2 bps, taker 5 bps.
inline constexpr std::string_view kSpotMarket =
    R"({"cmd":"createMarket","mode":"PAPER","symbol":"sBTC/USDC","kind":"SPOT","base":"sBTC",)"
    R"("quote":"USDC","tickSize":"0.01","lotSize":"0.0001","minSize":"0.0001","makerFeeBps":2,)"
    R"("takerFeeBps":5})";

/// A BTC perpetual: tick 0.1, lot 0.001, maker 1 bp, taker 4 bps, 10% initial margin.
inline constexpr std::string_view kPerpMarket =
    R"({"cmd":"createMarket","mode":"PAPER","symbol":"BTC-PERP","kind":"PERP","underlying":"BTC",)"
    R"("tickSize":"0.1","lotSize":"0.001","minSize":"0.001","makerFeeBps":1,"takerFeeBps":4,)"
    R"("initialMarginBps":1000,"maintenanceMarginBps":500})";

/// A PAPER LIMIT GTC order line on `market`.
inline std::string place(std::string_view trader, std::string_view side, std::string_view price,
                         std::string_view qty, std::string_view cid,
                         std::string_view market = "sBTC/USDC", std::string_view extra = "") {
  std::string s = R"({"cmd":"placeOrder","mode":"PAPER","trader":")";
  s.append(trader).append(R"(","market":")").append(market).append(R"(","side":")").append(side);
  s.append(R"(","type":"LIMIT","price":")").append(price).append(R"(","qty":")").append(qty);
  s.append(R"(","clientOrderId":")").append(cid).append("\"");
  if (!extra.empty()) s.append(",").append(extra);
  return s + "}";
}

inline std::string deposit(std::string_view trader, std::string_view asset, std::string_view amount,
                           std::string_view mode = "PAPER") {
  std::string s = R"({"cmd":"deposit","mode":")";
  s.append(mode).append(R"(","trader":")").append(trader).append(R"(","asset":")").append(asset);
  return s.append(R"(","amount":")").append(amount).append("\"}");
}

/// Output of one replay, parsed.
struct Replay {
  std::vector<json::object> events;  ///< every event line, errors included
  json::object state;                ///< the --state line
  std::string out;                   ///< raw stdout
  std::string err;                   ///< raw stderr
  std::size_t bad_lines = 0;

  std::vector<json::object> of(std::string_view kind) const {
    std::vector<json::object> v;
    for (const auto& e : events)
      if (e.at("event").as_string() == kind) v.push_back(e);
    return v;
  }
  /// The state list `key` ("balances", ...) as objects.
  std::vector<json::object> list(std::string_view key) const {
    std::vector<json::object> v;
    for (const auto& x : state.at(key).as_array()) v.push_back(x.as_object());
    return v;
  }
  /// A balance ("balance" or "pending") of mode/trader/asset, "" if not listed.
  std::string balance(std::string_view trader, std::string_view asset,
                      std::string_view field = "balance", std::string_view mode = "PAPER") const {
    for (const auto& b : list("balances"))
      if (b.at("trader").as_string() == trader && b.at("asset").as_string() == asset &&
          b.at("mode").as_string() == mode)
        return std::string(b.at(field).as_string());
    return "";
  }
};

inline std::string str(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string("<missing>");
}

inline Replay run_text(const std::string& input) {
  std::istringstream in(input);
  std::ostringstream out, err;
  Replay r;
  r.bad_lines = replay(in, out, err, /*with_state=*/true);
  r.out = out.str();
  r.err = err.str();
  std::istringstream lines(r.out);
  std::string line;
  std::vector<json::object> all;
  while (std::getline(lines, line)) all.push_back(json::parse(line).as_object());
  if (!all.empty()) {
    r.state = all.back();
    all.pop_back();
  }
  r.events = std::move(all);
  return r;
}

inline Replay run(std::initializer_list<std::string_view> lines) {
  std::string input;
  for (std::string_view l : lines) input.append(l).append("\n");
  return run_text(input);
}

}  // namespace cx::app::testing
