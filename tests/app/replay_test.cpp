// cxmpute replay: JSON command lines in, JSON event lines out (docs/replay.md).
#include <map>
#include <set>

#include "app/replay_fixture.hpp"

namespace cx::app::testing {
namespace {

// ---------------------------------------------------------------- trading stories

TEST(Replay, SpotTradeChargesFeesRoundedUpInUsdcUnits) {
  Replay r = run({kSpotMarket, deposit("bob", "sBTC", "1"),
                  place("alice", "BUY", "123.45", "0.0007", "a1"),
                  place("bob", "SELL", "123.40", "0.0010", "b1")});
  ASSERT_EQ(r.bad_lines, 0u) << r.err;
  auto fills = r.of("fill");
  ASSERT_EQ(fills.size(), 1u);
  const auto& f = fills[0];
  EXPECT_EQ(str(f, "market"), "sBTC/USDC");
  EXPECT_EQ(str(f, "mode"), "PAPER");
  EXPECT_EQ(str(f, "price"), "123.45");  // the maker's price
  EXPECT_EQ(str(f, "qty"), "0.0007");
  // 123.45 x 0.0007 = 0.086415 USDC = 86415 units; taker 5 bps: ceil(43.2075) = 44 units,
  // maker 2 bps: ceil(17.283) = 18 units.
  EXPECT_EQ(str(f, "notional"), "0.086415");
  EXPECT_EQ(str(f, "takerFee"), "0.000044");
  EXPECT_EQ(str(f, "makerFee"), "0.000018");
  EXPECT_EQ(str(f, "takerSide"), "SELL");
  EXPECT_EQ(str(f, "takerTrader"), "bob");
  EXPECT_EQ(str(f, "takerClientOrderId"), "b1");
  EXPECT_EQ(str(f, "makerTrader"), "alice");
  EXPECT_EQ(str(f, "makerClientOrderId"), "a1");
  EXPECT_EQ(str(f, "takerRemainingQty"), "0.0003");
  EXPECT_EQ(str(f, "makerRemainingQty"), "0.0000");

  // alice: 10,000 granted - 0.086415 - 0.000018; bob: + 0.086415 - 0.000044, 0.0003 sBTC
  // still offered (pending).
  EXPECT_EQ(r.balance("alice", "USDC"), "9999.913567");
  EXPECT_EQ(r.balance("alice", "sBTC"), "0.00070000");
  EXPECT_EQ(r.balance("bob", "USDC"), "10000.086371");
  EXPECT_EQ(r.balance("bob", "sBTC"), "0.99930000");
  EXPECT_EQ(r.balance("bob", "sBTC", "pending"), "0.00030000");
  auto fees = r.list("fees");
  ASSERT_EQ(fees.size(), 1u);
  EXPECT_EQ(str(fees[0], "asset"), "USDC");
  EXPECT_EQ(str(fees[0], "amount"), "0.000062");
  auto open = r.list("openOrders");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(str(open[0], "clientOrderId"), "b1");
  EXPECT_EQ(str(open[0], "remainingQty"), "0.0003");
  EXPECT_EQ(str(open[0], "side"), "SELL");
  EXPECT_EQ(str(open[0], "price"), "123.40");
  EXPECT_TRUE(r.state.at("audit").at("ok").as_bool());
}

TEST(Replay, InsufficientBalanceIsRejectedAndChangesNothing) {
  const std::string story[] = {std::string(kSpotMarket), deposit("bob", "sBTC", "1"),
                               place("bob", "SELL", "101.00", "0.5", "b1")};
  // carol gets the 10,000 USDC PAPER grant; 100 sBTC at 100.00 costs 10,000 plus fees.
  const std::string greedy = place("carol", "BUY", "100.00", "100", "c1");
  Replay before = run({story[0], story[1], story[2], deposit("carol", "USDC", "1")});
  Replay after = run({story[0], story[1], story[2], deposit("carol", "USDC", "1"), greedy});
  ASSERT_EQ(after.bad_lines, 0u) << after.err;
  auto rejected = after.of("rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(str(rejected[0], "reason"), "INSUFFICIENT_BALANCE");
  EXPECT_EQ(str(rejected[0], "trader"), "carol");
  EXPECT_EQ(str(rejected[0], "clientOrderId"), "c1");
  EXPECT_EQ(str(rejected[0], "market"), "sBTC/USDC");
  EXPECT_EQ(str(rejected[0], "mode"), "PAPER");
  EXPECT_EQ(after.events.back(), rejected[0]);  // nothing else happened on that line
  EXPECT_EQ(after.state, before.state);
}

TEST(Replay, DuplicateClientOrderIdOfALiveOrderIsRejected) {
  Replay r = run({kSpotMarket, place("alice", "BUY", "100.00", "1", "x"),
                  place("alice", "BUY", "99.00", "1", "x"),
                  place("bob", "BUY", "98.00", "1", "x")});  // another trader may use it
  ASSERT_EQ(r.bad_lines, 0u) << r.err;
  auto rejected = r.of("rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(str(rejected[0], "reason"), "DUPLICATE_CLIENT_ORDER_ID");
  EXPECT_EQ(str(rejected[0], "trader"), "alice");
  EXPECT_EQ(str(rejected[0], "clientOrderId"), "x");
  EXPECT_EQ(rejected[0].at("line").as_int64(), 3);
  EXPECT_EQ(r.list("openOrders").size(), 2u);
}

TEST(Replay, ClientOrderIdIsFreeAgainOnceTheOrderIsGone) {
  Replay r = run({kSpotMarket, place("alice", "BUY", "100.00", "1", "x"),
                  R"({"cmd":"cancelOrder","mode":"PAPER","trader":"alice","clientOrderId":"x"})",
                  place("alice", "BUY", "99.00", "1", "x")});
  EXPECT_TRUE(r.of("rejected").empty());
  EXPECT_EQ(r.of("accepted").size(), 2u);
}

TEST(Replay, PerpFillsOpenAndClosePositionsWithRealizedPnl) {
  Replay r = run({kPerpMarket, place("alice", "BUY", "50000.0", "0.1", "a1", "BTC-PERP"),
                  place("bob", "SELL", "50000.0", "0.1", "b1", "BTC-PERP"),
                  place("carol", "BUY", "51000.0", "0.1", "c1", "BTC-PERP"),
                  place("alice", "SELL", "51000.0", "0.1", "a2", "BTC-PERP")});
  ASSERT_EQ(r.bad_lines, 0u) << r.err;
  auto fills = r.of("fill");
  ASSERT_EQ(fills.size(), 2u);
  EXPECT_EQ(str(fills[0], "qty"), "0.100");
  EXPECT_EQ(str(fills[0], "notional"), "5000.000000");
  EXPECT_EQ(str(fills[0], "takerFee"), "2.000000");  // 4 bps of 5000
  EXPECT_EQ(str(fills[0], "makerFee"), "0.500000");  // 1 bp
  std::map<std::string, json::object> pos;
  for (const auto& p : r.list("positions")) pos[str(p, "trader")] = p;
  ASSERT_EQ(pos.size(), 3u);
  EXPECT_EQ(str(pos["alice"], "market"), "BTC-PERP");
  EXPECT_EQ(str(pos["alice"], "size"), "0.000");
  EXPECT_EQ(str(pos["alice"], "cost"), "0.000000");
  EXPECT_EQ(str(pos["alice"], "realizedPnl"), "100.000000");  // 0.1 x (51000 - 50000)
  EXPECT_EQ(str(pos["bob"], "size"), "-0.100");
  EXPECT_EQ(str(pos["bob"], "cost"), "-5000.000000");
  EXPECT_EQ(str(pos["carol"], "size"), "0.100");
  EXPECT_EQ(str(pos["carol"], "cost"), "5100.000000");
  // alice: 10,000 - 0.50 (maker) - 2.04 (taker on 5100) + 100 realised.
  EXPECT_EQ(r.balance("alice", "USDC"), "10097.460000");
  EXPECT_TRUE(r.state.at("audit").at("ok").as_bool()) << json::serialize(r.state.at("audit"));
}

// ---------------------------------------------------------------- the contract's examples

TEST(Replay, ExampleCommandsOfTheContractWorkVerbatim) {
  Replay r = run({
      R"({"cmd":"createMarket","mode":"PAPER","symbol":"sBTC/USDC","kind":"SPOT","base":"sBTC","quote":"USDC","tickSize":"0.01","lotSize":"0.0001","minSize":"0.0001","makerFeeBps":2,"takerFeeBps":5})",
      R"({"cmd":"deposit","mode":"PAPER","trader":"alice","asset":"USDC","amount":"1000"})",
      R"({"cmd":"placeOrder","mode":"PAPER","trader":"alice","market":"sBTC/USDC","side":"BUY","type":"LIMIT","price":"100.00","qty":"1.5","timeInForce":"GTC","postOnly":false,"clientOrderId":"a1"})",
      R"({"cmd":"cancelOrder","mode":"PAPER","trader":"alice","clientOrderId":"a1"})",
  });
  EXPECT_EQ(r.bad_lines, 0u) << r.err;
  EXPECT_TRUE(r.of("rejected").empty());
  std::vector<std::string> kinds;
  for (const auto& e : r.events) kinds.push_back(str(e, "event"));
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"marketCreated", "traderRegistered", "deposited", "deposited",
                                      "accepted", "depth", "cancelled", "depth"}));
  EXPECT_EQ(str(r.of("marketCreated")[0], "market"), "sBTC/USDC");
  auto accepted = r.of("accepted")[0];
  EXPECT_EQ(str(accepted, "price"), "100.00");
  EXPECT_EQ(str(accepted, "qty"), "1.5000");
  EXPECT_EQ(str(r.of("cancelled")[0], "clientOrderId"), "a1");
  EXPECT_EQ(str(r.of("cancelled")[0], "reason"), "CANCELLED");
  EXPECT_EQ(r.balance("alice", "USDC"), "11000.000000");
  EXPECT_EQ(r.balance("alice", "USDC", "pending"), "0.000000");
}

// ---------------------------------------------------------------- sequence numbers

TEST(Replay, SequenceNumbersCountCommandsAndImplicitRegistrations) {
  Replay r = run({kSpotMarket, deposit("alice", "USDC", "5"), deposit("alice", "USDC", "5"),
                  "garbage", deposit("bob", "USDC", "5")});
  std::vector<std::pair<std::string, std::int64_t>> seen;
  for (const auto& e : r.events)
    if (e.contains("seq")) seen.emplace_back(str(e, "event"), e.at("seq").as_int64());
  using P = std::pair<std::string, std::int64_t>;
  EXPECT_EQ(seen, (std::vector<P>{{"marketCreated", 1},
                                  {"traderRegistered", 2},  // alice, with her grant
                                  {"deposited", 2},
                                  {"deposited", 3},
                                  {"deposited", 4},
                                  {"traderRegistered", 5},  // the bad line took no number
                                  {"deposited", 5},
                                  {"deposited", 6}}));
}

// ---------------------------------------------------------------- bad lines

TEST(Replay, EveryKindOfBadLineIsReportedWithItsLineNumberAndSkipped) {
  const std::string lines[] = {
      std::string(kSpotMarket),                                                         // 1
      "this is not json",                                                               // 2
      R"({"cmd":"launchRocket","mode":"PAPER"})",                                       // 3
      R"({"cmd":"deposit","mode":"PAPER","trader":"dave","asset":"USDC"})",             // 4
      R"({"cmd":"deposit","mode":"PAPER","trader":"dave","asset":"USDC","amount":5})",  // 5
      place("dave", "BUY", "100.001", "1", "d1"),                                       // 6
      place("dave", "BUY", "100.00", "1", "d1", "sETH/USDC"),                           // 7
      deposit("dave", "sXYZ", "1"),                                                     // 8
      deposit("dave", "USDC", "-5"),                                                    // 9
      "[1,2,3]",                                                                        // 10
      R"({"cmd":"placeOrder","mode":"PAPER","trader":"dave","market":"sBTC/USDC","side":"UP","type":"LIMIT","price":"1.00","qty":"1"})",  // 11
      R"({"cmd":"deposit","mode":"LIVE","trader":"dave","asset":"USDC","amount":"1"})",  // 12
      R"({"cmd":"deposit","mode":"PAPER","trader":"","asset":"USDC","amount":"1"})",     // 13
      R"({"cmd":"tick","ts":-1})",                                                       // 14
      "",  // 15: blank
  };
  std::string input;
  for (const auto& l : lines) input += l + "\n";
  Replay r = run_text(input);
  std::map<std::int64_t, std::string> errors;
  for (const auto& e : r.of("error")) errors[e.at("line").as_int64()] = str(e, "message");
  const std::map<std::int64_t, std::string> expect_fragment{
      {2, "not JSON"},
      {3, "unknown command \"launchRocket\""},
      {4, "deposit: amount: missing"},
      {5, "deposit: amount: must be a string"},
      {6, "placeOrder: price: value \"100.001\" has more than 2 decimal places"},
      {7, "placeOrder: market: unknown market \"sETH/USDC\" in mode PAPER"},
      {8, "deposit: asset: unknown asset \"sXYZ\""},
      {9, "deposit: amount: negative value \"-5\" not allowed"},
      {10, "must be a JSON object"},
      {11, "placeOrder: side: unknown value \"UP\""},
      {12, "deposit: mode: unknown value \"LIVE\""},
      {13, "deposit: trader: must be 1 to 128 characters"},
      {14, "tick: ts: must be an integer from 0"},
  };
  ASSERT_EQ(errors.size(), expect_fragment.size()) << r.out;
  for (const auto& [line, fragment] : expect_fragment) {
    EXPECT_NE(errors[line].find(fragment), std::string::npos)
        << "line " << line << ": " << errors[line];
    EXPECT_NE(r.err.find("line " + std::to_string(line) + ": "), std::string::npos) << r.err;
  }
  EXPECT_EQ(r.bad_lines, expect_fragment.size());
  // Nothing was applied for them: dave, named only by bad lines, was never registered.
  EXPECT_TRUE(r.of("traderRegistered").empty());
  EXPECT_TRUE(r.list("points").empty());
  EXPECT_TRUE(r.list("balances").empty());
}

TEST(Replay, ABatchWithOneBadCommandAppliesNoneOfIt) {
  Replay r = run(
      {kSpotMarket,
       R"({"cmd":"batch","mode":"PAPER","trader":"erin","commands":[)"
       R"({"cmd":"placeOrder","market":"sBTC/USDC","side":"BUY","type":"LIMIT","price":"1.00","qty":"1","clientOrderId":"e1"},)"
       R"({"cmd":"placeOrder","market":"sBTC/USDC","side":"BUY","type":"LIMIT","price":"1.001","qty":"1"}]})",
       R"({"cmd":"batch","commands":[{"cmd":"deposit","mode":"PAPER","trader":"erin","asset":"USDC","amount":"1"}]})"});
  auto errors = r.of("error");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(str(errors[0], "message"),
            "batch: commands[1]: placeOrder: price: value \"1.001\" has more than 2 decimal "
            "places");
  EXPECT_NE(str(errors[1], "message").find("\"deposit\" is not allowed in a batch"),
            std::string::npos);
  EXPECT_TRUE(r.of("traderRegistered").empty());
  EXPECT_TRUE(r.list("openOrders").empty());
}

// ---------------------------------------------------------------- every command and event

TEST(Replay, BatchAmendCancelAllAndOrderIdsAsStrings) {
  Replay r = run(
      {kSpotMarket,
       R"({"cmd":"batch","mode":"PAPER","trader":"alice","commands":[)"
       R"({"cmd":"placeOrder","market":"sBTC/USDC","side":"BUY","type":"LIMIT","price":"90.00","qty":"1","clientOrderId":"p1"},)"
       R"({"cmd":"placeOrder","market":"sBTC/USDC","side":"BUY","type":"LIMIT","price":"91.00","qty":"1","clientOrderId":"p2"},)"
       R"({"cmd":"amendOrder","market":"sBTC/USDC","clientOrderId":"p1","price":"92.00"}]})",
       R"({"cmd":"cancelAll","mode":"PAPER","trader":"alice","market":"sBTC/USDC"})"});
  ASSERT_EQ(r.bad_lines, 0u) << r.err;
  auto amended = r.of("amended");
  ASSERT_EQ(amended.size(), 1u);
  EXPECT_EQ(str(amended[0], "clientOrderId"), "p1");
  EXPECT_EQ(str(amended[0], "price"), "92.00");
  EXPECT_EQ(str(amended[0], "remainingQty"), "1.0000");
  EXPECT_EQ(amended[0].at("seq"), r.of("accepted")[0].at("seq"));  // one command
  auto cancelled = r.of("cancelled");
  ASSERT_EQ(cancelled.size(), 2u);
  EXPECT_EQ(str(cancelled[0], "reason"), "CANCEL_ALL");
  EXPECT_TRUE(r.list("openOrders").empty());

  // Amend and cancel by order id (a decimal string); the amend reads its market from the order.
  const std::string id = str(r.of("accepted")[0], "orderId");
  Replay r2 =
      run({kSpotMarket, place("alice", "BUY", "90.00", "1", "p1"),
           R"({"cmd":"amendOrder","mode":"PAPER","trader":"alice","orderId":")" + id +
               R"(","qty":"0.5"})",
           R"({"cmd":"cancelOrder","mode":"PAPER","trader":"alice","orderId":")" + id + R"("})"});
  ASSERT_EQ(r2.bad_lines, 0u) << r2.err;
  ASSERT_EQ(r2.of("amended").size(), 1u);
  EXPECT_EQ(str(r2.of("amended")[0], "qty"), "0.5000");
  ASSERT_EQ(r2.of("cancelled").size(), 1u);
  EXPECT_EQ(str(r2.of("cancelled")[0], "orderId"), id);
}

