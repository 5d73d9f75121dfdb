"""Bad requests get a 4xx with {"error":{"code","message"}} and change nothing."""
import json
import socket

import harness
from harness import ServerTestCase, bound

MAX_BODY = 4096
GOOD = {"mode": "PAPER", "market": "BAD/USDC", "side": "BUY", "type": "LIMIT", "price": "90.00",
        "qty": "0.1000"}


def order(**changes):
    o = dict(GOOD)
    for k, v in changes.items():
        if v is None:
            o.pop(k, None)
        else:
            o[k] = v
    return o


class BadInput(ServerTestCase):
    server_env = {"CX_MAX_BODY_BYTES": str(MAX_BODY)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            t = cls.client()
            cls.u = t.login("careless@example.com")
            t.create_market("BAD/USDC")
            st, body = t.place(cls.u, "BAD/USDC", "BUY", "80.00", "0.1000")
            assert st == 201, body
            cls.order_id = body["order"]["orderId"]
        except BaseException:
            cls.tearDownClass()
            raise

    def state(self):
        # Not the command seq: the engine journals a time tick when idle.
        return (self.metric("cx_orders_accepted_total"), self.metric("cx_trades_total"), self.balances(self.u), self.open_orders(self.u),
                self.ok("GET", "/api/orders?mode=PAPER&status=all", key=self.u.trader_ak)["orders"])

    def assertRefused(self, method, path, body=None, raw=None, status=None, code=None, key=True):
        """The call is a 4xx with an error object, and the exchange did not move."""
        before = self.state()
        st, resp = self.http(method, path, body, key=self.u.trader_ak if key else None, raw=raw,
                             headers={"Content-Type": "application/json"} if raw is not None else None)
        self.assertTrue(400 <= st < 500, (method, path, str(body)[:300], raw, st, resp))
        if status is not None:
            self.assertEqual(st, status, (str(body)[:300], raw, resp))
        self.assertError((st, resp), st, code)
        self.assertEqual(self.state(), before, (body, raw))
        return resp

    def test_malformed_json_and_non_objects(self):
        for raw in (b'{"mode": "PAPER", "market": ', b"[1, 2]", b'"text"', b"", b"\xff\xfe",
                    b'{"mode": "PAPER"} trailing'):
            self.assertRefused("POST", "/api/orders", raw=raw, status=400)
            self.assertRefused("POST", "/api/orders/batch", raw=raw, status=400)
            self.assertRefused("POST", "/api/auth/login/request", raw=raw, status=400, key=False)

    def test_wrong_types(self):
        for bad in (order(price=90), order(qty=0.1), order(side=1), order(market=7), order(type=None),
                    order(postOnly="yes"), order(mode=1), order(clientOrderId=5), order(price=None),
                    order(side="UP"), order(type="LIMP"), order(timeInForce="SOMETIMES"),
                    order(price="-90.00"), order(qty="1e2"), order(price="ninety")):
            self.assertRefused("POST", "/api/orders", bad)
        self.assertRefused("POST", "/api/orders/batch", {"mode": "PAPER", "orders": "all"}, status=400)
        self.assertRefused("POST", "/api/orders/batch", {"mode": "PAPER", "orders": [1]}, status=400)
        self.assertRefused("POST", "/api/orders/batch", {"mode": "PAPER", "orders": []}, status=400)
        self.assertRefused("POST", "/api/orders/batch", {"mode": "PAPER", "cancels": [{"orderId": "1"}] * 101}, status=400)
        self.assertRefused("POST", "/api/orders/batch", {"mode": "PAPER", "orders": [GOOD, order(price=1)]})

    def test_unknown_market(self):
        self.assertRefused("POST", "/api/orders", order(market="NOPE/USDC"))
        self.assertRefused("GET", "/api/orders?mode=PAPER&status=all&market=NOPE", status=404)
        # Open orders of an unknown market: 404 as well, not an empty list (fixed in routes_trading).
        self.assertRefused("GET", "/api/orders?mode=PAPER&market=NOPE", status=404)
        self.assertRefused("GET", "/api/orders?mode=REAL&market=BAD%2FUSDC", status=404)
        self.assertRefused("GET", "/api/trades/history?mode=PAPER&market=NOPE", status=404)

    def test_bad_list_parameters(self):
        self.assertRefused("GET", "/api/orders?mode=PAPER&status=SOMETIMES", status=400,
                           code="INVALID_ARGUMENT")
        self.assertRefused("GET", "/api/orders?mode=PAPER&status=history&limit=0", status=400)
        self.assertRefused("GET", "/api/orders?mode=PAPER&status=open&cursor=-1", status=400)
        self.assertRefused("GET", "/api/trades/history?mode=PAPER&limit=1001", status=400)
        # Credentials are checked first: a stranger learns nothing from the parameters.
        self.assertRefused("GET", "/api/orders?mode=PAPER&status=SOMETIMES", status=401, key=False)
        self.assertRefused("GET", "/api/depth?mode=PAPER&market=NOPE")

    def test_too_many_decimals(self):
        resp = self.assertRefused("POST", "/api/orders", order(price="90.001"), status=400)
        # The code is INVALID_ARGUMENT (json_codec reports every decoding error so); the message
        # names the problem.
        self.assertIn("decimal", resp["error"]["message"].lower())
        self.assertRefused("POST", "/api/orders", order(qty="0.10001"), status=400)

    def test_missing_or_bad_mode(self):
        self.assertRefused("POST", "/api/orders", order(mode=None), status=400)
        self.assertRefused("POST", "/api/orders", order(mode="DEMO"), status=400)
        self.assertRefused("POST", "/api/orders", order(mode="paper"), status=400)
        for path in ("/api/orders", "/api/balances", "/api/positions", "/api/trades/history",
                     "/api/orders?mode=TEST"):
            self.assertRefused("GET", path, status=400)
        self.assertRefused("DELETE", "/api/orders", status=400)

    def test_bad_amends(self):
        path = "/api/orders/" + self.order_id
        # Neither price nor qty: nothing to do, and no no-op command either (fixed in routes_trading).
        self.assertRefused("PATCH", path, {"mode": "PAPER"}, status=400)
        self.assertRefused("PATCH", path, {"mode": "PAPER", "price": None, "qty": None}, status=400)
        self.assertRefused("PATCH", path, {"mode": "PAPER", "qty": "0"}, status=400)
        self.assertRefused("PATCH", path, {"mode": "PAPER", "price": "80.001"}, status=400)
        self.assertRefused("PATCH", path, {"mode": "PAPER", "price": 81}, status=400)
        self.assertRefused("PATCH", path, {"price": "81.00"}, status=400)
        self.assertRefused("PATCH", path, {"mode": "REAL", "price": "81.00"}, status=404)
        self.assertRefused("PATCH", "/api/orders/999", {"mode": "PAPER", "price": "81.00"}, status=404)
        self.assertRefused("PATCH", "/api/orders/abc", {"mode": "PAPER", "price": "81.00"}, status=400)
        self.assertRefused("DELETE", "/api/orders/abc?mode=PAPER", status=400)
        self.assertRefused("DELETE", "/api/orders?mode=PAPER&market=NOPE", status=400)

    def test_bad_query_parameters(self):
        for path in ("/api/orders?mode=PAPER&status=history&limit=abc",
                     "/api/orders?mode=PAPER&status=history&limit=0",
                     "/api/orders?mode=PAPER&status=history&cursor=-1",
                     "/api/orders?mode=PAPER&status=sleeping",
                     "/api/orders/not-a-number"):
            self.assertRefused("GET", path, status=400)

    def test_oversized_body_is_413(self):
        before = self.state()
        body = json.dumps(order(clientOrderId="x" * (MAX_BODY * 3))).encode()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=bound(10)) as s:
            s.sendall(b"POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"X-Trader-Ak: " + self.u.trader_ak.encode() +
                      b"\r\nContent-Length: %d\r\n\r\n" % len(body))
            try:
                s.sendall(body)
            except OSError:
                pass  # the server may answer and close before reading it all
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, rest = data.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 413"), head)
            length = int([line.split(b":")[1] for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")][0])
            while len(rest) < length:
                chunk = s.recv(65536)
                if not chunk:
                    break
                rest += chunk
            err = json.loads(rest[:length])
            self.assertEqual(err["error"]["code"], "PAYLOAD_TOO_LARGE")
        self.assertEqual(self.state(), before)

    def test_unknown_route_404_and_wrong_method_405(self):
        self.assertRefused("GET", "/api/nope", status=404)
        self.assertRefused("POST", "/api/does/not/exist", GOOD, status=404)
        self.assertRefused("PUT", "/api/orders", GOOD, status=405)
        self.assertRefused("GET", "/api/auth/login/verify", status=405, key=False)
        self.assertRefused("DELETE", "/api/balances?mode=PAPER", status=405)

    def test_bad_login_requests(self):
        self.assertRefused("POST", "/api/auth/login/request", {"email": "not-an-email"}, status=400, key=False)
        self.assertRefused("POST", "/api/auth/login/request", {"mail": "a@example.com"}, status=400, key=False)
        self.assertRefused("POST", "/api/auth/login/verify", {"email": "a@example.com"}, status=400, key=False)
        self.assertRefused("POST", "/api/auth/login/verify", {"email": "a@example.com", "code": 123456},
                           status=400, key=False)


if __name__ == "__main__":
    harness.main()
