"""MIM1 batch operations that name one entity id twice (ETSI GS CIM 009 V1.8.1 clauses 5.6.7 -
5.6.10). V1.8.1 does not say how a repeated id is handled: a broker may process the items one
after the other (the second create fails as AlreadyExists, the second delete as ResourceNotFound,
the second upsert/update applies after the first), may merge them, or may refuse the whole request
(400). Each is accepted; what is checked is that the answer and the stored entity agree: an answer
that claims success for every item shows every item applied, a refused request changed nothing, a
207 names the id. The evidence notes which handling the target showed (notes/mim1.md)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import NgsiLdOps, made
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import batch, batch_result
from conformance.requirements import requirement
from conformance.run_ids import RunIds

TYPE = "MimBatchDup"


def _item(entity_id: str, **attrs: int) -> dict[str, Any]:
    return {"id": entity_id, "type": TYPE, **{name: prop(value) for name, value in attrs.items()}}


def _state(ngsild: NgsiLdOps, entity_id: str) -> dict[str, Any] | None:
    """The entity's attributes as plain values (keyValues), or None when it does not exist."""
    resp = ngsild.retrieve(entity_id, params={"options": "keyValues"})
    if resp.status_code == 404:
        return None
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    return {k: v for k, v in body.items() if k not in ("id", "type", "@context")}


def _values(*items: dict[str, Any]) -> dict[str, Any]:
    """The attributes of the items applied in order (later values win)."""
    merged: dict[str, Any] = {}
    for item in items:
        merged.update({k: v["value"] for k, v in item.items() if k not in ("id", "type")})
    return merged


def _named_in_errors(resp: requests.Response, entity_id: str) -> tuple[list[str], list[dict[str, Any]]]:
    success, errors = batch_result(resp)
    if entity_id not in [e.get("entityId") for e in errors]:
        checks.fail(
            f"a 207 answer to a batch naming {entity_id} twice should report it in errors: {resp.text[:300]}"
        )
    if success.count(entity_id) > 1:
        checks.fail(f"BatchOperationResult.success lists {entity_id} more than once")
    return success, errors


CREATE_PAIRS = [
    pytest.param({"level": 1}, {"level": 1}, id="identical"),
    pytest.param({"level": 1}, {"other": 2}, id="different-attributes"),
]


@requirement(
    "MIM1-BATCH-017",
    clause="5.6.7, 5.5.11",
    level="MUST",
    title="A batch create naming one id twice creates the entity once (207 naming the repeat, or 201 "
    "listing it once) or is refused whole (400, nothing created)",
)
@pytest.mark.parametrize(("first", "second"), CREATE_PAIRS)
def test_batch_create_duplicate(
    ngsild: NgsiLdOps,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    first: dict[str, int],
    second: dict[str, int],
) -> None:
    entity_id = run_ids.entity_id(TYPE)
    items = [_item(entity_id, **first), _item(entity_id, **second)]
    resp = batch(ngsild, "create", items)
    checks.status_is(resp, 201, 207, 400)
    state = _state(ngsild, entity_id)
    if resp.status_code == 400:
        if state is not None:
            checks.fail("batch create refused (400) but the entity was created")
        case_evidence.note("batch create with a repeated id: refused whole (400)")
        return
    if resp.status_code == 201:
        created = checks.json_array(resp)
        if created.count(entity_id) != 1:
            checks.fail(f"a 201 to batch create should list the created id once, got {created!r}")
        handling = "201, items merged"
    else:
        success, _ = _named_in_errors(resp, entity_id)
        if entity_id not in success:
            if state is not None:
                checks.fail("batch create reported no success for the id, yet the entity exists")
            case_evidence.note("batch create with a repeated id: 207, every item refused")
            return
        handling = "207, the repeat reported"
    if state is None:
        checks.fail("batch create reported the entity created, but it does not exist")
    allowed = [_values(items[0]), _values(items[1]), _values(*items)]
    if state not in allowed:
        checks.fail(f"the created entity holds {state!r}, none of the items sent (or their union)")
    case_evidence.note(f"batch create with a repeated id: {handling}")


def _judge_changes(
    resp: requests.Response,
    state: dict[str, Any] | None,
    before: dict[str, Any] | None,
    items: list[dict[str, Any]],
    base: dict[str, Any],
    operation: str,
) -> str:
    """Upsert/update: a full success shows both items applied in order; a 207 names the id and shows
    none, one or both applied; a 400 changed nothing. Returns the handling seen."""
    if resp.status_code == 400:
        if state != before:
            checks.fail(f"batch {operation} refused (400) but the entity changed: {before!r} -> {state!r}")
        return "refused whole (400)"
    if state is None:
        checks.fail(f"batch {operation} answered {resp.status_code} but the entity does not exist")
        raise AssertionError  # unreachable
    both = {**base, **_values(*items)} if operation == "update" else None
    if resp.status_code in (201, 204):
        acceptable = [both] if both is not None else [_values(items[1]), _values(*items)]
        if state not in acceptable:
            checks.fail(
                f"batch {operation} answered {resp.status_code} (every item done) but holds {state!r}"
            )
        return f"{resp.status_code}, both items applied in order"
    _named_in_errors(resp, entity_id=str(items[0]["id"]))
    one_each = [{**base, **_values(item)} if operation == "update" else _values(item) for item in items]
    if state not in [before, *one_each, both or _values(*items), _values(*items)]:
        checks.fail(f"batch {operation} answered 207 and holds {state!r}: none, one or both items applied")
    return "207, the repeat reported"


