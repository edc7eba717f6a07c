"""Findings of the schema-driven fuzzing of the reference (tests/fuzz/fuzz.py, docs/fuzz.md), each kept
as a regression test."""

from __future__ import annotations

import requests
from ref_support import JSON, E

OPS = "/ngsi-ld/v1/entityOperations/"


def test_batch_delete_item_not_a_uri_rejects_the_whole_payload(
    base: str, http: requests.Session, uid: str
) -> None:
    """Batch delete took ids that are no URI one by one and answered 207 with an error naming them,
    which the OpenAPI's BatchEntityError (entityId: a URI) cannot hold. The payload is an array of
    Entity ids (5.6.10): one item that is no URI makes it a BadRequestData, and nothing is deleted."""
    keep = f"urn:ngsi-ld:FuzzFinding:{uid}"
    assert http.post(base + E, json={"id": keep, "type": "FuzzFinding"}, headers=JSON).status_code == 201
    for bad in ("", "N", "no uri", "E8\u00bc"):
        resp = http.post(base + OPS + "delete", json=[keep, bad], headers=JSON)
        assert resp.status_code == 400, (bad, resp.status_code, resp.text)
        assert resp.json()["type"].endswith("BadRequestData")
    assert http.get(base + E + "/" + keep).status_code == 200
    assert http.post(base + OPS + "delete", json=[keep], headers=JSON).status_code == 204
