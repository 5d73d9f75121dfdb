"""Login by mailed code (real SMTP), sessions, API keys; rate limiting with Retry-After."""
import json
import unittest

import harness
from harness import ServerTestCase


def wrong(code):
    return "%06d" % ((int(code) + 1) % 1000000)


class LoginFlow(ServerTestCase):
    # One server, one client IP: at most 20 login codes in all (then 1 per 30 s), 16 used now.
    def verify(self, email, code):
        return self.http("POST", "/api/auth/login/verify", {"email": email, "code": code})

    def test_first_login_creates_user_keys_tokens_and_httponly_cookies(self):
        u = self.login("first@example.com")
        self.assertTrue(u.body["newUser"])
        self.assertEqual(u.body["user"]["email"], "first@example.com")
        self.assertEqual(sorted(u.keys), ["providerAk", "traderAk", "userAk"])
        for kind, k in u.keys.items():
            self.assertTrue(k["secret"].startswith("cx_%s_" % kind[0]), k)
            self.assertEqual(len(k["secret"]), 61, k)
            self.assertTrue(k["secret"].startswith("cx_" + k["prefix"] + "_"), k)
        self.assertEqual(u.access.count("."), 2)
        self.assertEqual(len(u.refresh), 43)
        names = {}
        for c in u.cookies:
            name, _, rest = c.partition("=")
            names[name] = c
            self.assertIn("HttpOnly", c)
        self.assertIn("cx_access=" + u.access + ";", names["cx_access"])
        self.assertIn("cx_refresh=" + u.refresh + ";", names["cx_refresh"])
        me = self.ok("GET", "/api/user/me", token=u.access)
        self.assertEqual(me["id"], u.id)
        # The access cookie alone is a session too.
        st, me2 = self.http("GET", "/api/user/me", headers={"Cookie": "cx_access=" + u.access})
        self.assertEqual((st, me2["id"]), (200, u.id))
        # The traderAk authenticates trading calls.
        self.assertEqual(self.ok("GET", "/api/user/me", key=u.trader_ak)["id"], u.id)

    def test_second_login_same_user_no_new_keys(self):
        first = self.login("again@example.com")
        second = self.login("again@example.com")
        self.assertEqual(second.id, first.id)
        self.assertFalse(second.body["newUser"])
        self.assertNotIn("keys", second.body)
        keys = self.ok("GET", "/api/user/keys", token=second.access)["keys"]
        self.assertEqual(len(keys), 3)

    def test_wrong_code_is_401_and_right_code_still_works(self):
        email = "wrongcode@example.com"
        code = self.request_code(email)
        self.assertError(self.verify(email, wrong(code)), 401)
        st, body = self.verify(email, code)
        self.assertEqual(st, 200, body)
        # Single use.
        self.assertError(self.verify(email, code), 401)

    def test_five_wrong_attempts_kill_the_code(self):
        email = "guesser@example.com"
        code = self.request_code(email)
        for _ in range(5):
            self.assertError(self.verify(email, wrong(code)), 401)
        self.assertError(self.verify(email, code), 401)
        self.assertEqual(self.http("GET", "/api/user/keys")[0], 401)

    def test_login_codes_per_email_burst_of_3_then_429(self):
        email = "eager@example.com"
        codes = [self.request_code(email) for _ in range(3)]
        st, headers, body = self.http_full("POST", "/api/auth/login/request", {"email": email})
        self.assertEqual(st, 429, body)
        self.assertError((st, body), 429, "RATE_LIMITED")
        retry = [int(v) for k, v in headers if k.lower() == "retry-after"]
        self.assertTrue(retry and 1 <= retry[0] <= 60, headers)
        # A new code replaces the previous one: only the last works.
        if codes[0] != codes[2]:
            self.assertError(self.verify(email, codes[0]), 401)
        self.assertEqual(self.verify(email, codes[2])[0], 200)

    def test_refresh_rotates_and_reuse_revokes_the_session(self):
        u = self.login("rotate@example.com")
        st, r1 = self.http("POST", "/api/auth/refresh", {"refreshToken": u.refresh})
        self.assertEqual(st, 200, r1)
        self.assertNotEqual(r1["refreshToken"], u.refresh)
        self.assertEqual(self.ok("GET", "/api/user/me", token=r1["accessToken"])["id"], u.id)
        # By cookie as well.
        st, r2 = self.http("POST", "/api/auth/refresh",
                           headers={"Cookie": "cx_refresh=" + r1["refreshToken"]})
        self.assertEqual(st, 200, r2)
        # The old token again: theft. 401, and the live successor dies with it.
        self.assertError(self.http("POST", "/api/auth/refresh", {"refreshToken": u.refresh}), 401)
        self.assertError(self.http("POST", "/api/auth/refresh",
                                   {"refreshToken": r2["refreshToken"]}), 401)

    def test_logout_revokes_the_refresh_token(self):
        u = self.login("logout@example.com")
        st, headers, body = self.http_full("POST", "/api/auth/logout", {"refreshToken": u.refresh})
        self.assertEqual((st, body), (200, {"loggedOut": True}))
        cleared = [v for k, v in headers if k.lower() == "set-cookie"]
        self.assertTrue(any(c.startswith("cx_refresh=;") for c in cleared), cleared)
        self.assertError(self.http("POST", "/api/auth/refresh", {"refreshToken": u.refresh}), 401)

    def test_key_list_shows_prefixes_never_secrets_or_hashes(self):
        u = self.login("keylist@example.com")
        st, _, body = self.http_full("GET", "/api/user/keys", token=u.access)
        self.assertEqual(st, 200)
        text = json.dumps(body)
        for k in u.keys.values():
            self.assertNotIn(k["secret"], text)
            # The random part after "cx_<prefix>_" (it may itself contain "_").
            self.assertTrue(k["secret"].startswith("cx_" + k["prefix"] + "_"), k)
            self.assertNotIn(k["secret"][len("cx_" + k["prefix"] + "_"):], text)
        self.assertEqual(sorted(k["prefix"] for k in body["keys"]),
                         sorted(k["prefix"] for k in u.keys.values()))
        for k in body["keys"]:
            self.assertNotIn("secret", k)
            self.assertNotIn("hash", k)
        # A key cannot list or mint keys: a session is required.
        self.assertError(self.http("GET", "/api/user/keys", key=u.trader_ak), 401)

    def test_create_rotate_revoke_keys(self):
        u = self.login("keys@example.com")
        created = self.ok("POST", "/api/user/keys", {"kind": "traderAk", "label": "bot"},
                          token=u.access, expect=201)
        secret = created["secret"]
        self.assertEqual(created["label"], "bot")
        self.assertEqual(self.ok("GET", "/api/balances?mode=PAPER", key=secret)["mode"], "PAPER")
        rotated = self.ok("POST", "/api/user/keys/%s/rotate" % created["prefix"],
                          token=u.access, expect=201)
        self.assertNotEqual(rotated["secret"], secret)
        self.assertError(self.http("GET", "/api/balances?mode=PAPER", key=secret), 401)
        self.ok("GET", "/api/balances?mode=PAPER", key=rotated["secret"])
        self.ok("DELETE", "/api/user/keys/" + rotated["prefix"], token=u.access)
        self.assertError(self.http("GET", "/api/balances?mode=PAPER", key=rotated["secret"]), 401)
        listed = {k["prefix"]: k for k in self.ok("GET", "/api/user/keys", token=u.access)["keys"]}
        self.assertFalse(listed[rotated["prefix"]]["active"])
        self.assertIsNotNone(listed[rotated["prefix"]]["revokedAt"])

    def test_bad_key_requests_are_400_and_create_nothing(self):
        u = self.login("badkeys@example.com")
        for body in ({"kind": "adminAk"}, {}, {"kind": "traderAk", "label": "x" * 65},
                     {"kind": "traderAk", "label": "a\nb"},
                     {"kind": "traderAk", "label": 5}):  # was accepted as "" (fixed in routes_user)
            self.assertError(self.http("POST", "/api/user/keys", body, token=u.access), 400)
        self.assertEqual(len(self.ok("GET", "/api/user/keys", token=u.access)["keys"]), 3)
        self.assertError(self.http("GET", "/api/user/keys?kind=x", token=u.access), 400)
        self.assertError(self.http("POST", "/api/user/keys/t_nope/rotate", token=u.access), 404)
        self.assertError(self.http("DELETE", "/api/user/keys/t_nope", token=u.access), 404)

    def test_key_last_used_is_recorded(self):
        # Api::note_key_use writes lastUsedAt at most once a minute per key.
        u = self.login("lastused@example.com")
        self.ok("GET", "/api/balances?mode=PAPER", key=u.trader_ak)
        keys = {k["kind"]: k for k in self.ok("GET", "/api/user/keys", token=u.access)["keys"]}
        self.assertIsNotNone(keys["traderAk"]["lastUsedAt"])

    def test_revoked_default_trader_key_is_401_at_once(self):
        u = self.login("revoke@example.com")
        self.ok("GET", "/api/orders?mode=PAPER", key=u.trader_ak)  # cached now
        self.ok("DELETE", "/api/user/keys/" + u.keys["traderAk"]["prefix"], token=u.access)
        self.assertError(self.http("GET", "/api/orders?mode=PAPER", key=u.trader_ak), 401)
        self.assertError(self.place(u, "NOPE/USDC", "BUY", "1.00", "1"), 401)