UPSERT_MODES = [
    pytest.param(None, False, id="replace-new"),
    pytest.param(None, True, id="replace-existing"),
    pytest.param("update", True, id="update-existing"),
]


@requirement(
    "MIM1-BATCH-018",
    clause="5.6.8, 5.5.11",
    level="MUST",
    title="A batch upsert naming one id twice either applies both items in order (201/204), reports "
    "the repeat (207), or is refused whole (400, nothing changed)",
)
@pytest.mark.parametrize(("mode", "exists"), UPSERT_MODES)
def test_batch_upsert_duplicate(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, mode: str | None, exists: bool
) -> None:
    entity_id = run_ids.entity_id(TYPE)
    base = {"level": 0}
    if exists:
        made(ngsild, _item(entity_id, **base))
    items = [_item(entity_id, first=1), _item(entity_id, second=2)]
    before = _state(ngsild, entity_id)
    resp = batch(ngsild, "upsert", items, params={"options": mode} if mode else None)
    checks.status_is(resp, 201, 204, 207, 400)
    state = _state(ngsild, entity_id)
    if mode == "update":
        handling = _judge_changes(resp, state, before, items, base, "update")
    else:
        handling = _judge_changes(resp, state, before, items, {}, "upsert")
    case_evidence.note(f"batch upsert ({mode or 'replace'}) with a repeated id: {handling}")


@requirement(
    "MIM1-BATCH-019",
    clause="5.6.9, 5.5.11",
    level="MUST",
    title="A batch update naming one id twice either applies both items in order (204), reports the "
    "repeat (207), or is refused whole (400, nothing changed)",
)
@pytest.mark.parametrize(
    ("first", "second"),
    [
        pytest.param({"level": 5}, {"level": 6}, id="same-attribute"),
        pytest.param({"level": 5}, {"other": 6}, id="different-attributes"),
    ],
)
def test_batch_update_duplicate(
    ngsild: NgsiLdOps,
    run_ids: RunIds,
    case_evidence: CaseEvidence,
    first: dict[str, int],
    second: dict[str, int],
) -> None:
    entity_id = run_ids.entity_id(TYPE)
    base = {"level": 1}
    made(ngsild, _item(entity_id, **base))
    items = [_item(entity_id, **first), _item(entity_id, **second)]
    resp = batch(ngsild, "update", items)
    checks.status_is(resp, 204, 207, 400)
    handling = _judge_changes(resp, _state(ngsild, entity_id), base, items, base, "update")
    case_evidence.note(f"batch update with a repeated id: {handling}")


@requirement(
    "MIM1-BATCH-020",
    clause="5.6.10, 5.5.11",
    level="MUST",
    title="A batch delete naming one id twice deletes the entity (204, or 207 reporting the repeat as "
    "not found) or is refused whole (400, nothing deleted)",
)
@pytest.mark.parametrize(
    "with_other", [pytest.param(False, id="alone"), pytest.param(True, id="with-another")]
)
def test_batch_delete_duplicate(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, with_other: bool
) -> None:
    entity_id = run_ids.entity_id(TYPE)
    made(ngsild, _item(entity_id, level=1))
    ids = [entity_id, entity_id]
    if with_other:
        other = made(ngsild, _item(run_ids.entity_id(TYPE), level=1))["id"]
        ids.insert(1, other)
    resp = batch(ngsild, "delete", ids)
    checks.status_is(resp, 204, 207, 400)
    remaining = [i for i in dict.fromkeys(ids) if _state(ngsild, i) is not None]
    if resp.status_code == 400:
        if len(remaining) != len(set(ids)):
            checks.fail(f"batch delete refused (400) but entities were deleted (left: {remaining})")
        case_evidence.note("batch delete with a repeated id: refused whole (400)")
        return
    if remaining:
        checks.fail(f"batch delete answered {resp.status_code} but these entities still exist: {remaining}")
    if resp.status_code == 207:
        success, errors = _named_in_errors(resp, entity_id)
        if entity_id not in success:
            checks.fail(f"batch delete deleted {entity_id} but does not report it in success")
        kinds = {e["error"].get("type") for e in errors if e.get("entityId") == entity_id}
        if kinds - {checks.NGSILD_ERROR_PREFIX + "ResourceNotFound"}:
            checks.fail(
                f"the repeated id should be reported as ResourceNotFound, got {sorted(map(str, kinds))}"
            )
        case_evidence.note("batch delete with a repeated id: 207, the repeat reported as not found")
        return
    case_evidence.note("batch delete with a repeated id: 204, deleted once")
