"""Distributed writes by registration mode (clause 4.3.6.3), the other writes and the batch operations passed on
per ``operations`` (clause 4.20), csf as a Query member, and NGSILD-Warning (clause 6.3.17): the reference
against a second reference broker as its context source (reference/ngsild/distributed_modes.py,
distributed_batch.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from conftest import RunningServer
from pytest_httpserver import HTTPServer
from ref_support import JSON, E

R = "/ngsi-ld/v1/csourceRegistrations"
B = "/ngsi-ld/v1/entityOperations"


@pytest.fixture(scope="module")
def source() -> Iterator[RunningServer]:
    running = RunningServer()
    yield running
    running.stop()


def _prop(value: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value}


def _register(base: str, http: requests.Session, h: dict[str, str], endpoint: str, **members: Any) -> None:
    reg = {"type": "ContextSourceRegistration", "endpoint": endpoint, **members}
    resp = http.post(base + R, json=reg, headers=h)
    assert resp.status_code == 201, resp.text


def _own(http: requests.Session, url: str, h: dict[str, str]) -> dict[str, Any] | None:
    resp = http.get(url, params={"local": "true", "options": "keyValues"}, headers=h)
    return resp.json() if resp.status_code == 200 else None


def _tenants(uid: str) -> tuple[dict[str, str], dict[str, str]]:
    return {**JSON, "NGSILD-Tenant": f"dm{uid}"}, {**JSON, "NGSILD-Tenant": f"dms{uid}"}


def test_exclusive_attribute_goes_to_the_source_only(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h, src_h = _tenants(uid)
    eid = f"urn:ngsi-ld:Pump:{uid}"
    assert http.post(source.url + E, json={"id": eid, "type": "Pump", "power": _prop(1)}, headers=src_h).ok
    assert http.post(base + E, json={"id": eid, "type": "Pump", "flow": _prop(1)}, headers=h).ok
    info = [{"entities": [{"type": "Pump", "id": eid}], "propertyNames": ["power"]}]
    _register(
        base, http, h, source.url, information=info, mode="exclusive", operations=["redirectionOps"],
        tenant=f"dms{uid}",
    )  # fmt: skip
    fragment = {"power": _prop(7), "humidity": _prop(8)}
    assert http.post(f"{base}{E}/{eid}/attrs", json=fragment, headers=h).status_code == 204
    mine = _own(http, f"{base}{E}/{eid}", h)
    assert mine is not None and mine["humidity"] == 8 and "power" not in mine
    theirs = _own(http, f"{source.url}{E}/{eid}", src_h)
    assert theirs is not None and theirs["power"] == 7


def test_redirect_write_keeps_nothing_locally(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h, src_h = _tenants(uid)
    eid = f"urn:ngsi-ld:Pump:{uid}"
    assert http.post(source.url + E, json={"id": eid, "type": "Pump", "flow": _prop(1)}, headers=src_h).ok
    info = [{"entities": [{"type": "Pump", "id": eid}]}]
    _register(
        base, http, h, source.url, information=info, mode="redirect", operations=["redirectionOps"],
        tenant=f"dms{uid}",
    )  # fmt: skip
    assert http.patch(f"{base}{E}/{eid}/attrs", json={"flow": _prop(5)}, headers=h).status_code == 204
    assert _own(http, f"{base}{E}/{eid}", h) is None
    theirs = _own(http, f"{source.url}{E}/{eid}", src_h)
    assert theirs is not None and theirs["flow"] == 5
    # an entity no registration names by id is not written anywhere: 404 as before
    other = f"urn:ngsi-ld:Pump:{uid}x"
    assert http.patch(f"{base}{E}/{other}/attrs", json={"flow": _prop(5)}, headers=h).status_code == 404


def test_auxiliary_registration_offering_writes_is_refused(
    base: str, http: requests.Session, uid: str
) -> None:
    h, _ = _tenants(uid)
    reg = {
        "type": "ContextSourceRegistration",
        "endpoint": "http://127.0.0.1:9/x",
        "information": [{"entities": [{"type": "Pump"}]}],
        "mode": "auxiliary",
        "operations": ["redirectionOps"],
    }
    assert http.post(base + R, json=reg, headers=h).status_code == 400


@pytest.mark.parametrize("operations", [["createEntity"], ["redirectionOps"], ["appendAttrs"]])
def test_create_passed_on_per_operations(
    base: str, http: requests.Session, source: RunningServer, uid: str, operations: list[str]
) -> None:
    h, src_h = _tenants(uid)
    eid = f"urn:ngsi-ld:Pump:{uid}"
    info = [{"entities": [{"type": "Pump", "id": eid}]}]
    _register(base, http, h, source.url, information=info, operations=operations, tenant=f"dms{uid}")
    assert (
        http.post(base + E, json={"id": eid, "type": "Pump", "flow": _prop(2)}, headers=h).status_code == 201
    )
    assert _own(http, f"{base}{E}/{eid}", h) is not None
    at_source = _own(http, f"{source.url}{E}/{eid}", src_h)
    assert (at_source is not None) == (operations != ["appendAttrs"])


def test_batch_upsert_passed_on_as_a_batch(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h, src_h = _tenants(uid)
    ids = [f"urn:ngsi-ld:Tank:{uid}:{n}" for n in (1, 2)]
    info = [{"entities": [{"type": "Tank"}]}]
    _register(base, http, h, source.url, information=info, operations=["upsertBatch"], tenant=f"dms{uid}")
    batch = [{"id": i, "type": "Tank", "level": _prop(3)} for i in ids]
    assert http.post(f"{base}{B}/upsert", json=batch, headers=h).status_code == 201
    for eid in ids:
        assert (_own(http, f"{base}{E}/{eid}", h) or {}).get("level") == 3
        assert (_own(http, f"{source.url}{E}/{eid}", src_h) or {}).get("level") == 3
    # local=true: not passed on
    assert http.post(f"{base}{B}/delete", json=ids, params={"local": "true"}, headers=h).status_code == 204
    assert _own(http, f"{source.url}{E}/{ids[0]}", src_h) is not None


def test_csf_as_query_member(base: str, http: requests.Session, source: RunningServer, uid: str) -> None:
    h, _ = _tenants(uid)
    for group in ("a", "b"):
        src_h = {**JSON, "NGSILD-Tenant": f"dms{uid}{group}"}
        remote = {"id": f"urn:ngsi-ld:Tank:{uid}:{group}", "type": "Tank", "level": _prop(1)}
        assert http.post(source.url + E, json=remote, headers=src_h).status_code == 201
        info = [{"entities": [{"type": "Tank"}]}]
        _register(base, http, h, source.url, information=info, tenant=f"dms{uid}{group}", group=group)
    query = {"type": "Query", "entities": [{"type": "Tank"}], "csf": 'group=="a"'}
    found = http.post(f"{base}{B}/query", json=query, headers=h).json()
    assert [e["id"] for e in found] == [f"urn:ngsi-ld:Tank:{uid}:a"]


@pytest.mark.parametrize(("failure", "code"), [("error", "299"), ("unreachable", "199"), ("garbage", "111")])
def test_warning_for_a_failing_source(
    base: str, http: requests.Session, httpserver: HTTPServer, uid: str, failure: str, code: str
) -> None:
    h, _ = _tenants(uid)
    assert http.post(base + E, json={"id": f"urn:ngsi-ld:Tank:{uid}", "type": "Tank"}, headers=h).ok
    endpoint = "http://127.0.0.1:9/nothing"
    if failure != "unreachable":
        path = f"/src/{uid}/ngsi-ld/v1/entities"
        if failure == "error":
            httpserver.expect_request(path).respond_with_json({"title": "boom"}, status=500)
        else:
            httpserver.expect_request(path).respond_with_data("<html>", content_type="application/json")
        endpoint = httpserver.url_for(f"/src/{uid}")
    _register(base, http, h, endpoint, information=[{"entities": [{"type": "Tank"}]}])
    resp = http.get(base + E, params={"type": "Tank"}, headers=h)
    assert resp.status_code == 200
    assert [e["id"] for e in resp.json()] == [f"urn:ngsi-ld:Tank:{uid}"]
    assert resp.headers["NGSILD-Warning"].startswith(code + " ")
    quiet = http.get(base + E, params={"type": "Tank", "local": "true"}, headers=h)
    assert "NGSILD-Warning" not in quiet.headers


def test_batch_update_with_exclusive_attribute(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h, src_h = _tenants(uid)
    eid = f"urn:ngsi-ld:Pump:{uid}"
    assert http.post(source.url + E, json={"id": eid, "type": "Pump", "power": _prop(1)}, headers=src_h).ok
    assert http.post(base + E, json={"id": eid, "type": "Pump", "flow": _prop(1)}, headers=h).ok
    info = [{"entities": [{"type": "Pump", "id": eid}], "propertyNames": ["power"]}]
    _register(
        base, http, h, source.url, information=info, mode="exclusive", operations=["updateBatch"],
        tenant=f"dms{uid}",
    )  # fmt: skip
    batch = [{"id": eid, "power": _prop(7), "flow": _prop(8)}]
    assert http.post(f"{base}{B}/update", json=batch, headers=h).status_code == 204
    mine = _own(http, f"{base}{E}/{eid}", h)
    assert mine is not None and mine["flow"] == 8 and "power" not in mine
    assert (_own(http, f"{source.url}{E}/{eid}", src_h) or {}).get("power") == 7
    # an item whose attributes all belong to the source is not written locally at all
    only = [{"id": eid, "power": _prop(9)}]
    assert http.post(f"{base}{B}/update", json=only, headers=h).status_code == 204
    assert (_own(http, f"{source.url}{E}/{eid}", src_h) or {}).get("power") == 9
    assert "power" not in (_own(http, f"{base}{E}/{eid}", h) or {})


def test_create_of_exclusive_attributes_only(
    base: str, http: requests.Session, source: RunningServer, uid: str
) -> None:
    h, src_h = _tenants(uid)
    eid = f"urn:ngsi-ld:Pump:{uid}"
    assert http.post(base + E, json={"id": eid, "type": "Pump", "flow": _prop(1)}, headers=h).ok
    info = [{"entities": [{"type": "Pump", "id": eid}], "propertyNames": ["power"]}]
    _register(
        base, http, h, source.url, information=info, mode="exclusive", operations=["redirectionOps"],
        tenant=f"dms{uid}",
    )  # fmt: skip
    created = http.post(base + E, json={"id": eid, "type": "Pump", "power": _prop(4)}, headers=h)
    assert created.status_code == 201  # nothing left to create locally: no 409 for the local entity
    assert (_own(http, f"{source.url}{E}/{eid}", src_h) or {}).get("power") == 4
    assert "power" not in (_own(http, f"{base}{E}/{eid}", h) or {})
