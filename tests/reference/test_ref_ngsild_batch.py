"""Batch entity operations (priority 2.3) and discovery (priority 2.5)."""

from __future__ import annotations

import requests
from ref_support import CORE, JSON, LDJSON, E

OPS = "/ngsi-ld/v1/entityOperations/"


def _e(i: int, uid: str, **attrs: object) -> dict:
    return {"id": f"urn:ngsi-ld:B:{uid}:{i}", "type": "B", **attrs}


def test_batch_create(base: str, http: requests.Session, uid: str) -> None:
    resp = http.post(base + OPS + "create", json=[_e(1, uid), _e(2, uid)], headers=JSON)
    assert resp.status_code == 201
    assert resp.json() == [f"urn:ngsi-ld:B:{uid}:1", f"urn:ngsi-ld:B:{uid}:2"]
    resp = http.post(
        base + OPS + "create", json=[_e(1, uid), _e(3, uid), {"id": "bad id", "type": "B"}], headers=JSON
    )
    assert resp.status_code == 207
    result = resp.json()
    assert result["success"] == [f"urn:ngsi-ld:B:{uid}:3"]
    assert [e["entityId"] for e in result["errors"]] == [f"urn:ngsi-ld:B:{uid}:1", "bad id"]
    assert result["errors"][0]["error"]["type"].endswith("AlreadyExists")
    assert result["errors"][0]["error"]["status"] == 409
    assert result["errors"][1]["error"]["status"] == 400
    for bad in ([], {}, "x"):
        assert http.post(base + OPS + "create", json=bad, headers=JSON).status_code == 400


def test_batch_upsert(base: str, http: requests.Session, uid: str) -> None:
    a = _e(1, uid, x={"type": "Property", "value": 1}, y={"type": "Property", "value": 1})
    resp = http.post(base + OPS + "upsert", json=[a], headers=JSON)
    assert resp.status_code == 201 and resp.json() == [a["id"]]
    # replace (default): y disappears
    resp = http.post(
        base + OPS + "upsert", json=[_e(1, uid, x={"type": "Property", "value": 2})], headers=JSON
    )
    assert resp.status_code == 204
    body = http.get(f"{base}{E}/{a['id']}").json()
    assert body["x"]["value"] == 2 and "y" not in body
    # update: z added, x kept
    resp = http.post(
        base + OPS + "upsert",
        params={"options": "update"},
        json=[_e(1, uid, z={"type": "Property", "value": 3})],
        headers=JSON,
    )
    assert resp.status_code == 204
    body = http.get(f"{base}{E}/{a['id']}").json()
    assert body["x"]["value"] == 2 and body["z"]["value"] == 3
    mixed = http.post(base + OPS + "upsert", json=[_e(1, uid), _e(2, uid)], headers=JSON)
    assert mixed.status_code == 201 and mixed.json() == [f"urn:ngsi-ld:B:{uid}:2"]
    partial = http.post(base + OPS + "upsert", json=[_e(3, uid), {"id": f"urn:x:{uid}"}], headers=JSON)
    assert partial.status_code == 207
    assert partial.json()["success"] == [f"urn:ngsi-ld:B:{uid}:3"]


