"""Entity types and scope carried by fragments (clauses 4.16, 4.18; 5.6.2, 5.6.3, 5.6.8, 5.6.9)."""

from __future__ import annotations

import requests
from ref_support import JSON, E

OPS = "/ngsi-ld/v1/entityOperations/"


def _made(base: str, http: requests.Session, uid: str, **members: object) -> str:
    entity_id = f"urn:ngsi-ld:TS:{uid}"
    body = {"id": entity_id, "type": ["TsA", "TsB"], "p": {"type": "Property", "value": 1}, **members}
    assert http.post(base + E, json=body, headers=JSON).status_code == 201
    return entity_id


def _got(base: str, http: requests.Session, entity_id: str) -> dict:
    resp = http.get(f"{base}{E}/{entity_id}")
    assert resp.status_code == 200
    return resp.json()


def test_update_attrs_takes_a_fragment_of_type_or_scope_only(
    base: str, http: requests.Session, uid: str
) -> None:
    entity_id = _made(base, http, uid, scope="/ts/a")
    resp = http.patch(f"{base}{E}/{entity_id}/attrs", json={"scope": "/ts/b"}, headers=JSON)
    assert resp.status_code == 204
    assert _got(base, http, entity_id)["scope"] == "/ts/b"
    resp = http.patch(f"{base}{E}/{entity_id}/attrs", json={"type": "TsA"}, headers=JSON)
    assert resp.status_code == 204
    assert sorted(_got(base, http, entity_id)["type"]) == ["TsA", "TsB"]
    resp = http.patch(
        f"{base}{E}/{entity_id}/attrs",
        json={"type": "TsC", "p": {"type": "Property", "value": 2}},
        headers=JSON,
    )
    assert resp.status_code == 204
    body = _got(base, http, entity_id)
    assert sorted(body["type"]) == ["TsA", "TsB", "TsC"] and body["p"]["value"] == 2
    # still refused: a fragment with nothing in it
    assert http.patch(f"{base}{E}/{entity_id}/attrs", json={}, headers=JSON).status_code == 400


def test_batch_update_and_upsert_update_take_scope(base: str, http: requests.Session, uid: str) -> None:
    entity_id = _made(base, http, uid, scope="/ts/a")
    resp = http.post(
        base + OPS + "update", json=[{"id": entity_id, "type": "TsC", "scope": "/ts/u"}], headers=JSON
    )
    assert resp.status_code == 204
    body = _got(base, http, entity_id)
    assert body["scope"] == "/ts/u" and sorted(body["type"]) == ["TsA", "TsB", "TsC"]
    resp = http.post(
        base + OPS + "upsert",
        params={"options": "update"},
        json=[{"id": entity_id, "type": "TsD", "scope": ["/ts/v", "/ts/w"]}],
        headers=JSON,
    )
    assert resp.status_code == 204
    body = _got(base, http, entity_id)
    assert body["scope"] == ["/ts/v", "/ts/w"] and "TsD" in body["type"] and "TsA" in body["type"]
