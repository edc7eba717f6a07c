"""Event names of the reference TMF hubs follow each API's v4 swagger: TMF633/634 catalog entities
send one <Type>ChangeEvent for every change (their swaggers list no AttributeValueChange or
StateChange event), TMF670 a PaymentMethodStatusChangeEvent for a status change."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from test_ref_tmf_hub import Listener

MP = {"Content-Type": "application/merge-patch+json"}
SCA = "/tmf-api/serviceCatalogManagement/v4"
PMT = "/tmf-api/paymentMethod/v4"


@pytest.fixture
def events() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.server.shutdown()
    running.server.server_close()


def _hub(base: str, http: requests.Session, root: str, url: str) -> str:
    resp = http.post(base + root + "/hub", json={"callback": url})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


def test_service_catalog_change_event(base: str, http: requests.Session, events: Listener, uid: str) -> None:
    hub = _hub(base, http, SCA, events.url)
    try:
        entity = http.post(
            base + SCA + "/serviceCatalog", json={"name": uid, "lifecycleStatus": "In study"}
        ).json()
        http.patch(entity["href"], json={"version": "2.0"}, headers=MP)
        http.patch(entity["href"], json={"lifecycleStatus": "In design"}, headers=MP)
        http.delete(entity["href"])
        got = events.wait(4)
    finally:
        http.delete(f"{base}{SCA}/hub/{hub}")
    mine = [e["eventType"] for e in got if e["event"]["serviceCatalog"]["id"] == entity["id"]]
    assert mine == [
        "ServiceCatalogCreateEvent",
        "ServiceCatalogChangeEvent",
        "ServiceCatalogChangeEvent",
        "ServiceCatalogDeleteEvent",
    ]


def test_payment_method_status_change_event(
    base: str, http: requests.Session, events: Listener, uid: str
) -> None:
    hub = _hub(base, http, PMT, events.url)
    try:
        method = http.post(
            base + PMT + "/paymentMethod", json={"@type": "Cash", "name": uid, "status": "Active"}
        ).json()
        http.patch(method["href"], json={"status": "Suspended"}, headers=MP)
        got = events.wait(2)
    finally:
        http.delete(f"{base}{PMT}/hub/{hub}")
        http.delete(f"{base}{PMT}/paymentMethod/{method['id']}")
    assert [e["eventType"] for e in got] == ["PaymentMethodCreateEvent", "PaymentMethodStatusChangeEvent"]
