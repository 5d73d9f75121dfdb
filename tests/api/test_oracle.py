"""The oracle in the real server: HTTP price sources served by this test on 127.0.0.1, the index
as the median of the fresh ones, prices in /api/prices and its history, a stale index that
refuses new risk with STALE_ORACLE_PRICE and a fresh one that lifts it, the scheduler's funding,
and the leaderboard by PnL; then --demo's simulated source."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness
from wsclient import WsClient
from harness import ServerTestCase, q, wait_until

API_KEY = "test-cmc-key"


class PriceServer:
    """A CoinMarketCap-style quotes endpoint and a generic JSON one; the test sets the prices
    and can make every answer fail."""

    def __init__(self):
        self.cmc_btc = 60000.0
        self.json_btc = "60100.00"
        self.failing = False
        self.cmc_keys = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if outer.failing:
                    return self.answer(500, {"error": "down"})
                if self.path.startswith("/v1/cryptocurrency/quotes/latest"):
                    outer.cmc_keys.append(self.headers.get("X-CMC_PRO_API_KEY"))
                    if self.headers.get("X-CMC_PRO_API_KEY") != API_KEY:
                        return self.answer(401, {"status": {"error_code": 1002,
                                                            "error_message": "API key missing."}})
                    return self.answer(200, {"status": {"error_code": 0},
                                             "data": {"BTC": {"quote": {"USD": {"price": outer.cmc_btc}}}}})
                if self.path.startswith("/price"):
                    return self.answer(200, {"data": {"price": outer.json_btc}})
                return self.answer(404, {})

            def answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def units(text):
    return int(text.replace(".", ""))


class OracleSources(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.prices = PriceServer()
        cls.prices.start()
        base = "http://127.0.0.1:%d" % cls.prices.port
        cls.server_env = {
            "CX_ORACLE_SOURCES": "cmc=%s,json=%s/price#data.price#BTC" % (base, base),
            "CX_ORACLE_CMC_API_KEY": API_KEY,
            "CX_ORACLE_POLL_MS": "100",
            "CX_ORACLE_MAX_AGE_MS": "1500",
            "CX_FUNDING_SAMPLE_MS": "1000",
            "CX_FUNDING_SETTLE_MS": "3000",
            "CX_SCHEDULER_ROUND_MS": "100",
        }
        try:
            super().setUpClass()
        except BaseException:
            cls.prices.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.prices.stop()

    def perp(self, symbol):
        body = {"mode": "PAPER", "symbol": symbol, "kind": "PERP", "underlying": "BTC",
                "tickSize": "0.01", "lotSize": "0.0001", "makerFeeBps": 0, "takerFeeBps": 0}
        self.ok("POST", "/api/admin/markets", body, token=self.admin().access, expect=201)

    def price_of(self, symbol):
        body = self.ok("GET", "/api/prices?mode=PAPER")
        for p in body["prices"]:
            if p["market"] == symbol:
                return p, body
        return None, body

    def fresh(self, symbol, index=None):
        def check():
            p, _ = self.price_of(symbol)
            if p and not p["stale"] and p["sources"] == 2 and (index is None or p["index"] == index):
                return p
            return None
        return wait_until(check, 15, "a fresh price for " + symbol)

    def test_1_index_is_the_median_of_the_sources_and_refuses_risk_when_stale(self):
        self.perp("ORC-PERP")
        # Two fresh sources, 60,000 and 60,100: the median is their mean.
        p = self.fresh("ORC-PERP", "60050.00")
        self.assertIsNotNone(p["priceTs"])
        _, body = self.price_of("ORC-PERP")
        btc = [u for u in body["underlyings"] if u["underlying"] == "BTC"][0]
        self.assertEqual((btc["index"], btc["sources"], btc["stale"]), ("60050", 2, False))
        names = sorted(s["name"] for s in body["sources"])
        self.assertEqual(names, ["cmc", "json:BTC"])
        self.assertEqual(body["maxAgeMs"], 1500)
        self.assertIn(API_KEY, self.prices.cmc_keys)
        # The price moves at one source: the index follows.
        self.prices.json_btc = "60300.00"
        self.fresh("ORC-PERP", "60150.00")

        trader = self.login("oracle-trader@example.com")
        self.deposit(trader, "USDC", "100000")
        st, body = self.place(trader, "ORC-PERP", "BUY", "59000.00", "0.0100")
        self.assertEqual(st, 201, body)
        # Every source fails: once the quotes and then the market's price are too old, new risk
        # is refused and says why; a reduce-only order and cancels still work.
        self.prices.failing = True

        def refused():
            st2, b2 = self.place(trader, "ORC-PERP", "BUY", "59000.00", "0.0100")
            if st2 == 201:
                self.ok("DELETE", "/api/orders/%s?mode=PAPER" % b2["order"]["orderId"],
                        key=trader.trader_ak)
                return None
            return (st2, b2)
        st, body = wait_until(refused, 15, "STALE_ORACLE_PRICE")
        self.assertEqual(body["error"]["code"], "STALE_ORACLE_PRICE", body)
        p, body = self.price_of("ORC-PERP")
        self.assertTrue(p["stale"])
        btc = [u for u in body["underlyings"] if u["underlying"] == "BTC"][0]
        self.assertTrue(btc["stale"])
        self.assertIsNone(btc["index"])
        self.assertTrue(all(s["lastError"] for s in body["sources"]), body["sources"])
        # The sources come back: so does trading.
        self.prices.failing = False
        self.fresh("ORC-PERP")
        st, body = self.place(trader, "ORC-PERP", "BUY", "59000.00", "0.0100")
        self.assertEqual(st, 201, body)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=ORC-PERP", key=trader.trader_ak)

    def test_2_price_history_has_a_point_per_minute(self):
        self.fresh("ORC-PERP")
        body = wait_until(lambda: self.ok("GET", "/api/prices/history?mode=PAPER&market=ORC-PERP")["prices"],
                          10, "price history")
        last = body[-1]
        self.assertEqual(last["minute"] % 60000, 0)
        self.assertGreaterEqual(units(last["index"]), units("60000.00"))
        self.assertEqual(self.http("GET", "/api/prices/history?mode=PAPER&market=NOPE")[0], 404)
        self.assertEqual(self.http("GET", "/api/prices/history?mode=PAPER")[0], 400)

    def test_3_funding_is_paid_and_the_pnl_leaderboard_ranks_realised_pnl(self):
        self.perp("FND-PERP")
        self.fresh("FND-PERP")
        long_ = self.login("fund-long@example.com")
        short = self.login("fund-short@example.com")
        for u in (long_, short):
            self.deposit(u, "USDC", "100000")
        # The long's trader channel hears of the payment as a "funding" message.
        ws = WsClient(self.server.port, "/ws", headers={"X-Trader-Ak": long_.trader_ak},
                      timeout=harness.bound(10))
        channel = "trader.%s.PAPER" % long_.id
        ws.send_json({"op": "subscribe", "channel": channel})
        st, body = self.place(short, "FND-PERP", "SELL", "60000.00", "0.1000")
        self.assertEqual(st, 201, body)
        st, body = self.place(long_, "FND-PERP", "BUY", "60000.00", "0.1000")
        self.assertEqual(st, 201, body)
        # With no premium the rate is the interest term: longs pay, shorts receive.
        def funded():
            pos = self.ok("GET", "/api/positions?mode=PAPER", key=long_.trader_ak)
            for p in pos.get("positions", []):
                if p["market"] == "FND-PERP" and units(p.get("funding", "0")) < 0:
                    return p
            return None
        paid = wait_until(funded, 20, "a funding payment")
        msg, _ = ws.recv_until(lambda m: m.get("type") == "funding", timeout=harness.bound(10))
        self.assertEqual(msg["channel"], channel)
        self.assertEqual(msg["data"]["event"], "funding")
        self.assertEqual(msg["data"]["market"], "FND-PERP")
        self.assertLess(units(msg["data"]["amount"]), 0, msg)  # the long pays
        self.assertLessEqual(units(paid["funding"]), units(msg["data"]["amount"]))
        ws.close()
        # ... and it is in the long's income history.
        def income():
            rows = self.ok("GET", "/api/income?mode=PAPER&kind=FUNDING",
                           key=long_.trader_ak)["income"]
            return rows or None
        rows = wait_until(income, 10, "a funding row in /api/income")
        for row in rows:
            self.assertEqual((row["kind"], row["market"], row["asset"]),
                             ("FUNDING", "FND-PERP", "USDC"), row)
            self.assertLess(units(row["amount"]), 0, row)
        self.assertEqual(rows[-1]["amount"], msg["data"]["amount"])  # oldest first payment
        st, body = self.http("GET", "/api/income?mode=PAPER&kind=BONUS", key=long_.trader_ak)
        self.assertEqual(st, 400, body)
        self.assertEqual(self.http("GET", "/api/income?mode=PAPER")[0], 401)
        # The long closes at a profit, the short at a loss.
        st, body = self.place(short, "FND-PERP", "BUY", "61000.00", "0.1000")
        self.assertEqual(st, 201, body)
        st, body = self.place(long_, "FND-PERP", "SELL", "61000.00", "0.1000")
        self.assertEqual(st, 201, body)
        self.assertEqual(body["order"]["status"], "FILLED", body)

        def ranked():
            b = self.ok("GET", "/api/leaderboard?by=pnl&limit=500")
            names = [e["traderId"] for e in b["leaderboard"]]
            if long_.id in names and short.id in names:
                return b
            return None
        board = wait_until(ranked, 10, "both traders on the PnL leaderboard")
        self.assertEqual(board["by"], "pnl")
        pnls = [units(e["realizedPnl"]) for e in board["leaderboard"]]
        self.assertEqual(pnls, sorted(pnls, reverse=True))
        self.assertEqual([e["rank"] for e in board["leaderboard"]],
                         list(range(1, len(pnls) + 1)))
        self.assertEqual(self.http("GET", "/api/leaderboard?by=luck")[0], 400)
        self.assertEqual(self.ok("GET", "/api/leaderboard")["by"], "points")

    def test_4_the_insurance_fund_is_public(self):
        body = self.ok("GET", "/api/insurance")
        self.assertEqual(sorted(f["mode"] for f in body["funds"]), ["PAPER", "REAL"])
        for f in body["funds"]:
            self.assertEqual(f["asset"], "USDC")
            # Penalties and funding rounding only add to it; nothing here took it below zero.
            self.assertGreaterEqual(units(f["balance"]), 0, f)
        paper = self.ok("GET", "/api/insurance?mode=PAPER")["funds"]
        self.assertEqual([f["mode"] for f in paper], ["PAPER"])
        self.assertEqual(self.http("GET", "/api/insurance?mode=BOGUS")[0], 400)


class DemoOracle(ServerTestCase):
    server_args = ("--demo",)
    server_env = {"CX_ORACLE_MAX_AGE_MS": "30000", "CX_ORACLE_POLL_MS": "200"}

    def test_demo_markets_are_priced_by_the_simulated_source(self):
        def priced():
            body = self.ok("GET", "/api/prices?mode=PAPER")
            perp = [p for p in body["prices"] if p["market"] == "BTC-PERP"]
            if perp and not perp[0]["stale"] and perp[0]["sources"] == 1:
                return body
            return None
        body = wait_until(priced, 20, "demo prices")
        self.assertEqual([s["name"] for s in body["sources"]], ["simulated"])
        self.assertEqual(sorted(u["underlying"] for u in body["underlyings"]), ["BTC", "ETH"])
        btc = [u for u in body["underlyings"] if u["underlying"] == "BTC"][0]
        # A walk of +-0.05% a step from 60,000 stays well within +-20% in a test's time.
        self.assertTrue(48000 < float(btc["index"]) < 72000, btc)


if __name__ == "__main__":
    harness.main()
