"""MIM2 data models: Smart Data Models entities exchanged over MIM1 (ETSI GS CIM 009).

Every scenario is parametrised over the models of the registry (conformance/sdm_registry.py: the
18 bundled models of 11 subjects, plus the models added with `mimcheck models add` or named by the
profile's [mim2] models_path; see the sdm_models marker in conftest.py); a case is NOT_APPLICABLE
unless the target declares the capability of the model's subject. The bundled payloads are
fixtures/models/<Model>/normalized.json (derived from the official examples, see
fixtures/models/README.md), an added model's its normalized.json; schemas and @contexts are
unmodified copies, resolved offline. Expected names and IRIs come from the pyld oracle with the very contexts a case used."""

from __future__ import annotations

import pytest

from conformance import checks, sdm
from conformance.mim2.support import attribute_names, created_entity, schema_name
from conformance.ngsild.api import API_ROOT, NgsiLd, link_header
from conformance.ngsild.context_server import ContextServer
from conformance.ngsild.jsonld import Oracle
from conformance.requirements import requirement
from conformance.run_ids import RunIds
from conformance.sdm_registry import Models


@requirement(
    "MIM2-SDM-001",
    clause="<Model>/schema.json at its $schemaVersion (keyValues representation)",
    level="MUST",
    title="The keyValues form of a Smart Data Models entity returned by the target validates against "
    "the model's schema and equals what was sent",
)
@pytest.mark.sdm_models("all")
def test_key_values_validate_and_round_trip(
    ngsild: NgsiLd, sdm_models: Models, run_ids: RunIds, model: str
) -> None:
    entity = created_entity(ngsild, sdm_models, model, run_ids)
    resp = ngsild.get_entity(entity["id"], params={"options": "keyValues"})
    checks.status_is(resp, 200)
    key_values = checks.json_object(resp)
    errors = sdm_models.validation_errors(model, key_values)
    if errors:
        checks.fail(
            f"the keyValues {model} returned by the target breaks the {schema_name(sdm_models, model)}: {errors}"
        )
    checks.equal(
        f"{model} keyValues form (array order aside)",
        sdm.canonical(key_values),
        sdm.canonical(sdm.to_key_values(entity)),
    )


@requirement(
    "MIM2-SDM-002",
    clause="<Model>/schema.json at its $schemaVersion (normalized form reduced to keyValues)",
    level="MUST",
    title="The normalized form of a Smart Data Models entity returned by the target, simplified, "
    "validates against the model's schema and carries the values sent",
)
@pytest.mark.sdm_models("all")
def test_normalized_validates(ngsild: NgsiLd, sdm_models: Models, run_ids: RunIds, model: str) -> None:
    entity = created_entity(ngsild, sdm_models, model, run_ids)
    resp = ngsild.get_entity(entity["id"])
    checks.status_is(resp, 200)
    simplified = sdm.to_key_values(checks.json_object(resp))
    errors = sdm_models.validation_errors(model, simplified)
    if errors:
        checks.fail(
            f"the normalized {model} returned by the target, simplified, breaks the {schema_name(sdm_models, model)}: {errors}"
        )
    checks.equal(
        f"{model} normalized form, simplified (array order aside)",
        sdm.canonical(simplified),
        sdm.canonical(sdm.to_key_values(entity)),
    )


@requirement(
    "MIM2-SDM-003",
    clause="dataModel.<Subject>/context.jsonld; ETSI GS CIM 009 V1.8.1 clause 6.3.5",
    level="MUST",
    title="An entity created with its model's @context comes back with the same @context compacted to "
    "the model's terms, which expand to the model's IRIs",
)
@pytest.mark.sdm_models("all")
def test_model_context_compaction(
    ngsild: NgsiLd,
    sdm_models: Models,
    run_ids: RunIds,
    sdm_contexts: ContextServer,
    sdm_oracle: Oracle,
    model: str,
) -> None:
    ctx = sdm_contexts.url(sdm_models[model].context_name)
    entity = created_entity(ngsild, sdm_models, model, run_ids, context=ctx)
    resp = ngsild.get_entity(entity["id"], context=ctx)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    iris = {name: sdm_oracle.expand_term(name, ctx) for name in attribute_names(entity)}
    type_iri = sdm_oracle.expand_type(model, ctx)
    checks.equal(
        f"{model} type compacted with the model's @context",
        body.get("type"),
        sdm_oracle.compact_type(type_iri, ctx),
    )
    checks.equal(
        f"{model} attribute names compacted with the model's @context",
        attribute_names(body),
        sorted(sdm_oracle.compact_iri(iri, ctx) for iri in iris.values()),
    )
    expanded = sdm_oracle.expand({k: v for k, v in body.items() if k != "@context"}, ctx)
    checks.equal(
        f"{model} attribute IRIs of the response expanded with the model's @context",
        sorted(sdm_oracle.attribute_iris(expanded)),
        sorted(iris.values()),
    )
    checks.equal(
        f"{model} type IRI of the response expanded with the model's @context",
        expanded[0].get("@type") if expanded else None,
        [type_iri],
    )