class RateLimit(ServerTestCase):
    server_env = {"CX_RATE_KEY_BURST": "3", "CX_RATE_KEY_REFILL_MS": "3600000"}

    def test_burst_then_429_with_retry_after_per_user(self):
        a = self.login("limited@example.com")
        b = self.login("other@example.com")
        for _ in range(3):
            self.ok("GET", "/api/orders?mode=PAPER", key=a.trader_ak)
        st, headers, body = self.http_full("GET", "/api/orders?mode=PAPER", key=a.trader_ak)
        self.assertEqual(st, 429, body)
        self.assertEqual(body["error"]["code"], "RATE_LIMITED")
        retry = [v for k, v in headers if k.lower() == "retry-after"]
        self.assertEqual(len(retry), 1, headers)
        self.assertGreaterEqual(int(retry[0]), 1)
        self.assertLessEqual(int(retry[0]), 3600)
        # Another user's budget is their own.
        self.ok("GET", "/api/orders?mode=PAPER", key=b.trader_ak)


class IpRateLimit(ServerTestCase):
    server_env = {"CX_RATE_IP_BURST": "6", "CX_RATE_IP_REFILL_MS": "3600000"}

    def test_public_routes_burst_then_429_with_retry_after(self):
        for _ in range(6):
            self.ok("GET", "/api/markets")
        st, headers, body = self.http_full("GET", "/api/klines?mode=PAPER&market=X")
        self.assertError((st, body), 429, "RATE_LIMITED")
        retry = [int(v) for k, v in headers if k.lower() == "retry-after"]
        self.assertTrue(retry and 1 <= retry[0] <= 3600, headers)
        # Health checks are not limited.
        self.assertEqual(self.http("GET", "/healthz")[0], 200)
        self.assertEqual(self.http("GET", "/readyz")[0], 200)


if __name__ == "__main__":
    harness.main()