TEST(Replay, AmendNeedsPositiveValuesAndALiveOrder) {
  Replay r = run(
      {kSpotMarket, place("alice", "BUY", "90.00", "1", "p1"),
       R"({"cmd":"amendOrder","mode":"PAPER","trader":"alice","market":"sBTC/USDC","clientOrderId":"p1","qty":"0"})",
       R"({"cmd":"amendOrder","mode":"PAPER","trader":"alice","orderId":"77","price":"1.5"})",
       R"({"cmd":"amendOrder","mode":"PAPER","trader":"alice","clientOrderId":"p1","price":"91.00"})"});
  auto errors = r.of("error");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].at("line").as_int64(), 3);  // zero would mean "keep" to the engine
  EXPECT_NE(str(errors[0], "message").find("qty: value \"0\" must be positive"), std::string::npos);
  EXPECT_EQ(errors[1].at("line").as_int64(), 5);  // by client order id the market is required
  EXPECT_EQ(str(errors[1], "message"), "amendOrder: market: missing");
  auto rejected = r.of("rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(str(rejected[0], "reason"), "ORDER_NOT_FOUND");
  EXPECT_EQ(str(rejected[0], "orderId"), "77");
}

TEST(Replay, EveryEventKindHasAName) {
  Replay r = run({
      kSpotMarket,
      deposit("bob", "sBTC", "1"),
      R"({"cmd":"withdraw","mode":"PAPER","trader":"bob","asset":"USDC","amount":"1.5"})",
      place("bob", "SELL", "100.00", "0.5", "b1"),
      R"({"cmd":"placeOrder","mode":"PAPER","trader":"alice","market":"sBTC/USDC","side":"BUY","type":"MARKET","price":"100.00","qty":"0.7","clientOrderId":"m1"})",
      R"({"cmd":"placeOrder","mode":"PAPER","trader":"alice","market":"sBTC/USDC","side":"BUY","type":"STOP_LIMIT","price":"120.00","triggerPrice":"110.00","qty":"0.1","clientOrderId":"s1"})",
      R"({"cmd":"price","mode":"PAPER","market":"sBTC/USDC","index":"109.00","mark":"110.00"})",
      R"({"cmd":"placeOrder","mode":"PAPER","trader":"alice","market":"sBTC/USDC","side":"BUY","type":"LIMIT","price":"50.00","qty":"0.1","timeInForce":"GTT","expireAt":5000,"clientOrderId":"g1","ts":1000})",
      R"({"cmd":"amendOrder","mode":"PAPER","trader":"alice","market":"sBTC/USDC","clientOrderId":"g1","qty":"0.05"})",
      R"({"cmd":"tick","ts":5000})",
      R"({"cmd":"pauseMarket","mode":"PAPER","market":"sBTC/USDC"})",
      R"({"cmd":"resumeMarket","mode":"PAPER","market":"sBTC/USDC"})",
      R"({"cmd":"delistMarket","mode":"PAPER","market":"sBTC/USDC"})",
      R"({"cmd":"delistMarket","mode":"PAPER","market":"sBTC/USDC"})",
  });
  ASSERT_EQ(r.bad_lines, 0u) << r.err;
  std::set<std::string> kinds;
  for (const auto& e : r.events) kinds.insert(str(e, "event"));
  EXPECT_EQ(kinds, (std::set<std::string>{"accepted", "rejected", "fill", "cancelled", "expired",
                                          "amended", "triggered", "depth", "traderRegistered",
                                          "marketCreated", "marketStatus", "deposited", "withdrawn",
                                          "price"}));
  for (const auto& e : r.events) EXPECT_TRUE(e.contains("seq")) << json::serialize(e);

  auto expired = r.of("expired");
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(str(expired[0], "reason"), "MARKET_REMAINDER");
  EXPECT_EQ(str(expired[0], "qty"), "0.2000");
  EXPECT_EQ(str(expired[1], "reason"), "GTT_EXPIRED");
  EXPECT_EQ(str(expired[1], "clientOrderId"), "g1");
  auto triggered = r.of("triggered");
  ASSERT_EQ(triggered.size(), 1u);
  EXPECT_EQ(str(triggered[0], "triggerPrice"), "110.00");
  EXPECT_EQ(str(triggered[0], "clientOrderId"), "s1");
  auto price = r.of("price")[0];
  EXPECT_EQ(str(price, "mark"), "110.00");
  EXPECT_EQ(str(price, "index"), "109.00");
  std::vector<std::string> statuses;
  for (const auto& e : r.of("marketStatus")) statuses.push_back(str(e, "status"));
  EXPECT_EQ(statuses, (std::vector<std::string>{"PAUSED", "ACTIVE", "DELISTED"}));
  // The second delist is refused; the rejection names the market but no trader.
  auto rejected = r.of("rejected");
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(str(rejected[0], "reason"), "MARKET_NOT_ACTIVE");
  EXPECT_EQ(str(rejected[0], "market"), "sBTC/USDC");
  EXPECT_FALSE(rejected[0].contains("trader"));
  EXPECT_EQ(str(r.of("withdrawn")[0], "amount"), "1.500000");
  // The delisting cancelled the triggered stop that rested at 120.00.
  EXPECT_EQ(str(r.of("cancelled").back(), "clientOrderId"), "s1");
  EXPECT_TRUE(r.list("openOrders").empty());
  EXPECT_TRUE(r.state.at("audit").at("ok").as_bool());
}

