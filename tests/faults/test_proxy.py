"""The fault proxy's own actions do what the catalogue says (a fault that silently does nothing
would make a survivor look like a proof)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from proxy import FaultProxy, Rule


@pytest.fixture
def upstream() -> Iterator[tuple[str, list[dict]]]:
    seen: list[dict] = []

    class Echo(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append({"path": self.path, "body": json.loads(body) if body else None})
            out = json.dumps({"echo": seen[-1]["body"], "kept": 1, "gone": 2}).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Location", "/x/1")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()


def _post(url: str, body: dict) -> requests.Response:
    return requests.post(url, json=body, timeout=5)


def test_response_rewrites(upstream: tuple[str, list]) -> None:
    rule = Rule(
        method="POST",
        path="^/x$",
        set_status=200,
        drop_header="Location",
        json_delete=("/gone",),
        json_set={"/kept": 9},
    )
    with FaultProxy(upstream[0], [rule]) as proxy:
        resp = _post(proxy.base_url + "/x", {"a": 1})
    assert resp.status_code == 200 and "Location" not in resp.headers
    assert resp.json() == {"echo": {"a": 1}, "kept": 9}
    assert proxy.hits == 1


def test_request_body_edits_reach_the_upstream(upstream: tuple[str, list]) -> None:
    url, seen = upstream
    rule = Rule(path="^/n$", request_json_set={"/type": "Notify"}, request_json_delete=("/id",))
    with FaultProxy(url, [rule]) as proxy:
        _post(proxy.base_url + "/n", {"id": "x", "type": "Notification"})
    assert seen[-1]["body"] == {"type": "Notify"}


def test_drop_duplicate_and_delay(upstream: tuple[str, list]) -> None:
    url, seen = upstream
    with FaultProxy(url, [Rule(path="^/d$", drop=True, set_status=200)]) as proxy:
        assert _post(proxy.base_url + "/d", {"n": 1}).status_code == 200
    assert seen == []
    with FaultProxy(url, [Rule(path="^/t$", duplicate=True)]) as proxy:
        _post(proxy.base_url + "/t", {"n": 2})
    assert [s["path"] for s in seen] == ["/t", "/t"]
    with FaultProxy(url, [Rule(path="^/l$", request_delay_ms=300)]) as proxy:
        start = time.monotonic()
        _post(proxy.base_url + "/l", {"n": 3})
    assert time.monotonic() - start >= 0.3


def test_rules_only_act_where_they_match(upstream: tuple[str, list]) -> None:
    with FaultProxy(upstream[0], [Rule(method="GET", path="^/x$", set_status=500)]) as proxy:
        assert _post(proxy.base_url + "/x", {}).status_code == 201
    assert proxy.hits == 0
