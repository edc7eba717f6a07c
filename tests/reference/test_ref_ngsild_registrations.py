"""Context source registrations CRUD (priority 2.6)."""

from __future__ import annotations

import requests
from ref_support import JSON

R = "/ngsi-ld/v1/csourceRegistrations"


def test_registration_crud(base: str, http: requests.Session, uid: str) -> None:
    h = {**JSON, "NGSILD-Tenant": f"r{uid}"}
    body = {
        "id": f"urn:ngsi-ld:ContextSourceRegistration:{uid}",
        "type": "ContextSourceRegistration",
        "information": [{"entities": [{"type": "Vehicle"}], "propertyNames": ["speed"]}],
        "endpoint": "http://example.org/source",
        "mode": "inclusive",
    }
    resp = http.post(base + R, json=body, headers=h)
    assert resp.status_code == 201, resp.text
    url = base + resp.headers["Location"]
    assert http.post(base + R, json=body, headers=h).status_code == 409
    got = http.get(url, headers=h).json()
    assert got["information"] == [{"entities": [{"type": "Vehicle"}], "propertyNames": ["speed"]}]
    assert got["endpoint"] == "http://example.org/source"
    assert [r["id"] for r in http.get(base + R, params={"type": "Vehicle"}, headers=h).json()] == [body["id"]]
    assert http.get(base + R, params={"type": "Other"}, headers=h).json() == []
    assert http.patch(url, json={"endpoint": "http://example.org/other"}, headers=h).status_code == 204
    assert http.get(url, headers=h).json()["endpoint"] == "http://example.org/other"
    assert http.delete(url, headers=h).status_code == 204
    assert http.get(url, headers=h).status_code == 404
    for bad in [
        {**body, "type": "X"},
        {**body, "information": []},
        {**body, "endpoint": "nope"},
        {k: v for k, v in body.items() if k != "endpoint"},
        {**body, "information": [{}]},
        {**body, "mode": "weird"},
    ]:
        assert http.post(base + R, json=bad, headers=h).status_code == 400, bad
