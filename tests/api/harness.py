"""Starts a real `cxmpute serve` on loopback, with an in-process SMTP sink, for API tests.

Usage from a test file:

    from harness import ServerTestCase, main
    class Orders(ServerTestCase):
        def test_x(self):
            alice = self.login("alice@example.com")
            status, body = self.http("GET", "/api/balances?mode=PAPER", key=alice.trader_ak)
    if __name__ == "__main__":
        main()

Run one file (or one class or test) directly, or all through CTest (`ctest -R '^api\.'`):

    /usr/bin/python3 tests/api/test_orders.py [--cxmpute build/dev/src/app/cxmpute] [Orders.test_x]

Environment: CXMPUTE (the binary, else build/release), CX_SANITIZED=1 (ASan build: every bound
x4), CX_STRESS=1 (also the probabilistic race tests).

Each ServerTestCase class owns one server: a fresh data directory, a free port, its own SMTP
sink; started in setUpClass, stopped with SIGTERM (exit code 0 asserted) in tearDownClass.
Every wait is bounded; under ASan (CX_SANITIZED=1) the bounds are multiplied.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from email import message_from_bytes
from urllib.parse import quote

from aiosmtpd.controller import Controller

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BINARY = os.environ.get("CXMPUTE", os.path.join(REPO, "build/release/src/app/cxmpute"))
SLOW = 4.0 if os.environ.get("CX_SANITIZED") else 1.0
ADMIN_EMAIL = "admin@example.com"


def bound(seconds):
    """A timeout scaled for slow (sanitized) builds."""
    return seconds * SLOW


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, seconds, what):
    """Polls predicate() until it returns a true value (returned) or `seconds` pass (fails)."""
    deadline = time.monotonic() + bound(seconds)
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


# ---------------------------------------------------------------- SMTP sink

class MailSink:
    """Records every message delivered to it; `code_for(email)` waits for a new login code."""

    def __init__(self):
        self.messages = []  # (recipients, email.message.Message)
        self.cond = threading.Condition()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content)
        with self.cond:
            self.messages.append(([r.lower() for r in envelope.rcpt_tos], msg))
            self.cond.notify_all()
        return "250 OK"

    def start(self, attempts=3):
        for attempt in range(attempts):
            try:
                return self.controller.start()
            except Exception:  # the port was taken meanwhile: another one
                if attempt + 1 == attempts:
                    raise
                self.port = free_port()
                self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def stop(self):
        self.controller.stop()

    def count_for(self, email):
        with self.cond:
            return sum(1 for rcpts, _ in self.messages if email.lower() in rcpts)

    def wait_message(self, email, after, seconds=10):
        """The first message to `email` beyond the `after` already seen."""
        deadline = time.monotonic() + bound(seconds)
        with self.cond:
            while True:
                mine = [m for rcpts, m in self.messages if email.lower() in rcpts]
                if len(mine) > after:
                    return mine[after]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("no mail for " + email)
                self.cond.wait(left)


def code_of(message):
    body = message.get_payload(decode=True).decode("utf-8")
    m = re.search(r"\b(\d{6})\b", body)
    if not m:
        raise AssertionError("no 6-digit code in: " + body)
    return m.group(1)


# ---------------------------------------------------------------- the server

class PortTaken(Exception):
    pass


class Server:
    """One cxmpute serve process. `env` adds CX_* variables; `args` adds flags."""

    def __init__(self, data_dir, smtp_port, env=None, args=()):
        self.data_dir = data_dir
        self.port = free_port()
        self.smtp_port = smtp_port
        self.env = dict(os.environ)
        # Ordinary tests are not rate-limited; a test that wants a limit sets its own.
        self.env.update({"CX_RATE_KEY_BURST": "0", "CX_RATE_IP_BURST": "0"})
        # These servers have no oracle: derivative markets trade without a price age limit
        # (the default 30 s would refuse them with STALE_ORACLE_PRICE). Oracle tests set their own.
        self.env.update({"CX_ORACLE_MAX_AGE_MS": "0"})
        self.env.update(env or {})
        self.args = list(args)
        self.proc = None
        self.findings = []
        self.log_path = os.path.join(os.path.dirname(data_dir), "server-%d.log" % self.port)

    def start(self, attempts=3):
        """Starts and waits for /readyz; a port taken meanwhile by someone else is retried."""
        for attempt in range(attempts):
            try:
                return self._start()
            except PortTaken:
                self.log.close()
                self.proc = None
                self.port = free_port()
        raise AssertionError("no free port after %d attempts" % attempts)

    def _start(self):
        cmd = [BINARY, "serve", "--data", self.data_dir, "--address", "127.0.0.1",
               "--port", str(self.port), "--smtp-host", "127.0.0.1",
               "--smtp-port", str(self.smtp_port), "--smtp-tls", "none",
               "--smtp-from", "Cxmpute <noreply@example.com>",
               "--admin-emails", ADMIN_EMAIL, "--log-level", "warn"] + self.args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)

        def ready():
            if self.proc.poll() is not None:
                if "cannot listen" in self.tail():
                    raise PortTaken()
                raise AssertionError("the server exited with %s:\n%s" % (self.proc.returncode, self.tail()))
            try:
                status, _, _ = request(self.port, "GET", "/readyz", timeout=2)
                return status == 200
            except OSError:
                return False
        wait_until(ready, 30, "/readyz")

    def stop(self):
        """SIGTERM by PID; returns the exit code (killed after a bounded wait)."""
        if self.proc is None:
            return None
        code = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                code = self.proc.wait(timeout=bound(20))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
                code = "killed after SIGTERM timed out"
        else:
            code = self.proc.returncode
        self.proc = None
        self.log.close()
        self.findings = self.sanitizer_reports()
        return code

    def sanitizer_reports(self):
        """ASan/UBSan/LSan lines in the server's log (UBSan reports do not stop the process)."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [line for line in text.splitlines()
                if "runtime error:" in line or "Sanitizer" in line]

    def tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""


