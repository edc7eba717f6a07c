"""Distributed retrieval: Retrieve / Query Entities forwarded to registered context sources (clause 4.3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from conftest import RunningServer
from ref_support import JSON, E

R = "/ngsi-ld/v1/csourceRegistrations"


@pytest.fixture(scope="module")
def source() -> Iterator[RunningServer]:
    running = RunningServer()
    yield running
    running.stop()


def _prop(value: object, observed: str | None = None) -> dict:
    out: dict = {"type": "Property", "value": value}
    if observed:
        out["observedAt"] = observed
    return out


def test_retrieve_and_query_merge_remote_entities(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    tenant = f"dist{uid}"
    h = {**JSON, "NGSILD-Tenant": tenant}
    shared = f"urn:ngsi-ld:Room:{uid}:shared"
    remote_only = f"urn:ngsi-ld:Room:{uid}:remote"
    local_only = f"urn:ngsi-ld:Room:{uid}:local"
    # the source holds two rooms (default tenant of the source)
    for entity in (
        {"id": shared, "type": "Room", "temp": _prop(30, "2030-01-01T00:00:00Z"), "hum": _prop(60)},
        {"id": remote_only, "type": "Room", "temp": _prop(10)},
    ):
        assert http.post(source.url + E, json=entity, headers=JSON).status_code == 201
    for entity in (
        {"id": shared, "type": "Room", "temp": _prop(20, "2020-01-01T00:00:00Z"), "name": _prop("a")},
        {"id": local_only, "type": "Room", "temp": _prop(5)},
    ):
        assert http.post(base + E, json=entity, headers=h).status_code == 201
    reg = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Room"}]}],
        "endpoint": source.url,
    }
    assert http.post(base + R, json=reg, headers=h).status_code == 201
    got = http.get(f"{base}{E}/{shared}", params={"options": "keyValues"}, headers=h).json()
    # inclusive: attributes are merged, the most recent observation wins
    assert got == {"id": shared, "type": "Room", "temp": 30, "hum": 60, "name": "a"}
    assert http.get(f"{base}{E}/{remote_only}", headers=h).json()["temp"]["value"] == 10
    assert http.get(f"{base}{E}/{remote_only}", params={"local": "true"}, headers=h).status_code == 404
    listing = http.get(base + E, params={"type": "Room", "options": "keyValues", "count": "true"}, headers=h)
    assert listing.status_code == 200
    assert {e["id"]: e.get("temp") for e in listing.json()} == {shared: 30, local_only: 5, remote_only: 10}
    assert listing.headers["NGSILD-Results-Count"] == "3"
    local = http.get(base + E, params={"type": "Room", "local": "true"}, headers=h).json()
    assert sorted(e["id"] for e in local) == sorted([shared, local_only])
    query = {"type": "Query", "entities": [{"type": "Room"}], "q": "temp<20"}
    posted = http.post(base + "/ngsi-ld/v1/entityOperations/query", json=query, headers=h).json()
    assert sorted(e["id"] for e in posted) == sorted([local_only, remote_only])
    status = http.get(f"{base}{R}/{reg['id']}", headers=h).json()
    assert status["status"] == "ok" and status["timesSent"] >= 4 and status["lastSuccess"]


def test_exclusive_source_and_unreachable_source(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    tenant = f"dx{uid}"
    h = {**JSON, "NGSILD-Tenant": tenant}
    eid = f"urn:ngsi-ld:Lamp:{uid}"
    src_tenant = f"src{uid}"
    remote = {"id": eid, "type": "Lamp", "power": _prop(100)}
    assert (
        http.post(source.url + E, json=remote, headers={**JSON, "NGSILD-Tenant": src_tenant}).status_code
        == 201
    )
    assert (
        http.post(base + E, json={"id": eid, "type": "Lamp", "color": _prop("red")}, headers=h).status_code
        == 201
    )
    exclusive = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}:x",
        "type": "ContextSourceRegistration",
        "mode": "exclusive",
        "tenant": src_tenant,
        "endpoint": source.url,
        "information": [{"entities": [{"type": "Lamp", "id": eid}], "propertyNames": ["power"]}],
    }
    assert http.post(base + R, json=exclusive, headers=h).status_code == 201
    dead = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}:d",
        "type": "ContextSourceRegistration",
        "endpoint": "http://127.0.0.1:9",
        "information": [{"entities": [{"type": "Lamp"}]}],
    }
    assert http.post(base + R, json=dead, headers=h).status_code == 201
    got = http.get(f"{base}{E}/{eid}", params={"options": "keyValues"}, headers=h).json()
    assert got == {"id": eid, "type": "Lamp", "color": "red", "power": 100}
    failed = http.get(f"{base}{R}/{dead['id']}", headers=h).json()
    assert failed["status"] == "failed" and failed["timesFailed"] >= 1 and failed["lastFailure"]


def test_registration_already_in_via_is_not_asked(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    """Clause 6.3.18: a registration whose contextSourceAlias is a pseudonym of the request's Via is skipped;
    the forwarded request carries the received Via values plus the broker's own."""
    tenant = f"dv{uid}"
    h = {**JSON, "NGSILD-Tenant": tenant}
    src_tenant = f"srcv{uid}"
    eid = f"urn:ngsi-ld:Valve:{uid}"
    remote = {"id": eid, "type": "Valve", "open": _prop(True)}
    assert (
        http.post(source.url + E, json=remote, headers={**JSON, "NGSILD-Tenant": src_tenant}).status_code
        == 201
    )
    alias = f"urn:ngsi-ld:ContextSource:{uid}"
    reg = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}:v",
        "type": "ContextSourceRegistration",
        "tenant": src_tenant,
        "contextSourceAlias": alias,
        "endpoint": source.url,
        "information": [{"entities": [{"type": "Valve"}]}],
    }
    assert http.post(base + R, json=reg, headers=h).status_code == 201
    assert http.get(f"{base}{E}/{eid}", headers=h).status_code == 200
    looped = http.get(f"{base}{E}/{eid}", headers={**h, "Via": f"1.1 other, 1.1 {alias}"})
    assert looped.status_code == 404
    listing = http.get(base + E, params={"type": "Valve"}, headers={**h, "Via": f"HTTP/1.1 {alias} (x)"})
    assert listing.status_code == 200 and listing.json() == []
    assert http.get(f"{base}{E}/{eid}", headers={**h, "Via": "1.1 somebody-else"}).status_code == 200
