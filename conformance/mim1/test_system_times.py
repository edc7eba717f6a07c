"""MIM1 system temporal properties (ETSI GS CIM 009 V1.8.1 clause 4.8): createdAt is set once by
the broker when an entity or attribute is created, modifiedAt each time it changes; a client cannot
set them. Read with options=sysAttrs (clause 6.3.11; presence already checked by MIM1-ENT-014)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import NgsiLdOps, made
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import entities_of, query
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds


def _instant(what: str, value: Any) -> datetime:
    checks.is_datetime(what, value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _times(ngsild: NgsiLdOps, entity_id: str, read: str) -> dict[str, Any]:
    if read == "retrieve":
        resp = ngsild.retrieve(entity_id, params={"options": "sysAttrs"})
        checks.status_is(resp, 200)
        return checks.json_object(resp)
    found = entities_of(query(ngsild, {"id": entity_id, "type": "MimTimes", "options": "sysAttrs"}))
    if len(found) != 1:
        checks.fail(f"querying the entity by id and type: expected it once, got {found!r}")
    return found[0]


def _stamp(body: dict[str, Any], attr: str | None, member: str) -> datetime:
    node = body if attr is None else checks.member("entity", body, attr, kind=dict)
    where = "entity" if attr is None else f"attribute {attr}"
    return _instant(f"{where}.{member}", checks.member(where, node, member))


CHANGES = ["update", "partial-update", "merge", "append", "replace-attribute"]
# Operations that overwrite the whole attribute: whether it keeps its createdAt is not fixed.
RECREATING = ("append", "replace-attribute")


def _change(ngsild: NgsiLdOps, operation: str, entity_id: str) -> Any:
    if operation == "update":
        return ngsild.update_attrs(entity_id, {"changed": prop(2)})
    if operation == "partial-update":
        return ngsild.partial_update(entity_id, "changed", {"value": 2})
    if operation == "merge":
        return ngsild.merge(entity_id, {"changed": prop(2)})
    if operation == "append":
        return ngsild.append_attrs(entity_id, {"changed": prop(2)})
    return ngsild.replace_attr(entity_id, "changed", prop(2))


@requirement(
    "MIM1-ENT-041",
    clause="4.8",
    level="MUST",
    title="Changing an attribute advances its and the entity's modifiedAt; createdAt stays (an attribute "
    "overwritten by Append or Replace Attribute may get a new one), as does an untouched attribute's modifiedAt",
)
@pytest.mark.parametrize("read", ["retrieve", "query"])
@pytest.mark.parametrize("operation", CHANGES)
def test_modified_at_follows_changes(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, operation: str, read: str
) -> None:
    entity = made(
        ngsild,
        {"id": run_ids.entity_id("MimTimes"), "type": "MimTimes", "changed": prop(1), "kept": prop(1)},
    )
    before = _times(ngsild, entity["id"], read)
    time.sleep(0.05)  # brokers with millisecond clocks must show a later instant
    resp = _change(ngsild, operation, entity["id"])
    precondition(resp.status_code == 204, f"{operation} answered {resp.status_code}")
    after = _times(ngsild, entity["id"], read)
    for attr in (None, "changed", "kept"):
        where = "entity" if attr is None else f"attribute {attr}"
        recreated = attr == "changed" and operation in RECREATING
        if _stamp(after, attr, "createdAt") != _stamp(before, attr, "createdAt"):
            if not recreated:
                checks.fail(f"{operation} changed the createdAt of the {where}")
            case_evidence.note(f"{operation}: the overwritten attribute got a new createdAt")
        if _stamp(after, attr, "modifiedAt") < _stamp(after, attr, "createdAt"):
            checks.fail(f"the {where} shows a modifiedAt before its createdAt")
    for attr in (None, "changed"):
        where = "entity" if attr is None else f"attribute {attr}"
        if not _stamp(after, attr, "modifiedAt") > _stamp(before, attr, "modifiedAt"):
            checks.fail(f"{operation}: the modifiedAt of the {where} did not advance")
    if _stamp(after, "kept", "modifiedAt") != _stamp(before, "kept", "modifiedAt"):
        checks.fail(f"{operation} of another attribute changed the modifiedAt of attribute kept")


PAST = "2001-02-03T04:05:06Z"
SUPPLIED: dict[str, Callable[[], dict[str, Any]]] = {
    "entity": lambda: {"createdAt": PAST, "modifiedAt": PAST, "level": prop(1)},
    "attribute": lambda: {"level": prop(1, createdAt=PAST, modifiedAt=PAST)},
}


@requirement(
    "MIM1-ENT-042",
    clause="4.8, 5.2.2",
    level="MUST",
    title="createdAt and modifiedAt sent by a client are not taken: the entity is refused (400) or "
    "created with the broker's own times",
)
@pytest.mark.parametrize("where", list(SUPPLIED))
def test_client_times_not_taken(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, where: str
) -> None:
    entity = {"id": run_ids.entity_id("MimTimes"), "type": "MimTimes", **SUPPLIED[where]()}
    resp = ngsild.create(entity)
    if resp.status_code == 400:
        checks.ngsild_problem_one_of(resp, 400, "BadRequestData", "InvalidRequest")
        case_evidence.note(f"system times supplied on the {where}: refused (400)")
        return
    checks.status_is(resp, 201)
    body = _times(ngsild, entity["id"], "retrieve")
    past = _instant("the supplied time", PAST)
    for attr in (None, "level"):
        for member in ("createdAt", "modifiedAt"):
            if _stamp(body, attr, member) == past:
                what = "entity" if attr is None else f"attribute {attr}"
                checks.fail(f"the {what} shows the {member} the client sent ({PAST})")
    case_evidence.note(f"system times supplied on the {where}: ignored")
