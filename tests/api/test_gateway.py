"""The AI gateway end to end: real `cxmpute serve`, real `cxmpute node` processes with the
synthetic backend, the official OpenAI SDK as a client (tests/ai), and the provider lifecycle,
retries and metering checked to the micro-credit."""
import http.client
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import REPO, ServerTestCase, bound, main, request, wait_until

# Prices in credits (1 credit = 1,000,000 micro-credits), chosen so costs are easy to check.
PRICES = """
[gateway]
signup_credits = "0.01"
provider_share_bps = 7000

[[gateway.prices]]
service = "chat"
model = "synthetic-echo"
input_per_million = "1000"
output_per_million = "2000"

[[gateway.prices]]
service = "embeddings"
model = "*"
input_per_million = "500"

[[gateway.prices]]
service = "image"
model = "*"
per_image = "0.05"

[[gateway.prices]]
service = "tts"
model = "*"
per_second = "0.01"
"""


def chat_cost(usage):
    """micro-credits for a synthetic-echo chat: 1000 per input token, 2000 per output token."""
    return usage["prompt_tokens"] * 1000 + usage["completion_tokens"] * 2000


def raw_post(port, path, body, key):
    """(status, headers, body bytes) of a POST whose answer is not JSON (SSE, audio)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=bound(15))
    try:
        conn.request("POST", path, body=json.dumps(body).encode(),
                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def share(cost):
    return cost * 7000 // 10000


class Node:
    """One `cxmpute node --backend synthetic` process registered with the test's server."""

    def __init__(self, port, provider_ak, log_dir, heartbeat_ms=200):
        cmd = [harness.BINARY, "node", "--gateway", "http://127.0.0.1:%d" % port, "--provider-ak",
               provider_ak, "--heartbeat-ms", str(heartbeat_ms), "--log-level", "warn"]
        self.log_path = os.path.join(log_dir, "node-%d.log" % time.monotonic_ns())
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        try:
            line = self.lines.get(timeout=bound(20))
        except queue.Empty:
            self.kill()
            raise AssertionError("the node did not register:\n" + self.tail())
        # "node <id> registered at <gateway>, serving on <url>"
        parts = line.split()
        self.id = parts[1]
        self.url = parts[-1]

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").strip())

    def tail(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read()[-3000:].decode(errors="replace")

    def stop(self):
        """SIGTERM: the node leaves the gateway and exits 0."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=bound(20))
        self.log.close()
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=bound(20))
        self.log.close()


class GatewayCase(ServerTestCase):
    server_env = {
        "CX_GATEWAY_HEARTBEAT_MS": "200",
        "CX_GATEWAY_MISS_LIMIT": "3",
        "CX_GATEWAY_SUSPEND_BASE_MS": "600",
        "CX_GATEWAY_FAILURE_LIMIT": "3",
    }

    @classmethod
    def setUpClass(cls):
        cls.config_dir = tempfile.mkdtemp(prefix="cx-gw-")
        path = os.path.join(cls.config_dir, "gateway.toml")
        with open(path, "w") as f:
            f.write(PRICES)
        cls.server_args = ("--config", path)
        super().setUpClass()
        cls.nodes = []

    @classmethod
    def tearDownClass(cls):
        for n in cls.nodes:
            if n.proc.poll() is None:
                n.kill()
        shutil.rmtree(cls.config_dir, ignore_errors=True)
        super().tearDownClass()

    def start_node(self, provider):
        n = Node(self.server.port, provider.keys["providerAk"]["secret"], self.config_dir)
        type(self).nodes.append(n)
        return n

    def grant(self, user, amount):
        return self.ok("POST", "/api/admin/credits", {"userId": user.id, "amount": amount},
                       token=self.admin().access)

    def ai(self, user, path, body, key=None):
        """(status, headers, body) of an AI call with the user's userAk as a Bearer token."""
        key = key or user.keys["userAk"]["secret"]
        return request(self.server.port, "POST", "/api/v1" + path, body,
                       {"Authorization": "Bearer " + key})

    def credits(self, user):
        body = self.ok("GET", "/api/user/credits", token=user.access)
        return body["availableMicro"], body["heldMicro"]

    def node_state(self, provider, node_id):
        body = self.ok("GET", "/api/providers/nodes", token=provider.access)
        for n in body["nodes"]:
            if n["nodeId"] == node_id:
                return n
        return None

    def overview(self):
        return self.ok("GET", "/api/admin/gateway", token=self.admin().access)


class OpenAISdk(GatewayCase):
    """tests/ai/openai_sdk.test.mjs: the official SDK against the gateway."""

    def test_openai_sdk(self):
        node_bin = shutil.which("node")
        self.assertIsNotNone(node_bin, "node.js is installed by scripts/install-deps")
        sdk = os.path.join(REPO, "tests", "ai", "node_modules", "openai")
        self.assertTrue(os.path.isdir(sdk), "npm ci --prefix tests/ai (scripts/install-deps)")
        provider = self.login("sdk-provider@example.com")
        user = self.login("sdk-user@example.com")
        broke = self.login("sdk-broke@example.com")
        self.grant(user, "100")
        self.start_node(provider)
        env = dict(os.environ)
        env.update({"CX_BASE_URL": "http://127.0.0.1:%d/api/v1" % self.server.port,
                    "CX_USER_AK": user.keys["userAk"]["secret"],
                    "CX_BROKE_USER_AK": broke.keys["userAk"]["secret"]})
        proc = subprocess.run([node_bin, "--test", "--test-reporter=tap",
                               os.path.join(REPO, "tests", "ai", "openai_sdk.test.mjs")],
                              env=env, capture_output=True, timeout=bound(120))
        out = proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 0, out[-6000:])
        self.assertIn("# fail 0", out)


