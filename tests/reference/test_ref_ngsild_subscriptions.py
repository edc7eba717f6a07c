"""Subscriptions CRUD and notification delivery (priority 2.6)."""

from __future__ import annotations

import json
import time

import requests
from pytest_httpserver import HTTPServer
from ref_support import CORE, JSON, E

S = "/ngsi-ld/v1/subscriptions"


def _sub(endpoint: str, **extra: object) -> dict:
    return {
        "type": "Subscription",
        "entities": [{"type": "Sensor"}],
        "watchedAttributes": ["temp"],
        "notification": {
            "endpoint": {"uri": endpoint, "accept": "application/json"},
            "attributes": ["temp"],
            "format": "keyValues",
        },
        **extra,
    }


def test_subscription_crud(base: str, http: requests.Session, uid: str) -> None:
    tenant = f"sub{uid}"
    h = {**JSON, "NGSILD-Tenant": tenant}
    body = _sub("http://127.0.0.1:9/notify", id=f"urn:ngsi-ld:Subscription:{uid}", q="temp>10")
    resp = http.post(base + S, json=body, headers=h)
    assert resp.status_code == 201, resp.text
    assert resp.headers["Location"] == f"{S}/urn:ngsi-ld:Subscription:{uid}"
    assert http.post(base + S, json=body, headers=h).status_code == 409
    got = http.get(base + resp.headers["Location"], headers=h).json()
    assert got["id"] == body["id"] and got["type"] == "Subscription" and got["status"] == "active"
    assert got["watchedAttributes"] == ["temp"] and got["notification"]["attributes"] == ["temp"]
    assert got["q"] == "temp>10"
    listing = http.get(base + S, headers=h).json()
    assert [s["id"] for s in listing] == [body["id"]]
    assert http.patch(base + resp.headers["Location"], json={"isActive": False}, headers=h).status_code == 204
    assert http.get(base + resp.headers["Location"], headers=h).json()["status"] == "paused"
    assert http.delete(base + resp.headers["Location"], headers=h).status_code == 204
    assert http.get(base + resp.headers["Location"], headers=h).status_code == 404
    assert http.delete(base + resp.headers["Location"], headers=h).status_code == 404
    for bad in [
        {**body, "type": "Nope"},
        {k: v for k, v in body.items() if k != "notification"},
        {"type": "Subscription", "notification": body["notification"]},
        {**body, "notification": {"endpoint": {"uri": "not a uri"}}},
        {**body, "q": "(("},
        {**body, "expiresAt": "2000-01-01T00:00:00Z"},
        {**body, "timeInterval": 10},
        {**body, "id": "bad id"},
        {**body, "entities": []},
    ]:
        assert http.post(base + S, json=bad, headers=h).status_code == 400, bad


def test_notification_delivery(base: str, http: requests.Session, httpserver: HTTPServer, uid: str) -> None:
    tenant = f"n{uid}"
    h = {**JSON, "NGSILD-Tenant": tenant}
    received: list[dict] = []

    def handler(request):  # type: ignore[no-untyped-def]
        from werkzeug import Response

        received.append({"body": json.loads(request.data), "headers": dict(request.headers)})
        return Response("", status=200)

    httpserver.expect_request(f"/notify/{uid}", method="POST").respond_with_handler(handler)
    endpoint = httpserver.url_for(f"/notify/{uid}")
    sub = _sub(endpoint, q="temp>10")
    sub["notification"]["endpoint"]["receiverInfo"] = [{"key": "X-Auth", "value": "secret"}]
    assert http.post(base + S, json=sub, headers=h).status_code == 201
    entity_id = f"urn:ngsi-ld:Sensor:{uid}"
    http.post(
        base + E,
        json={
            "id": entity_id,
            "type": "Sensor",
            "temp": {"type": "Property", "value": 5},
            "other": {"type": "Property", "value": 1},
        },
        headers=h,
    )  # q does not match
    http.patch(f"{base}{E}/{entity_id}/attrs", json={"other": {"type": "Property", "value": 2}}, headers=h)
    http.patch(f"{base}{E}/{entity_id}/attrs", json={"temp": {"type": "Property", "value": 20}}, headers=h)
    deadline = time.time() + 5
    while not received and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert len(received) == 1
    note = received[0]["body"]
    assert note["type"] == "Notification" and note["subscriptionId"].startswith("urn:ngsi-ld:Subscription:")
    assert note["notifiedAt"] and note["id"]
    assert note["data"] == [{"id": entity_id, "type": "Sensor", "temp": 20}]
    headers = {k.lower(): v for k, v in received[0]["headers"].items()}
    assert headers["content-type"].startswith("application/json")
    assert headers["ngsild-tenant"] == tenant and headers["x-auth"] == "secret"
    assert f"<{CORE}>" in headers["link"]
    listing = http.get(base + S, headers=h).json()
    deadline = time.time() + 3
    while listing[0]["notification"].get("timesSent") != 1 and time.time() < deadline:
        time.sleep(0.05)
        listing = http.get(base + S, headers=h).json()
    assert listing[0]["notification"]["timesSent"] == 1 and listing[0]["notification"]["lastSuccess"]


def test_jsonld_context_initialised(base: str, http: requests.Session, uid: str) -> None:
    """5.8.1: without jsonldContext, Retrieve Subscription shows the @context the subscription was made with
    (the Link URL, or the core @context); a given jsonldContext is shown as given."""
    h = {**JSON, "NGSILD-Tenant": f"subctx{uid}"}
    plain = _sub("http://127.0.0.1:9/notify", id=f"urn:ngsi-ld:Subscription:plain{uid}")
    assert http.post(base + S, json=plain, headers=h).status_code == 201
    got = http.get(f"{base}{S}/{plain['id']}", headers=h).json()
    assert got["jsonldContext"] == CORE
    given = _sub("http://127.0.0.1:9/notify", id=f"urn:ngsi-ld:Subscription:given{uid}", jsonldContext=CORE)
    assert http.post(base + S, json=given, headers=h).status_code == 201
    listing = {s["id"]: s for s in http.get(base + S, headers=h).json()}
    assert listing[given["id"]]["jsonldContext"] == CORE and listing[plain["id"]]["jsonldContext"] == CORE
