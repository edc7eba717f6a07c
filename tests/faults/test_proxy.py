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

from conformance.recording import IDLE_REUSE_SECONDS


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


def test_when_request_media_matches_the_request_content_type(upstream: tuple[str, list]) -> None:
    rule = Rule(method="POST", path="^/x$", when_request_media="^application/ld\\+json", set_status=400)
    with FaultProxy(upstream[0], [rule]) as proxy:
        assert _post(proxy.base_url + "/x", {}).status_code == 201
        ld = {"Content-Type": "application/ld+json"}
        assert requests.post(proxy.base_url + "/x", data="{}", headers=ld, timeout=5).status_code == 400
    assert proxy.hits == 1


def test_when_request_body_matches_the_request_body(upstream: tuple[str, list]) -> None:
    rule = Rule(method="POST", path="^/x$", when_request_body='"linkedMaps"', set_status=400)
    with FaultProxy(upstream[0], [rule]) as proxy:
        assert _post(proxy.base_url + "/x", {"expiresAt": "x"}).status_code == 201
        assert _post(proxy.base_url + "/x", {"linkedMaps": {}}).status_code == 400
    assert proxy.hits == 1


# -- actions of legal variations (the tolerance matrix) -------------------------------------------


@pytest.fixture
def answers() -> Iterator[tuple[str, dict]]:
    """An upstream whose answer (status, headers, body) each test sets; it records the requests."""
    state: dict = {
        "status": 200,
        "headers": {"Content-Type": "application/json"},
        "body": b"{}",
        "seen": [],
    }

    class Canned(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state["seen"].append({"path": self.path, "body": self.rfile.read(length) if length else b""})
            self.send_response(state["status"])
            for key, value in state["headers"].items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(state["body"])))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(state["body"])

        do_GET = do_POST = do_HEAD = _answer  # noqa: N815

    server = ThreadingHTTPServer(("127.0.0.1", 0), Canned)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", state
    server.shutdown()


def _raw(url: str, headers: dict[str, str] | None = None) -> tuple[requests.Response, bytes]:
    """The answer and its body bytes as they came over the wire (no content decoding)."""
    resp = requests.get(url, headers=headers or {}, stream=True, timeout=5)
    return resp, resp.raw.read(decode_content=False)


def test_reorder_members_reverses_every_object(answers: tuple[str, dict]) -> None:
    url, state = answers
    state["body"] = json.dumps({"id": "x", "type": "T", "a": {"type": "Property", "value": 1}}).encode()
    with FaultProxy(url, [Rule(path="^/e$", reorder_members=True)]) as proxy:
        resp = requests.get(proxy.base_url + "/e", timeout=5)
    assert list(resp.json()) == ["a", "type", "id"]
    assert list(resp.json()["a"]) == ["value", "type"]
    assert resp.json() == json.loads(state["body"])
    assert proxy.hits == 1 and proxy.changes == 1


def test_reverse_arrays_at_pointers_spares_context(answers: tuple[str, dict]) -> None:
    url, state = answers
    state["body"] = json.dumps(
        [
            {"id": "a", "@context": ["u1", "u2"], "p": [{"value": 1}, {"value": 2}], "q": {"value": [1, 2]}},
            {"id": "b", "p": {"value": 3}},
        ]
    ).encode()
    with FaultProxy(url, [Rule(path="^/l$", reverse_arrays=("", "/*/*"))]) as proxy:
        got = requests.get(proxy.base_url + "/l", timeout=5).json()
    assert [e["id"] for e in got] == ["b", "a"]
    assert got[1]["p"] == [{"value": 2}, {"value": 1}]  # the instances of an attribute
    assert got[1]["@context"] == ["u1", "u2"]  # the order of an @context is meaningful: kept
    assert got[1]["q"] == {"value": [1, 2]}  # only what the pointers name


