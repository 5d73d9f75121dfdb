"""Who may do what: other traders' orders, trader channels, bad or missing credentials, admin
routes, and the wall between REAL and PAPER."""
import harness
from harness import ServerTestCase, bound, q
from wsclient import WsClient

BAD_KEY = "cx_t_AAAAAAAAAAAA_" + "A" * 43

# (method, path, body) of every admin route.
ADMIN_ROUTES = [
    ("POST", "/api/admin/markets", {"mode": "PAPER", "symbol": "HACK/USDC", "kind": "SPOT", "base": "sBTC",
                                    "tickSize": "0.01", "lotSize": "0.0001"}),
    ("POST", "/api/admin/markets/status", {"mode": "PAPER", "market": "AZ/USDC", "status": "PAUSED"}),
    ("POST", "/api/admin/deposit", {"mode": "PAPER", "trader": "x", "asset": "USDC", "amount": "1"}),
    ("GET", "/api/admin/fees", None),
]


class Authorization(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            t = cls.client()
            cls.a = t.login("tradera@example.com")
            cls.b = t.login("traderb@example.com")
            t.create_market("AZ/USDC")
            st, body = t.place(cls.b, "AZ/USDC", "BUY", "50.00", "0.1000")
            assert st == 201, body
            cls.b_order = body["order"]["orderId"]
        except BaseException:
            cls.tearDownClass()
            raise

    def assertStillOpen(self):
        self.assertEqual([o["orderId"] for o in self.open_orders(self.b, market="AZ/USDC")], [self.b_order])

    def test_trader_a_cannot_see_or_cancel_or_amend_b_order(self):
        self.assertError(self.http("GET", "/api/orders/" + self.b_order, key=self.a.trader_ak), 404)
        st, body = self.http("DELETE", "/api/orders/%s?mode=PAPER" % self.b_order, key=self.a.trader_ak)
        self.assertError((st, body), 404)
        st, body = self.http("PATCH", "/api/orders/" + self.b_order, {"mode": "PAPER", "price": "51.00"},
                             key=self.a.trader_ak)
        self.assertError((st, body), 404)
        batch = {"mode": "PAPER", "cancels": [{"orderId": self.b_order}]}
        st, body = self.http("POST", "/api/orders/batch", batch, key=self.a.trader_ak)
        self.assertEqual(st // 100, 4, body)
        self.ok("DELETE", "/api/orders?mode=PAPER", key=self.a.trader_ak)  # A's cancel-all
        self.assertNotIn(self.b_order, [o["orderId"] for o in self.open_orders(self.a)])
        self.assertStillOpen()
        self.assertEqual(self.ok("GET", "/api/orders/" + self.b_order, key=self.b.trader_ak)["status"], "OPEN")

    def test_trader_a_cannot_subscribe_to_trader_b(self):
        ws = WsClient(self.server.port, "/ws?traderAk=" + self.a.trader_ak, timeout=bound(10))
        try:
            for mode in ("PAPER", "REAL"):
                ws.send_json({"op": "subscribe", "channel": "trader.%s.%s" % (self.b.id, mode)})
                msg = ws.recv_json(timeout=bound(10))
                self.assertEqual((msg["type"], msg["code"]), ("error", "FORBIDDEN"))
        finally:
            ws.close()

    def test_no_wrong_or_revoked_credentials_are_401(self):
        calls = [("GET", "/api/orders?mode=PAPER", None), ("GET", "/api/balances?mode=PAPER", None),
                 ("GET", "/api/positions?mode=PAPER", None), ("GET", "/api/trades/history?mode=PAPER", None),
                 ("POST", "/api/orders", {"mode": "PAPER", "market": "AZ/USDC", "side": "BUY", "type": "LIMIT",
                                          "price": "1.00", "qty": "0.1000"}),
                 ("DELETE", "/api/orders?mode=PAPER", None), ("GET", "/api/user/me", None)]
        # The provider key is a valid key of the wrong kind.
        wrong_kind = self.a.keys["providerAk"]["secret"]
        for method, path, body in calls:
            self.assertError(self.http(method, path, body), 401)
            self.assertError(self.http(method, path, body, key=BAD_KEY), 401)
            self.assertError(self.http(method, path, body, key="garbage"), 401)
            self.assertError(self.http(method, path, body, token="not.a.jwt"), 401)
            st, resp = self.http(method, path, body, key=wrong_kind)
            self.assertIn(st, (401, 403), resp)
        c = self.login("revoked@example.com")
        self.ok("DELETE", "/api/user/keys/" + c.keys["traderAk"]["prefix"], token=c.access)
        for method, path, body in calls:
            self.assertError(self.http(method, path, body, key=c.trader_ak), 401)
        self.assertStillOpen()

    def test_non_admin_gets_403_on_every_admin_route(self):
        for method, path, body in ADMIN_ROUTES:
            self.assertError(self.http(method, path, body, token=self.a.access), 403)
            self.assertError(self.http(method, path, body), 401)
            # A trader key is not a session.
            self.assertError(self.http(method, path, body, key=self.a.trader_ak), 401)
        markets = [x["symbol"] for x in self.ok("GET", "/api/markets")["markets"]]
        self.assertNotIn("HACK/USDC", markets)
        self.assertEqual(self.ok("GET", "/api/markets?mode=PAPER")["markets"][0]["status"], "ACTIVE")
        # The admin may.
        self.ok("GET", "/api/admin/fees", token=self.admin().access)

    def test_real_and_paper_never_leak(self):
        d = self.login("newcomer@example.com")
        self.assertEqual(self.ok("GET", "/api/balances?mode=REAL", key=d.trader_ak)["balances"], [])
        paper = {b["asset"]: b["balance"] for b in
                 self.ok("GET", "/api/balances?mode=PAPER", key=d.trader_ak)["balances"]}
        self.assertEqual(paper, {"USDC": "10000.000000"})
        # B's PAPER order is in no REAL listing.
        self.assertEqual(self.open_orders(self.b, mode="REAL"), [])
        self.assertEqual(self.ok("GET", "/api/orders?mode=REAL&status=all", key=self.b.trader_ak)["orders"], [])
        self.assertEqual(self.ok("GET", "/api/trades/history?mode=REAL", key=self.b.trader_ak)["fills"], [])
        self.assertEqual(self.ok("GET", "/api/balances?mode=REAL", key=self.b.trader_ak)["balances"], [])
        self.assertError(self.http("DELETE", "/api/orders/%s?mode=REAL" % self.b_order, key=self.b.trader_ak), 404)
        self.assertStillOpen()
        # A PAPER market's name is unknown in REAL.
        st, body = self.place(self.b, "AZ/USDC", "BUY", "50.00", "0.1000", mode="REAL")
        self.assertEqual(st // 100, 4, body)
        self.assertIn(st, (400, 404), body)
        self.assertError(self.http("GET", "/api/klines?mode=REAL&market=" + q("AZ/USDC")), 404)
        self.assertError(self.http("GET", "/api/trades?mode=REAL&market=" + q("AZ/USDC")), 404)
        self.assertNotIn("AZ/USDC", [x["symbol"] for x in self.ok("GET", "/api/markets?mode=REAL")["markets"]])
        ws = WsClient(self.server.port, "/ws", timeout=bound(10))
        try:
            ws.send_json({"op": "subscribe", "channel": "market.AZ/USDC.REAL"})
            self.assertEqual(ws.recv_json(timeout=bound(10))["code"], "NOT_FOUND")
        finally:
            ws.close()
        self.assertEqual(self.balances(self.b, mode="REAL"), {})


if __name__ == "__main__":
    harness.main()