TEST(Replay, DerivativeMarketsDecodeTheirSpecs) {
  Replay r = run({
      R"({"cmd":"createMarket","mode":"REAL","symbol":"BTC-28JUN-60000-C","kind":"OPTION","underlying":"BTC","tickSize":"0.5","lotSize":"0.01","expiry":1719561600000,"strike":"60000.5","optionType":"CALL","initialMarginBps":1500,"maintenanceMarginBps":1000})",
      R"({"cmd":"createMarket","mode":"REAL","symbol":"BTC-28JUN-P","kind":"OPTION","underlying":"BTC","tickSize":"0.5","lotSize":"0.01","expiry":1719561600000,"strike":"60000.25","optionType":"PUT"})",
      R"({"cmd":"createMarket","mode":"REAL","symbol":"ETH-FUT","kind":"FUTURE","underlying":"ETH","tickSize":"0.01","lotSize":"0.01"})",
  });
  auto created = r.of("marketCreated");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(str(created[0], "strike"), "60000.5");
  EXPECT_EQ(str(created[0], "optionType"), "CALL");
  EXPECT_EQ(str(created[0], "mode"), "REAL");
  EXPECT_EQ(created[0].at("expiry").as_int64(), 1719561600000);
  auto errors = r.of("error");
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(str(errors[0], "message").find("strike: value \"60000.25\" has more than 1"),
            std::string::npos);
  EXPECT_EQ(str(errors[1], "message"), "createMarket: expiry: missing");
}

