"""WebSocket: market channels (snapshot, gapless increments, checksums, trades), trader channels
(own orders, fills, account updates), ping/pong, and who may subscribe to what."""
import itertools

import harness
from harness import ServerTestCase, bound
from wsclient import HandshakeError, WsClient

_ids = itertools.count(1)


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


class Book:
    """The client's copy of a market's depth, kept from a snapshot and increments."""

    def __init__(self, snapshot):
        self.bids = {p: qty for p, qty in snapshot["bids"]}
        self.asks = {p: qty for p, qty in snapshot["asks"]}
        self.seq = snapshot["seq"]

    @staticmethod
    def _apply(side, levels):
        for price, qty in levels:
            if float(qty) == 0:
                side.pop(price, None)
            else:
                side[price] = qty

    def apply(self, inc):
        self._apply(self.bids, inc["bids"])
        self._apply(self.asks, inc["asks"])
        self.seq = inc["seq"]

    def checksum(self):
        """CRC-32C of "bidP:bidQ:askP:askQ:..." over the best 10 levels, interleaved."""
        bids = sorted(self.bids.items(), key=lambda kv: -float(kv[0]))[:10]
        asks = sorted(self.asks.items(), key=lambda kv: float(kv[0]))[:10]
        parts = []
        for i in range(10):
            if i < len(bids):
                parts += list(bids[i])
            if i < len(asks):
                parts += list(asks[i])
        return crc32c(":".join(parts).encode())

    def levels(self):
        return (sorted(self.bids.items(), key=lambda kv: -float(kv[0])),
                sorted(self.asks.items(), key=lambda kv: float(kv[0])))