class ProviderLifecycle(GatewayCase):

    def test_register_heartbeat_suspend_return_leave(self):
        provider = self.login("life-provider@example.com")
        user = self.login("life-user@example.com")
        self.grant(user, "10")
        node = self.start_node(provider)
        n = self.node_state(provider, node.id)
        self.assertEqual(n["state"], "HEALTHY", n)
        self.assertIn({"service": "chat", "model": "synthetic-echo"}, n["offers"])
        st, _, body = self.ai(user, "/chat/completions",
                              {"model": "synthetic-echo", "messages": [{"role": "user", "content": "hi"}]})
        self.assertEqual(st, 200, body)

        # Heartbeats stop (the process is frozen): suspended, and traffic stops going to it.
        node.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: self.node_state(provider, node.id)["state"] == "SUSPENDED", 10,
                   "suspension after missed heartbeats")
        first = self.node_state(provider, node.id)
        self.assertGreaterEqual(first["penaltyLevel"], 1)
        before = self.credits(user)
        st, _, body = self.ai(user, "/chat/completions",
                              {"model": "synthetic-echo", "messages": [{"role": "user", "content": "hi"}]})
        self.assertEqual(st, 503, body)
        self.assertEqual(body["error"]["code"], "no_healthy_node")
        self.assertEqual(self.credits(user), before, "a refused request costs nothing")
        models = self.ok("GET", "/api/v1/models")
        self.assertNotIn("synthetic-echo", [m["id"] for m in models["data"]])

        # It comes back: heartbeats after the suspension make it healthy again.
        node.proc.send_signal(signal.SIGCONT)
        wait_until(lambda: self.node_state(provider, node.id)["state"] == "HEALTHY", 15,
                   "the node's return")
        st, _, body = self.ai(user, "/chat/completions",
                              {"model": "synthetic-echo", "messages": [{"role": "user", "content": "back"}]})
        self.assertEqual(st, 200, body)

        # A second absence is penalised longer.
        node.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda: self.node_state(provider, node.id)["state"] == "SUSPENDED", 10,
                   "the second suspension")
        second = self.node_state(provider, node.id)
        self.assertGreater(second["penaltyLevel"], first["penaltyLevel"])
        node.proc.send_signal(signal.SIGCONT)
        wait_until(lambda: self.node_state(provider, node.id)["state"] == "HEALTHY", 20,
                   "the second return")

        # Leaving: SIGTERM makes the node say goodbye; it is out of the pools at once.
        code = node.stop()
        self.assertEqual(code, 0, node.tail())
        self.assertEqual(self.node_state(provider, node.id)["state"], "LEFT")
        models = self.ok("GET", "/api/v1/models")
        self.assertNotIn("synthetic-echo", [m["id"] for m in models["data"]])

    def test_verification_fails_for_a_node_that_does_not_answer(self):
        provider = self.login("verify-provider@example.com")
        key = provider.keys["providerAk"]["secret"]
        body = {"endpoint": "http://127.0.0.1:9", "secret": "s" * 32,
                "offers": [{"service": "chat", "model": "m1"}]}
        st, _, out = request(self.server.port, "POST", "/api/providers/nodes", body,
                             {"Authorization": "Bearer " + key})
        self.assertEqual(st, 422, out)
        self.assertEqual(out["error"]["code"], "VERIFICATION_FAILED")
        nodes = self.ok("GET", "/api/providers/nodes", token=provider.access)["nodes"]
        self.assertFalse([n for n in nodes if n["state"] == "HEALTHY"], nodes)

    def test_bad_registrations_and_foreign_heartbeats(self):
        provider = self.login("bad-provider@example.com")
        other = self.login("other-provider@example.com")
        key = provider.keys["providerAk"]["secret"]
        hdr = {"Authorization": "Bearer " + key}
        for bad in ({"endpoint": "http://127.0.0.1:9", "secret": "short", "offers": []},
                    {"endpoint": "ftp://x", "secret": "s" * 32,
                     "offers": [{"service": "chat", "model": "m"}]},
                    {"endpoint": "http://127.0.0.1:9", "secret": "s" * 32,
                     "offers": [{"service": "teleport", "model": "m"}]}):
            st, _, out = request(self.server.port, "POST", "/api/providers/nodes", bad, hdr)
            self.assertEqual(st, 400, out)
        # A traderAk is not a providerAk.
        st, _, out = request(self.server.port, "POST", "/api/providers/nodes",
                             {"endpoint": "http://127.0.0.1:9"},
                             {"Authorization": "Bearer " + provider.trader_ak})
        self.assertEqual(st, 403, out)
        node = self.start_node(provider)
        st, _, out = request(self.server.port, "POST",
                             "/api/providers/nodes/%s/heartbeat" % node.id, {"inFlight": 0},
                             {"Authorization": "Bearer " + other.keys["providerAk"]["secret"]})
        self.assertEqual(st, 403, out)
        st, _, out = request(self.server.port, "POST", "/api/providers/nodes/nd_nope/heartbeat",
                             {}, hdr)
        self.assertEqual(st, 404, out)
        self.assertEqual(node.stop(), 0)


