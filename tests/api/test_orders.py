"""Orders over REST against the real engine: order types, trades between users, cancel, amend,
listings and history pagination, idempotent client order ids, batches, exact balances.

Every test trades on a market of its own (maker 2 bps, taker 5 bps, tick 0.01, lot 0.0001), so
the arithmetic is known: notional in USDC units (6 decimals) = price units x qty units.
"""
import itertools
import os
import threading

import unittest

import harness
from harness import ServerTestCase, q

_ids = itertools.count(1)


def units(text):
    """A decimal string at its full scale as an integer of its smallest units."""
    neg = text.startswith("-")
    v = int(text.lstrip("-").replace(".", ""))
    return -v if neg else v


def usdc(n):
    sign = "-" if n < 0 else ""
    n = abs(n)
    return "%s%d.%06d" % (sign, n // 1000000, n % 1000000)


def fee(notional_units, bps):
    return -(-notional_units * bps // 10000)


class Orders(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            t = cls.client()
            cls.alice = t.login("alice@example.com")
            cls.bob = t.login("bob@example.com")
            t.deposit(cls.bob, "sBTC", "100")
        except BaseException:
            cls.tearDownClass()
            raise

    def market(self, kind="SPOT"):
        symbol = "O%d%s" % (next(_ids), "/USDC" if kind == "SPOT" else "-PERP")
        if kind == "SPOT":
            self.create_market(symbol)
        else:
            body = {"mode": "PAPER", "symbol": symbol, "kind": "PERP", "underlying": "BTC",
                    "tickSize": "0.01", "lotSize": "0.0001", "makerFeeBps": 2, "takerFeeBps": 5}
            self.ok("POST", "/api/admin/markets", body, token=self.admin().access, expect=201)
        return symbol

    def units_of(self, user, asset):
        b = self.balances(user).get(asset)
        if b is None:
            return 0, 0
        return units(b["balance"]), units(b["pending"])

    def placed(self, user, market, side, price, qty, **extra):
        st, body = self.place(user, market, side, price, qty, **extra)
        self.assertEqual(st, 201, body)
        return body["order"]

    def get_order(self, user, order_id):
        return self.ok("GET", "/api/orders/" + order_id, key=user.trader_ak)

    # ---------------------------------------------------------------- order types

    def test_limit_order_rests_locks_notional_plus_fee_and_cancel_releases(self):
        m = self.market()
        before = self.units_of(self.alice, "USDC")
        o = self.placed(self.alice, m, "BUY", "99.00", "1.0000")
        self.assertEqual((o["status"], o["remainingQty"], o["filledQty"]), ("OPEN", "1.0000", "0.0000"))
        # 10 000 lots x (9 900 + ceil(9 900 x 5 / 10 000)) units.
        lock = 10000 * (9900 + fee(9900, 5))
        self.assertEqual(self.units_of(self.alice, "USDC"), (before[0], before[1] + lock))
        self.assertEqual(usdc(lock), "99.050000")
        listed = self.open_orders(self.alice, market=m)
        self.assertEqual([x["orderId"] for x in listed], [o["orderId"]])
        self.assertEqual(listed[0]["price"], "99.00")
        got = self.get_order(self.alice, o["orderId"])
        self.assertEqual((got["status"], got["type"], got["timeInForce"]), ("OPEN", "LIMIT", "GTC"))
        res = self.ok("DELETE", "/api/orders/%s?mode=PAPER" % o["orderId"], key=self.alice.trader_ak)
        self.assertEqual([c["orderId"] for c in res["cancelled"]], [o["orderId"]])
        self.assertEqual(self.units_of(self.alice, "USDC"), before)
        self.assertEqual(self.open_orders(self.alice, market=m), [])
        self.assertEqual(self.get_order(self.alice, o["orderId"])["status"], "CANCELLED")

    def test_trade_between_two_users_settles_exact_fees(self):
        m = self.market()
        a_usdc, a_btc, b_usdc, b_btc = (self.units_of(self.alice, "USDC"), self.units_of(self.alice, "sBTC"),
                                        self.units_of(self.bob, "USDC"), self.units_of(self.bob, "sBTC"))
        sell = self.placed(self.bob, m, "SELL", "100.00", "0.5000")
        self.assertEqual(self.units_of(self.bob, "sBTC"), (b_btc[0], b_btc[1] + 50000000))
        buy = self.placed(self.alice, m, "BUY", "100.00", "0.2000")
        notional = 10000 * 2000  # 20 USDC
        self.assertEqual(buy["status"], "FILLED")
        self.assertEqual(buy["filledNotional"], "20.000000")
        self.assertEqual(buy["fees"], usdc(fee(notional, 5)))
        self.assertEqual(buy["fees"], "0.010000")
        self.assertEqual(buy["fills"][0]["makerOrderId"], sell["orderId"])
        self.assertEqual(self.units_of(self.alice, "USDC"), (a_usdc[0] - notional - fee(notional, 5), a_usdc[1]))
        self.assertEqual(self.units_of(self.alice, "sBTC"), (a_btc[0] + 20000000, a_btc[1]))
        self.assertEqual(self.units_of(self.bob, "USDC"), (b_usdc[0] + notional - fee(notional, 2), b_usdc[1]))
        self.assertEqual(self.units_of(self.bob, "sBTC"), (b_btc[0] - 20000000, b_btc[1] + 30000000))
        maker = self.get_order(self.bob, sell["orderId"])
        self.assertEqual((maker["status"], maker["filledQty"], maker["remainingQty"], maker["fees"]),
                         ("PARTIAL", "0.2000", "0.3000", "0.004000"))
        fills = self.ok("GET", "/api/trades/history?mode=PAPER&market=" + q(m), key=self.bob.trader_ak)["fills"]
        self.assertEqual([(f["side"], f["liquidity"], f["price"], f["qty"], f["fee"]) for f in fills],
                         [("SELL", "MAKER", "100.00", "0.2000", "0.004000")])
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.bob.trader_ak)

    def test_perp_trade_opens_positions(self):
        m = self.market("PERP")
        self.placed(self.bob, m, "SELL", "100.00", "0.1000")
        self.placed(self.alice, m, "BUY", "100.00", "0.1000")
        pa = {p["market"]: p for p in self.ok("GET", "/api/positions?mode=PAPER", key=self.alice.trader_ak)["positions"]}
        pb = {p["market"]: p for p in self.ok("GET", "/api/positions?mode=PAPER", key=self.bob.trader_ak)["positions"]}
        self.assertEqual((pa[m]["size"], pa[m]["cost"]), ("0.1000", "10.000000"))
        self.assertEqual((pb[m]["size"], pb[m]["cost"]), ("-0.1000", "-10.000000"))
        self.assertEqual(self.ok("GET", "/api/positions?mode=REAL", key=self.alice.trader_ak)["positions"], [])
        # Alice sells 0.2 at 110: closes her long (+1 USDC realised) and opens a short at 110.
        a0, b0 = self.units_of(self.alice, "USDC")[0], self.units_of(self.bob, "USDC")[0]
        self.placed(self.bob, m, "BUY", "110.00", "0.2000")
        self.placed(self.alice, m, "SELL", "110.00", "0.2000")
        pa = {p["market"]: p for p in self.ok("GET", "/api/positions?mode=PAPER", key=self.alice.trader_ak)["positions"]}
        pb = {p["market"]: p for p in self.ok("GET", "/api/positions?mode=PAPER", key=self.bob.trader_ak)["positions"]}
        self.assertEqual((pa[m]["size"], pa[m]["cost"], pa[m]["realizedPnl"]), ("-0.1000", "-11.000000", "1.000000"))
        self.assertEqual((pb[m]["size"], pb[m]["cost"], pb[m]["realizedPnl"]), ("0.1000", "11.000000", "-1.000000"))
        notional = 11000 * 2000  # 22 USDC
        self.assertEqual(self.units_of(self.alice, "USDC")[0] - a0, 1000000 - fee(notional, 5))
        self.assertEqual(self.units_of(self.bob, "USDC")[0] - b0, -1000000 - fee(notional, 2))

    def test_market_order_never_fills_beyond_its_protection_price(self):
        m = self.market()
        self.placed(self.bob, m, "SELL", "100.00", "0.1000")
        far = self.placed(self.bob, m, "SELL", "101.00", "0.1000")
        o = self.placed(self.alice, m, "BUY", "100.50", "0.3000", type="MARKET")
        self.assertEqual((o["filledQty"], o["status"]), ("0.1000", "EXPIRED"))
        self.assertEqual([f["price"] for f in o["fills"]], ["100.00"])
        self.assertEqual(self.get_order(self.bob, far["orderId"])["remainingQty"], "0.1000")
        self.assertEqual(self.open_orders(self.alice, market=m), [])
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.bob.trader_ak)

    def test_ioc_fills_what_it_can_and_expires_the_rest(self):
        m = self.market()
        self.placed(self.bob, m, "SELL", "100.00", "0.1000")
        before = self.units_of(self.alice, "USDC")
        o = self.placed(self.alice, m, "BUY", "100.00", "0.3000", timeInForce="IOC")
        self.assertEqual((o["filledQty"], o["remainingQty"], o["status"], o["reason"]),
                         ("0.1000", "0.0000", "EXPIRED", "IOC_REMAINDER"))
        self.assertEqual(self.units_of(self.alice, "USDC"), (before[0] - 10000000 - 5000, before[1]))
        self.assertEqual(self.open_orders(self.alice, market=m), [])

    def test_fok_fills_completely_or_not_at_all(self):
        m = self.market()
        sell = self.placed(self.bob, m, "SELL", "100.00", "0.1000")
        before = self.units_of(self.alice, "USDC")
        o = self.placed(self.alice, m, "BUY", "100.00", "0.3000", timeInForce="FOK")
        self.assertEqual((o["filledQty"], o["status"]), ("0.0000", "EXPIRED"))
        self.assertEqual(self.units_of(self.alice, "USDC"), before)
        self.assertEqual(self.get_order(self.bob, sell["orderId"])["remainingQty"], "0.1000")
        o = self.placed(self.alice, m, "BUY", "100.00", "0.1000", timeInForce="FOK")
        self.assertEqual((o["filledQty"], o["status"]), ("0.1000", "FILLED"))

    def test_post_only_never_takes(self):
        m = self.market()
        sell = self.placed(self.bob, m, "SELL", "100.00", "0.1000")
        before = self.units_of(self.alice, "USDC")
        st, body = self.place(self.alice, m, "BUY", "100.00", "0.1000", postOnly=True)
        self.assertIn(st, (201, 422), body)
        if st == 201:
            self.assertEqual((body["order"]["filledQty"], body["order"]["status"]), ("0.0000", "EXPIRED"))
        self.assertEqual(self.units_of(self.alice, "USDC"), before)
        self.assertEqual(self.get_order(self.bob, sell["orderId"])["remainingQty"], "0.1000")
        o = self.placed(self.alice, m, "BUY", "99.99", "0.1000", postOnly=True)
        self.assertEqual(o["status"], "OPEN")
        self.assertTrue(self.get_order(self.alice, o["orderId"])["postOnly"])
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.alice.trader_ak)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.bob.trader_ak)

    # ---------------------------------------------------------------- cancel, amend

    def test_cancel_all_one_market_then_every_market(self):
        m1, m2 = self.market(), self.market()
        self.ok("DELETE", "/api/orders?mode=PAPER", key=self.alice.trader_ak)
        for p in ("90.00", "91.00"):
            self.placed(self.alice, m1, "BUY", p, "0.1000")
        keep = self.placed(self.alice, m2, "BUY", "90.00", "0.1000")
        res = self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m1), key=self.alice.trader_ak)
        self.assertEqual(res["count"], 2)
        self.assertEqual([o["orderId"] for o in self.open_orders(self.alice)], [keep["orderId"]])
        res = self.ok("DELETE", "/api/orders?mode=PAPER", key=self.alice.trader_ak)
        self.assertEqual(res["count"], 1)
        self.assertEqual(self.open_orders(self.alice), [])
        self.assertEqual(self.units_of(self.alice, "USDC")[1], 0)

    def test_amend_price_and_quantity_relocks(self):
        m = self.market()
        before = self.units_of(self.alice, "USDC")
        o = self.placed(self.alice, m, "BUY", "90.00", "0.5000")
        res = self.ok("PATCH", "/api/orders/" + o["orderId"],
                      {"mode": "PAPER", "price": "91.00", "qty": "0.3000"}, key=self.alice.trader_ak)
        self.assertEqual([e["event"] for e in res["events"]], ["amended"])
        [live] = self.open_orders(self.alice, market=m)
        self.assertEqual((live["orderId"], live["price"], live["qty"]), (o["orderId"], "91.00", "0.3000"))
        self.assertEqual(self.units_of(self.alice, "USDC"), (before[0], before[1] + 3000 * (9100 + fee(9100, 5))))
        self.ok("POST", "/api/orders/%s/amend" % o["orderId"], {"mode": "PAPER", "qty": "0.2000"},
                key=self.alice.trader_ak)
        self.assertEqual(self.open_orders(self.alice, market=m)[0]["qty"], "0.2000")
        self.ok("DELETE", "/api/orders/%s?mode=PAPER" % o["orderId"], key=self.alice.trader_ak)
        self.assertEqual(self.units_of(self.alice, "USDC"), before)

    # ---------------------------------------------------------------- listings

    def test_history_pages_never_repeat_or_skip(self):
        m = self.market()
        closed = set()
        for i in range(7):
            o = self.placed(self.alice, m, "BUY", "50.%02d" % i, "0.0100")
            self.ok("DELETE", "/api/orders/%s?mode=PAPER" % o["orderId"], key=self.alice.trader_ak)
            closed.add(o["orderId"])
        seen = []
        path = "/api/orders?mode=PAPER&status=history&limit=3&market=" + q(m)
        page = self.ok("GET", path, key=self.alice.trader_ak)
        pages = 1
        seen += [o["orderId"] for o in page["orders"]]
        self.assertEqual(len(page["orders"]), 3)
        # A newer closed order must not shift the pages already being read.
        late = self.placed(self.alice, m, "BUY", "49.00", "0.0100")
        self.ok("DELETE", "/api/orders/%s?mode=PAPER" % late["orderId"], key=self.alice.trader_ak)
        while page["next"] is not None and pages < 10:
            page = self.ok("GET", path + "&cursor=%d" % page["next"], key=self.alice.trader_ak)
            pages += 1
            seen += [o["orderId"] for o in page["orders"]]
        self.assertIsNone(page["next"])
        self.assertEqual(len(seen), len(set(seen)), seen)
        self.assertEqual(set(seen), closed)
        self.assertEqual(pages, 3)
        for o in self.ok("GET", "/api/orders?mode=PAPER&status=CANCELLED&limit=500&market=" + q(m),
                         key=self.alice.trader_ak)["orders"]:
            self.assertEqual(o["status"], "CANCELLED")

    def test_trade_pages_public_and_own_never_repeat_or_skip(self):
        m = self.market()
        prices = ["10%d.00" % i for i in range(5)]
        for p in prices:
            self.placed(self.bob, m, "SELL", p, "0.0100")
            self.placed(self.alice, m, "BUY", p, "0.0100")
        for path, key, field in (("/api/trades?mode=PAPER&limit=2&market=" + q(m), None, "trades"),
                                 ("/api/trades/history?mode=PAPER&limit=2&market=" + q(m), self.alice.trader_ak, "fills"),
                                 ("/api/trades/history?mode=PAPER&limit=2&market=" + q(m), self.bob.trader_ak, "fills")):
            page = self.ok("GET", path, key=key)
            seen = [t["price"] for t in page[field]]
            for _ in range(10):
                if page["next"] is None:
                    break
                page = self.ok("GET", path + "&cursor=%d" % page["next"], key=key)
                seen += [t["price"] for t in page[field]]
            self.assertIsNone(page["next"])
            self.assertEqual(seen, prices[::-1], path)  # newest first

    def test_duplicate_client_order_id_returns_the_original_and_places_nothing(self):
        m = self.market()
        o = self.placed(self.alice, m, "BUY", "95.00", "0.1000", clientOrderId="dup-1")
        before = (self.balances(self.alice), self.open_orders(self.alice))
        for price in ("95.00", "96.00"):
            st, body = self.place(self.alice, m, "BUY", price, "0.1000", clientOrderId="dup-1")
            self.assertEqual(st, 200, body)
            self.assertIs(body["duplicate"], True)
            self.assertEqual((body["order"]["orderId"], body["order"]["clientOrderId"]), (o["orderId"], "dup-1"))
        self.assertEqual((self.balances(self.alice), self.open_orders(self.alice)), before)
        # Another user may use the same client order id.
        other = self.placed(self.bob, m, "SELL", "200.00", "0.1000", clientOrderId="dup-1")
        self.assertNotEqual(other["orderId"], o["orderId"])
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.alice.trader_ak)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.bob.trader_ak)

    def test_batch_with_a_refused_subcommand_answers_the_refusal_but_applies_the_rest(self):
        # As docs/openapi.yaml says (a hazard: the client sees an error although orders were
        # placed; it must list its open orders before retrying).
        m = self.market()
        st, body = self.http("POST", "/api/orders/batch",
                             {"mode": "PAPER", "cancels": [{"orderId": "999"}],
                              "orders": [{"market": m, "side": "BUY", "type": "LIMIT", "price": "11.00",
                                          "qty": "0.1000", "clientOrderId": "applied-anyway"}]},
                             key=self.alice.trader_ak)
        self.assertError((st, body), 404, "ORDER_NOT_FOUND")
        self.assertEqual([o["clientOrderId"] for o in self.open_orders(self.alice, market=m)], ["applied-anyway"])
        # Batches do not deduplicate client order ids: a live one is a conflict.
        st, body = self.http("POST", "/api/orders/batch",
                             {"mode": "PAPER", "orders": [{"market": m, "side": "BUY", "type": "LIMIT", "price": "12.00",
                                                           "qty": "0.1000", "clientOrderId": "applied-anyway"}]},
                             key=self.alice.trader_ak)
        self.assertError((st, body), 409, "DUPLICATE_CLIENT_ORDER_ID")
        res = self.ok("POST", "/api/orders/batch", {"mode": "PAPER", "cancels": [{"clientOrderId": "applied-anyway"}]},
                      key=self.alice.trader_ak, expect=201)
        self.assertEqual([e["clientOrderId"] for e in res["events"] if e["event"] == "cancelled"], ["applied-anyway"])
        self.assertEqual(self.open_orders(self.alice, market=m), [])

    def test_batch_order_taken_by_a_later_order_of_the_batch_shows_its_fill(self):
        # Fixed in views.cpp: the earlier order was reported OPEN with nothing filled.
        m = self.market()
        res = self.ok("POST", "/api/orders/batch",
                      {"mode": "PAPER", "orders": [
                          {"market": m, "side": "SELL", "type": "LIMIT", "price": "100.00", "qty": "0.1000"},
                          {"market": m, "side": "BUY", "type": "LIMIT", "price": "100.00", "qty": "0.1000",
                           "selfTradePrevention": "NONE"}]},
                      key=self.bob.trader_ak, expect=201)
        maker, taker = res["orders"]
        self.assertEqual((maker["status"], maker["filledQty"], maker["remainingQty"], maker["fees"]),
                         ("FILLED", "0.1000", "0.0000", "0.002000"))
        self.assertEqual([(f["liquidity"], f["takerOrderId"]) for f in maker["fills"]], [("MAKER", taker["orderId"])])
        self.assertEqual((taker["status"], taker["fees"]), ("FILLED", "0.005000"))
        for o in (maker, taker):
            self.assertEqual(self.get_order(self.bob, o["orderId"])["status"], "FILLED")

    def test_stop_orders_keep_their_type_and_wait_for_the_trigger(self):
        m = self.market()
        o = self.placed(self.alice, m, "BUY", "120.00", "0.1000", type="STOP_LIMIT", triggerPrice="110.00")
        self.assertEqual((o["status"], o["filledQty"]), ("OPEN", "0.0000"))
        [live] = self.open_orders(self.alice, market=m)
        self.assertEqual((live["status"], live["triggerPrice"]), ("PENDING_TRIGGER", "110.00"))
        got = self.get_order(self.alice, o["orderId"])
        # Fixed in views.cpp: the history said LIMIT.
        self.assertEqual((got["type"], got["status"], got["triggerPrice"]), ("STOP_LIMIT", "OPEN", "110.00"))
        tp = self.placed(self.alice, m, "BUY", "95.00", "0.1000", type="TAKE_PROFIT_MARKET", triggerPrice="90.00")
        got = self.get_order(self.alice, tp["orderId"])
        self.assertEqual((got["type"], got["timeInForce"], got["triggerPrice"]), ("TAKE_PROFIT_MARKET", "IOC", "90.00"))
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.alice.trader_ak)
        self.assertEqual(self.get_order(self.alice, o["orderId"])["status"], "CANCELLED")

    def test_concurrent_resubmissions_place_one_order(self):
        m = self.market()
        before = self.balances(self.alice)
        results = [None] * 6

        def submit(i):
            results[i] = self.place(self.alice, m, "BUY", "70.00", "0.1000", clientOrderId="race-1")
        threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(results))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=harness.bound(30))
        statuses = sorted(st for st, _ in results)
        self.assertEqual(statuses, [200] * 5 + [201], results)
        ids = {body["order"]["orderId"] for _, body in results}
        self.assertEqual(len(ids), 1, results)
        self.assertTrue(all(body.get("duplicate") for st, body in results if st == 200))
        live = self.open_orders(self.alice, market=m)
        self.assertEqual([o["orderId"] for o in live], list(ids))
        lock = 1000 * (7000 + fee(7000, 5))
        self.assertEqual(units(self.balances(self.alice)["USDC"]["pending"]),
                         units(before["USDC"]["pending"]) + lock)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.alice.trader_ak)

    def test_client_order_id_of_a_filled_order_is_still_a_duplicate(self):
        m = self.market()
        self.placed(self.bob, m, "SELL", "100.00", "0.1000")
        o = self.placed(self.alice, m, "BUY", "100.00", "0.1000", clientOrderId="filled-1")
        self.assertEqual(o["status"], "FILLED")
        self.placed(self.bob, m, "SELL", "100.00", "0.1000")
        before = self.balances(self.alice)
        st, body = self.place(self.alice, m, "BUY", "100.00", "0.1000", clientOrderId="filled-1")
        self.assertEqual((st, body.get("duplicate"), body["order"]["orderId"]), (200, True, o["orderId"]), body)
        # From the read store FILLED; if not projected yet, from the engine's map: CLOSED.
        self.assertIn(body["order"]["status"], ("FILLED", "CLOSED"))
        self.assertEqual(self.balances(self.alice), before)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.bob.trader_ak)

    def test_batch_places_and_cancels_in_one_command(self):
        m = self.market()
        old = self.placed(self.alice, m, "BUY", "80.00", "0.1000")
        res = self.ok("POST", "/api/orders/batch",
                      {"mode": "PAPER",
                       "cancels": [{"orderId": old["orderId"]}],
                       "orders": [{"market": m, "side": "BUY", "type": "LIMIT", "price": "81.00", "qty": "0.1000",
                                   "clientOrderId": "b-1"},
                                  {"market": m, "side": "BUY", "type": "LIMIT", "price": "82.00", "qty": "0.2000",
                                   "clientOrderId": "b-2"}]},
                      key=self.alice.trader_ak, expect=201)
        self.assertEqual(len(res["orders"]), 2)
        self.assertEqual(len({e["seq"] for e in res["events"]}), 1)
        self.assertIn(old["orderId"], [e["orderId"] for e in res["events"] if e["event"] == "cancelled"])
        live = sorted((o["clientOrderId"], o["price"], o["qty"]) for o in self.open_orders(self.alice, market=m))
        self.assertEqual(live, [("b-1", "81.00", "0.1000"), ("b-2", "82.00", "0.2000")])
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + q(m), key=self.alice.trader_ak)