def test_batch_update_delete_merge(base: str, http: requests.Session, uid: str) -> None:
    http.post(
        base + OPS + "create", json=[_e(1, uid, x={"type": "Property", "value": 1}), _e(2, uid)], headers=JSON
    )
    resp = http.post(
        base + OPS + "update", json=[_e(1, uid, x={"type": "Property", "value": 5})], headers=JSON
    )
    assert resp.status_code == 204
    assert http.get(f"{base}{E}/urn:ngsi-ld:B:{uid}:1").json()["x"]["value"] == 5
    resp = http.post(
        base + OPS + "update",
        params={"options": "noOverwrite"},
        json=[_e(1, uid, x={"type": "Property", "value": 9}, w={"type": "Property", "value": 1})],
        headers=JSON,
    )
    assert resp.status_code == 204
    body = http.get(f"{base}{E}/urn:ngsi-ld:B:{uid}:1").json()
    assert body["x"]["value"] == 5 and body["w"]["value"] == 1
    resp = http.post(
        base + OPS + "update", json=[_e(9, uid, x={"type": "Property", "value": 1})], headers=JSON
    )
    assert resp.status_code == 207 and resp.json()["errors"][0]["error"]["status"] == 404
    resp = http.post(
        base + OPS + "merge",
        json=[_e(1, uid, x={"type": "Property", "value": 7}, w="urn:ngsi-ld:null")],
        headers=JSON,
    )
    assert resp.status_code == 204
    body = http.get(f"{base}{E}/urn:ngsi-ld:B:{uid}:1").json()
    assert body["x"]["value"] == 7 and "w" not in body
    resp = http.post(
        base + OPS + "delete", json=[f"urn:ngsi-ld:B:{uid}:1", f"urn:ngsi-ld:B:{uid}:2"], headers=JSON
    )
    assert resp.status_code == 204
    resp = http.post(base + OPS + "delete", json=[f"urn:ngsi-ld:B:{uid}:1"], headers=JSON)
    assert resp.status_code == 207
    assert resp.json()["success"] == [] and resp.json()["errors"][0]["entityId"] == f"urn:ngsi-ld:B:{uid}:1"
    assert http.post(base + OPS + "delete", json=[], headers=JSON).status_code == 400


def test_batch_ld_json(base: str, http: requests.Session, uid: str) -> None:
    items = [{**_e(1, uid), "@context": {"B": "http://example.org/B"}}, {**_e(2, uid), "@context": CORE}]
    assert http.post(base + OPS + "create", json=items, headers=LDJSON).status_code == 201
    assert http.get(f"{base}{E}/urn:ngsi-ld:B:{uid}:1").json()["type"] == "http://example.org/B"
    assert http.get(f"{base}{E}/urn:ngsi-ld:B:{uid}:2").json()["type"] == "B"


def test_discovery(base: str, http: requests.Session, uid: str) -> None:
    tenant = f"d{uid}"
    h = {**JSON, "NGSILD-Tenant": tenant}
    http.post(
        base + E,
        json={
            "id": "urn:x:1",
            "type": "Room",
            "temp": {"type": "Property", "value": 1},
            "in": {"type": "Relationship", "object": "urn:x:b"},
        },
        headers=h,
    )
    http.post(
        base + E,
        json={"id": "urn:x:2", "type": "Building", "temp": {"type": "Property", "value": 2}},
        headers=h,
    )
    types = http.get(base + "/ngsi-ld/v1/types", headers=h).json()
    assert types["type"] == "EntityTypeList" and sorted(types["typeList"]) == ["Building", "Room"]
    detailed = http.get(base + "/ngsi-ld/v1/types", params={"details": "true"}, headers=h).json()
    room = next(t for t in detailed if t["typeName"] == "Room")
    assert room["type"] == "EntityType" and sorted(room["attributeNames"]) == ["in", "temp"]
    info = http.get(base + "/ngsi-ld/v1/types/Room", headers=h).json()
    assert info["type"] == "EntityTypeInfo" and info["entityCount"] == 1
    assert {a["attributeName"] for a in info["attributeDetails"]} == {"in", "temp"}
    assert http.get(base + "/ngsi-ld/v1/types/Nope", headers=h).status_code == 404
    attrs = http.get(base + "/ngsi-ld/v1/attributes", headers=h).json()
    assert attrs["type"] == "AttributeList" and sorted(attrs["attributeList"]) == ["in", "temp"]
    temp = http.get(base + "/ngsi-ld/v1/attributes/temp", headers=h).json()
    assert temp["type"] == "Attribute" and temp["attributeCount"] == 2
    assert sorted(temp["typeNames"]) == ["Building", "Room"] and temp["attributeTypes"] == ["Property"]
    assert http.get(base + "/ngsi-ld/v1/attributes/nope", headers=h).status_code == 404
    assert http.get(base + "/ngsi-ld/v1/types", headers={"NGSILD-Tenant": "x" + uid}).status_code == 404


