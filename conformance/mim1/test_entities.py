"""MIM1 entity operations: create, retrieve, delete (ETSI GS CIM 009 clauses 5.6, 5.7, 6.4, 6.5)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim1.entity_forms import BOTH_FORMS, bad_create, send_form
from conformance.ngsild.api import CORE_CONTEXT, JSON, JSONLD, NgsiLd, NgsiLdOps, entity_path, made
from conformance.ngsild.payloads import point, probe, prop, rel, sensor
from conformance.outcomes import precondition
from conformance.requirements import requirement
from conformance.run_ids import RunIds

# Two ways to send an entity with the core context: plain JSON (context implied), or JSON-LD with
# the @context in the body.
CREATE_FORMS = [
    pytest.param(JSON, id="json"),
    pytest.param(JSONLD, id="jsonld"),
]


def _as_sent(entity: dict[str, Any], content_type: str) -> dict[str, Any]:
    if content_type == JSONLD:
        return {**entity, "@context": CORE_CONTEXT}
    return entity


def _created(ngsild: NgsiLd, entity: dict[str, Any]) -> None:
    resp = ngsild.create_entity(entity)
    precondition(resp.status_code in (200, 201, 204), f"creating {entity['id']} answered {resp.status_code}")


@requirement(
    "MIM1-ENT-001",
    clause="5.6.1, 6.4",
    level="MUST",
    title="Create Entity answers 201 Created with a Location header naming the new entity",
)
@pytest.mark.parametrize("content_type", CREATE_FORMS)
def test_create_answers_201_with_location(ngsild: NgsiLd, run_ids: RunIds, content_type: str) -> None:
    entity = sensor(run_ids)
    resp = ngsild.create_entity(_as_sent(entity, content_type), content_type=content_type)
    checks.status_is(resp, 201)
    location = checks.header(resp, "Location")
    if not location.rstrip("/").endswith(entity_path(entity["id"])) and not location.endswith(entity["id"]):
        checks.fail(f"Location {location!r} does not name the created entity {entity['id']}")


@requirement(
    "MIM1-ENT-002",
    clause="5.6.1",
    level="MUST",
    title="Creating an entity whose id already exists answers 409 AlreadyExists",
)
def test_create_existing_answers_409(ngsild: NgsiLd, run_ids: RunIds) -> None:
    entity = sensor(run_ids)
    _created(ngsild, entity)
    resp = ngsild.create_entity(entity)
    checks.ngsild_problem(resp, 409, "AlreadyExists")


@requirement(
    "MIM1-ENT-003",
    clause="5.7.1",
    level="MUST",
    title="Retrieve Entity returns the entity as created, in normalized form by default",
)
@pytest.mark.parametrize("accept", [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")])
def test_retrieve_returns_normalized(ngsild: NgsiLd, run_ids: RunIds, accept: str) -> None:
    entity = sensor(run_ids)
    _created(ngsild, entity)
    resp = ngsild.get_entity(entity["id"], accept=accept)
    checks.status_is(resp, 200)
    checks.content_type_is(resp, accept)
    body = checks.json_object(resp)
    checks.equal("id", body.get("id"), entity["id"])
    checks.equal("type", body.get("type"), entity["type"])
    for name in ("temperature", "condition"):
        attr = checks.member(f"attribute {name}", body, name, kind=dict)
        checks.equal(f"{name}.type", attr.get("type"), "Property")
        checks.equal(f"{name}.value", attr.get("value"), entity[name]["value"])
    checks.equal("temperature.unitCode", body["temperature"].get("unitCode"), "CEL")
    relation = checks.member("attribute isPartOf", body, "isPartOf", kind=dict)
    checks.equal("isPartOf.type", relation.get("type"), "Relationship")
    checks.equal("isPartOf.object", relation.get("object"), entity["isPartOf"]["object"])
    location = checks.member("attribute location", body, "location", kind=dict)
    checks.equal("location.type", location.get("type"), "GeoProperty")
    checks.equal("location.value", location.get("value"), entity["location"]["value"])
    if accept == JSONLD:
        checks.member("application/ld+json response", body, "@context")
    else:
        checks.absent("application/json response", body, "@context")


@requirement(
    "MIM1-ENT-004",
    clause="4.5.4",
    level="MUST",
    title="Retrieve Entity with options=keyValues returns the simplified (keyValues) form",
)
def test_retrieve_key_values(ngsild: NgsiLd, run_ids: RunIds) -> None:
    entity = sensor(run_ids)
    _created(ngsild, entity)
    resp = ngsild.get_entity(entity["id"], params={"options": "keyValues"})
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal("id", body.get("id"), entity["id"])
    checks.equal("type", body.get("type"), entity["type"])
    checks.equal("temperature", body.get("temperature"), 21.5)
    checks.equal("condition", body.get("condition"), "ok")
    checks.equal("isPartOf", body.get("isPartOf"), entity["isPartOf"]["object"])
    checks.equal("location", body.get("location"), entity["location"]["value"])


@requirement(
    "MIM1-ENT-005",
    clause="5.6.6",
    level="MUST",
    title="Delete Entity answers 204 and the entity is gone afterwards",
)
def test_delete_entity(ngsild: NgsiLd, run_ids: RunIds) -> None:
    entity = sensor(run_ids)
    _created(ngsild, entity)
    resp = ngsild.delete_entity(entity["id"])
    checks.status_is(resp, 204)
    after = ngsild.get_entity(entity["id"])
    checks.status_is(after, 404)


@requirement(
    "MIM1-ERR-001",
    clause="5.5.2",
    level="MUST",
    title="An operation on an entity that does not exist answers 404 with ProblemDetails ResourceNotFound",
)
@pytest.mark.parametrize("operation", ["retrieve", "delete", "replace"])
def test_missing_entity_is_resource_not_found(ngsild: NgsiLdOps, run_ids: RunIds, operation: str) -> None:
    missing = run_ids.entity_id("MimcheckSensor")
    if operation == "replace":  # PUT /entities/{entityId} (clause 5.6.18) on the same resource
        resp = ngsild.replace(
            missing, {"type": "MimcheckSensor", "condition": {"type": "Property", "value": "x"}}
        )
    else:
        resp = ngsild.get_entity(missing) if operation == "retrieve" else ngsild.delete_entity(missing)
    checks.ngsild_problem(resp, 404, "ResourceNotFound")


@requirement(
    "MIM1-ENT-022",
    clause="5.6.18, 6.5.3.3",
    level="MUST",
    title="Replace Entity (PUT) answers 204 and the entity then holds exactly the new attributes",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
def test_replace_entity(ngsild: NgsiLdOps, run_ids: RunIds, content_type: str) -> None:
    entity = made(ngsild, probe(run_ids))
    fragment = {"type": entity["type"], "mode": prop("eco"), "speed": prop(7.5, unitCode="KMH")}
    resp = ngsild.replace(entity["id"], send_form(fragment, content_type), content_type=content_type)
    checks.status_is(resp, 204)
    body = checks.json_object(ngsild.retrieve(entity["id"]))
    checks.equal("attributes after replace", sorted(set(body) - {"id", "type"}), ["mode", "speed"])
    checks.equal("mode.value", body["mode"].get("value"), "eco")
    checks.equal("speed.value", body["speed"].get("value"), 7.5)
    checks.absent("speed after replace", body["speed"], "observedAt")


@requirement(
    "MIM1-ENT-023",
    clause="5.6.17, 6.5.3.4",
    level="MUST",
    title="Merge Entity (PATCH) answers 204, adds new attributes, merges existing ones and keeps the others",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
def test_merge_entity(ngsild: NgsiLdOps, run_ids: RunIds, content_type: str) -> None:
    entity = made(ngsild, probe(run_ids))
    fragment = {"speed": {"type": "Property", "value": 50.0}, "mode": prop("eco")}
    resp = ngsild.merge(entity["id"], send_form(fragment, content_type), content_type=content_type)
    checks.status_is(resp, 204)
    body = checks.json_object(ngsild.retrieve(entity["id"]))
    checks.equal("speed.value after merge", body["speed"].get("value"), 50.0)
    checks.equal("speed.unitCode kept by merge", body["speed"].get("unitCode"), "KMH")
    checks.equal("mode.value", checks.member("entity", body, "mode").get("value"), "eco")
    checks.equal("status kept by merge", checks.member("entity", body, "status").get("value"), "running")
    checks.equal(
        "refSite kept by merge",
        checks.member("entity", body, "refSite").get("object"),
        entity["refSite"]["object"],
    )


@requirement(
    "MIM1-ENT-024",
    clause="5.5.12",
    level="MUST",
    title="Merge Entity with an attribute set to the NGSI-LD Null (urn:ngsi-ld:null) deletes that attribute",
)
@pytest.mark.parametrize(
    ("attr", "null"),
    [
        # the concise form (a bare NGSI-LD Null), and the normalized forms the ETSI tests use
        pytest.param("status", "urn:ngsi-ld:null", id="status"),
        pytest.param("refSite", "urn:ngsi-ld:null", id="refSite"),
        pytest.param("status", {"type": "Property", "value": "urn:ngsi-ld:null"}, id="status-property"),
        pytest.param(
            "refSite", {"type": "Relationship", "object": "urn:ngsi-ld:null"}, id="refSite-relationship"
        ),
    ],
)
def test_merge_null_deletes(ngsild: NgsiLdOps, run_ids: RunIds, attr: str, null: Any) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.merge(entity["id"], {attr: null})
    checks.status_is(resp, 204)
    body = checks.json_object(ngsild.retrieve(entity["id"]))
    checks.absent("entity after merging null", body, attr)
    checks.member("entity after merging null", body, "speed")


@requirement(
    "MIM1-ENT-025",
    clause="4.6.1",
    level="MUST",
    title="Text encoded in UTF-8 is stored and returned unaltered",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize("text", ["žltý kôň — 100 €", "東京タワー", "Ærøskøbing ñ 🚲"])
def test_utf8_round_trip(ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, text: str) -> None:
    entity = probe(run_ids, status=prop(text))
    made(ngsild, send_form(entity, content_type), content_type=content_type)
    resp = ngsild.retrieve(entity["id"], params={"attrs": "status"})
    checks.status_is(resp, 200)
    if "\ufffd" in resp.content.decode("utf-8", errors="replace"):
        checks.fail("the response is not valid UTF-8 (replacement characters found)")
    checks.equal("status.value", checks.json_object(resp)["status"].get("value"), text)


@requirement(
    "MIM1-ENT-026",
    clause="4.6.2",
    level="SHOULD",
    title="An entity type or attribute name with characters outside the allowed set answers 400 BadRequestData",
)
@pytest.mark.parametrize("where", ["attribute-space", "attribute-angle", "type-angle", "type-quote"])
def test_invalid_names(ngsild: NgsiLdOps, run_ids: RunIds, where: str) -> None:
    entity = probe(run_ids)
    if where == "attribute-space":
        entity["bad name"] = prop(1)
    elif where == "attribute-angle":
        entity["bad<name>"] = prop(1)
    elif where == "type-angle":
        entity["type"] = "Bad<Type>"
    else:
        entity["type"] = 'Bad"Type'
    bad_create(ngsild, entity, JSON)


@requirement(
    "MIM1-ENT-027",
    clause="4.5.1",
    level="MUST",
    title="Retrieve Entity returns every attribute type as created (Property, Relationship, GeoProperty)",
)
@pytest.mark.parametrize(
    "sample",
    [
        "property-number",
        "property-string",
        "property-boolean",
        "property-object",
        "property-array",
        "relationship",
        "geo-point",
        "geo-linestring",
        "geo-polygon",
    ],
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
def test_attribute_types_round_trip(
    ngsild: NgsiLdOps, run_ids: RunIds, sample: str, content_type: str
) -> None:
    from conformance.ngsild.payloads import ATTRIBUTE_SAMPLES

    kind, member, build, _ = ATTRIBUTE_SAMPLES[sample]
    attr = build(run_ids)
    entity = probe(run_ids, sample=attr)
    made(ngsild, send_form(entity, content_type), content_type=content_type)
    resp = ngsild.retrieve(entity["id"], params={"attrs": "sample"})
    checks.status_is(resp, 200)
    got = checks.member("attribute sample", checks.json_object(resp), "sample", kind=dict)
    checks.equal("sample.type", got.get("type"), kind)
    checks.equal(f"sample.{member}", got.get(member), attr[member])


__all__ = ["point", "rel", "CORE_CONTEXT"]
