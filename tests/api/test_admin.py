"""Admin routes: markets (create, refuse, pause, resume, delist), deposits, fee accounts."""
import harness
from harness import ServerTestCase, q


class Admin(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            t = cls.client()
            cls.u = t.login("adm-user@example.com")
            cls.v = t.login("adm-other@example.com")
        except BaseException:
            cls.tearDownClass()
            raise

    def test_admin_role_comes_from_the_configured_emails(self):
        me = self.ok("GET", "/api/user/me", token=self.admin().access)
        self.assertEqual(me["roles"], ["admin"])
        self.assertEqual(self.ok("GET", "/api/user/me", token=self.u.access)["roles"], [])

    def test_create_market_echoes_its_spec_and_refuses_duplicates_and_bad_specs(self):
        m = self.create_market("ADM1/USDC", maker_bps=3, taker_bps=7)
        self.assertEqual((m["symbol"], m["mode"], m["kind"], m["base"], m["quote"], m["tickSize"],
                          m["lotSize"], m["makerFeeBps"], m["takerFeeBps"], m["status"]),
                         ("ADM1/USDC", "PAPER", "SPOT", "sBTC", "USDC", "0.01", "0.0001", 3, 7, "ACTIVE"))
        listed = [x for x in self.ok("GET", "/api/markets?mode=PAPER")["markets"] if x["symbol"] == "ADM1/USDC"]
        self.assertEqual(len(listed), 1)
        body = {"mode": "PAPER", "symbol": "ADM1/USDC", "kind": "SPOT", "base": "sBTC",
                "tickSize": "0.01", "lotSize": "0.0001"}
        st, resp = self.http("POST", "/api/admin/markets", body, token=self.admin().access)
        self.assertError((st, resp), st)
        self.assertEqual(st // 100, 4, resp)
        # The same symbol in the other mode is another market.
        self.ok("POST", "/api/admin/markets", dict(body, mode="REAL"), token=self.admin().access, expect=201)
        for bad in (dict(body, symbol="ADM2/USDC", kind="SWAP"), dict(body, symbol="ADM2/USDC", base="XYZ"),
                    dict(body, symbol="ADM2/USDC", tickSize="0"), dict(body, symbol="ADM2/USDC", mode=None),
                    dict(body, symbol="ADM2/USDC", tickSize="0.001", lotSize="0.0001")):
            bad = {k: v for k, v in bad.items() if v is not None}
            st, resp = self.http("POST", "/api/admin/markets", bad, token=self.admin().access)
            self.assertEqual(st // 100, 4, (bad, resp))
            self.assertError((st, resp), st)
        self.assertNotIn("ADM2/USDC", [x["symbol"] for x in self.ok("GET", "/api/markets")["markets"]])

    def test_pause_refuses_orders_but_allows_cancels_then_resume_and_delist(self):
        m = "ADM3/USDC"
        self.create_market(m)
        st, o = self.place(self.u, m, "BUY", "10.00", "0.1000")
        self.assertEqual(st, 201, o)
        status = lambda s: self.ok("POST", "/api/admin/markets/status", {"mode": "PAPER", "market": m, "status": s},
                                   token=self.admin().access)
        status("PAUSED")
        self.assertEqual([x["status"] for x in self.ok("GET", "/api/markets?mode=PAPER")["markets"]
                          if x["symbol"] == m], ["PAUSED"])
        before = self.balances(self.u)
        st, resp = self.place(self.u, m, "BUY", "11.00", "0.1000")
        self.assertEqual(st, 422, resp)
        self.assertError((st, resp), 422)
        self.assertEqual(self.balances(self.u), before)
        self.ok("DELETE", "/api/orders/%s?mode=PAPER" % o["order"]["orderId"], key=self.u.trader_ak)
        status("ACTIVE")
        st, o2 = self.place(self.u, m, "BUY", "12.00", "0.1000")
        self.assertEqual(st, 201, o2)
        status("DELISTED")
        self.assertEqual(self.open_orders(self.u, market=m), [])
        self.assertEqual(self.ok("GET", "/api/orders/" + o2["order"]["orderId"], key=self.u.trader_ak)["status"],
                         "CANCELLED")
        st, resp = self.http("POST", "/api/admin/markets/status", {"mode": "PAPER", "market": m, "status": "ACTIVE"},
                             token=self.admin().access)
        self.assertEqual(st // 100, 4, resp)
        self.assertError(self.http("POST", "/api/admin/markets/status",
                                   {"mode": "PAPER", "market": m, "status": "SLEEPING"},
                                   token=self.admin().access), 400)
        st, resp = self.http("POST", "/api/admin/markets/status", {"mode": "PAPER", "market": "NOPE", "status": "PAUSED"},
                             token=self.admin().access)
        self.assertEqual(st // 100, 4, resp)

    def test_deposits_credit_one_mode_of_existing_traders_only(self):
        self.deposit(self.v, "USDC", "12.5", mode="REAL")
        self.assertEqual(self.balances(self.v, mode="REAL")["USDC"]["balance"], "12.500000")
        self.assertEqual(self.balances(self.v, mode="PAPER")["USDC"]["balance"], "10000.000000")
        self.assertError(self.http("POST", "/api/admin/deposit",
                                   {"mode": "PAPER", "trader": "nobody", "asset": "USDC", "amount": "1"},
                                   token=self.admin().access), 404)
        for bad in ({"mode": "PAPER", "trader": self.v.id, "asset": "DOGE", "amount": "1"},
                    {"mode": "PAPER", "trader": self.v.id, "asset": "USDC", "amount": "-1"},
                    {"mode": "PAPER", "trader": self.v.id, "asset": "USDC", "amount": "1.0000001"},
                    {"trader": self.v.id, "asset": "USDC", "amount": "1"}):
            st, resp = self.http("POST", "/api/admin/deposit", bad, token=self.admin().access)
            self.assertEqual(st // 100, 4, (bad, resp))
        self.assertEqual(self.balances(self.v, mode="PAPER")["USDC"]["balance"], "10000.000000")
        self.assertEqual(self.balances(self.v, mode="REAL")["USDC"]["balance"], "12.500000")
        self.assertNotIn("nobody", [b["traderId"] for b in self.ok("GET", "/api/leaderboard")["leaderboard"]])

    def test_fee_accounts_hold_exactly_the_fees_of_the_trades(self):
        m = "ADM4/USDC"
        self.create_market(m, maker_bps=2, taker_bps=5)
        fees_before = {(a["mode"], a["asset"]): a for a in
                       self.ok("GET", "/api/admin/fees", token=self.admin().access)["accounts"]}
        paper_before = fees_before.get(("PAPER", "USDC"), {"fees": "0.000000"})["fees"]
        self.deposit(self.v, "sBTC", "1")
        self.assertEqual(self.place(self.v, m, "SELL", "123.45", "0.0100")[0], 201)
        st, body = self.place(self.u, m, "BUY", "123.45", "0.0100")
        self.assertEqual(body["order"]["status"], "FILLED")
        # notional 1.2345 USDC = 1 234 500 units; taker ceil(617.25) = 618, maker ceil(246.9) = 247.
        self.assertEqual(body["order"]["fees"], "0.000618")
        fees = self.ok("GET", "/api/admin/fees", token=self.admin().access)
        self.assertTrue(fees["auditOk"])
        paper = {(a["mode"], a["asset"]): a for a in fees["accounts"]}[("PAPER", "USDC")]
        self.assertEqual(int(paper["fees"].replace(".", "")) - int(paper_before.replace(".", "")), 618 + 247)
        fills = self.ok("GET", "/api/trades/history?mode=PAPER&market=" + q(m), key=self.v.trader_ak)["fills"]
        self.assertEqual([(f["liquidity"], f["fee"], f["notional"]) for f in fills],
                         [("MAKER", "0.000247", "1.234500")])


if __name__ == "__main__":
    harness.main()
