"""MIM1 multi-typed entities (ETSI GS CIM 009 V1.8.1 clause 4.16, with 4.17, 5.6.3, 5.6.17, 5.6.18):
an entity with several types shows all of them in every representation, is selected by any one of
them, gains types through the operations that add content and loses them only by Replace Entity.

Entity types are unique to the run (no other data can match them); the order of an entity's types
is never checked (the spec fixes none)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.mim1.types_support import (
    FRAGMENT_OPERATIONS,
    apply_fragment,
    found_by,
    member_set,
    read_back,
    succeeded,
)
from conformance.ngsild.api import GEOJSON, JSONLD, NgsiLdOps, entity_path, made
from conformance.ngsild.payloads import prop
from conformance.ngsild.query import batch, entities_of, query, query_post, run_type
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds


def _typed(run_ids: RunIds, count: int = 2) -> tuple[list[str], dict[str, Any]]:
    types = [run_type(run_ids, f"MimMulti{letter}") for letter in "ABC"[:count]]
    entity = {"id": run_ids.entity_id("MimMulti"), "type": types, "level": prop(1)}
    return types, entity


REPRESENTATIONS = [
    pytest.param({}, None, id="normalized"),
    pytest.param({"options": "keyValues"}, None, id="keyValues"),
    pytest.param({"options": "concise"}, None, id="concise"),
    pytest.param({}, JSONLD, id="normalized-jsonld"),
    pytest.param({}, GEOJSON, id="geojson"),
]


def _as_entity(resp: Any, accept: str | None, many: bool) -> dict[str, Any]:
    """The one entity of an answer; of a GeoJSON answer, the members of its Feature's properties."""
    if accept != GEOJSON:
        if not many:
            checks.status_is(resp, 200)
            return checks.json_object(resp)
        found = entities_of(resp)
        if len(found) != 1:
            checks.fail(f"querying by the entity's second type: expected the entity once, got {found!r}")
        return found[0]
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    if many:
        features = checks.member("FeatureCollection", body, "features", kind=list)
        if len(features) != 1 or not isinstance(features[0], dict):
            checks.fail(f"querying by the entity's second type: expected one Feature, got {features!r}")
        body = features[0]
    return checks.member("Feature", body, "properties", kind=dict)


@requirement(
    "MIM1-ENT-028",
    clause="4.16",
    level="MUST",
    title="An entity created with several types (Create Entity, batch create, batch upsert) shows all "
    "of them (an array) in every representation, retrieved or queried",
)
@pytest.mark.parametrize(("params", "accept"), REPRESENTATIONS)
@pytest.mark.parametrize("read", ["retrieve", "query", "query-post"])
@pytest.mark.parametrize("create", ["create", "batch-create", "batch-upsert"])
def test_all_types_shown(
    ngsild: NgsiLdOps, run_ids: RunIds, create: str, read: str, params: dict[str, str], accept: str | None
) -> None:
    types, entity = _typed(run_ids, 3)
    if create == "create":
        made(ngsild, entity)
    else:
        resp = batch(ngsild, create.removeprefix("batch-"), [entity])
        precondition(resp.status_code == 201, f"batch {create} answered {resp.status_code}")
    if read == "retrieve":
        resp = ngsild.retrieve(entity["id"], params=params, accept=accept)
    else:
        selector = {"id": entity["id"], "type": types[1]}
        if read == "query":
            resp = query(ngsild, {**selector, **params}, accept=accept)
        else:
            resp = query_post(ngsild, {"entities": [selector]}, params or None, accept=accept)
    body = _as_entity(resp, accept, read != "retrieve")
    if not isinstance(body.get("type"), list):
        checks.fail(f"an entity with three types shows 'type' as an array, got {body.get('type')!r}")
    checks.equal("the entity's types", sorted(member_set("entity", body, "type")), sorted(types))


# (type parameter, whether it selects an entity typed [A, B])
TYPE_FILTERS = [
    pytest.param("A", True, id="first-type"),
    pytest.param("B", True, id="second-type"),
    pytest.param("Z,B", True, id="other-or-second"),
    pytest.param("Z", False, id="foreign-type"),
]
FILTERED_OPERATIONS = ["retrieve", "append", "update", "merge", "replace", "delete"]


def _filtered(ngsild: NgsiLdOps, operation: str, entity_id: str, types: list[str], type_param: str) -> Any:
    params = {"type": type_param}
    if operation == "retrieve":
        return ngsild.retrieve(entity_id, params=params)
    if operation == "append":
        return ngsild.append_attrs(entity_id, {"added": prop(2)}, params=params)
    if operation == "update":
        return ngsild.update_attrs(entity_id, {"level": prop(2)}, params=params)
    if operation == "merge":
        return ngsild.merge(entity_id, {"level": prop(2)}, params=params)
    if operation == "replace":
        return ngsild.replace(entity_id, {"type": types, "level": prop(2)}, params=params)
    return ngsild.send("DELETE", entity_path(entity_id), params=params)