class Retries(GatewayCase):

    def test_a_dead_node_costs_nothing_and_the_retry_succeeds(self):
        provider = self.login("retry-provider@example.com")
        user = self.login("retry-user@example.com")
        self.grant(user, "10")
        a = self.start_node(provider)
        b = self.start_node(provider)
        a.kill()  # still registered and "healthy" until its heartbeats are missed
        before, _ = self.credits(user)
        spent = 0
        for i in range(6):
            st, _, body = self.ai(user, "/chat/completions",
                                  {"model": "synthetic-echo",
                                   "messages": [{"role": "user", "content": "try %d" % i}]})
            self.assertEqual(st, 200, body)
            spent += chat_cost(body["usage"])
        after, held = self.credits(user)
        self.assertEqual(held, 0)
        self.assertEqual(before - after, spent, "charged exactly for what b served")
        self.assertEqual(b.stop(), 0)

    def test_a_stream_cut_mid_way_ends_with_an_error_event(self):
        provider = self.login("cut-provider@example.com")
        user = self.login("cut-user@example.com")
        self.grant(user, "10")
        node = self.start_node(provider)
        before, _ = self.credits(user)
        st, headers, raw = raw_post(
            self.server.port, "/api/v1/chat/completions",
            {"model": "synthetic-echo", "stream": True,
             "messages": [{"role": "user", "content": "one two [[cut]] three four"}]},
            user.keys["userAk"]["secret"])
        self.assertEqual(st, 200)
        text = raw.decode()
        events = [e for e in text.split("\n\n") if e.startswith("data: ")]
        self.assertNotIn("data: [DONE]", events, "no silent success")
        last = json.loads(events[-1][6:])
        self.assertEqual(last["error"]["code"], "stream_interrupted", text)
        after, held = self.credits(user)
        self.assertEqual(held, 0)
        # Metered by the gateway: the prompt estimate plus one token per content event seen.
        self.assertGreater(before - after, 0, "a cut stream is not free")
        self.assertLess(before - after, 1024 * 2000, "only what was produced is charged")
        self.assertEqual(node.stop(), 0)


