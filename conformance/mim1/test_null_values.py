"""MIM1 NGSI-LD Null: deleting attributes and attribute instances by partial update and merge
(ETSI GS CIM 009 V1.8.1 clauses 5.2.1, 5.5.8, 5.5.12, 5.6.2, 5.6.3, 5.6.4, 5.6.17).

Clause 5.2.1: the NGSI-LD Null is the URI ``urn:ngsi-ld:null`` as a Property value or a Relationship
object, and the languageMap ``{"@none": "urn:ngsi-ld:null"}`` of a LanguageProperty; it removes its
target in a partial update (5.5.8) or a merge (5.5.12), and anywhere else it is BadRequestData.
MIM1-ENT-024 covers the bare Null and the normalized Property/Relationship Null in a merge; these
scenarios cover the other attribute kinds and forms, the other operations and the datasetId."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
from conformance.ngsild.api import API_ROOT, JSON, JSONLD, NgsiLdOps, as_sent, made
from conformance.ngsild.payloads import geo, lang_prop, point, probe, prop, rel
from conformance.requirements import requirement
from conformance.run_ids import RunIds

NULL = "urn:ngsi-ld:null"
DS_A = "urn:ngsi-ld:Dataset:mimcheck-nv-a"
DS_B = "urn:ngsi-ld:Dataset:mimcheck-nv-b"
CONTENT_TYPES = [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")]

# attribute kind -> (its name in the probe entity, its value there, its Null normalized, its Null concise)
KINDS: dict[str, tuple[str, Any, dict[str, Any], Any]] = {
    "property": ("nvReading", prop(17.5), prop(NULL), NULL),
    "relationship": (
        "nvOwner",
        rel("urn:ngsi-ld:Person:mimcheck-nv"),
        {"type": "Relationship", "object": NULL},
        {"object": NULL},
    ),
    "language": (
        "nvCaption",
        lang_prop({"en": "Main Square", "nl": "Grote Markt"}),
        {"type": "LanguageProperty", "languageMap": {"@none": NULL}},
        {"languageMap": {"@none": NULL}},
    ),
    "geo": ("nvArea", geo(point(4.35, 50.85)), {"type": "GeoProperty", "value": NULL}, None),
}


def _attrs(name: str, value: Any) -> dict[str, Any]:
    return {name: value}


def _kinds_and_forms(*kinds: str) -> list[Any]:
    cases = []
    for kind in kinds:
        cases.append(pytest.param(kind, "normalized", id=f"{kind}-normalized"))
        if KINDS[kind][3] is not None:
            cases.append(pytest.param(kind, "concise", id=f"{kind}-concise"))
    return cases


def _null(kind: str, form: str) -> Any:
    return KINDS[kind][2] if form == "normalized" else KINDS[kind][3]


def _entity(ngsild: NgsiLdOps, run_ids: RunIds) -> dict[str, Any]:
    return made(ngsild, probe(run_ids, **{name: value for name, value, _, _ in KINDS.values()}))


def _body(ngsild: NgsiLdOps, entity_id: str) -> dict[str, Any]:
    resp = ngsild.retrieve(entity_id)
    checks.status_is(resp, 200)
    return checks.json_object(resp)


def _deleted(ngsild: NgsiLdOps, entity_id: str, name: str) -> None:
    body = _body(ngsild, entity_id)
    checks.absent(f"entity after setting {name} to the NGSI-LD Null", body, name)
    for kept, _, _, _ in KINDS.values():
        if kept != name:
            checks.member(
                f"entity after setting {name} to the NGSI-LD Null (other attributes kept)", body, kept
            )
    checks.member("entity after the NGSI-LD Null (other attributes kept)", body, "speed")


VIAS = [pytest.param("single", id="merge-entity"), pytest.param("batch", id="batch-merge")]


def _merge(
    ngsild: NgsiLdOps, entity: dict[str, Any], fragment: dict[str, Any], via: str, content_type: str = JSON
) -> None:
    """Merge Entity (PATCH /entities/{id}) or Batch Entity Merge (POST /entityOperations/merge, one
    entity): both merge as clause 5.5.12 says; both answer 204 when everything succeeded."""
    if via == "single":
        resp = ngsild.merge(entity["id"], as_sent(fragment, content_type), content_type=content_type)
    else:
        item = as_sent({"id": entity["id"], "type": entity["type"], **fragment}, content_type)
        resp = ngsild.send("POST", f"{API_ROOT}/entityOperations/merge", [item], content_type=content_type)
    checks.status_is(resp, 204)


@requirement(
    "MIM1-ATTR-026",
    clause="5.5.12",
    level="MUST",
    title="Merge Entity (single or batch) with a LanguageProperty, Relationship or GeoProperty set to its "
    "NGSI-LD Null (normalized or concise) deletes that attribute",
)
@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize(
    ("kind", "form"),
    [
        pytest.param("language", "normalized", id="language-normalized"),
        pytest.param("language", "concise", id="language-concise"),
        pytest.param("relationship", "concise", id="relationship-concise"),
        pytest.param("geo", "normalized", id="geo-normalized"),
    ],
)
def test_merge_null_kinds(
    ngsild: NgsiLdOps, run_ids: RunIds, kind: str, form: str, content_type: str, via: str
) -> None:
    entity = _entity(ngsild, run_ids)
    name = KINDS[kind][0]
    _merge(ngsild, entity, {name: _null(kind, form)}, via, content_type)
    _deleted(ngsild, entity["id"], name)


@requirement(
    "MIM1-ATTR-027",
    clause="5.5.8",
    level="MUST",
    title="Update Entity Attributes (PATCH .../attrs) with an attribute set to its NGSI-LD Null deletes "
    "that attribute, for every attribute kind and form",
)
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize(("kind", "form"), _kinds_and_forms("property", "relationship", "language", "geo"))
def test_update_attrs_null(
    ngsild: NgsiLdOps, run_ids: RunIds, kind: str, form: str, content_type: str
) -> None:
    entity = _entity(ngsild, run_ids)
    name = KINDS[kind][0]
    resp = ngsild.update_attrs(
        entity["id"], as_sent({name: _null(kind, form)}, content_type), content_type=content_type
    )
    checks.status_is(resp, 204)
    _deleted(ngsild, entity["id"], name)


def _fragment_null(kind: str, form: str) -> dict[str, Any]:
    """The Null as the body of Partial Attribute Update: an attribute fragment (a bare value is no
    fragment, so the concise Property Null is {"value": Null})."""
    null = _null(kind, form)
    return null if isinstance(null, dict) else {"value": null}


@requirement(
    "MIM1-ATTR-028",
    clause="5.6.4",
    level="MUST",
    title="Partial Attribute Update (PATCH .../attrs/{attrId}) with the attribute's NGSI-LD Null deletes "
    "that attribute, for every attribute kind and form",
)
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize(("kind", "form"), _kinds_and_forms("property", "relationship", "language", "geo"))
def test_partial_update_null(
    ngsild: NgsiLdOps, run_ids: RunIds, kind: str, form: str, content_type: str
) -> None:
    entity = _entity(ngsild, run_ids)
    name = KINDS[kind][0]
    body = as_sent(_fragment_null(kind, form), content_type)
    resp = ngsild.partial_update(entity["id"], name, body, content_type=content_type)
    checks.status_is(resp, 204)
    _deleted(ngsild, entity["id"], name)


# -- instances with a datasetId ------------------------------------------------------------------

# kind -> (a default instance, an instance of DS_A and one of DS_B, the Null of one instance)
MULTI: dict[str, tuple[Any, Any, Any, dict[str, Any]]] = {
    "property": (prop(1), prop(2, datasetId=DS_A), prop(3, datasetId=DS_B), prop(NULL)),
    "relationship": (
        rel("urn:ngsi-ld:Person:mimcheck-nv-0"),
        rel("urn:ngsi-ld:Person:mimcheck-nv-a", datasetId=DS_A),
        rel("urn:ngsi-ld:Person:mimcheck-nv-b", datasetId=DS_B),
        {"type": "Relationship", "object": NULL},
    ),
    "language": (
        lang_prop({"en": "zero"}),
        lang_prop({"en": "a"}, datasetId=DS_A),
        lang_prop({"en": "b"}, datasetId=DS_B),
        {"type": "LanguageProperty", "languageMap": {"@none": NULL}},
    ),
}
MULTI_NAME = "nvLevel"


def _multi_entity(ngsild: NgsiLdOps, run_ids: RunIds, kind: str) -> dict[str, Any]:
    default, first, second, _ = MULTI[kind]
    return made(ngsild, probe(run_ids, **_attrs(MULTI_NAME, [default, first, second])))


def _dataset_ids(ngsild: NgsiLdOps, entity_id: str) -> list[str | None]:
    body = _body(ngsild, entity_id)
    attribute = checks.member("entity after deleting one instance", body, MULTI_NAME)
    return sorted(
        (i.get("datasetId") for i in checks.instances(MULTI_NAME, attribute)), key=lambda d: d or ""
    )


def _only_ds_a_deleted(ngsild: NgsiLdOps, entity_id: str) -> None:
    checks.equal(
        f"datasetIds of {MULTI_NAME} after the Null on the {DS_A} instance",
        _dataset_ids(ngsild, entity_id),
        [None, DS_B],
    )


@requirement(
    "MIM1-ATTR-029",
    clause="5.5.12",
    level="MUST",
    title="Merge Entity (single or batch) with an instance set to the NGSI-LD Null and a datasetId deletes "
    "only that instance; the default instance and the other datasetIds are kept",
)
@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("shape", ["object", "array"])
@pytest.mark.parametrize("kind", list(MULTI))
def test_merge_null_dataset_instance(
    ngsild: NgsiLdOps, run_ids: RunIds, kind: str, shape: str, via: str
) -> None:
    entity = _multi_entity(ngsild, run_ids, kind)
    null = {**MULTI[kind][3], "datasetId": DS_A}
    _merge(ngsild, entity, {MULTI_NAME: null if shape == "object" else [null]}, via)
    _only_ds_a_deleted(ngsild, entity["id"])


@requirement(
    "MIM1-ATTR-030",
    clause="5.5.8",
    level="MUST",
    title="Update Entity Attributes and Partial Attribute Update with the NGSI-LD Null and a datasetId "
    "delete only that instance",
)
@pytest.mark.parametrize("operation", ["update-attrs", "partial-update"])
@pytest.mark.parametrize("kind", list(MULTI))
def test_update_null_dataset_instance(ngsild: NgsiLdOps, run_ids: RunIds, kind: str, operation: str) -> None:
    entity = _multi_entity(ngsild, run_ids, kind)
    null = {**MULTI[kind][3], "datasetId": DS_A}
    if operation == "update-attrs":
        resp = ngsild.update_attrs(entity["id"], {MULTI_NAME: null})
    else:
        resp = ngsild.partial_update(entity["id"], MULTI_NAME, null)
    checks.status_is(resp, 204)
    _only_ds_a_deleted(ngsild, entity["id"])


@requirement(
    "MIM1-ATTR-031",
    clause="5.5.12",
    level="MUST",
    title="Merge Entity with the NGSI-LD Null on the default instance of a multi-instance attribute "
    "never leaves the Null stored (default instance or whole attribute deleted)",
)
@pytest.mark.parametrize("form", ["normalized", "bare"])
@pytest.mark.parametrize("kind", list(MULTI))
def test_merge_null_default_instance(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, kind: str, form: str
) -> None:
    entity = _multi_entity(ngsild, run_ids, kind)
    resp = ngsild.merge(entity["id"], {MULTI_NAME: MULTI[kind][3] if form == "normalized" else NULL})
    checks.status_is(resp, 204)
    body = _body(ngsild, entity["id"])
    if MULTI_NAME not in body:
        case_evidence.note("the Null without a datasetId deleted the whole attribute (every instance)")
        return
    ids = [i.get("datasetId") for i in checks.instances(MULTI_NAME, body[MULTI_NAME])]
    checks.equal(f"datasetIds of {MULTI_NAME} left", sorted(ids, key=lambda d: d or ""), [DS_A, DS_B])
    case_evidence.note("the Null without a datasetId deleted the default instance only")


# -- the NGSI-LD Null outside a partial update or merge ------------------------------------------


@requirement(
    "MIM1-ATTR-032",
    clause="5.2.1",
    level="MUST",
    title="Create Entity, Append Entity Attributes, Replace Entity or Replace Attribute with an attribute set "
    "to the NGSI-LD Null never stores the Null as a value (400 BadRequestData, or the attribute is left out)",
)
@pytest.mark.parametrize(("kind", "form"), _kinds_and_forms("property", "relationship", "language"))
@pytest.mark.parametrize("operation", ["create", "append", "replace-entity", "replace-attribute"])
def test_null_outside_update(
    ngsild: NgsiLdOps, run_ids: RunIds, case_evidence: CaseEvidence, operation: str, kind: str, form: str
) -> None:
    name, value, _, _ = KINDS[kind]
    null = _null(kind, form)
    if operation == "create":
        entity = probe(run_ids, **_attrs(name, null))
        resp = ngsild.create(entity)
    else:
        entity = made(ngsild, probe(run_ids, **_attrs(name, value)))
        if operation == "append":
            resp = ngsild.append_attrs(entity["id"], {name: null})
        elif operation == "replace-entity":
            resp = ngsild.replace(entity["id"], {"type": entity["type"], "speed": prop(1.5), name: null})
        else:
            resp = ngsild.replace_attr(entity["id"], name, _fragment_null(kind, form))
    if resp.status_code == 400:
        checks.ngsild_problem(resp, 400, "BadRequestData")
        case_evidence.note("the NGSI-LD Null was refused with 400 BadRequestData (clause 5.2.1)")
        if operation != "create":
            checks.member(f"entity after the refused {operation}", _body(ngsild, entity["id"]), name)
        return
    checks.status_is(resp, *((201,) if operation == "create" else (204, 207)), 400)
    checks.absent(
        f"entity after {operation} with {name} set to the NGSI-LD Null", _body(ngsild, entity["id"]), name
    )
    case_evidence.note(f"the NGSI-LD Null was accepted by {operation} and the attribute left out")
