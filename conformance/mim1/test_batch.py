"""MIM1 batch entity operations (ETSI GS CIM 009 V1.8.1 clauses 5.6.7 create, 5.6.8 upsert, 5.6.9
update, 5.6.10 delete, 5.6.20 merge; BatchOperationResult 5.2.16, BatchEntityError 5.2.17): the
exact success status and body of each operation, 207 Multi-Status with a BatchOperationResult when
some or none of the entities succeed, and refused payloads.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim1 import batch_support as bs
from conformance.ngsild.api import CORE_CONTEXT, JSON, JSONLD
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import as_jsonld, batch, batch_result, entities_of, forget, query, same_ids
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

FORMS = [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")]


def _sent(entities: list[dict[str, Any]], content_type: str) -> list[dict[str, Any]]:
    return [as_jsonld(e, CORE_CONTEXT) for e in entities] if content_type == JSONLD else entities


def _expect_errors(errors: list[dict[str, Any]], expected: dict[str, str]) -> None:
    """errors names exactly the expected entity ids, each with a ProblemDetails of the expected type."""
    got = {e["entityId"]: e["error"] for e in errors}
    same_ids("BatchOperationResult.errors entity ids", [e["entityId"] for e in errors], expected)
    for entity_id, error_type in expected.items():
        checks.equal(
            f"error type for {entity_id}", got[entity_id].get("type"), checks.NGSILD_ERROR_PREFIX + error_type
        )


# ------------------------------------------------------------------------------------ create


@requirement(
    "MIM1-BATCH-001",
    clause="5.6.7, 6.14",
    level="MUST",
    title="Batch create of new entities answers 201 with the array of the created entity ids",
)
@pytest.mark.parametrize("size", [1, 3])
@pytest.mark.parametrize("content_type", FORMS)
def test_batch_create(ngsild: Any, run_ids: RunIds, content_type: str, size: int) -> None:
    entities = [bs.entity(run_ids, level=n) for n in range(size)]
    resp = batch(ngsild, "create", _sent(entities, content_type), content_type=content_type)
    checks.status_is(resp, 201)
    body = checks.json_array(resp)
    same_ids("batch create answer", body, [e["id"] for e in entities])
    stored = bs.stored(ngsild, [e["id"] for e in entities])
    same_ids("entities stored after batch create", stored, [e["id"] for e in entities])


@requirement(
    "MIM1-BATCH-002",
    clause="5.6.7",
    level="MUST",
    title="Batch create where some or none of the entities can be created answers 207 with a "
    "BatchOperationResult (AlreadyExists for existing ones)",
)
@pytest.mark.parametrize("new", [pytest.param(2, id="some-created"), pytest.param(0, id="none-created")])
def test_batch_create_partial(ngsild: Any, run_ids: RunIds, new: int) -> None:
    existing = bs.entity(run_ids)
    bs.existing(ngsild, existing)
    fresh = [bs.entity(run_ids) for _ in range(new)]
    resp = batch(ngsild, "create", [*fresh, {**existing, "level": prop(99)}])
    checks.status_is(resp, 207)
    success, errors = batch_result(resp)
    same_ids("BatchOperationResult.success", success, [e["id"] for e in fresh])
    _expect_errors(errors, {existing["id"]: "AlreadyExists"})
    stored = bs.stored(ngsild, [existing["id"], *(e["id"] for e in fresh)])
    checks.equal("the existing entity is unchanged: level", stored[existing["id"]].get("level"), 1)


# ------------------------------------------------------------------------------------ upsert

UPSERT_MODES = [
    pytest.param(None, id="default"),
    pytest.param("replace", id="replace"),
    pytest.param("update", id="update"),
]


@requirement(
    "MIM1-BATCH-003",
    clause="5.6.8, 6.15",
    level="MUST",
    title="Batch upsert answers 201 with the ids of the created entities only when some were created, "
    "204 with no body when all existed",
)
@pytest.mark.parametrize(
    ("new", "old"),
    [pytest.param(2, 0, id="all-new"), pytest.param(1, 2, id="mixed"), pytest.param(0, 2, id="all-existing")],
)
@pytest.mark.parametrize("mode", UPSERT_MODES)
def test_batch_upsert_status(ngsild: Any, run_ids: RunIds, mode: str | None, new: int, old: int) -> None:
    existing = [bs.entity(run_ids) for _ in range(old)]
    bs.existing(ngsild, *existing)
    fresh = [bs.entity(run_ids) for _ in range(new)]
    payload = [*fresh, *({**e, "level": prop(2)} for e in existing)]
    resp = batch(ngsild, "upsert", payload, params={"options": mode} if mode else None)
    if new:
        checks.status_is(resp, 201)
        same_ids("batch upsert answer (created ids only)", checks.json_array(resp), [e["id"] for e in fresh])
    else:
        checks.status_is(resp, 204)
        checks.empty_body(resp)
    stored = bs.stored(ngsild, [e["id"] for e in payload])
    same_ids("entities stored after batch upsert", stored, [e["id"] for e in payload])
    for entity in existing:
        checks.equal(f"{entity['id']} level after upsert", stored[entity["id"]].get("level"), 2)


@requirement(
    "MIM1-BATCH-004",
    clause="5.6.8",
    level="MUST",
    title="Batch upsert replaces existing entities (default, options=replace) or updates them (options=update)",
)
@pytest.mark.parametrize("mode", UPSERT_MODES)
def test_batch_upsert_modes(ngsild: Any, run_ids: RunIds, mode: str | None) -> None:
    existing = bs.entity(run_ids, level=1, colour="red")
    bs.existing(ngsild, existing)
    resp = batch(
        ngsild,
        "upsert",
        [{"id": existing["id"], "type": bs.TYPE, "level": prop(5)}],
        params={"options": mode} if mode else None,
    )
    precondition(resp.status_code < 300, f"the upsert answered {resp.status_code}")
    stored = bs.stored(ngsild, [existing["id"]])[existing["id"]]
    checks.equal("level after upsert", stored.get("level"), 5)
    if mode == "update":
        checks.equal("colour kept by options=update", stored.get("colour"), "red")
    else:
        checks.absent(f"entity after upsert (options={mode or 'default: replace'})", stored, "colour")


# ------------------------------------------------------------------------------------ update


@requirement(
    "MIM1-BATCH-005",
    clause="5.6.9, 6.16",
    level="MUST",
    title="Batch update of existing entities answers 204 with no body and updates their attributes",
)
@pytest.mark.parametrize("content_type", FORMS)
def test_batch_update(ngsild: Any, run_ids: RunIds, content_type: str) -> None:
    entities = [bs.entity(run_ids, level=1, colour="red") for _ in range(2)]
    bs.existing(ngsild, *entities)
    payload = [{"id": e["id"], "type": bs.TYPE, "level": prop(7), "size": prop("L")} for e in entities]
    resp = batch(ngsild, "update", _sent(payload, content_type), content_type=content_type)
    checks.status_is(resp, 204)
    checks.empty_body(resp)
    stored = bs.stored(ngsild, [e["id"] for e in entities])
    for entity in entities:
        got = stored[entity["id"]]
        checks.equal(f"{entity['id']} level", got.get("level"), 7)
        checks.equal(f"{entity['id']} size (appended)", got.get("size"), "L")
        checks.equal(f"{entity['id']} colour (untouched)", got.get("colour"), "red")


@requirement(
    "MIM1-BATCH-006",
    clause="5.6.9",
    level="MUST",
    title="Batch update with options=noOverwrite keeps existing attribute values and appends new ones",
)
def test_batch_update_no_overwrite(ngsild: Any, run_ids: RunIds) -> None:
    entity = bs.entity(run_ids, level=1)
    bs.existing(ngsild, entity)
    payload = [{"id": entity["id"], "type": bs.TYPE, "level": prop(9), "size": prop("S")}]
    resp = batch(ngsild, "update", payload, params={"options": "noOverwrite"})
    checks.status_is(resp, 204, 207)
    stored = bs.stored(ngsild, [entity["id"]])[entity["id"]]
    checks.equal("level with noOverwrite", stored.get("level"), 1)
    checks.equal("size appended with noOverwrite", stored.get("size"), "S")


@requirement(
    "MIM1-BATCH-007",
    clause="5.6.9",
    level="MUST",
    title="Batch update where some or none of the entities exist answers 207 with a BatchOperationResult "
    "(ResourceNotFound for missing ones)",
)
@pytest.mark.parametrize("old", [pytest.param(1, id="some-updated"), pytest.param(0, id="none-updated")])
def test_batch_update_partial(ngsild: Any, run_ids: RunIds, old: int) -> None:
    existing = [bs.entity(run_ids) for _ in range(old)]
    bs.existing(ngsild, *existing)
    missing = bs.entity(run_ids)
    payload = [*({"id": e["id"], "type": bs.TYPE, "level": prop(3)} for e in existing), missing]
    resp = batch(ngsild, "update", payload)
    checks.status_is(resp, 207)
    success, errors = batch_result(resp)
    same_ids("BatchOperationResult.success", success, [e["id"] for e in existing])
    _expect_errors(errors, {missing["id"]: "ResourceNotFound"})


# ------------------------------------------------------------------------------------ delete


@requirement(
    "MIM1-BATCH-008",
    clause="5.6.10, 6.17",
    level="MUST",
    title="Batch delete of existing entities answers 204 with no body and the entities are gone",
)
@pytest.mark.parametrize("size", [1, 3])
def test_batch_delete(ngsild: Any, run_ids: RunIds, size: int) -> None:
    entities = [bs.entity(run_ids) for _ in range(size)]
    bs.existing(ngsild, *entities)
    ids = [e["id"] for e in entities]
    resp = batch(ngsild, "delete", ids)
    checks.status_is(resp, 204)
    checks.empty_body(resp)
    after = query(ngsild, {"id": ",".join(ids), "type": bs.TYPE})
    same_ids("entities left after batch delete", [e["id"] for e in entities_of(after)], [])


@requirement(
    "MIM1-BATCH-009",
    clause="5.6.10",
    level="MUST",
    title="Batch delete where some or all entities do not exist answers 207 with a BatchOperationResult "
    "(ResourceNotFound for missing ones)",
)
@pytest.mark.parametrize("old", [pytest.param(2, id="some-deleted"), pytest.param(0, id="none-deleted")])
def test_batch_delete_partial(ngsild: Any, run_ids: RunIds, old: int) -> None:
    existing = [bs.entity(run_ids) for _ in range(old)]
    bs.existing(ngsild, *existing)
    missing = run_ids.entity_id(bs.TYPE)
    resp = batch(ngsild, "delete", [*(e["id"] for e in existing), missing])
    checks.status_is(resp, 207)
    success, errors = batch_result(resp)
    same_ids("BatchOperationResult.success", success, [e["id"] for e in existing])
    _expect_errors(errors, {missing: "ResourceNotFound"})


# ------------------------------------------------------------------------------------- merge


@requirement(
    "MIM1-BATCH-010",
    clause="5.6.20",
    level="MUST",
    title="Batch merge of existing entities answers 204 with no body; given attributes are merged, others kept",
)
def test_batch_merge(ngsild: Any, run_ids: RunIds) -> None:
    entities = [bs.entity(run_ids, level=1, colour="red") for _ in range(2)]
    bs.existing(ngsild, *entities)
    payload = [{"id": e["id"], "type": bs.TYPE, "level": prop(4), "size": prop("M")} for e in entities]
    resp = batch(ngsild, "merge", payload)
    checks.status_is(resp, 204)
    checks.empty_body(resp)
    stored = bs.stored(ngsild, [e["id"] for e in entities])
    for entity in entities:
        got = stored[entity["id"]]
        checks.equal(f"{entity['id']} level", got.get("level"), 4)
        checks.equal(f"{entity['id']} size", got.get("size"), "M")
        checks.equal(f"{entity['id']} colour (kept)", got.get("colour"), "red")


@requirement(
    "MIM1-BATCH-011",
    clause="5.6.20",
    level="MUST",
    title="Batch merge where some entities do not exist answers 207 with a BatchOperationResult "
    "(ResourceNotFound for missing ones)",
)
def test_batch_merge_partial(ngsild: Any, run_ids: RunIds) -> None:
    existing = bs.entity(run_ids)
    bs.existing(ngsild, existing)
    missing = bs.entity(run_ids)
    resp = batch(ngsild, "merge", [{"id": existing["id"], "type": bs.TYPE, "level": prop(8)}, missing])
    checks.status_is(resp, 207)
    success, errors = batch_result(resp)
    same_ids("BatchOperationResult.success", success, [existing["id"]])
    _expect_errors(errors, {missing["id"]: "ResourceNotFound"})


# ---------------------------------------------------------------------------------- refusals

BAD_PAYLOADS = [
    pytest.param("empty", id="empty-array"),
    pytest.param("object", id="object-not-array"),
]


@requirement(
    "MIM1-BATCH-012",
    clause="5.6.7",
    level="MUST",
    title="A batch payload that is empty or not an array of entities (of ids, for delete) answers 400 "
    "BadRequestData",
)
@pytest.mark.parametrize("shape", BAD_PAYLOADS)
@pytest.mark.parametrize("operation", ["create", "upsert", "update", "delete"])
def test_batch_payload_not_an_array(ngsild: Any, run_ids: RunIds, operation: str, shape: str) -> None:
    entity = bs.entity(run_ids)
    forget(ngsild, entity["id"])
    if shape == "empty":
        payload: Any = []
    else:
        payload = {"entities": [entity["id"] if operation == "delete" else entity]}
    checks.ngsild_problem(batch(ngsild, operation, payload), 400, "BadRequestData")


@requirement(
    "MIM1-BATCH-013",
    clause="5.6.7",
    level="MUST",
    title="A batch request whose body is not valid JSON answers 400 InvalidRequest",
)
@pytest.mark.parametrize("operation", ["create", "upsert", "update", "delete"])
def test_batch_body_not_json(ngsild: Any, operation: str) -> None:
    resp = batch(ngsild, operation, None, raw='[{"id": "urn:ngsi-ld:MimcheckBatch:broken", ')
    checks.ngsild_problem(resp, 400, "InvalidRequest")