def test_datetime_forms_name_the_same_instant(answers: tuple[str, dict]) -> None:
    from proxy import equivalent_datetime

    assert equivalent_datetime("2024-01-01T00:00:00Z", "millis") == "2024-01-01T00:00:00.000Z"
    assert equivalent_datetime("2024-01-01T00:00:00.5Z", "millis") == "2024-01-01T00:00:00.500Z"
    assert equivalent_datetime("2024-01-01T00:00:00.599512Z", "millis") == "2024-01-01T00:00:00.599512Z"
    assert equivalent_datetime("2024-01-01T00:00:00Z", "micros") == "2024-01-01T00:00:00.000000Z"
    assert equivalent_datetime("2024-01-01T00:00:00.500Z", "trim") == "2024-01-01T00:00:00.5Z"
    assert equivalent_datetime("2024-01-01T00:00:00.000Z", "trim") == "2024-01-01T00:00:00Z"
    assert equivalent_datetime("2024-01-01T00:00:00Z", "offset") == "2024-01-01T00:00:00+00:00"
    assert equivalent_datetime("2024-01-01", "millis") == "2024-01-01"  # a Date is not a DateTime
    assert equivalent_datetime("not 2024-01-01T00:00:00Z", "millis") == "not 2024-01-01T00:00:00Z"
    assert equivalent_datetime("2024-01-01T00:00:00.5Z", "nanos") == "2024-01-01T00:00:00.500000000Z"
    url, state = answers
    body = {
        "observedAt": "2024-01-01T00:00:00Z",
        "name": "2024-01-01T00:00:00Z",  # a string Property value is data, never a DateTime
        "when": {"type": "Property", "value": {"@type": "DateTime", "@value": "2024-01-01T00:00:00Z"}},
        "list": [{"modifiedAt": "2024-01-01T00:00:00Z"}],
    }
    state["body"] = json.dumps(body).encode()
    with FaultProxy(url, [Rule(path="^/e$", datetime_form="millis")]) as proxy:
        got = requests.get(proxy.base_url + "/e", timeout=5).json()
    assert got == {
        "observedAt": "2024-01-01T00:00:00.000Z",
        "name": "2024-01-01T00:00:00Z",
        "when": {"type": "Property", "value": {"@type": "DateTime", "@value": "2024-01-01T00:00:00.000Z"}},
        "list": [{"modifiedAt": "2024-01-01T00:00:00.000Z"}],
    }
    with FaultProxy(url, [Rule(path="^/e$", datetime_form="offset", datetime_keys="^name$")]) as proxy:
        got = requests.get(proxy.base_url + "/e", timeout=5).json()
    assert got["name"] == "2024-01-01T00:00:00+00:00" and got["observedAt"] == "2024-01-01T00:00:00Z"
    with pytest.raises(ValueError):
        Rule.from_dict({"datetime_form": "local"})


def test_replace_wrap_and_values(answers: tuple[str, dict]) -> None:
    url, state = answers
    state["body"] = json.dumps({"@context": "ctx", "title": "a", "list": ["ctx"]}).encode()
    rule = Rule(
        path="^/e$",
        json_replace={"/title": "b", "/detail": "never added"},
        json_wrap=("/@context", "/absent"),
        json_values={"ctx": {"inline": True}},
    )
    with FaultProxy(url, [rule]) as proxy:
        got = requests.get(proxy.base_url + "/e", timeout=5).json()
    assert got == {"@context": [{"inline": True}], "title": "b", "list": [{"inline": True}]}


def test_default_and_append(answers: tuple[str, dict]) -> None:
    url, state = answers
    state["body"] = json.dumps(
        [
            {"id": "s1", "notification": {"format": "keyValues"}, "@context": "user"},
            {"id": "s2", "notification": {}, "@context": ["user", "core"]},
        ]
    ).encode()
    rule = Rule(
        path="^/e$",
        json_default={"/*/isActive": True, "/*/notification/format": "normalized", "/*/absent/x": 1},
        json_append={"/*/@context": "core"},
    )
    with FaultProxy(url, [rule]) as proxy:
        got = requests.get(proxy.base_url + "/e", timeout=5).json()
    assert got == [
        {"id": "s1", "notification": {"format": "keyValues"}, "@context": ["user", "core"], "isActive": True},
        {
            "id": "s2",
            "notification": {"format": "normalized"},
            "@context": ["user", "core"],
            "isActive": True,
        },
    ]


