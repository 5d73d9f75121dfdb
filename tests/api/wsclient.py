"""A minimal RFC 6455 WebSocket client for tests: blocking, text frames only, bounded waits.

    ws = WsClient(port, "/ws?traderAk=...")
    ws.send_json({"op": "ping", "id": "1"})
    msg = ws.recv_json(timeout=5)      # the next text message, parsed; pings are answered
    ws.close()

Client frames are masked (section 5.3); the server's are not. Fragmented messages are joined.
"""
import base64
import hashlib
import json
import os
import socket
import struct
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeError(Exception):
    def __init__(self, status, head):
        super().__init__("handshake refused: %s" % head.split("\r\n", 1)[0])
        self.status = status
        self.head = head


class Closed(Exception):
    """The server sent a close frame (code, reason) or dropped the connection."""


class WsClient:
    def __init__(self, port, path="/ws", headers=None, timeout=10.0, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.close_code = None
        try:
            self._handshake(host, port, path, headers)
        except BaseException:
            self.sock.close()
            raise

    def _handshake(self, host, port, path, headers):
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port), "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        lines += ["%s: %s" % kv for kv in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise HandshakeError(0, self.buf.decode("latin-1"))
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head = head.decode("latin-1")
        status = int(head.split(" ", 2)[1])
        if status != 101:
            raise HandshakeError(status, head)
        fields = {}
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if fields.get("sec-websocket-accept") != accept:
            raise HandshakeError(status, head)

    # ---- sending

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x80 | opcode])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        masked = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self._send_frame(OP_TEXT, text.encode("utf-8"))

    def send_binary(self, data):
        self._send_frame(OP_BINARY, data)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def ping(self, payload=b"hi", timeout=10.0):
        """A protocol-level ping; waits for its pong. Returns the text messages read meanwhile."""
        self._send_frame(OP_PING, payload)
        deadline = time.monotonic() + timeout
        texts = []
        while True:
            fin, opcode, data = self._read_frame(deadline)
            if opcode == OP_PONG and data == payload:
                return texts
            if opcode == OP_PING:
                self._send_frame(OP_PONG, data)
            elif opcode == OP_CLOSE:
                raise Closed("close frame while waiting for a pong")
            elif opcode == OP_TEXT:
                texts.append(data.decode("utf-8"))

    def close(self, code=1000):
        try:
            self._send_frame(OP_CLOSE, struct.pack("!H", code))
        except OSError:
            pass
        self.sock.close()

    # ---- receiving

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no WebSocket frame in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no WebSocket frame in time")
            if not chunk:
                raise Closed("connection dropped")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_frame(self, deadline):
        b0, b1 = self._read_exact(2, deadline)
        fin, opcode, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read_exact(2, deadline))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read_exact(8, deadline))[0]
        mask = self._read_exact(4, deadline) if b1 & 0x80 else None
        payload = self._read_exact(n, deadline)
        if mask:
            payload = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        return bool(fin), opcode, payload

    def recv_text(self, timeout=10.0):
        """The next text message; answers pings, skips pongs, raises Closed on a close frame."""
        deadline = time.monotonic() + timeout
        parts = []
        while True:
            fin, opcode, payload = self._read_frame(deadline)
            if opcode == OP_PING:
                self._send_frame(OP_PONG, payload)
            elif opcode == OP_PONG:
                continue
            elif opcode == OP_CLOSE:
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise Closed("close frame %s %s" % (self.close_code, payload[2:].decode("utf-8", "replace")))
            elif opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                parts.append(payload)
                if fin:
                    return b"".join(parts).decode("utf-8")

    def recv_json(self, timeout=10.0):
        return json.loads(self.recv_text(timeout))

    def recv_until(self, predicate, timeout=10.0):
        """Messages until one satisfies predicate; returns (that one, those skipped)."""
        deadline = time.monotonic() + timeout
        skipped = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching WebSocket message; got %r" % skipped[-5:])
            msg = self.recv_json(left)
            if predicate(msg):
                return msg, skipped
            skipped.append(msg)