def request(port, method, path, body=None, headers=None, timeout=None, raw=None):
    """One HTTP request on a fresh connection: (status, headers list, parsed JSON or text)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout or bound(15))
    try:
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        payload = resp.read()
        text = payload.decode("utf-8", "replace")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, resp.getheaders(), parsed
    finally:
        conn.close()


# ---------------------------------------------------------------- people

class User:
    """A logged-in user: ids, keys (secrets kept from the first login), tokens."""

    def __init__(self, email, verify_body, cookies):
        self.email = email
        self.body = verify_body
        self.id = verify_body["user"]["id"]
        self.access = verify_body["accessToken"]
        self.refresh = verify_body["refreshToken"]
        self.cookies = cookies
        self.keys = {k["kind"]: k for k in verify_body.get("keys", [])}

    @property
    def trader_ak(self):
        return self.keys["traderAk"]["secret"]


class ServerTestCase(unittest.TestCase):
    """Starts one server per class. Subclasses may set `server_env` and `server_args`."""

    server_env = {}
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls._admin = None  # per class: tokens are signed by the class's own server
        cls.findings = []  # sanitizer reports of every server process of the class
        cls.tmp = tempfile.mkdtemp(prefix="cx-api-")
        cls.data_dir = os.path.join(cls.tmp, "data")
        cls.mail = MailSink()
        cls.mail.start()
        cls.server = None
        try:
            cls.start_server()
        except BaseException:
            cls.cleanup()
            raise

    @classmethod
    def client(cls):
        """An instance for setUpClass to call the helpers below (login, deposit...) with."""
        return cls("setUp")

    @classmethod
    def start_server(cls):
        cls.server = Server(cls.data_dir, cls.mail.port, cls.server_env, cls.server_args)
        cls.server.start()

    @classmethod
    def stop_server(cls):
        code = cls.server.stop() if cls.server else None
        if cls.server:
            cls.findings += cls.server.findings
        return code

    @classmethod
    def cleanup(cls):
        try:
            if cls.server is not None and cls.server.proc is not None:
                cls.server.stop()
        finally:
            cls.mail.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        code = None
        log = ""
        try:
            if cls.server is not None and cls.server.proc is not None:
                code = cls.stop_server()
                log = cls.server.tail()
            else:
                code = 0
        finally:
            cls.mail.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)
        if code != 0:
            raise AssertionError("the server did not exit 0 on SIGTERM: %r\n%s" % (code, log))
        if cls.findings:
            raise AssertionError("sanitizer reports:\n" + "\n".join(cls.findings[:20]))

    # ---- HTTP

    def http(self, method, path, body=None, key=None, token=None, headers=None, raw=None):
        """(status, parsed body). `key`: an X-Trader-Ak; `token`: a Bearer access token."""
        status, _, parsed = self.http_full(method, path, body, key, token, headers, raw)
        return status, parsed

    def http_full(self, method, path, body=None, key=None, token=None, headers=None, raw=None):
        hdrs = dict(headers or {})
        if key is not None:
            hdrs["X-Trader-Ak"] = key
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        return request(self.server.port, method, path, body, hdrs, raw=raw)

    def ok(self, method, path, body=None, key=None, token=None, expect=(200, 201)):
        status, parsed = self.http(method, path, body, key, token)
        if isinstance(expect, int):
            expect = (expect,)
        self.assertIn(status, expect, "%s %s -> %s %s" % (method, path, status, parsed))
        return parsed

    def metric(self, name):
        """A counter from /metrics (e.g. "cx_orders_accepted_total")."""
        st, text = self.http("GET", "/metrics")
        self.assertEqual(st, 200)
        for line in text.splitlines():
            if line.startswith(name + " "):
                return int(line.split()[1])
        raise AssertionError("no metric " + name)

    def assertError(self, status_body, status, code=None):
        st, body = status_body
        self.assertEqual(st, status, body)
        self.assertIsInstance(body, dict, body)
        self.assertIn("error", body, body)
        self.assertIsInstance(body["error"].get("code"), str, body)
        self.assertIsInstance(body["error"].get("message"), str, body)
        if code is not None:
            self.assertEqual(body["error"]["code"], code, body)

    # ---- accounts

    def request_code(self, email):
        seen = self.mail.count_for(email)
        st, body = self.http("POST", "/api/auth/login/request", {"email": email})
        self.assertEqual(st, 200, body)
        return code_of(self.mail.wait_message(email, seen))

    def login(self, email):
        code = self.request_code(email)
        st, headers, body = self.http_full("POST", "/api/auth/login/verify",
                                           {"email": email, "code": code})
        self.assertEqual(st, 200, body)
        cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        return User(email, body, cookies)

    def admin(self):
        if type(self)._admin is None:
            type(self)._admin = self.login(ADMIN_EMAIL)
        return type(self)._admin

    def create_market(self, symbol, mode="PAPER", base="sBTC", tick="0.01", lot="0.0001",
                      maker_bps=2, taker_bps=5, kind="SPOT"):
        body = {"mode": mode, "symbol": symbol, "kind": kind, "base": base, "tickSize": tick,
                "lotSize": lot, "makerFeeBps": maker_bps, "takerFeeBps": taker_bps}
        return self.ok("POST", "/api/admin/markets", body, token=self.admin().access, expect=201)

    def deposit(self, user, asset, amount, mode="PAPER"):
        return self.ok("POST", "/api/admin/deposit",
                       {"mode": mode, "trader": user.id, "asset": asset, "amount": amount},
                       token=self.admin().access, expect=200)

    # ---- trading shortcuts

    def place(self, user, market, side, price, qty, mode="PAPER", **extra):
        body = {"mode": mode, "market": market, "side": side, "type": extra.pop("type", "LIMIT"),
                "price": price, "qty": qty}
        body.update(extra)
        return self.http("POST", "/api/orders", body, key=user.trader_ak)

    def balances(self, user, mode="PAPER"):
        body = self.ok("GET", "/api/balances?mode=" + mode, key=user.trader_ak)
        return {b["asset"]: b for b in body["balances"]}

    def open_orders(self, user, mode="PAPER", market=None):
        path = "/api/orders?mode=" + mode + ("&market=" + quote(market, safe="") if market else "")
        return self.ok("GET", path, key=user.trader_ak)["orders"]


def q(s):
    return quote(s, safe="")


def main():
    """unittest.main, after taking `--cxmpute PATH` off the command line."""
    global BINARY
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--cxmpute")
    args, rest = parser.parse_known_args()
    if args.cxmpute:
        BINARY = os.path.abspath(args.cxmpute)
    if not os.access(BINARY, os.X_OK):
        sys.exit("no cxmpute binary at " + BINARY)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