def test_json_layouts(answers: tuple[str, dict]) -> None:
    url, state = answers
    state["body"] = json.dumps({"name": "caf\u00e9", "n": [1, 2]}, ensure_ascii=False).encode()
    for layout, expected in (
        ("compact", '{"name":"caf\u00e9","n":[1,2]}'.encode()),
        ("ascii", b'{"name": "caf\\u00e9", "n": [1, 2]}'),
    ):
        with FaultProxy(url, [Rule(path="^/e$", json_layout=layout)]) as proxy:
            _, raw = _raw(proxy.base_url + "/e")
        assert raw == expected
    with FaultProxy(url, [Rule(path="^/e$", json_layout="pretty")]) as proxy:
        _, raw = _raw(proxy.base_url + "/e")
    assert b"\n  " in raw and json.loads(raw) == json.loads(state["body"])


def test_header_append_and_substitution(answers: tuple[str, dict]) -> None:
    url, state = answers
    state["status"] = 201
    state["headers"] = {"Content-Type": "application/json", "Location": "/x/1"}
    rule = Rule(
        path="^/e$",
        append_headers={"content-type": "; charset=utf-8", "X-Absent": "; never"},
        header_sub={"Location": ("^/", "{base}/"), "Link": ("$", ', <{target}>; rel="self"')},
    )
    state["headers"]["Link"] = '</ctx>; rel="ctx"'
    with FaultProxy(url, [rule]) as proxy:
        resp = requests.get(proxy.base_url + "/e?a=1", timeout=5)
        assert resp.headers["Location"] == proxy.base_url + "/x/1"
    assert resp.headers["Link"] == '</ctx>; rel="ctx", </e?a=1>; rel="self"'
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "X-Absent" not in resp.headers