@unittest.skipUnless(os.environ.get("CX_STRESS"), "a timing race: run with CX_STRESS=1")
class IdempotencyRace(ServerTestCase):
    """Resubmitting a clientOrderId right after its answer must never place a second order.

    The route reads the store on the I/O thread (a miss while the order is not projected yet),
    then the engine-thread guard looks in recent_cids_; the projector may commit the order in
    between, so the map keeps an entry for a minute (engine time) after its order was placed,
    projected or not (src/api/api.cpp, record_client_ids). Probabilistic, so not in the default
    run (it found 4 doubles in 600 pairs before that grace period existed).
    """

    def test_immediate_resubmissions_never_place_twice(self):
        users = [self.login("race%d@example.com" % i) for i in range(6)]
        self.create_market("RACE/USDC")
        doubles = []

        def run(u, n):
            for i in range(300):
                if doubles:
                    return
                cid = "r%d-%d" % (n, i)
                # IOC on an empty book: expires at once, so the engine has no live order to refuse.
                st1, b1 = self.place(u, "RACE/USDC", "BUY", "1.00", "0.0100", timeInForce="IOC", clientOrderId=cid)
                st2, b2 = self.place(u, "RACE/USDC", "BUY", "1.00", "0.0100", timeInForce="IOC", clientOrderId=cid)
                if st2 != 200 or b2["order"]["orderId"] != b1["order"]["orderId"]:
                    doubles.append((cid, st1, st2))
        threads = [threading.Thread(target=run, args=(u, n)) for n, u in enumerate(users)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=harness.bound(120))
        self.assertEqual(doubles, [])


if __name__ == "__main__":
    harness.main()
