"""A write on data an exclusive or redirect registration holds but whose operations do not offer the write (clauses
4.3.6.3, 6.3.17): the registered part is done nowhere and answered with a Conflict (reference/ngsild/
distributed_modes.py, distributed_batch.py)."""

from __future__ import annotations

from typing import Any

import requests
from ref_support import JSON, E

R = "/ngsi-ld/v1/csourceRegistrations"
B = "/ngsi-ld/v1/entityOperations"
SOURCE = "http://127.0.0.1:9/never-asked"


def _prop(value: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value}


def _setup(base: str, http: requests.Session, uid: str, mode: str, **info: Any) -> tuple[str, dict[str, str]]:
    h = {**JSON, "NGSILD-Tenant": f"du{uid}"}
    eid = f"urn:ngsi-ld:Pump:{uid}"
    if mode == "exclusive":
        assert http.post(base + E, json={"id": eid, "type": "Pump", "flow": _prop(1)}, headers=h).ok
    body = {
        "type": "ContextSourceRegistration",
        "endpoint": SOURCE,
        "operations": ["retrieveOps"],
        "mode": mode,
        "information": [{"entities": [{"type": "Pump", "id": eid}], **info}],
    }
    assert http.post(base + R, json=body, headers=h).status_code == 201
    return eid, h


def test_exclusive_attribute_not_offered(base: str, http: requests.Session, uid: str) -> None:
    eid, h = _setup(base, http, uid, "exclusive", propertyNames=["power"])
    resp = http.post(f"{base}{E}/{eid}/attrs", json={"power": _prop(7), "humidity": _prop(8)}, headers=h)
    assert resp.status_code == 207, resp.text
    assert resp.json()["errors"][0]["error"]["type"].endswith("/Conflict")
    own = http.get(f"{base}{E}/{eid}", params={"local": "true", "options": "keyValues"}, headers=h).json()
    assert own.get("humidity") == 8 and "power" not in own
    resp = http.post(f"{base}{B}/update", json=[{"id": eid, "power": _prop(9)}], headers=h)
    assert resp.status_code == 207, resp.text
    assert [e["entityId"] for e in resp.json()["errors"]] == [eid]


def test_redirected_entity_not_offered(base: str, http: requests.Session, uid: str) -> None:
    eid, h = _setup(base, http, uid + "r", "redirect")
    resp = http.post(f"{base}{E}/{eid}/attrs", json={"power": _prop(7)}, headers=h)
    assert resp.status_code == 409, resp.text
    assert http.get(f"{base}{E}/{eid}", params={"local": "true"}, headers=h).status_code == 404