def test_gzip_only_when_the_client_allows_it(answers: tuple[str, dict]) -> None:
    import gzip

    url, state = answers
    state["body"] = json.dumps({"a": "x" * 200}).encode()
    with FaultProxy(url, [Rule(path="^/e$", gzip=True)]) as proxy:
        resp, raw = _raw(proxy.base_url + "/e", {"Accept-Encoding": "gzip, deflate"})
        assert resp.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in resp.headers["Vary"]
        assert gzip.decompress(raw) == state["body"]
        assert requests.get(proxy.base_url + "/e", timeout=5).json() == {"a": "x" * 200}
        resp, raw = _raw(proxy.base_url + "/e", {"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in resp.headers and raw == state["body"]
        resp, raw = _raw(proxy.base_url + "/e", {"Accept-Encoding": "gzip;q=0"})
        assert "Content-Encoding" not in resp.headers and raw == state["body"]


def test_chunked_transfer(answers: tuple[str, dict]) -> None:
    import socket

    url, state = answers
    state["body"] = json.dumps({"a": "y" * 300}).encode()
    with FaultProxy(url, [Rule(path="^/e$", chunked=True)]) as proxy:
        resp = requests.get(proxy.base_url + "/e", timeout=5)
        host, port = proxy.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            wire = b""
            while chunk := sock.recv(65536):
                wire += chunk
    assert resp.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in resp.headers
    assert resp.json() == {"a": "y" * 300}
    head, _, framed = wire.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    assert framed.count(b"\r\n40\r\n") + framed.startswith(b"40\r\n") >= 4 and framed.endswith(b"0\r\n\r\n")


def test_response_conditions(answers: tuple[str, dict]) -> None:
    url, state = answers
    state["status"] = 404
    state["headers"] = {"Content-Type": "application/json", "X-Total-Count": "3", "X-Result-Count": "2"}
    rules = [
        Rule(path="^/e$", when_error=True, set_headers={"X-Error": "1"}),
        Rule(path="^/e$", when_media="^text/", set_headers={"X-Text": "1"}),
        Rule(path="^/e$", when_partial_list=True, set_headers={"X-Partial": "1"}),
    ]
    with FaultProxy(url, rules) as proxy:
        resp = requests.get(proxy.base_url + "/e", timeout=5)
    assert resp.headers.get("X-Error") == "1" and resp.headers.get("X-Partial") == "1"
    assert "X-Text" not in resp.headers
    assert proxy.hits == 2
    state["status"] = 200
    state["headers"]["X-Result-Count"] = "3"
    with FaultProxy(url, rules) as proxy:
        resp = requests.get(proxy.base_url + "/e", timeout=5)
    assert proxy.hits == 0 and proxy.changes == 0


def test_request_side_variations(answers: tuple[str, dict]) -> None:
    url, state = answers
    rule = Rule(
        path="^/n/?$",
        request_path_sub=("/$", ""),
        request_reorder_members=True,
        request_reverse_arrays=("/data",),
        request_datetime_form="millis",
    )
    with FaultProxy(url, [rule]) as proxy:
        requests.post(
            proxy.base_url + "/n/",
            json={"notifiedAt": "2024-01-01T00:00:00Z", "data": [{"id": "a"}, {"id": "b"}]},
            timeout=5,
        )
    assert state["seen"][-1]["path"] == "/n"
    sent = json.loads(state["seen"][-1]["body"])
    assert list(sent) == ["data", "notifiedAt"]
    assert sent == {"notifiedAt": "2024-01-01T00:00:00.000Z", "data": [{"id": "b"}, {"id": "a"}]}
    assert proxy.changes == 1


def test_a_matching_rule_that_alters_nothing_is_no_change(answers: tuple[str, dict]) -> None:
    url, state = answers
    state["body"] = json.dumps({"name": "x"}).encode()
    with FaultProxy(url, [Rule(path="^/e$", datetime_form="millis", json_wrap=("/@context",))]) as proxy:
        requests.get(proxy.base_url + "/e", timeout=5)
    assert proxy.hits == 1 and proxy.changes == 0


def test_header_case_and_connection_close(answers: tuple[str, dict]) -> None:
    import socket

    url, state = answers
    state["headers"] = {"Content-Type": "application/json", "NGSILD-Results-Count": "3"}
    with FaultProxy(url, [Rule(path="^/e$", header_case="upper", close_connection=True)]) as proxy:
        host, port = proxy.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(b"GET /e HTTP/1.1\r\nHost: x\r\n\r\n")  # keep-alive asked: closed anyway
            wire = b""
            while chunk := sock.recv(65536):
                wire += chunk
        resp = requests.get(proxy.base_url + "/e", timeout=5)
    head = wire.partition(b"\r\n\r\n")[0]
    assert b"\r\nNGSILD-RESULTS-COUNT: 3" in head and b"\r\nCONTENT-LENGTH: 2" in head
    assert b"\r\nCONNECTION: close" in head
    assert resp.headers["ngsild-results-count"] == "3" and resp.json() == {}


def test_a_post_after_an_idle_pause_reaches_an_upstream_racing_its_keepalive(
    keepalive_race: tuple[str, list[int]],
) -> None:
    """The upstream closes a kept-alive connection as it is reused: after a pause the proxy sends a
    POST on a fresh connection rather than answer 502 for a request the target never saw."""
    url, connections = keepalive_race
    with FaultProxy(url.rsplit("/", 1)[0], []) as proxy:
        first = requests.post(f"{proxy.base_url}/entities", data="{}", timeout=10)
        time.sleep(IDLE_REUSE_SECONDS + 0.3)
        second = requests.post(f"{proxy.base_url}/entities", data="{}", timeout=10)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert len(connections) == 2
