"""Shared steps of the batch scenarios (test_batch.py, test_batch_results.py): run-scoped entities of
one type, created as a precondition and read back in keyValues form."""

from __future__ import annotations

from typing import Any

from conformance.ngsild.payloads import prop
from conformance.ngsild.query import entities_of, query
from conformance.outcomes import precondition
from conformance.run_ids import RunIds

TYPE = "MimcheckBatch"


def entity(run_ids: RunIds, **attrs: Any) -> dict[str, Any]:
    made: dict[str, Any] = {"id": run_ids.entity_id(TYPE), "type": TYPE}
    made.update({name: prop(value) for name, value in attrs.items()} or {"level": prop(1)})
    return made


def existing(ngsild: Any, *entities: dict[str, Any]) -> None:
    for one in entities:
        resp = ngsild.create_entity(one)
        precondition(resp.status_code == 201, f"creating {one['id']} answered {resp.status_code}")


def stored(ngsild: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The entities as the target holds them now (keyValues), by id."""
    resp = query(ngsild, {"id": ",".join(ids), "type": TYPE, "options": "keyValues"})
    precondition(resp.status_code == 200, f"reading the entities back answered {resp.status_code}")
    return {e["id"]: e for e in entities_of(resp)}