def test_jsonld_contexts(base: str, http: requests.Session) -> None:
    resp = http.post(
        base + "/ngsi-ld/v1/jsonldContexts", json={"@context": {"A": "http://example.org/A"}}, headers=JSON
    )
    assert resp.status_code == 201
    url = base + resp.headers["Location"]
    assert http.get(url).json() == {"@context": {"A": "http://example.org/A"}}
    listing = http.get(base + "/ngsi-ld/v1/jsonldContexts").json()
    assert url in listing and CORE in listing
    assert http.delete(url).status_code == 204
    assert http.get(url).status_code == 404


def test_batch_items_of_wrong_kind(base: str, http: requests.Session) -> None:
    for op in ("create", "upsert", "update", "merge"):
        assert http.post(base + OPS + op, json=[1, 2], headers=JSON).status_code == 400
    assert http.post(base + OPS + "delete", json=[1], headers=JSON).status_code == 400
    assert http.post(base + OPS + "delete", json=[{"id": "urn:x:1"}], headers=JSON).status_code == 400


def test_batch_invalid_entity_reported_per_entity(base: str, http: requests.Session, uid: str) -> None:
    """MIM1-BATCH-014: an entity whose id is not a URI fails alone; the others are processed (207)."""
    bad = {"id": f"not-a-uri-{uid}", "type": "B"}
    for op in ("create", "upsert"):
        good = _e(10 if op == "create" else 11, uid)
        resp = http.post(base + OPS + op, json=[good, bad], headers=JSON)
        assert resp.status_code == 207
        assert resp.json()["success"] == [good["id"]]
        [error] = resp.json()["errors"]
        assert error["entityId"] == bad["id"]
        assert error["error"]["type"].endswith("/BadRequestData") and error["error"]["status"] == 400
        assert http.get(f"{base}{E}/{good['id']}").status_code == 200


def test_batch_delete_as_jsonld(base: str, http: requests.Session, uid: str) -> None:
    """MIM1-BATCH-015: an array of ids sent as application/ld+json needs no @context."""
    ids = [_e(20, uid)["id"], _e(21, uid)["id"]]
    assert http.post(base + OPS + "create", json=[_e(20, uid), _e(21, uid)], headers=JSON).status_code == 201
    resp = http.post(base + OPS + "delete", json=ids, headers=LDJSON)
    assert resp.status_code == 204 and resp.content == b""
    assert all(http.get(f"{base}{E}/{i}").status_code == 404 for i in ids)
    # a Link header with application/ld+json is still refused (clause 6.3.5)
    linked = {**LDJSON, "Link": f'<{CORE}>; rel="http://www.w3.org/ns/json-ld#context"'}
    assert http.post(base + OPS + "delete", json=ids, headers=linked).status_code == 400


def test_batch_update_no_overwrite_answer(base: str, http: requests.Session, uid: str) -> None:
    """MIM1-BATCH-016: the reference counts an entity updated with noOverwrite as updated: 204, no body."""
    entity = _e(30, uid, level={"type": "Property", "value": 1})
    assert http.post(base + OPS + "create", json=[entity], headers=JSON).status_code == 201
    update = _e(30, uid, level={"type": "Property", "value": 9}, size={"type": "Property", "value": "S"})
    resp = http.post(base + OPS + "update", params={"options": "noOverwrite"}, json=[update], headers=JSON)
    assert resp.status_code == 204 and resp.content == b""
    body = http.get(f"{base}{E}/{entity['id']}").json()
    assert body["level"]["value"] == 1 and body["size"]["value"] == "S"
