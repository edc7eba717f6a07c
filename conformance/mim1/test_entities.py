"""MIM1 entity operations: create, retrieve, delete (ETSI GS CIM 009 clauses 5.6, 5.7, 6.4, 6.5)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.ngsild.api import CORE_CONTEXT, JSON, JSONLD, NgsiLd, entity_path
from conformance.ngsild.payloads import sensor
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
    clause="5.6.1",
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
        attr = checks.member(f"attribute {name}", body, name)
        checks.equal(f"{name}.type", attr.get("type"), "Property")
        checks.equal(f"{name}.value", attr.get("value"), entity[name]["value"])
    checks.equal("temperature.unitCode", body["temperature"].get("unitCode"), "CEL")
    relation = checks.member("attribute isPartOf", body, "isPartOf")
    checks.equal("isPartOf.type", relation.get("type"), "Relationship")
    checks.equal("isPartOf.object", relation.get("object"), entity["isPartOf"]["object"])
    location = checks.member("attribute location", body, "location")
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
    title="Retrieving an entity that does not exist answers 404 with ProblemDetails ResourceNotFound",
)
@pytest.mark.parametrize("operation", ["retrieve", "delete"])
def test_missing_entity_is_resource_not_found(ngsild: NgsiLd, run_ids: RunIds, operation: str) -> None:
    missing = run_ids.entity_id("MimcheckSensor")
    resp = ngsild.get_entity(missing) if operation == "retrieve" else ngsild.delete_entity(missing)
    checks.ngsild_problem(resp, 404, "ResourceNotFound")
