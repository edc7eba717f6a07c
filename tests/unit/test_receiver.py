from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests

from conformance.callback_server import CallbackServer, CallbackServerError
from conformance.ngsild import receiver as receiver_module
from conformance.ngsild.receiver import NotificationReceiver


@pytest.fixture
def receiver():
    server = CallbackServer("127.0.0.1", 0).start()
    with NotificationReceiver(server, default_timeout=2.0) as rx:
        yield rx
    server.stop()


def _post(url: str, body: object, **headers: str) -> requests.Response:
    return requests.post(
        url, data=json.dumps(body), headers={"Content-Type": "application/json", **headers}, timeout=5
    )


def test_records_path_headers_body_and_answers_200(receiver: NotificationReceiver) -> None:
    endpoint = receiver.endpoint("run-1")
    before = time.monotonic()
    resp = _post(endpoint.url, {"type": "Notification", "data": []}, **{"X-Token": "abc"})
    assert resp.status_code == 200
    got = endpoint.wait(count=1, timeout=2)
    assert len(got) == 1
    record = got[0]
    assert record.path == endpoint.path
    assert record.method == "POST"
    assert record.header("x-token") == "abc"
    assert record.json == {"type": "Notification", "data": []}
    assert record.media_type == "application/json"
    assert record.monotonic >= before
    assert record.wall.endswith("Z")


def test_endpoints_are_unique_and_separate(receiver: NotificationReceiver) -> None:
    first, second = receiver.endpoint("same"), receiver.endpoint("same")
    assert first.path != second.path
    _post(second.url, {"n": 2})
    assert first.received() == []
    assert len(second.received()) == 1


def test_wait_returns_early_when_the_notification_arrives(receiver: NotificationReceiver) -> None:
    endpoint = receiver.endpoint("early")
    threading.Timer(0.2, lambda: _post(endpoint.url, {"n": 1})).start()
    started = time.monotonic()
    got = endpoint.wait(count=1, timeout=5)
    assert len(got) == 1
    assert time.monotonic() - started < 3


def test_wait_times_out_with_what_matched(receiver: NotificationReceiver) -> None:
    endpoint = receiver.endpoint("late")
    _post(endpoint.url, {"n": 1})
    started = time.monotonic()
    got = endpoint.wait(count=2, timeout=0.5)
    assert len(got) == 1
    assert 0.4 <= time.monotonic() - started < 2


def test_wait_with_predicate(receiver: NotificationReceiver) -> None:
    endpoint = receiver.endpoint("pred")
    _post(endpoint.url, {"n": 1})
    _post(endpoint.url, {"n": 2})
    got = endpoint.wait(count=1, timeout=1, where=lambda r: r.json["n"] == 2)
    assert [r.json["n"] for r in got] == [2]


def test_answer_with_a_failure_status(receiver: NotificationReceiver) -> None:
    endpoint = receiver.endpoint("fail")
    endpoint.answer_with(500)
    assert _post(endpoint.url, {}).status_code == 500
    assert endpoint.received()[0].answered == 500


def test_callback_url_is_advertised() -> None:
    server = CallbackServer("127.0.0.1", 0, "http://10.1.2.3:8765/").start()
    try:
        with NotificationReceiver(server) as rx:
            assert rx.base_url == "http://10.1.2.3:8765"
            assert rx.endpoint("x").url.startswith("http://10.1.2.3:8765/")
            assert rx.bound_url.startswith("http://127.0.0.1:")
    finally:
        server.stop()


def test_address_in_use_is_a_callback_server_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(CallbackServerError, match="cannot bind"):
            CallbackServer("127.0.0.1", port).start()


def test_a_stopped_receiver_no_longer_answers(receiver: NotificationReceiver) -> None:
    endpoint = receiver.endpoint("gone")
    receiver.stop()
    assert _post(endpoint.url, {}).status_code == 404


def test_non_json_body_is_kept(receiver: NotificationReceiver) -> None:
    endpoint = receiver.endpoint("raw")
    requests.post(endpoint.url, data=b"not json", timeout=5)
    record = endpoint.wait(count=1, timeout=1)[0]
    assert record.json is None
    assert record.body == b"not json"
    assert "not json" in record.as_text()


def test_a_path_never_handed_out_is_refused_and_counted(receiver: NotificationReceiver) -> None:
    known = receiver.endpoint("mine")
    stray = known.url.rsplit("/", 1)[0] + "/not-a-subscription-of-the-suite"
    assert _post(stray, {"type": "Notification"}).status_code == 404
    assert receiver.stray == 1
    assert receiver.received() == []


def test_a_flood_is_cut_at_the_endpoint_bound(receiver: NotificationReceiver) -> None:
    receiver.max_per_endpoint = 5
    endpoint = receiver.endpoint("flood")
    for n in range(12):
        _post(endpoint.url, {"n": n})
    kept = endpoint.received()
    assert [r.json["n"] for r in kept] == [0, 1, 2, 3, 4]
    assert endpoint.dropped() == 7


def test_an_oversized_body_is_kept_cut_and_flagged(
    receiver: NotificationReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receiver_module, "MAX_BODY_BYTES", 100)
    endpoint = receiver.endpoint("big")
    requests.post(endpoint.url, data=b"x" * 5000, timeout=5)
    record = endpoint.wait(count=1, timeout=2)[0]
    assert record.truncated and len(record.body) == 100
    assert "cut" in record.as_text()