class WebSocket(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            t = cls.client()
            cls.alice = t.login("wsalice@example.com")
            cls.bob = t.login("wsbob@example.com")
            t.deposit(cls.bob, "sBTC", "100")
        except BaseException:
            cls.tearDownClass()
            raise

    def connect(self, user=None):
        path = "/ws" + ("?traderAk=" + user.trader_ak if user else "")
        ws = WsClient(self.server.port, path, timeout=bound(10))
        self.addCleanup(ws.close)
        return ws

    def recv(self, ws):
        return ws.recv_json(timeout=bound(10))

    def market(self):
        symbol = "W%d/USDC" % next(_ids)
        self.create_market(symbol)
        return symbol

    def test_checksum_matches_the_documented_examples(self):
        self.assertEqual(crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(crc32c(b"59970.00:0.0100:60030.00:0.0100:59940.00:0.0100"), 851014410)
        self.assertEqual(Book({"bids": [], "asks": [], "seq": 0}).checksum(), 0)

    def test_ping_pong(self):
        ws = self.connect()
        ws.send_json({"op": "ping", "id": "p1"})
        self.assertEqual(self.recv(ws), {"type": "pong", "id": "p1"})
        # And the protocol's own ping frame (RFC 6455 5.5.2) gets a pong frame.
        self.assertEqual(ws.ping(b"frame-ping", timeout=bound(10)), [])

    def test_market_channel_snapshot_then_gapless_increments_with_checksums_and_trades(self):
        m = self.market()
        # Something on the book before the subscription: the snapshot must carry it.
        self.place(self.bob, m, "SELL", "101.00", "0.5000")
        self.place(self.alice, m, "BUY", "99.00", "0.2000")
        ws = self.connect()
        channel = "market.%s.PAPER" % m
        ws.send_json({"op": "subscribe", "channel": channel, "id": "s1"})
        self.assertEqual(self.recv(ws), {"type": "subscribed", "channel": channel, "id": "s1"})
        snap = self.recv(ws)
        self.assertEqual((snap["type"], snap["channel"]), ("depthSnapshot", channel))
        book = Book(snap)
        self.assertEqual(snap["checksum"], book.checksum())
        self.assertEqual(book.levels(), ([("99.00", "0.2000")], [("101.00", "0.5000")]))

        # Orders and trades over REST while we listen.
        script = [
            (self.bob, "SELL", "102.00", "0.3000"),
            (self.bob, "SELL", "101.50", "0.1000"),
            (self.alice, "BUY", "99.50", "0.1000"),
            (self.alice, "BUY", "101.50", "0.1500"),  # takes 0.15 at 101.00 (the best ask)
            (self.bob, "SELL", "99.00", "0.2500"),    # takes 0.1 at 99.50, 0.15 at 99.00
        ]
        for i in range(12):  # more levels than the checksum covers
            script.append((self.bob, "SELL", "%d.00" % (110 + i), "0.0100"))
        for who, side, price, qty in script:
            st, body = self.place(who, m, side, price, qty)
            self.assertEqual(st, 201, body)
        st, body = self.place(self.alice, m, "BUY", "99.00", "0.0100")
        self.assertEqual(st, 201, body)
        last_order = body["order"]["orderId"]
        self.ok("DELETE", "/api/orders/%s?mode=PAPER" % last_order, key=self.alice.trader_ak)

        # The book as REST shows it once every command is answered: the feed must arrive there.
        depth = self.ok("GET", "/api/depth?mode=PAPER&levels=50&market=" + harness.q(m))
        final = ([tuple(x) for x in depth["bids"]], [tuple(x) for x in depth["asks"]])
        self.assertEqual(final[0], [("99.00", "0.0500")])
        self.assertEqual(final[1][:3], [("101.00", "0.3500"), ("101.50", "0.1000"), ("102.00", "0.3000")])
        self.assertEqual(len(final[1]), 15)
        expected_trades = [("101.00", "0.1500", "BUY"), ("99.50", "0.1000", "SELL"), ("99.00", "0.1500", "SELL")]

        # Increments may cover one command or several (a group commit, a flush interval), but
        # each follows the previous one exactly and its checksum matches the book kept here.
        trades = []
        increments = 0
        while book.levels() != final or len(trades) < len(expected_trades):
            msg = self.recv(ws)
            self.assertEqual(msg["channel"], channel)
            if msg["type"] == "depth":
                self.assertEqual(msg["prevSeq"], book.seq, msg)
                self.assertEqual(msg["seq"], book.seq + 1, msg)
                book.apply(msg)
                self.assertEqual(msg["checksum"], book.checksum(), (msg, book.levels()))
                increments += 1
            elif msg["type"] == "trade":
                trades.append((msg["price"], msg["qty"], msg["takerSide"]))
            elif msg["type"] == "trades":
                trades += [(t["price"], t["qty"], t["takerSide"]) for t in msg["trades"]]
            else:
                self.assertIn(msg["type"], ("summary", "price"), msg)
        self.assertEqual(trades, expected_trades)
        self.assertGreaterEqual(increments, 1)
        self.assertLessEqual(increments, len(script) + 2)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + harness.q(m), key=self.bob.trader_ak)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + harness.q(m), key=self.alice.trader_ak)

    def test_trader_channel_gets_own_orders_fills_and_account(self):
        m = self.market()
        ws = self.connect(self.alice)
        channel = "trader.%s.PAPER" % self.alice.id
        ws.send_json({"op": "subscribe", "channel": channel})
        self.assertEqual(self.recv(ws), {"type": "subscribed", "channel": channel})
        account = self.recv(ws)
        self.assertEqual((account["type"], account["channel"]), ("account", channel))
        self.assertIn("USDC", [b["asset"] for b in account["balances"]])

        sell = self.place(self.bob, m, "SELL", "100.00", "0.1000")[1]["order"]
        buy = self.place(self.alice, m, "BUY", "100.00", "0.1000")[1]["order"]
        self.assertEqual(buy["status"], "FILLED")
        seen = {"order": [], "fill": [], "account": []}
        deadline_msgs = 50
        while not (seen["order"] and seen["fill"] and seen["account"]) and deadline_msgs > 0:
            msg = self.recv(ws)
            deadline_msgs -= 1
            self.assertEqual(msg["channel"], channel, msg)
            seen.setdefault(msg["type"], []).append(msg)
        accepted = [o["data"] for o in seen["order"] if o["data"]["event"] == "accepted"]
        self.assertEqual([a["orderId"] for a in accepted], [buy["orderId"]])
        fill = seen["fill"][0]["data"]
        self.assertEqual((fill["takerOrderId"], fill["makerOrderId"], fill["price"], fill["qty"]),
                         (buy["orderId"], sell["orderId"], "100.00", "0.1000"))
        bal = {b["asset"]: b for b in seen["account"][-1]["balances"]}
        rest = self.balances(self.alice)
        self.assertEqual(bal["USDC"]["balance"], rest["USDC"]["balance"])
        self.assertEqual(bal["sBTC"]["balance"], rest["sBTC"]["balance"])
        # Bob's own events never reach Alice: between his order and her next one (the channel
        # is in command order) only her own events arrive.
        bobs = self.place(self.bob, m, "SELL", "150.00", "0.1000")[1]["order"]["orderId"]
        mine = self.place(self.alice, m, "BUY", "50.00", "0.1000")[1]["order"]["orderId"]
        msg, skipped = ws.recv_until(lambda x: x["type"] == "order" and x["data"]["orderId"] == mine,
                                     timeout=bound(10))
        for x in skipped:
            self.assertNotIn(bobs, str(x))
            self.assertNotEqual(x["type"], "order", x)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + harness.q(m), key=self.bob.trader_ak)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + harness.q(m), key=self.alice.trader_ak)

    def test_trader_key_header_opens_the_trader_channel(self):
        ws = WsClient(self.server.port, "/ws", headers={"X-Trader-Ak": self.bob.trader_ak}, timeout=bound(10))
        self.addCleanup(ws.close)
        ws.send_json({"op": "subscribe", "channel": "trader.%s.PAPER" % self.bob.id})
        self.assertEqual(self.recv(ws)["type"], "subscribed")
        with self.assertRaises(HandshakeError) as e:
            WsClient(self.server.port, "/ws", headers={"X-Trader-Ak": "cx_t_AAAAAAAAAAAA_" + "A" * 43},
                     timeout=bound(10))
        self.assertEqual(e.exception.status, 401)

    def test_session_token_opens_the_trader_channel_and_rejections_arrive(self):
        m = self.market()
        ws = WsClient(self.server.port, "/ws", headers={"Authorization": "Bearer " + self.alice.access},
                      timeout=bound(10))
        self.addCleanup(ws.close)
        channel = "trader.%s.PAPER" % self.alice.id
        ws.send_json({"op": "subscribe", "channel": channel})
        self.assertEqual(self.recv(ws)["type"], "subscribed")
        self.assertEqual(self.recv(ws)["type"], "account")
        st, body = self.place(self.alice, m, "BUY", "1000.00", "100.0000", clientOrderId="too-big")
        self.assertError((st, body), 422, "INSUFFICIENT_BALANCE")
        msg, _ = ws.recv_until(lambda x: x["type"] == "order", timeout=bound(10))
        self.assertEqual((msg["data"]["event"], msg["data"]["reason"], msg["data"]["clientOrderId"]),
                         ("rejected", "INSUFFICIENT_BALANCE", "too-big"))

    def test_messages_of_a_command_come_before_its_rest_answer(self):
        # docs/websocket.md: queued to the sessions before the answer (flush interval 0 only).
        if self.server_env.get("CX_WS_FLUSH_MS", "0") != "0":
            self.skipTest("increments are deferred by the flush interval")
        m = self.market()
        ws = self.connect(self.alice)
        ws.send_json({"op": "subscribe", "channels": ["market.%s.PAPER" % m, "trader.%s.PAPER" % self.alice.id]})
        _, skipped = ws.recv_until(lambda x: x["type"] == "account", timeout=bound(10))
        for i in range(5):
            oid = self.place(self.alice, m, "BUY", "%d.00" % (10 + i), "0.1000")[1]["order"]["orderId"]
            ws.send_json({"op": "ping", "id": i})
            msg, before = ws.recv_until(lambda x: x["type"] == "pong", timeout=bound(10))
            kinds = {(x["type"], x.get("data", {}).get("orderId")) for x in before}
            self.assertIn(("depth", None), kinds, before)
            self.assertIn(("order", oid), kinds, before)
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + harness.q(m), key=self.alice.trader_ak)

    def test_other_traders_channel_is_forbidden(self):
        ws = self.connect(self.alice)
        ws.send_json({"op": "subscribe", "channel": "trader.%s.PAPER" % self.bob.id, "id": "x"})
        msg = self.recv(ws)
        self.assertEqual((msg["type"], msg["code"], msg["id"]), ("error", "FORBIDDEN", "x"))
        anon = self.connect()
        anon.send_json({"op": "subscribe", "channel": "trader.%s.PAPER" % self.bob.id})
        self.assertEqual(self.recv(anon)["code"], "FORBIDDEN")

    def test_unknown_market_channel_and_bad_messages_are_errors(self):
        ws = self.connect()
        ws.send_json({"op": "subscribe", "channel": "market.NOPE/USDC.PAPER"})
        self.assertEqual(self.recv(ws)["code"], "NOT_FOUND")
        ws.send_text("not json")
        self.assertEqual(self.recv(ws)["code"], "MALFORMED")
        ws.send_json({"op": "dance"})
        self.assertEqual(self.recv(ws)["code"], "MALFORMED")

    def test_ids_are_echoed_as_strings_one_answer_per_channel(self):
        m1, m2 = self.market(), self.market()
        ws = self.connect()
        ws.send_json({"op": "subscribe", "channels": ["market.%s.PAPER" % m1, "market.NOPE.PAPER",
                                                      "market.%s.PAPER" % m2], "id": 7})
        answers, snapshots = [], []
        while len(answers) < 3 or len(snapshots) < 2:
            msg = self.recv(ws)
            (snapshots if msg["type"] == "depthSnapshot" else answers).append(msg)
        self.assertEqual(len(answers), 3, answers)
        self.assertEqual(sorted((a["type"], a.get("channel", a.get("code")), a["id"]) for a in answers),
                         sorted([("error", "NOT_FOUND", "7"), ("subscribed", "market.%s.PAPER" % m1, "7"),
                                 ("subscribed", "market.%s.PAPER" % m2, "7")]))
        # Subscribing again is answered again, with a fresh snapshot (how a client resyncs).
        ws.send_json({"op": "subscribe", "channel": "market.%s.PAPER" % m1, "id": "again"})
        ws.send_json({"op": "ping", "id": 8})
        # The pong is answered on the I/O thread, the subscription on the engine thread: the pong
        # may come first; the acknowledgement always comes right before its snapshot.
        got = [self.recv(ws) for _ in range(3)]
        pongs = [g for g in got if g["type"] == "pong"]
        rest = [g for g in got if g["type"] != "pong"]
        self.assertEqual(pongs, [{"type": "pong", "id": "8"}])
        self.assertEqual(rest[0], {"type": "subscribed", "channel": "market.%s.PAPER" % m1, "id": "again"})
        self.assertEqual(rest[1]["type"], "depthSnapshot")

    def test_unsubscribe_stops_the_feed(self):
        m = self.market()
        ws = self.connect()
        channel = "market.%s.PAPER" % m
        ws.send_json({"op": "subscribe", "channel": channel})
        self.assertEqual(self.recv(ws)["type"], "subscribed")
        self.assertEqual(self.recv(ws)["type"], "depthSnapshot")
        ws.send_json({"op": "unsubscribe", "channel": channel, "id": "u"})
        self.assertEqual(self.recv(ws), {"type": "unsubscribed", "channel": channel, "id": "u"})
        self.assertEqual(self.place(self.alice, m, "BUY", "10.00", "0.1000")[0], 201)
        ws.send_json({"op": "ping"})
        self.assertEqual(self.recv(ws), {"type": "pong"})
        ws.send_json({"op": "unsubscribe", "channel": channel})
        self.assertEqual(self.recv(ws)["code"], "NOT_FOUND")
        # Subscribing again starts from a snapshot that holds the order.
        ws.send_json({"op": "subscribe", "channel": channel})
        self.assertEqual(self.recv(ws)["type"], "subscribed")
        snap = self.recv(ws)
        self.assertEqual(snap["bids"], [["10.00", "0.1000"]])
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + harness.q(m), key=self.alice.trader_ak)

    def test_deposits_and_self_trades_on_the_trader_channel(self):
        m = self.market()
        ws = self.connect(self.bob)
        channel = "trader.%s.PAPER" % self.bob.id
        ws.send_json({"op": "subscribe", "channel": channel})
        self.assertEqual(self.recv(ws)["type"], "subscribed")
        self.assertEqual(self.recv(ws)["type"], "account")
        self.deposit(self.bob, "sETH", "1.5")
        msg, _ = ws.recv_until(lambda x: x["type"] == "transfer", timeout=bound(10))
        self.assertEqual((msg["data"]["event"], msg["data"]["asset"], msg["data"]["amount"]),
                         ("deposited", "sETH", "1.50000000"))
        msg, _ = ws.recv_until(lambda x: x["type"] == "account", timeout=bound(10))
        self.assertIn("sETH", [b["asset"] for b in msg["balances"]])
        # A self-trade (prevention off) is one fill message, not two.
        self.assertEqual(self.place(self.bob, m, "SELL", "100.00", "0.1000")[0], 201)
        st, body = self.place(self.bob, m, "BUY", "100.00", "0.1000", selfTradePrevention="NONE")
        self.assertEqual((st, body["order"]["status"]), (201, "FILLED"), body)
        # A later order of Bob's is the barrier: the channel is in command order.
        later = self.place(self.bob, m, "BUY", "50.00", "0.1000")[1]["order"]["orderId"]
        _, skipped = ws.recv_until(lambda x: x["type"] == "order" and x["data"]["orderId"] == later,
                                   timeout=bound(10))
        fills = [x for x in skipped if x["type"] == "fill"]
        self.assertEqual(len(fills), 1, fills)
        self.assertEqual(fills[0]["data"]["takerTrader"], fills[0]["data"]["makerTrader"])
        self.ok("DELETE", "/api/orders?mode=PAPER&market=" + harness.q(m), key=self.bob.trader_ak)

    def test_binary_and_oversized_messages_close_the_session(self):
        from wsclient import Closed
        ws = self.connect()
        ws.send_binary(b"\x00\x01")
        with self.assertRaises(Closed):
            self.recv(ws)
        self.assertEqual(ws.close_code, 1003)
        ws = self.connect()
        ws.send_text("x" * (64 * 1024 + 1))
        with self.assertRaises(Closed):
            self.recv(ws)
        self.assertEqual(ws.close_code, 1009)

    def test_bad_key_refuses_the_handshake(self):
        with self.assertRaises(HandshakeError) as e:
            WsClient(self.server.port, "/ws?traderAk=cx_t_AAAAAAAAAAAA_" + "A" * 43, timeout=bound(10))
        self.assertEqual(e.exception.status, 401)


class WebSocketConflated(WebSocket):
    """The same, with depth increments and trades gathered for 100 ms (server.ws_flush_ms)."""
    server_env = {"CX_WS_FLUSH_MS": "100"}


if __name__ == "__main__":
    harness.main()