class Metering(GatewayCase):

    def test_debits_equal_provider_credits_plus_fees(self):
        provider = self.login("meter-provider@example.com")
        user = self.login("meter-user@example.com")
        self.grant(user, "50")
        self.start_node(provider)
        start_avail, _ = self.credits(user)
        start_earn = self.ok("GET", "/api/providers/earnings", token=provider.access)["earningsMicro"]
        costs = []
        for i in range(5):
            st, _, body = self.ai(user, "/chat/completions",
                                  {"model": "synthetic-echo",
                                   "messages": [{"role": "user", "content": "w " * (i + 1)}]})
            self.assertEqual(st, 200, body)
            costs.append(chat_cost(body["usage"]))
        st, _, body = self.ai(user, "/embeddings", {"model": "synthetic-embed", "input": ["a b", "c"]})
        self.assertEqual(st, 200, body)
        costs.append(body["usage"]["prompt_tokens"] * 500)
        st, _, body = self.ai(user, "/image", {"model": "synthetic-image", "prompt": "cat", "n": 2})
        self.assertEqual(st, 200, body)
        self.assertEqual(len(body["data"]), 2)
        costs.append(2 * 50_000)
        st, headers, audio = raw_post(self.server.port, "/api/v1/tts",
                                      {"model": "synthetic-tts", "input": "hello there"},
                                      user.keys["userAk"]["secret"])
        self.assertEqual(st, 200)
        self.assertTrue(audio.startswith(b"RIFF"))
        ms = 60 * len("hello there")
        costs.append((ms * 10_000 + 999) // 1000)
        end_avail, held = self.credits(user)
        self.assertEqual(held, 0)
        self.assertEqual(start_avail - end_avail, sum(costs))
        earned = self.ok("GET", "/api/providers/earnings", token=provider.access)["earningsMicro"]
        self.assertEqual(earned - start_earn, sum(share(c) for c in costs))
        ov = self.overview()
        self.assertTrue(ov["conserved"], ov)

    def test_usage_shows_up_for_the_user(self):
        user = self.login("usage-user@example.com")
        provider = self.login("usage-provider@example.com")
        self.grant(user, "5")
        self.start_node(provider)
        st, _, body = self.ai(user, "/chat/completions",
                              {"model": "synthetic-echo", "messages": [{"role": "user", "content": "x"}]})
        self.assertEqual(st, 200, body)

        def recorded():
            days = self.ok("GET", "/api/user/usage", token=user.access)["days"]
            return [d for d in days if d["requests"] >= 1]
        rows = wait_until(recorded, 10, "usage statistics")
        self.assertEqual(rows[0]["requests"], 1)
        self.assertEqual(rows[0]["cost"], "%.6f" % (chat_cost(body["usage"]) / 1e6))


class Persistence(GatewayCase):

    def test_credits_and_earnings_survive_a_restart(self):
        provider = self.login("persist-provider@example.com")
        user = self.login("persist-user@example.com")
        self.grant(user, "3")
        node = self.start_node(provider)
        st, _, body = self.ai(user, "/chat/completions",
                              {"model": "synthetic-echo", "messages": [{"role": "user", "content": "keep me"}]})
        self.assertEqual(st, 200, body)
        before = self.credits(user)
        earned = self.ok("GET", "/api/providers/earnings", token=provider.access)["earningsMicro"]
        self.assertGreater(earned, 0)
        self.assertEqual(node.stop(), 0)
        self.assertEqual(self.stop_server(), 0)
        self.start_server()
        type(self)._admin = None  # sessions are signed per start
        user = self.login("persist-user@example.com")
        provider = self.login("persist-provider@example.com")
        self.assertEqual(self.credits(user), before)
        self.assertEqual(self.ok("GET", "/api/providers/earnings", token=provider.access)["earningsMicro"], earned)
        self.assertTrue(self.overview()["conserved"])


class RateLimits(GatewayCase):
    server_env = dict(GatewayCase.server_env, CX_RATE_KEY_BURST="3", CX_RATE_KEY_REFILL_MS="60000")

    def test_429_with_retry_after(self):
        user = self.login("limited@example.com")
        codes = []
        retry_after = None
        for _ in range(8):
            st, headers, body = self.ai(user, "/embeddings", {"model": "synthetic-embed", "input": "x"})
            codes.append(st)
            if st == 429:
                self.assertEqual(body["error"]["code"], "rate_limit_exceeded")
                retry_after = dict((k.lower(), v) for k, v in headers).get("retry-after")
                break
        self.assertIn(429, codes)
        self.assertGreaterEqual(int(retry_after), 1)


if __name__ == "__main__":
    main()