@requirement(
    "MIM2-SDM-004",
    clause="dataModel.<Subject>/context.jsonld; ETSI GS CIM 009 V1.8.1 clause 6.3.5",
    level="MUST",
    title="An entity created with its model's @context, retrieved with the core @context only, names its "
    "type and attributes by the full IRIs of the model's vocabulary",
)
@pytest.mark.sdm_models("all")
def test_core_context_gives_model_iris(
    ngsild: NgsiLd,
    sdm_models: Models,
    run_ids: RunIds,
    sdm_contexts: ContextServer,
    sdm_oracle: Oracle,
    model: str,
) -> None:
    ctx = sdm_contexts.url(sdm_models[model].context_name)
    entity = created_entity(ngsild, sdm_models, model, run_ids, context=ctx)
    resp = ngsild.get_entity(entity["id"])
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal(
        f"{model} type compacted with the core @context only",
        body.get("type"),
        sdm_oracle.compact_type(sdm_oracle.expand_type(model, ctx), None),
    )
    checks.equal(
        f"{model} attribute names compacted with the core @context only",
        attribute_names(body),
        sorted(sdm_oracle.compact_iri(sdm_oracle.expand_term(a, ctx), None) for a in attribute_names(entity)),
    )


@requirement(
    "MIM2-SDM-005",
    clause="<Model> normalized NGSI-LD representation (examples/example-normalized.jsonld): Relationship",
    level="MUST",
    title="The Relationship attributes of a Smart Data Models entity stay Relationships with the objects sent",
)
@pytest.mark.sdm_models("with_relationships")
def test_relationships_stay_relationships(
    ngsild: NgsiLd, sdm_models: Models, run_ids: RunIds, model: str
) -> None:
    entity = created_entity(ngsild, sdm_models, model, run_ids)
    resp = ngsild.get_entity(entity["id"])
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    for name, target in sdm.relationships(entity).items():
        attribute = checks.member(f"{model} normalized form", body, name, kind=dict)
        if not isinstance(attribute, dict):
            checks.fail(f"{model} {name}: expected a Relationship object, got {attribute!r}")
        checks.equal(f"{model} {name} 'type'", attribute.get("type"), "Relationship")
        checks.equal(
            f"{model} {name} 'object' (array order aside)",
            sdm.canonical(checks.member(f"{model} {name}", attribute, "object")),
            sdm.canonical(target),
        )


@requirement(
    "MIM2-SDM-006",
    clause="common-schema.json Location-Commons (GeoJSON geometry, RFC 7946 clause 3.1)",
    level="MUST",
    title="The location of a Smart Data Models entity stays a GeoProperty whose value is the valid "
    "GeoJSON geometry sent",
)
@pytest.mark.sdm_models("with_location")
def test_location_stays_geojson(ngsild: NgsiLd, sdm_models: Models, run_ids: RunIds, model: str) -> None:
    entity = created_entity(ngsild, sdm_models, model, run_ids)
    resp = ngsild.get_entity(entity["id"])
    checks.status_is(resp, 200)
    location = checks.member(f"{model} normalized form", checks.json_object(resp), "location", kind=dict)
    if not isinstance(location, dict):
        checks.fail(f"{model} location: expected a GeoProperty object, got {location!r}")
    checks.equal(f"{model} location 'type'", location.get("type"), "GeoProperty")
    value = checks.member(f"{model} location", location, "value")
    checks.geojson_geometry(f"{model} location value", value)
    checks.equal(f"{model} location geometry", value, entity["location"]["value"])


QUERIES = ["term-with-model-context", "iri-without-context", "term-without-context-excludes"]


@requirement(
    "MIM2-SDM-007",
    clause="<Model>/schema.json type, expanded with dataModel.<Subject>/context.jsonld; "
    "ETSI GS CIM 009 V1.8.1 clause 5.7.2",
    level="MUST",
    title="A query by a Smart Data Models type finds the entity under the model's type IRI, and only there",
)
@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.sdm_models("all")
def test_query_by_model_type(
    ngsild: NgsiLd,
    sdm_models: Models,
    run_ids: RunIds,
    sdm_contexts: ContextServer,
    sdm_oracle: Oracle,
    model: str,
    query: str,
) -> None:
    ctx = sdm_contexts.url(sdm_models[model].context_name)
    entity = created_entity(ngsild, sdm_models, model, run_ids, context=ctx)
    headers: dict[str, str] = {}
    if query == "term-with-model-context":
        type_name = model
        headers["Link"] = link_header(ctx)
    elif query == "iri-without-context":
        type_name = sdm_oracle.expand_type(model, ctx)
    else:
        type_name = model  # expands with the core @context only: another IRI than the model's
    resp = ngsild.request(
        "GET", f"{API_ROOT}/entities", params={"type": type_name, "id": entity["id"]}, headers=headers
    )
    checks.status_is(resp, 200)
    found = checks.json_array(resp)
    what = f"GET /entities?type={type_name}&id={entity['id']}"
    if query == "term-without-context-excludes":
        checks.lacks_ids(
            f"{what} (core @context only: {type_name} is not the model's type)", found, {entity["id"]}
        )
        return
    checks.contains_ids(what, found, {entity["id"]})
    match = next(e for e in found if isinstance(e, dict) and e.get("id") == entity["id"])
    expected_type = sdm_oracle.compact_type(sdm_oracle.expand_type(model, ctx), ctx if headers else None)
    checks.equal(f"{what}: the entity's type", match.get("type"), expected_type)