@requirement(
    "MIM1-ENT-029",
    clause="4.16",
    level="MUST",
    title="The type parameter of an entity operation selects a multi-typed entity by any one of its "
    "types; a type it does not have answers 404 and changes nothing",
)
@pytest.mark.parametrize(("letters", "selects"), TYPE_FILTERS)
@pytest.mark.parametrize("operation", FILTERED_OPERATIONS)
def test_type_parameter(
    ngsild: NgsiLdOps, run_ids: RunIds, operation: str, letters: str, selects: bool
) -> None:
    types, entity = _typed(run_ids)
    names = {"A": types[0], "B": types[1], "Z": run_type(run_ids, "MimMultiZ")}
    made(ngsild, entity)
    type_param = ",".join(names[letter] for letter in letters.split(","))
    resp = _filtered(ngsild, operation, entity["id"], types, type_param)
    if selects:
        checks.status_is(resp, 200 if operation == "retrieve" else 204)
        return
    checks.ngsild_problem(resp, 404, "ResourceNotFound")
    still = ngsild.retrieve(entity["id"])
    checks.status_is(still, 200)
    after = checks.json_object(still)
    checks.same_value("the entity after an operation on a type it does not have", after.get("level"), prop(1))
    checks.absent("the entity after an operation on a type it does not have", after, "added")


# (operation, fragment members besides the added type)
ADDING = [
    pytest.param(op, {"note": prop("x")}, id=f"{op}-with-attribute")
    for op in FRAGMENT_OPERATIONS
    if op != "update"
]
ADDING += [pytest.param(op, {}, id=f"{op}-type-only") for op in ("append", "merge", "batch-merge")]


@requirement(
    "MIM1-ENT-030",
    clause="4.16",
    level="MUST",
    title="Append Entity Attributes, Merge Entity and the batch update, upsert (update) and merge "
    "operations add the fragment's type to the entity's types",
)
@pytest.mark.parametrize(("operation", "extra"), ADDING)
def test_add_type(ngsild: NgsiLdOps, run_ids: RunIds, operation: str, extra: dict[str, Any]) -> None:
    types, entity = _typed(run_ids)
    added = run_type(run_ids, "MimMultiN")
    made(ngsild, entity)
    resp = apply_fragment(ngsild, operation, entity["id"], {"type": added, **extra})
    succeeded(resp, operation)
    after = read_back(ngsild, entity["id"])
    checks.equal(
        "the entity's types after adding one",
        sorted(member_set("entity", after, "type")),
        sorted([*types, added]),
    )
    if not found_by(ngsild, entity["id"], {"type": added}):
        checks.fail(f"a query by the added type {added} does not return the entity")
    if not found_by(ngsild, entity["id"], {"type": types[0]}):
        checks.fail(f"a query by the original type {types[0]} no longer returns the entity")


@requirement(
    "MIM1-ENT-031",
    clause="5.6.18",
    level="MUST",
    title="Replace Entity replaces the entity's types with those of the new content; a removed type "
    "no longer selects it",
)
@pytest.mark.parametrize("kept", [pytest.param([], id="all-new"), pytest.param(["A"], id="keep-first")])
@pytest.mark.parametrize("count", [pytest.param(1, id="one-new"), pytest.param(2, id="two-new")])
def test_replace_types(ngsild: NgsiLdOps, run_ids: RunIds, kept: list[str], count: int) -> None:
    types, entity = _typed(run_ids)
    made(ngsild, entity)
    new = [run_type(run_ids, f"MimMultiR{n}") for n in range(count)]
    wanted = [types[0]] * len(kept) + new
    resp = ngsild.replace(entity["id"], {"type": wanted if len(wanted) > 1 else wanted[0], "level": prop(3)})
    checks.status_is(resp, 204)
    after = read_back(ngsild, entity["id"])
    checks.equal(
        "the entity's types after Replace Entity", sorted(member_set("entity", after, "type")), sorted(wanted)
    )
    if found_by(ngsild, entity["id"], {"type": types[1]}):
        checks.fail(f"a query by the replaced type {types[1]} still returns the entity")
    if not found_by(ngsild, entity["id"], {"type": new[0]}):
        checks.fail(f"a query by the new type {new[0]} does not return the entity")


# (operation, fragment): fragments whose type names only part of the entity's types
KEEPING = [
    pytest.param(op, {"type": "A", "level": prop(5)}, id=f"{op}-first-type")
    for op in ("update", "append", "merge", "batch-update", "batch-merge")
]
KEEPING += [
    pytest.param("update-jsonld", {"type": "A"}, id="update-jsonld-type-only"),
    pytest.param("merge-jsonld", {"type": "A"}, id="merge-jsonld-type-only"),
    pytest.param("update", {"type": "N", "level": prop(5)}, id="update-new-type"),
    pytest.param("update", {"type": "A"}, id="update-type-only"),
    pytest.param("merge", {"type": "A"}, id="merge-type-only"),
]


@requirement(
    "MIM1-ENT-032",
    clause="4.16",
    level="MUST",
    title="A fragment that names only some types (Update, Append, Merge, batch update and merge) is "
    "accepted and removes none of the entity's types",
)
@pytest.mark.parametrize(("operation", "fragment"), KEEPING)
def test_partial_types_keep(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, operation: str, fragment: dict[str, Any]
) -> None:
    types, entity = _typed(run_ids)
    made(ngsild, entity)
    names = {"A": types[0], "N": run_type(run_ids, "MimMultiN")}
    sent = {**fragment, "type": names[fragment["type"]]}
    resp = apply_fragment(ngsild, operation, entity["id"], sent)
    succeeded(resp, operation)
    after = read_back(ngsild, entity["id"])
    got = member_set("entity", after, "type")
    missing = set(types) - got
    if missing:
        checks.fail(f"{operation} with type {sent['type']} removed the entity's types {sorted(missing)}")
    extra = got - set(types)
    if extra - {sent["type"]}:
        checks.fail(f"{operation}: the entity gained types it was never given: {sorted(extra)}")
    if "level" in fragment:
        checks.same_value("the attribute sent with the type", after.get("level"), prop(5))
    if sent["type"] not in types:
        case_evidence.note(f"Update Entity Attributes with a new type: {'added' if extra else 'ignored'}")
