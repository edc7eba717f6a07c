"""EntityMaps (clauses 5.2.39, 5.7.1.4, 5.7.2.4, 5.14.1-5.14.3): created on request by Query Entities and
Retrieve Entity, served, updated and deleted at /entityMap/{id}, and used by a request that names one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from conftest import RunningServer
from ref_support import JSON, E

R = "/ngsi-ld/v1/csourceRegistrations"
M = "/ngsi-ld/v1/entityMap/"
Q = "/ngsi-ld/v1/entityOperations/query"


@pytest.fixture(scope="module")
def source() -> Iterator[RunningServer]:
    running = RunningServer()
    yield running
    running.stop()


def _entity(eid: str, kind: str, value: int) -> dict:
    return {"id": eid, "type": kind, "temp": {"type": "Property", "value": value}}


def _setup(base: str, http: requests.Session, source: RunningServer, uid: str) -> tuple[dict, str, str, str]:
    h = {**JSON, "NGSILD-Tenant": f"em{uid}"}
    kind = f"Room{uid.replace('-', '')}"
    local, remote = f"urn:ngsi-ld:Room:{uid}:local", f"urn:ngsi-ld:Room:{uid}:remote"
    assert http.post(source.url + E, json=_entity(remote, kind, 2), headers=JSON).status_code == 201
    assert http.post(base + E, json=_entity(local, kind, 1), headers=h).status_code == 201
    reg = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": kind}]}],
        "endpoint": source.url,
    }
    assert http.post(base + R, json=reg, headers=h).status_code == 201
    return h, kind, local, remote


def test_query_creates_a_map_naming_the_sources(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h, kind, local, remote = _setup(base, http, source, uid)
    plain = http.get(base + E, params={"type": kind}, headers=h)
    assert plain.status_code == 200 and "NGSILD-EntityMap" not in plain.headers
    got = http.get(base + E, params={"type": kind, "entityMap": "true"}, headers=h)
    assert got.status_code == 200 and sorted(e["id"] for e in got.json()) == sorted([local, remote])
    where = got.headers["NGSILD-EntityMap"]
    assert where.startswith(M)
    doc = http.get(base + where, headers=h).json()
    assert doc["type"] == "EntityMap" and doc["expiresAt"]
    # the source (a reference platform too) was asked for its own map: linkedMaps names it
    linked = doc["linkedMaps"]
    assert list(linked) == [f"urn:ngsi-ld:ContextSourceRegistration:{uid}"]
    theirs = linked[f"urn:ngsi-ld:ContextSourceRegistration:{uid}"]
    assert http.get(source.url + M + theirs, headers=JSON).status_code == 200
    # a page naming the map passes the source its own map on: the source keeps using it
    paged = http.get(
        base + E, params={"type": kind, "limit": "1", "offset": "1"}, headers={**h, "NGSILD-EntityMap": where}
    )
    assert paged.status_code == 200 and paged.headers["NGSILD-EntityMap"] == where
    assert http.get(base + where, headers=h).json()["linkedMaps"] == linked
    assert doc["entityMap"] == {local: ["@none"], remote: [f"urn:ngsi-ld:ContextSourceRegistration:{uid}"]}
    posted = http.post(
        base + Q, json={"type": "Query", "entities": [{"type": kind}], "entityMap": True}, headers=h
    )
    assert posted.status_code == 200 and posted.headers["NGSILD-EntityMap"].startswith(M)
    legacy = http.get(base + E, params={"type": kind, "details": "true"}, headers=h)
    assert legacy.headers["NGSILD-EntityMap"].startswith(M)
    one = http.get(f"{base}{E}/{remote}", params={"entityMap": "true"}, headers=h)
    assert one.status_code == 200
    single = http.get(base + one.headers["NGSILD-EntityMap"], headers=h).json()
    assert single["entityMap"] == {remote: [f"urn:ngsi-ld:ContextSourceRegistration:{uid}"]}


def test_a_named_map_fixes_sources_and_entities(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h, kind, local, remote = _setup(base, http, source, uid)
    first = http.get(base + E, params={"type": kind, "entityMap": "true", "limit": "1"}, headers=h)
    where = first.headers["NGSILD-EntityMap"]
    # created after the map: neither the new local entity nor a new registration's entity is answered
    assert http.post(base + E, json=_entity(local + "x", kind, 3), headers=h).status_code == 201
    later = f"urn:ngsi-ld:Room:{uid}:later"
    assert http.post(source.url + E, json=_entity(later, kind, 4), headers=JSON).status_code == 201
    ids = [e["id"] for e in first.json()]
    second = http.get(
        base + E, params={"type": kind, "limit": "1", "offset": "1"}, headers={**h, "NGSILD-EntityMap": where}
    )
    assert second.headers["NGSILD-EntityMap"] == where
    ids += [e["id"] for e in second.json()]
    assert sorted(ids) == sorted([local, remote])
    third = http.get(
        base + E, params={"type": kind, "limit": "5", "offset": "2"}, headers={**h, "NGSILD-EntityMap": where}
    )
    assert third.json() == []
    # an unknown map: a new one is made
    other = http.get(base + E, params={"type": kind}, headers={**h, "NGSILD-EntityMap": M + "urn:x:gone"})
    assert other.status_code == 200 and other.headers["NGSILD-EntityMap"] != M + "urn:x:gone"
    assert len(other.json()) == 4


def test_update_and_delete(base: str, http: requests.Session, source: RunningServer, uid: str) -> None:
    h, kind, local, remote = _setup(base, http, source, uid)
    where = http.get(base + E, params={"type": kind, "entityMap": "true"}, headers=h).headers[
        "NGSILD-EntityMap"
    ]
    before = http.get(base + where, headers=h).json()
    patched = http.patch(
        base + where,
        json={"expiresAt": "2099-01-01T00:00:00Z", "entityMap": {}, "linkedMaps": {"a": "b"}},
        headers=h,
    )
    assert patched.status_code == 204
    after = http.get(base + where, headers=h).json()
    assert after["expiresAt"] == "2099-01-01T00:00:00Z" and after["entityMap"] == before["entityMap"]
    assert after["linkedMaps"] == before["linkedMaps"]
    for bad in ([1], {"expiresAt": "soon"}):
        answer = http.patch(base + where, json=bad, headers=h)
        assert answer.status_code == 400 and answer.json()["type"].endswith("BadRequestData")
    for method in ("GET", "PATCH", "DELETE"):
        missing = http.request(method, base + M + "urn:ngsi-ld:EntityMap:none", json={}, headers=h)
        assert missing.status_code == 404 and missing.json()["type"].endswith("ResourceNotFound")
        wrong = http.request(method, base + M + "not-a-uri", json={}, headers=h)
        assert wrong.status_code == 400 and wrong.json()["type"].endswith("BadRequestData")
    assert http.delete(base + where, headers=h).status_code == 204
    assert http.get(base + where, headers=h).status_code == 404
    # an expired map is gone too, and a query naming it gets a new one
    where = http.get(base + E, params={"type": kind, "entityMap": "true"}, headers=h).headers[
        "NGSILD-EntityMap"
    ]
    assert http.patch(base + where, json={"expiresAt": "2000-01-01T00:00:00Z"}, headers=h).status_code == 204
    assert http.get(base + where, headers=h).status_code == 404
    renewed = http.get(base + E, params={"type": kind}, headers={**h, "NGSILD-EntityMap": where})
    assert renewed.headers["NGSILD-EntityMap"] not in ("", where)
