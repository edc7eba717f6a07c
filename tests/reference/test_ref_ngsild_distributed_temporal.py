"""Distributed temporal writes (clauses 4.20, 5.6.11 - 5.6.16, 6.3.18): the reference passes a temporal write on to
an inclusive registration naming it, against a second reference broker as its context source
(reference/ngsild/distributed_temporal.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from conftest import RunningServer
from ref_support import JSON

R = "/ngsi-ld/v1/csourceRegistrations"
T = "/ngsi-ld/v1/temporal/entities"


@pytest.fixture(scope="module")
def source() -> Iterator[RunningServer]:
    running = RunningServer()
    yield running
    running.stop()


def _instance(value: int, minute: int) -> dict[str, Any]:
    return {"type": "Property", "value": value, "observedAt": f"2020-08-01T12:0{minute}:00Z"}


def _setup(
    base: str,
    http: requests.Session,
    source: RunningServer,
    uid: str,
    operations: list[str],
    on_source: bool = True,
) -> tuple[str, dict[str, str], dict[str, str]]:
    h, src_h = {**JSON, "NGSILD-Tenant": f"dt{uid}"}, {**JSON, "NGSILD-Tenant": f"dts{uid}"}
    eid = f"urn:ngsi-ld:Meter:{uid}"
    entity = {"id": eid, "type": "Meter", "reading": [_instance(1, 0)]}
    assert http.post(base + T, json=entity, headers=h).status_code == 201
    if on_source:
        assert http.post(source.url + T, json=entity, headers=src_h).status_code == 201
    reg = {
        "type": "ContextSourceRegistration",
        "endpoint": source.url,
        "information": [{"entities": [{"type": "Meter", "id": eid}]}],
        "operations": operations,
        "tenant": f"dts{uid}",
    }
    assert http.post(base + R, json=reg, headers=h).status_code == 201
    return eid, h, src_h


def _values(http: requests.Session, url: str, h: dict[str, str]) -> list[Any]:
    resp = http.get(url, params={"local": "true"}, headers=h)
    assert resp.status_code == 200, resp.text
    found = resp.json().get("reading", [])
    return sorted(i["value"] for i in (found if isinstance(found, list) else [found]))


def test_append_passed_on_to_a_registration_naming_it(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    eid, h, src_h = _setup(base, http, source, uid, ["appendAttrsTemporal"])
    resp = http.post(f"{base}{T}/{eid}/attrs", json={"reading": [_instance(2, 1)]}, headers=h)
    assert resp.status_code == 204, resp.text
    assert _values(http, f"{base}{T}/{eid}", h) == [1, 2]
    assert _values(http, f"{source.url}{T}/{eid}", src_h) == [1, 2]


def test_not_passed_on_when_not_named_or_local(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    eid, h, src_h = _setup(base, http, source, uid, ["redirectionOps", "appendAttrs"])
    assert (
        http.post(f"{base}{T}/{eid}/attrs", json={"reading": [_instance(2, 1)]}, headers=h).status_code == 204
    )
    assert _values(http, f"{source.url}{T}/{eid}", src_h) == [1]
    eid2, h2, src_h2 = _setup(base, http, source, uid + "l", ["deleteTemporal"])
    assert http.delete(f"{base}{T}/{eid2}", params={"local": "true"}, headers=h2).status_code == 204
    assert _values(http, f"{source.url}{T}/{eid2}", src_h2) == [1]


def test_delete_passed_on_and_a_failing_source_reported(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    eid, h, src_h = _setup(base, http, source, uid, ["deleteTemporal"])
    assert http.delete(f"{base}{T}/{eid}", headers=h).status_code == 204
    assert http.get(f"{source.url}{T}/{eid}", headers=src_h).status_code == 404
    eid2, h2, _ = _setup(base, http, source, uid + "f", ["deleteTemporal"], on_source=False)
    resp = http.delete(f"{base}{T}/{eid2}", headers=h2)  # the source holds no such temporal entity: 404
    assert resp.status_code == 207, resp.text
    assert [e["entityId"] for e in resp.json()["errors"]] == [eid2]


def test_exclusive_attribute_goes_to_the_source_only(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h, src_h = {**JSON, "NGSILD-Tenant": f"dx{uid}"}, {**JSON, "NGSILD-Tenant": f"dxs{uid}"}
    eid = f"urn:ngsi-ld:Meter:{uid}"
    assert http.post(base + T, json={"id": eid, "type": "Meter", "reading": [_instance(1, 0)]}, headers=h).ok
    assert http.post(
        source.url + T, json={"id": eid, "type": "Meter", "power": [_instance(5, 0)]}, headers=src_h
    ).ok
    reg = {
        "type": "ContextSourceRegistration",
        "endpoint": source.url,
        "mode": "exclusive",
        "information": [{"entities": [{"type": "Meter", "id": eid}], "propertyNames": ["power"]}],
        "operations": ["appendAttrsTemporal"],
        "tenant": f"dxs{uid}",
    }
    assert http.post(base + R, json=reg, headers=h).status_code == 201
    fragment = {"power": [_instance(6, 1)], "reading": [_instance(2, 1)]}
    assert http.post(f"{base}{T}/{eid}/attrs", json=fragment, headers=h).status_code == 204
    own = http.get(f"{base}{T}/{eid}", params={"local": "true"}, headers=h).json()
    assert "power" not in own and _values(http, f"{base}{T}/{eid}", h) == [1, 2]
    theirs = http.get(f"{source.url}{T}/{eid}", headers=src_h).json()
    assert sorted(i["value"] for i in theirs["power"]) == [5, 6] and "reading" not in theirs
