"""Klines on a fresh market equal the trades made on it, at 1m, 1h and 1d."""
import harness
from harness import ServerTestCase, q

INTERVALS = {"1m": 60000, "1h": 3600000, "1d": 86400000}


def units(text):
    return int(text.replace(".", ""))


class Klines(ServerTestCase):
    def test_klines_equal_the_trades(self):
        seller = self.login("kseller@example.com")
        buyer = self.login("kbuyer@example.com")
        self.deposit(seller, "sBTC", "10")
        m = "KLN/USDC"
        self.create_market(m)
        # (price, qty) of each trade, in order: open 100, high 102.50, low 98.75, close 101.
        made = [("100.00", "0.1000"), ("102.50", "0.2000"), ("98.75", "0.0300"), ("101.00", "0.4000")]
        for price, qty in made:
            st, body = self.place(seller, m, "SELL", price, qty)
            self.assertEqual(st, 201, body)
            st, body = self.place(buyer, m, "BUY", price, qty)
            self.assertEqual((st, body["order"]["status"]), (201, "FILLED"), body)
        trades = self.ok("GET", "/api/trades?mode=PAPER&market=" + q(m))["trades"]
        trades.sort(key=lambda t: int(t["id"]))
        self.assertEqual([(t["price"], t["qty"]) for t in trades], made)

        for name, ms in INTERVALS.items():
            # Expected candles from the trades' own timestamps (a run may cross a boundary).
            expected = {}
            for t in trades:
                start = t["ts"] // ms * ms
                k = expected.setdefault(start, {"open": t["price"], "high": t["price"], "low": t["price"],
                                                "volume": 0, "quote": 0, "trades": 0})
                k["high"] = max(k["high"], t["price"], key=units)
                k["low"] = min(k["low"], t["price"], key=units)
                k["close"] = t["price"]
                k["volume"] += units(t["qty"])
                k["quote"] += units(t["notional"])
                k["trades"] += 1
            got = self.ok("GET", "/api/klines?mode=PAPER&interval=%s&market=%s" % (name, q(m)))
            self.assertEqual(got["interval"], name)
            candles = {k["openTime"]: k for k in got["klines"]}
            self.assertEqual(sorted(candles), sorted(expected), name)
            for start, e in expected.items():
                k = candles[start]
                self.assertEqual(k["closeTime"] - k["openTime"], ms, k)
                self.assertEqual((k["open"], k["high"], k["low"], k["close"], units(k["volume"]),
                                  units(k["quoteVolume"]), k["trades"]),
                                 (e["open"], e["high"], e["low"], e["close"], e["volume"], e["quote"],
                                  e["trades"]), name)
            if len(expected) == 1:
                [k] = got["klines"]
                self.assertEqual((k["open"], k["high"], k["low"], k["close"], k["volume"], k["trades"]),
                                 ("100.00", "102.50", "98.75", "101.00", "0.7300", 4))
                self.assertEqual(k["quoteVolume"], "73.862500")

    def test_klines_of_unknown_market_or_bad_interval(self):
        self.assertError(self.http("GET", "/api/klines?mode=PAPER&market=NOPE"), 404)
        self.assertError(self.http("GET", "/api/klines?mode=PAPER&market=KLN%2FUSDC&interval=7m"), 400)


if __name__ == "__main__":
    harness.main()
