"""TMF630 notification hub (POST/DELETE /hub, events POSTed to the callback) on the reference platform."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

MP = {"Content-Type": "application/merge-patch+json"}
CAT = "/tmf-api/productCatalogManagement/v4"
ORD = "/tmf-api/productOrderingManagement/v4"


class Listener:
    def __init__(self) -> None:
        self.events: list[dict] = []
        self.content_types: list[str] = []
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                listener.content_types.append(self.headers.get("Content-Type", ""))
                listener.events.append(json.loads(body))
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/listener"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.time() + timeout
        while len(self.events) < count and time.time() < deadline:
            time.sleep(0.02)
        return list(self.events)


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.server.shutdown()
    running.server.server_close()


def test_hub_register_and_delete(base: str, http: requests.Session, listener: Listener) -> None:
    resp = http.post(
        base + CAT + "/hub", json={"callback": listener.url, "query": "eventType=CatalogCreateEvent"}
    )
    assert resp.status_code == 201, resp.text
    hub = resp.json()
    assert hub["id"] and hub["callback"] == listener.url and hub["query"] == "eventType=CatalogCreateEvent"
    assert resp.headers["Location"].endswith(f"{CAT}/hub/{hub['id']}")
    assert http.post(base + CAT + "/hub", json={"query": "x=y"}).status_code == 400
    assert http.post(base + CAT + "/hub", json={"callback": "not a url"}).status_code == 400
    assert http.delete(f"{base}{CAT}/hub/{hub['id']}").status_code == 204
    assert http.delete(f"{base}{CAT}/hub/{hub['id']}").status_code == 404


def test_product_offering_events(base: str, http: requests.Session, listener: Listener, uid: str) -> None:
    hub = http.post(
        base + CAT + "/hub", json={"callback": listener.url, "query": f"event.productOffering.version={uid}"}
    ).json()
    try:
        po = http.post(
            base + CAT + "/productOffering",
            json={"name": "E", "version": uid, "lifecycleStatus": "In design"},
        ).json()
        http.patch(po["href"], json={"lifecycleStatus": "Launched"}, headers=MP)
        http.patch(po["href"], json={"description": "d"}, headers=MP)
        http.delete(po["href"])
        http.post(base + CAT + "/productOffering", json={"name": "other"})  # filtered out by the query
        events = listener.wait(4)
        time.sleep(0.2)
        types = [e["eventType"] for e in listener.events]
        assert types == [
            "ProductOfferingCreateEvent",
            "ProductOfferingStateChangeEvent",
            "ProductOfferingAttributeValueChangeEvent",
            "ProductOfferingDeleteEvent",
        ]
        first = events[0]
        assert first["eventId"] and first["eventTime"].endswith("Z")
        assert first["event"]["productOffering"]["id"] == po["id"]
        assert first["event"]["productOffering"]["href"] == po["href"]
        assert events[1]["event"]["productOffering"]["lifecycleStatus"] == "Launched"
        assert all(ct.startswith("application/json") for ct in listener.content_types)
    finally:
        http.delete(f"{base}{CAT}/hub/{hub['id']}")


def test_product_order_events(base: str, http: requests.Session, listener: Listener, uid: str) -> None:
    hub = http.post(
        base + ORD + "/hub",
        json={
            "callback": listener.url,
            "query": f"eventType=ProductOrderCreateEvent,ProductOrderStateChangeEvent&event.productOrder.externalId={uid}",
        },
    ).json()
    order = http.post(
        base + ORD + "/productOrder",
        json={"externalId": uid, "productOrderItem": [{"id": "1", "action": "add"}]},
    ).json()
    http.patch(order["href"], json={"state": "inProgress"}, headers=MP)
    http.patch(order["href"], json={"description": "no event: attribute change not subscribed"}, headers=MP)
    http.post(base + ORD + "/cancelProductOrder", json={"productOrder": {"id": order["id"]}})
    events = listener.wait(3)
    time.sleep(0.2)
    assert [e["eventType"] for e in listener.events] == [
        "ProductOrderCreateEvent",
        "ProductOrderStateChangeEvent",
        "ProductOrderStateChangeEvent",
    ]
    assert events[0]["event"]["productOrder"]["state"] == "acknowledged"
    assert events[1]["event"]["productOrder"]["state"] == "inProgress"
    assert events[2]["event"]["productOrder"]["state"] == "cancelled"
    # after DELETE /hub nothing more is sent
    assert http.delete(f"{base}{ORD}/hub/{hub['id']}").status_code == 204
    http.patch(order["href"], json={"description": "later"}, headers=MP)
    time.sleep(0.3)
    assert len(listener.events) == 3
