"""SIGTERM stops the server cleanly (exit 0); a new server on the same data directory has the same
users, keys, sessions, markets, orders, balances and history."""
import threading
import time

import harness
from harness import ServerTestCase, bound, q
from wsclient import Closed, WsClient

M = "RST/USDC"


class Restart(ServerTestCase):
    def snapshot(self, users):
        out = {"markets": self.ok("GET", "/api/markets")["markets"],
               "trades": self.ok("GET", "/api/trades?mode=PAPER&market=" + q(M))["trades"],
               "klines": self.ok("GET", "/api/klines?mode=PAPER&interval=1m&market=" + q(M))["klines"],
               "fees": self.ok("GET", "/api/admin/fees", token=self.admin().access)["accounts"],
               # The feed's seq starts again with the process; the levels must not.
               "depth": {k: v for k, v in self.ok("GET", "/api/depth?mode=PAPER&market=" + q(M)).items()
                         if k != "seq"},
               }
        for u in users:
            k = u.trader_ak
            out[u.email] = {
                "me": self.ok("GET", "/api/user/me", key=k),
                "balances": self.ok("GET", "/api/balances?mode=PAPER", key=k),
                "open": self.ok("GET", "/api/orders?mode=PAPER", key=k),
                "history": self.ok("GET", "/api/orders?mode=PAPER&status=all", key=k),
                "fills": self.ok("GET", "/api/trades/history?mode=PAPER", key=k),
                "points": self.ok("GET", "/api/trades/%s/paper-points" % u.id),
            }
        return out

    def admin_relogin(self):
        # Access tokens are signed with a per-process secret (unless configured): log in again.
        type(self)._admin = None

    def test_state_survives_sigterm_and_restart(self):
        alice = self.login("ralice@example.com")
        bob = self.login("rbob@example.com")
        self.create_market(M)
        self.deposit(bob, "sBTC", "2")
        for price, qty in (("100.00", "0.3000"), ("101.00", "0.2000")):
            self.assertEqual(self.place(bob, M, "SELL", price, qty)[0], 201)
        self.assertEqual(self.place(alice, M, "BUY", "101.00", "0.4000")[0], 201)  # trades twice
        st, resting = self.place(alice, M, "BUY", "95.00", "0.1000", clientOrderId="keep")
        self.assertEqual(st, 201, resting)
        st, gone = self.place(alice, M, "BUY", "94.00", "0.1000")
        self.ok("DELETE", "/api/orders/%s?mode=PAPER" % gone["order"]["orderId"], key=alice.trader_ak)
        keys_before = self.ok("GET", "/api/user/keys", token=alice.access)["keys"]
        before = self.snapshot([alice, bob])
        self.assertEqual(len(before["trades"]), 2)
        self.assertEqual(len(before[alice.email]["open"]["orders"]), 1)

        watcher = WsClient(self.server.port, "/ws", timeout=bound(10))
        watcher.send_json({"op": "ping"})
        self.assertEqual(watcher.recv_json(timeout=bound(10)), {"type": "pong"})
        code = self.stop_server()
        self.assertEqual(code, 0, "exit code after SIGTERM")
        # Open sessions were closed with 1001 "server shutting down".
        with self.assertRaises(Closed):
            watcher.recv_json(timeout=bound(10))
        watcher.close()
        self.assertEqual(watcher.close_code, 1001)
        self.start_server()

        self.admin_relogin()
        after = self.snapshot([alice, bob])
        for key in before:
            self.assertEqual(after[key], before[key], key)
        # The same keys, the same sessions (refresh tokens live in the read store).
        st, tokens = self.http("POST", "/api/auth/refresh", {"refreshToken": alice.refresh})
        self.assertEqual(st, 200, tokens)
        keys_after = self.ok("GET", "/api/user/keys", token=tokens["accessToken"])["keys"]
        strip = lambda ks: sorted((k["prefix"], k["kind"], k["active"]) for k in ks)
        self.assertEqual(strip(keys_after), strip(keys_before))
        again = self.login("ralice@example.com")
        self.assertEqual((again.id, again.body["newUser"]), (alice.id, False))
        # The client order id is still known; new orders get new ids.
        st, dup = self.place(alice, M, "BUY", "95.00", "0.1000", clientOrderId="keep")
        self.assertEqual((st, dup["duplicate"], dup["order"]["orderId"]), (200, True, resting["order"]["orderId"]))
        st, new = self.place(alice, M, "BUY", "96.00", "0.1000")
        self.assertEqual(st, 201, new)
        old_ids = {o["orderId"] for o in before[alice.email]["history"]["orders"]} | {resting["order"]["orderId"]}
        self.assertNotIn(new["order"]["orderId"], old_ids)
        self.assertGreater(int(new["order"]["orderId"]), max(int(i) for i in old_ids))
        # The live feed starts from the recovered book.
        ws = WsClient(self.server.port, "/ws", timeout=bound(10))
        try:
            ws.send_json({"op": "subscribe", "channel": "market.%s.PAPER" % M})
            self.assertEqual(ws.recv_json(timeout=bound(10))["type"], "subscribed")
            snap = ws.recv_json(timeout=bound(10))
            self.assertEqual(snap["type"], "depthSnapshot")
            self.assertEqual(snap["bids"], [["96.00", "0.1000"], ["95.00", "0.1000"]])
            self.assertEqual(snap["asks"], [["101.00", "0.1000"]])
        finally:
            ws.close()


class StopUnderLoad(ServerTestCase):
    def test_every_acknowledged_order_survives_a_stop_during_a_flood(self):
        u = self.login("flood@example.com")
        self.create_market("FLD/USDC")
        acked = {}
        lock = threading.Lock()
        stop = threading.Event()

        def flood(n):
            i = 0
            while not stop.is_set() and i < 2000:
                i += 1
                try:
                    st, body = self.place(u, "FLD/USDC", "BUY", "1.00", "0.0100", clientOrderId="f%d-%d" % (n, i))
                except OSError:
                    return  # the server is going away
                if st == 201:
                    with lock:
                        acked[body["order"]["orderId"]] = body["order"]["clientOrderId"]
                elif st != 503:
                    raise AssertionError((st, body))
        threads = [threading.Thread(target=flood, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        harness.wait_until(lambda: len(acked) >= 50, 30, "50 acknowledged orders")
        code = self.stop_server()
        stop.set()
        for t in threads:
            t.join(timeout=bound(30))
        self.assertEqual(code, 0)
        self.start_server()
        live = {o["orderId"]: o["clientOrderId"] for o in self.open_orders(u, market="FLD/USDC")}
        missing = {k: v for k, v in acked.items() if live.get(k) != v}
        self.assertEqual(missing, {}, "acknowledged but lost: %d of %d" % (len(missing), len(acked)))
        # Locks match what is live: 100 lots x (100 + ceil(100 x 5 / 10 000)) units each.
        pending = self.balances(u)["USDC"]["pending"]
        self.assertEqual(int(pending.replace(".", "")), len(live) * 100 * (100 + 1))


if __name__ == "__main__":
    harness.main()
