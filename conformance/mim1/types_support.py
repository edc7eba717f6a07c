"""Shared steps of the multi-typing and scope scenarios (test_multi_typing.py, test_scope.py): the
operations that change an entity with a fragment, and readers of the entity members ``type`` and
``scope`` (a string or an array of strings, clause 5.2.4)."""

from __future__ import annotations

from typing import Any

import requests

from conformance import checks
from conformance.ngsild.api import JSON, JSONLD, NgsiLdOps, with_context
from conformance.ngsild.query import batch, entities_of, query
from conformance.outcomes import precondition

# Operations that apply an entity fragment to an existing entity (clauses 5.6.2, 5.6.3, 5.6.8,
# 5.6.9, 5.6.17, 5.6.20), by name.
FRAGMENT_OPERATIONS = ("append", "update", "merge", "batch-update", "batch-upsert-update", "batch-merge")


def apply_fragment(
    ngsild: NgsiLdOps, operation: str, entity_id: str, fragment: dict[str, Any]
) -> requests.Response:
    """Send ``fragment`` (without id) to the entity through one of FRAGMENT_OPERATIONS; a name ending
    in ``-jsonld`` sends the single-entity operation as application/ld+json with the core @context."""
    if operation.endswith("-jsonld"):
        sent = with_context(fragment, None)
        return apply_fragment_as(ngsild, operation.removesuffix("-jsonld"), entity_id, sent, JSONLD)
    return apply_fragment_as(ngsild, operation, entity_id, fragment, JSON)


def apply_fragment_as(
    ngsild: NgsiLdOps, operation: str, entity_id: str, fragment: dict[str, Any], content_type: str
) -> requests.Response:
    if operation == "append":
        return ngsild.append_attrs(entity_id, fragment, content_type=content_type)
    if operation == "update":
        return ngsild.update_attrs(entity_id, fragment, content_type=content_type)
    if operation == "merge":
        return ngsild.merge(entity_id, fragment, content_type=content_type)
    item = {"id": entity_id, **fragment}
    if operation == "batch-update":
        return batch(ngsild, "update", [item])
    if operation == "batch-upsert-update":
        return batch(ngsild, "upsert", [item], params={"options": "update"})
    if operation == "batch-merge":
        return batch(ngsild, "merge", [item])
    raise ValueError(operation)


def member_set(what: str, body: dict[str, Any], key: str, *, required: bool = True) -> set[str]:
    """The strings of an entity member that is a string or an array of strings (type, scope)."""
    if key not in body:
        if required:
            checks.fail(f"{what}: the entity has no {key!r} member: {body!r}")
        return set()
    raw = body[key]
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(item, str) for item in items):
        checks.fail(f"{what}: {key!r} should be a string or an array of strings, got {raw!r}")
    if len(set(items)) != len(items):
        checks.fail(f"{what}: {key!r} lists a value more than once: {raw!r}")
    return set(items)


def read_back(ngsild: NgsiLdOps, entity_id: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The entity as the target holds it now (a broken read is a broken precondition)."""
    resp = ngsild.retrieve(entity_id, params=params)
    precondition(resp.status_code == 200, f"reading {entity_id} back answered {resp.status_code}")
    body = resp.json()
    precondition(isinstance(body, dict), f"reading {entity_id} back gave {body!r}")
    return body


def found_by(ngsild: NgsiLdOps, entity_id: str, params: dict[str, Any]) -> bool:
    """Whether a query with ``params`` (restricted to the entity's id) returns the entity."""
    return entity_id in {e["id"] for e in entities_of(query(ngsild, {"id": entity_id, **params}))}


def succeeded(resp: requests.Response, operation: str) -> None:
    """A change the requirement makes legal answers 2xx (204; 207 only where nothing was refused)."""
    if resp.status_code not in (200, 201, 204, 207):
        checks.fail(f"{operation}: expected 204 (success), got {resp.status_code}: {resp.text[:300]}")
    if resp.status_code == 207:
        body = checks.json_object(resp)
        errors = body.get("errors") or []
        if errors:
            checks.fail(f"{operation}: the entity was reported as not changed: {errors!r}")