TEST(Replay, StateLineHasTheContractShapeInADeterministicOrder) {
  Replay r = run({kSpotMarket, kPerpMarket, deposit("alice", "sBTC", "1"),
                  deposit("bob", "sETH", "2", "REAL"), deposit("alice", "sBTC", "1", "REAL"),
                  place("alice", "SELL", "200.00", "0.5", "a1"),
                  place("bob", "BUY", "100.0", "0.01", "b1", "BTC-PERP"),
                  place("alice", "SELL", "100.0", "0.01", "a2", "BTC-PERP")});
  ASSERT_EQ(r.bad_lines, 0u) << r.err;
  std::vector<std::string> keys;
  for (const auto& [k, v] : r.state) keys.emplace_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"balances", "positions", "openOrders", "points", "fees",
                                            "markets", "audit"}));
  auto has_fields = [](const json::object& o, std::initializer_list<std::string_view> fields) {
    for (auto f : fields)
      if (!o.contains(f)) return false;
    return true;
  };
  // Balances: REAL before PAPER, then trader id (alice before bob), then asset id.
  std::vector<std::string> order;
  for (const auto& b : r.list("balances")) {
    EXPECT_TRUE(has_fields(b, {"mode", "trader", "asset", "balance", "pending"}));
    order.push_back(str(b, "mode") + " " + str(b, "trader") + " " + str(b, "asset"));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"REAL alice sBTC", "REAL bob sETH", "PAPER alice USDC",
                                             "PAPER alice sBTC", "PAPER bob USDC"}));
  for (const auto& p : r.list("positions"))
    EXPECT_TRUE(has_fields(p, {"mode", "trader", "market", "size", "cost", "realizedPnl"}));
  ASSERT_EQ(r.list("positions").size(), 2u);
  auto open = r.list("openOrders");
  ASSERT_EQ(open.size(), 1u);
  EXPECT_TRUE(has_fields(open[0], {"mode", "trader", "clientOrderId", "market", "side", "price",
                                   "remainingQty", "orderId"}));
  EXPECT_EQ(str(open[0], "orderId"), str(r.of("accepted")[0], "orderId"));
  auto points = r.list("points");
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(str(points[0], "trader"), "alice");
  EXPECT_TRUE(points[0].at("points").is_int64());
  for (const auto& f : r.list("fees")) EXPECT_TRUE(has_fields(f, {"mode", "asset", "amount"}));
  const auto& audit = r.state.at("audit").as_object();
  EXPECT_TRUE(audit.at("ok").as_bool());
  EXPECT_TRUE(audit.at("problems").as_array().empty());
}

}  // namespace
}  // namespace cx::app::testing
