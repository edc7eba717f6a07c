"""A fault-injecting HTTP proxy between the suite and a target (the reference platform).

It forwards every request unchanged, except where one of the active fault's rules matches: a rule
rewrites the request before forwarding (drop or set a query parameter, drop a header) or the
response on the way back (status, headers, JSON members, body, delay). The suite sees the proxy as
an ordinary target, exactly as it would see a vendor's product.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


@dataclass(frozen=True)
class Rule:
    """One rewrite. Matching: method, path regex, query regex, upstream status. Then the actions."""

    method: str | None = None
    path: str = ".*"
    query: str | None = None
    when_status: int | None = None
    # request actions
    drop_param: str | None = None
    set_params: dict[str, str] = field(default_factory=dict)
    drop_request_header: str | None = None
    request_json_set: dict[str, Any] = field(default_factory=dict)  # edits of the request body
    request_json_delete: tuple[str, ...] = ()
    request_delay_ms: int = 0  # wait before forwarding (a late notification)
    # response actions
    set_status: int | None = None
    drop_header: str | None = None
    set_headers: dict[str, str] = field(default_factory=dict)
    json_set: dict[str, Any] = field(default_factory=dict)
    json_delete: tuple[str, ...] = ()
    body: str | None = None
    delay_ms: int = 0
    # delivery actions (for the notification path: target -> proxy -> suite's receiver)
    drop: bool = False  # do not forward; answer set_status (default 204) to the sender
    duplicate: bool = False  # forward the request twice

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Rule:
        data = dict(data)
        for key in ("json_delete", "request_json_delete"):
            if key in data:
                data[key] = tuple(data[key])
        return Rule(**data)

    def matches(self, method: str, path: str, query: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if not re.search(self.path, path):
            return False
        return not (self.query and not re.search(self.query, query))


def _pointer_parts(pointer: str) -> list[str]:
    return (
        [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")] if pointer else []
    )


def _apply_json(doc: Any, sets: dict[str, Any], deletes: tuple[str, ...]) -> Any:
    """Set or delete members by JSON pointer; '*' in a pointer applies to every array element."""

    def walk(node: Any, parts: list[str], action: str, value: Any) -> None:
        if not parts:
            return
        head, rest = parts[0], parts[1:]
        if head == "*" and isinstance(node, list):
            for element in node:
                walk(element, rest, action, value) if rest else None
            return
        if isinstance(node, dict):
            if not rest:
                if action == "set":
                    node[head] = value
                else:
                    node.pop(head, None)
            elif head in node:
                walk(node[head], rest, action, value)
        elif isinstance(node, list) and head.isdigit() and int(head) < len(node):
            if not rest:
                if action == "set":
                    node[int(head)] = value
                else:
                    node.pop(int(head))
            else:
                walk(node[int(head)], rest, action, value)

    for pointer, value in sets.items():
        walk(doc, _pointer_parts(pointer), "set", value)
    for pointer in deletes:
        walk(doc, _pointer_parts(pointer), "delete", None)
    return doc


class FaultProxy:
    """``with FaultProxy(upstream, rules) as proxy: proxy.base_url``"""

    def __init__(self, upstream: str, rules: list[Rule]) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules = rules
        self.hits = 0
        self._server: ThreadingHTTPServer | None = None
        self._session = requests.Session()
        self._session.trust_env = False

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def setup(self) -> None:
                super().setup()
                # Small responses must not wait for Nagle's algorithm (~40 ms a request otherwise).
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _handle(self) -> None:
                proxy.handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        path, query = split.path, split.query
        method = handler.command
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
        active = [rule for rule in self.rules if rule.matches(method, path, query)]

        params = parse_qsl(query, keep_blank_values=True)
        for rule in active:
            if rule.drop_param:
                params = [(k, v) for k, v in params if k != rule.drop_param]
            for key, value in rule.set_params.items():
                params = [(k, v) for k, v in params if k != key] + [(key, value)]
            if rule.drop_request_header:
                headers = {k: v for k, v in headers.items() if k.lower() != rule.drop_request_header.lower()}
        url = self.upstream + path + (("?" + urlencode(params)) if params else "")
        for rule in active:
            if rule.request_delay_ms:
                self.hits += 1
                time.sleep(rule.request_delay_ms / 1000)
            if rule.request_json_set or rule.request_json_delete:
                self.hits += 1
                try:
                    doc = json.loads(body)
                except ValueError:
                    doc = None
                if doc is not None:
                    body = json.dumps(
                        _apply_json(doc, rule.request_json_set, rule.request_json_delete)
                    ).encode()
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        dropping = [rule for rule in active if rule.drop]
        if dropping:
            self.hits += 1
            self._reply(handler, method, dropping[0].set_status or 204, {}, b"")
            return
        if any(rule.duplicate for rule in active):
            self.hits += 1
            try:
                self._session.request(
                    method, url, data=body or None, headers=headers, allow_redirects=False, timeout=60
                )
            except requests.RequestException:
                pass
        try:
            upstream = self._session.request(
                method, url, data=body or None, headers=headers, allow_redirects=False, timeout=60
            )
        except requests.RequestException as exc:  # the upstream is gone (e.g. a receiver after its run)
            self._reply(
                handler, method, 502, {"Content-Type": "text/plain"}, f"proxy: {type(exc).__name__}".encode()
            )
            return

        status = upstream.status_code
        out_headers = {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP}
        content = upstream.content
        for rule in active:
            if rule.when_status is not None and rule.when_status != upstream.status_code:
                continue
            self.hits += 1
            if rule.delay_ms:
                time.sleep(rule.delay_ms / 1000)
            if rule.set_status is not None:
                status = rule.set_status
            if rule.drop_header:
                out_headers = {k: v for k, v in out_headers.items() if k.lower() != rule.drop_header.lower()}
            out_headers.update(rule.set_headers)
            if rule.json_set or rule.json_delete:
                try:
                    doc = json.loads(content)
                except ValueError:
                    doc = None
                if doc is not None:
                    content = json.dumps(_apply_json(doc, rule.json_set, rule.json_delete)).encode()
            if rule.body is not None:
                content = rule.body.encode()

        self._reply(handler, method, status, out_headers, content)

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, method: str, status: int, out_headers: dict[str, str], content: bytes
    ) -> None:
        try:
            handler.send_response(status)
            for key, value in out_headers.items():
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            if method != "HEAD":
                handler.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a delay fault beyond its timeout): nothing to answer
