"""A small server that plays one hostile target at a time, by name (the kinds are in kinds.toml).

It speaks raw HTTP on a socket so that it can misbehave in ways an HTTP framework would not allow:
cut bodies, lie in headers, trickle bytes, never answer. Kinds whose misbehaviour concerns
notifications play a minimal broker: a subscription's endpoint URI is taken from the request and
the notifications are sent there, wrong on purpose.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import requests

Play = Callable[["Conn"], None]


class Conn:
    """One accepted connection and the request read from it."""

    def __init__(self, sock: socket.socket, server: HostileServer) -> None:
        self.sock = sock
        self.server = server
        self.method = self.path = ""
        self.headers: dict[str, str] = {}
        self.body = b""

    def read_request(self) -> bool:
        data = b""
        self.sock.settimeout(10)
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.path = lines[0].split(" ")[:2]
        self.headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        length = int(self.headers.get("content-length", "0") or 0)
        while len(rest) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        self.body = rest[:length]
        return True

    def send(self, status: str, body: bytes = b"", version: str = "HTTP/1.1", **headers: str) -> None:
        lines = [f"{version} {status}"]
        headers.setdefault("Content_Length", str(len(body)))
        lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def json(self, status: str, value: Any, **headers: str) -> None:
        self.send(status, json.dumps(value).encode(), Content_Type="application/json", **headers)


class HostileServer:
    def __init__(self, kind: str, *, tls: ssl.SSLContext | None = None) -> None:
        self.kind = kind
        self.play: Play = getattr(self, "play_" + kind.replace("-", "_"))
        self.tls = tls
        self.requests = 0
        self.foreign_hits = 0  # requests that reached the "other host" of redirect kinds
        self._stop = threading.Event()
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self._other = socket.socket()  # a second host for redirects: records whether it was reached
        self._other.bind(("127.0.0.1", 0))
        self._other.listen(8)
        self.other_port = self._other.getsockname()[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> HostileServer:
        threading.Thread(target=self._accept, args=(self._sock, self._serve), daemon=True).start()
        threading.Thread(target=self._accept, args=(self._other, self._foreign), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for s in (self._sock, self._other):
            try:
                s.close()
            except OSError:
                pass

    def _accept(self, listener: socket.socket, handle: Callable[[socket.socket], None]) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(sock,), daemon=True).start()

    def _foreign(self, sock: socket.socket) -> None:
        self.foreign_hits += 1
        sock.close()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            conn = Conn(sock, self)
            while not self._stop.is_set() and conn.read_request():
                self.requests += 1
                self.play(conn)
        except (OSError, ValueError, ssl.SSLError):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    # ---------------------------------------------------------------- a plausible broker, for reuse

    def broker(self, conn: Conn) -> tuple[str, Any] | None:
        """Minimal NGSI-LD answers: enough that cases reach their checks. Returns (status, body) for JSON
        answers, or None when it answered itself."""
        path = conn.path.split("?")[0]
        if conn.method == "POST" and path.endswith("/entities"):
            ident = json.loads(conn.body or b"{}").get("id", "urn:x")
            conn.send("201 Created", Location=f"/ngsi-ld/v1/entities/{ident}")
            return None
        if conn.method == "POST" and path.endswith("/subscriptions"):
            sub = json.loads(conn.body or b"{}")
            uri = (sub.get("notification") or {}).get("endpoint", {}).get("uri")
            if (
                uri and self.kind == "notification-flood"
            ):  # before the answer: the flood has landed when it comes
                self.notify(uri, sub)
            conn.send("201 Created", Location=f"/ngsi-ld/v1/subscriptions/urn:sub:{uuid.uuid4()}")
            if uri and self.kind != "notification-flood":
                threading.Thread(target=self.notify, args=(uri, sub), daemon=True).start()
            return None
        if conn.method in ("PATCH", "DELETE", "PUT") or (conn.method == "POST" and "/attrs" in path):
            conn.send("204 No Content")
            return None
        return ("200 OK", [] if path.endswith("/entities") else {})

    def notify(self, uri: str, sub: dict[str, Any]) -> None:
        """What the notification kinds send to a subscription's endpoint (overridden per kind)."""

    # ---------------------------------------------------------------- the kinds

    def play_silent(self, conn: Conn) -> None:
        self._stop.wait(600)

    def play_empty_reply(self, conn: Conn) -> None:
        conn.sock.close()

    def play_garbage_status_line(self, conn: Conn) -> None:
        conn.sock.sendall(b"HELLO WORLD\r\n\r\n")
        conn.sock.close()

    def play_reset_mid_body(self, conn: Conn) -> None:
        conn.sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"
        )
        conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.sock.close()

    def play_one_byte_a_second(self, conn: Conn) -> None:
        for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}":
            if self._stop.wait(1.0):
                return
            conn.sock.sendall(bytes([byte]))

    def play_huge_body(self, conn: Conn) -> None:
        size = 100 * 1024 * 1024
        conn.sock.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {size}\r\n\r\n".encode()
        )
        chunk = b" " * 65536
        for _ in range(size // len(chunk)):
            conn.sock.sendall(chunk)

    def play_endless_chunked(self, conn: Conn) -> None:
        conn.sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        piece = b"10000\r\n" + b"[" * 0x10000 + b"\r\n"
        while not self._stop.is_set():
            conn.sock.sendall(piece)

    def play_gzip_bomb(self, conn: Conn) -> None:
        bomb = _GZIP_BOMB()
        conn.send("200 OK", bomb, Content_Type="application/json", Content_Encoding="gzip")

    def play_not_json(self, conn: Conn) -> None:
        if self.broker_status(conn):
            return
        conn.send("200 OK", b"<html><body>Welcome to nginx!</body></html>", Content_Type="text/html")

    def play_invalid_utf8(self, conn: Conn) -> None:
        if self.broker_status(conn):
            return
        conn.send("200 OK", b'{"id": "\xff\xfe\xfa"}', Content_Type="application/json")

    def play_content_type_lies(self, conn: Conn) -> None:
        if self.broker_status(conn):
            return
        conn.send("200 OK", b"id=urn:x&type=T", Content_Type="application/ld+json")

    def play_json_bomb(self, conn: Conn) -> None:
        if self.broker_status(conn):
            return
        conn.send("200 OK", b"[" * 200_000 + b"]" * 200_000, Content_Type="application/json")

    def broker_status(self, conn: Conn) -> bool:
        """Answer writes plausibly (so reads happen) and leave reads to the kind."""
        if conn.method in ("POST", "PATCH", "DELETE", "PUT") and not conn.path.split("?")[0].endswith(
            "/entityOperations/query"
        ):
            self.broker(conn)
            return True
        return False

    def play_slow_reads(self, conn: Conn) -> None:
        """Plausible everywhere but entity reads, which trickle one byte a second."""
        if self.broker_status(conn) or "/entities" not in conn.path:
            if conn.method not in ("POST", "PATCH", "DELETE", "PUT"):
                conn.json("200 OK", [])
            return
        self.play_one_byte_a_second(conn)

    def play_redirect_loop(self, conn: Conn) -> None:
        conn.send("302 Found", Location=conn.path)

    def play_redirect_other_host(self, conn: Conn) -> None:
        conn.send("307 Temporary Redirect", Location=f"http://localhost:{self.other_port}{conn.path}")

    def play_always_500(self, conn: Conn) -> None:
        conn.json("500 Internal Server Error", {"type": "https://uri.etsi.org/ngsi-ld/errors/InternalError"})

    def play_always_429(self, conn: Conn) -> None:
        conn.send("429 Too Many Requests", Retry_After="0")

    def play_http10_close(self, conn: Conn) -> None:
        answer = self.broker(conn)
        if answer is not None:
            status, body = answer
            data = json.dumps(body).encode()
            conn.send(status, data, version="HTTP/1.0", Connection="close", Content_Type="application/json")
        conn.sock.close()

    def play_huge_headers(self, conn: Conn) -> None:
        filler = "".join(f"X-Filler-{i}: {'f' * 500}\r\n" for i in range(130))  # ~64 KB, 130 fields
        conn.sock.sendall(f"HTTP/1.1 200 OK\r\n{filler}Content-Length: 2\r\n\r\n{{}}".encode())

    def play_self_signed(self, conn: Conn) -> None:
        self.play_http10_close(conn)

    def play_notification_flood(self, conn: Conn) -> None:
        self.play_http10_close(conn)

    def play_malformed_notifications(self, conn: Conn) -> None:
        self.play_http10_close(conn)

    def play_stray_notifications(self, conn: Conn) -> None:
        self.play_http10_close(conn)


class NotifyingServer(HostileServer):
    """The notification kinds: a plausible broker whose notifications are hostile."""

    def notify(self, uri: str, sub: dict[str, Any]) -> None:
        if self.kind != "notification-flood":
            time.sleep(0.3)
        session = requests.Session()
        note = {"id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}", "type": "Notification", "data": []}
        try:
            if self.kind == "notification-flood":
                deadline = time.monotonic() + 3
                for n in range(400):
                    if time.monotonic() > deadline or self._stop.is_set():
                        break
                    session.post(uri, json={**note, "n": n}, timeout=2)
            elif self.kind == "malformed-notifications":
                for body in (b"not json", b'{"type": "Notification", "data": "x"', b"[1,2,3]", b"\xff\xfe"):
                    session.post(uri, data=body, headers={"Content-Type": "application/json"}, timeout=2)
            elif self.kind == "stray-notifications":
                base = uri.rsplit("/", 1)[0]
                for n in range(20):
                    session.post(f"{base}/never-subscribed-{n}", json=note, timeout=2)
        except requests.RequestException:
            pass
        finally:
            session.close()


def _GZIP_BOMB() -> bytes:  # noqa: N802
    """256 MB of zeros in about 250 KB."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(256)) + packer.flush()


def make_server(kind: str, *, tls: ssl.SSLContext | None = None) -> HostileServer:
    cls = NotifyingServer if kind.endswith("notifications") or kind == "notification-flood" else HostileServer
    return cls(kind, tls=tls)
