"""MIM1 entity operations: create, retrieve, delete (ETSI GS CIM 009 clauses 5.6, 5.7, 6.4, 6.5)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.case_outcome import CaseEvidence
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


# ---------------------------------------------------------------------------------------------
# Breadth: invalid content, representations, projections, replace and merge.

from conformance.ngsild.api import GEOJSON, NgsiLdOps, made, with_context  # noqa: E402
from conformance.ngsild.payloads import OBSERVED_AT, geo, lang_prop, point, probe, prop, rel  # noqa: E402

BOTH_FORMS = [pytest.param(JSON, id="json"), pytest.param(JSONLD, id="jsonld")]


def _send_form(entity: dict[str, Any], content_type: str) -> dict[str, Any]:
    return with_context(entity, None) if content_type == JSONLD else entity


def _bad_create(ngsild: NgsiLdOps, entity: dict[str, Any], content_type: str) -> None:
    resp = ngsild.create(_send_form(entity, content_type), content_type=content_type)
    checks.ngsild_problem(resp, 400, "BadRequestData")


# Clause 5.6.1 makes id and type mandatory without naming the error a missing or invalid one raises.
# Error types (clause 5.5.2): BadRequestData "input data which does not meet the requirements of the
# operation", InvalidRequest "syntactically invalid or includes wrong content"; the ETSI test suite
# expects InvalidRequest for an entity without id or type. Either is accepted, the evidence says which.
INVALID_ENTITY_ERRORS = ("BadRequestData", "InvalidRequest")


def _refused_create(
    ngsild: NgsiLdOps, entity: dict[str, Any], content_type: str, case_evidence: CaseEvidence
) -> None:
    resp = ngsild.create(_send_form(entity, content_type), content_type=content_type)
    error = checks.ngsild_problem_one_of(resp, 400, *INVALID_ENTITY_ERRORS)
    case_evidence.note(f"Create Entity refused with 400 {error} (BadRequestData or InvalidRequest accepted)")


@requirement(
    "MIM1-ENT-006",
    clause="5.6.1",
    level="MUST",
    title="Create Entity without an id, or with an id that is not a URI, answers 400 "
    "(BadRequestData or InvalidRequest)",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize("shape", ["missing", "not-a-uri", "blank"])
def test_create_invalid_id(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, shape: str, case_evidence: CaseEvidence
) -> None:
    entity = probe(run_ids)
    if shape == "missing":
        del entity["id"]
    else:
        entity["id"] = {"not-a-uri": "not a uri " + run_ids.next(), "blank": ""}[shape]
    _refused_create(ngsild, entity, content_type, case_evidence)


@requirement(
    "MIM1-ENT-007",
    clause="5.6.1",
    level="MUST",
    title="Create Entity without a type answers 400 (BadRequestData or InvalidRequest)",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
def test_create_without_type(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, case_evidence: CaseEvidence
) -> None:
    entity = probe(run_ids)
    del entity["type"]
    _refused_create(ngsild, entity, content_type, case_evidence)


@requirement(
    "MIM1-ENT-008",
    clause="5.2.5",
    level="MUST",
    title="Create Entity with a Property that has no value answers 400 BadRequestData",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize("shape", ["no-value", "null-value"])
def test_create_property_without_value(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, shape: str
) -> None:
    attr: dict[str, Any] = (
        {"type": "Property"} if shape == "no-value" else {"type": "Property", "value": None}
    )
    _bad_create(ngsild, probe(run_ids, status=attr), content_type)


@requirement(
    "MIM1-ENT-009",
    clause="5.2.6",
    level="MUST",
    title="Create Entity with a Relationship whose object is missing or not a URI answers 400 BadRequestData",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize("shape", ["no-object", "not-a-uri", "number"])
def test_create_relationship_invalid_object(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, shape: str
) -> None:
    attr: dict[str, Any] = {"type": "Relationship"}
    if shape != "no-object":
        attr["object"] = "not a uri" if shape == "not-a-uri" else 42
    _bad_create(ngsild, probe(run_ids, refSite=attr), content_type)


@requirement(
    "MIM1-ENT-010",
    clause="5.2.7",
    level="MUST",
    title="Create Entity with a GeoProperty whose value is not a GeoJSON geometry answers 400 BadRequestData",
)
@pytest.mark.parametrize("content_type", BOTH_FORMS)
@pytest.mark.parametrize(
    "geometry",
    [
        pytest.param({"type": "Point"}, id="no-coordinates"),
        pytest.param({"type": "Circle", "coordinates": [4.35, 50.85]}, id="unknown-geometry"),
        pytest.param({"type": "Point", "coordinates": ["east", "north"]}, id="text-coordinates"),
    ],
)
def test_create_geoproperty_invalid(
    ngsild: NgsiLdOps, run_ids: RunIds, content_type: str, geometry: dict[str, Any]
) -> None:
    _bad_create(ngsild, probe(run_ids, location=geo(geometry)), content_type)


def _normalized_probe_matches(body: dict[str, Any], entity: dict[str, Any]) -> None:
    checks.equal("id", body.get("id"), entity["id"])
    checks.equal("type", body.get("type"), entity["type"])
    speed = checks.member("attribute speed", body, "speed", kind=dict)
    checks.equal("speed.type", speed.get("type"), "Property")
    checks.equal("speed.value", speed.get("value"), 42.5)
    checks.equal("speed.unitCode", speed.get("unitCode"), "KMH")
    checks.same_value("speed.observedAt", speed.get("observedAt"), OBSERVED_AT)
    ref = checks.member("attribute refSite", body, "refSite", kind=dict)
    checks.equal("refSite.type", ref.get("type"), "Relationship")
    checks.equal("refSite.object", ref.get("object"), entity["refSite"]["object"])
    loc = checks.member("attribute location", body, "location", kind=dict)
    checks.equal("location.type", loc.get("type"), "GeoProperty")
    checks.equal("location.value", loc.get("value"), entity["location"]["value"])


@requirement(
    "MIM1-ENT-011",
    clause="6.3.7",
    level="MUST",
    title="Retrieve Entity with options=normalized or format=normalized returns the normalized representation",
)
@pytest.mark.parametrize("param", ["options", "format"])
@pytest.mark.parametrize("accept", BOTH_FORMS)
def test_retrieve_explicit_normalized(ngsild: NgsiLdOps, run_ids: RunIds, param: str, accept: str) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], params={param: "normalized"}, accept=accept)
    checks.status_is(resp, 200)
    _normalized_probe_matches(checks.json_object(resp), entity)


@requirement(
    "MIM1-ENT-012",
    clause="4.5.4",
    level="MUST",
    title="Retrieve Entity with format=keyValues (or the synonym simplified) returns the simplified representation",
)
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"format": "keyValues"}, id="format-keyValues"),
        pytest.param({"format": "simplified"}, id="format-simplified"),
        pytest.param({"options": "simplified"}, id="options-simplified"),
    ],
)
def test_retrieve_simplified(ngsild: NgsiLdOps, run_ids: RunIds, params: dict[str, str]) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], params=params)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal("id", body.get("id"), entity["id"])
    checks.equal("type", body.get("type"), entity["type"])
    checks.equal("speed", body.get("speed"), 42.5)
    checks.equal("status", body.get("status"), "running")
    checks.equal("refSite", body.get("refSite"), entity["refSite"]["object"])
    checks.equal("location", body.get("location"), entity["location"]["value"])


def _concise(what: str, got: Any, value_key: str, value: Any, extra: dict[str, Any]) -> None:
    """A concise attribute: no 'type'; a bare value is allowed when there are no other members."""
    if not isinstance(got, dict) or value_key not in got:
        if not extra and value_key == "value" and got == value:
            return
        checks.fail(f"{what}: expected a concise attribute with {value_key!r} = {value!r}, got {got!r}")
    checks.absent(what, got, "type")
    checks.equal(f"{what}.{value_key}", got[value_key], value)
    for key, expected in extra.items():
        checks.same_value(f"{what}.{key}", got.get(key), expected)


@requirement(
    "MIM1-ENT-013",
    clause="4.5.2.3",
    level="MUST",
    title="Retrieve Entity with options=concise or format=concise returns the concise lossless representation",
)
@pytest.mark.parametrize("param", ["options", "format"])
def test_retrieve_concise(ngsild: NgsiLdOps, run_ids: RunIds, param: str) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], params={param: "concise"})
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal("id", body.get("id"), entity["id"])
    checks.equal("type", body.get("type"), entity["type"])
    _concise("speed", body.get("speed"), "value", 42.5, {"unitCode": "KMH", "observedAt": OBSERVED_AT})
    _concise("status", body.get("status"), "value", "running", {})
    _concise("refSite", body.get("refSite"), "object", entity["refSite"]["object"], {})
    loc = body.get("location")
    if loc != entity["location"]["value"]:
        _concise("location", loc, "value", entity["location"]["value"], {})


SYS_ATTRS = ("createdAt", "modifiedAt")


@requirement(
    "MIM1-ENT-014",
    clause="6.3.11, 5.2.2",
    level="MUST",
    title="Retrieve Entity with options=sysAttrs includes createdAt and modifiedAt on the entity and its attributes",
)
@pytest.mark.parametrize("accept", BOTH_FORMS)
def test_retrieve_sys_attrs(ngsild: NgsiLdOps, run_ids: RunIds, accept: str) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], params={"options": "sysAttrs"}, accept=accept)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    for name in SYS_ATTRS:
        checks.utc_datetime(f"entity {name}", checks.member("entity", body, name))
    for attr in ("speed", "status", "refSite", "location"):
        for inst in checks.instances(attr, checks.member("entity", body, attr)):
            for name in SYS_ATTRS:
                checks.utc_datetime(f"{attr}.{name}", checks.member(f"attribute {attr}", inst, name))


@requirement(
    "MIM1-ENT-015",
    clause="6.3.11",
    level="MUST",
    title="Retrieve Entity without options=sysAttrs carries no createdAt or modifiedAt",
)
@pytest.mark.parametrize("accept", BOTH_FORMS)
def test_retrieve_without_sys_attrs(ngsild: NgsiLdOps, run_ids: RunIds, accept: str) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], accept=accept)
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    for name in SYS_ATTRS:
        checks.absent("entity", body, name)
        for attr in ("speed", "status", "refSite", "location"):
            for inst in checks.instances(attr, checks.member("entity", body, attr)):
                checks.absent(f"attribute {attr}", inst, name)


@requirement(
    "MIM1-ENT-016",
    clause="5.7.1",
    level="MUST",
    title="Retrieve Entity with attrs returns only the listed attributes (and id and type)",
)
@pytest.mark.parametrize(
    "attrs",
    [
        pytest.param(["speed"], id="one"),
        pytest.param(["speed", "refSite"], id="two"),
        pytest.param(["location", "status", "speed"], id="three"),
    ],
)
def test_retrieve_attrs(ngsild: NgsiLdOps, run_ids: RunIds, attrs: list[str]) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], params={"attrs": ",".join(attrs)})
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal("id", body.get("id"), entity["id"])
    checks.equal("type", body.get("type"), entity["type"])
    attributes = {k for k in body if k not in ("id", "type", "@context")}
    checks.equal("attributes returned for attrs=" + ",".join(attrs), sorted(attributes), sorted(attrs))


@requirement(
    "MIM1-ENT-017",
    clause="4.21",
    level="MUST",
    title="Retrieve Entity with pick or omit returns exactly the projected entity members",
)
@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        pytest.param("pick", "id,speed", {"id", "speed"}, id="pick-id-speed"),
        pytest.param("pick", "id,type,status,refSite", {"id", "type", "status", "refSite"}, id="pick-four"),
        pytest.param("omit", "speed,location", {"id", "type", "status", "refSite"}, id="omit-two"),
        pytest.param("omit", "type", {"id", "speed", "status", "refSite", "location"}, id="omit-type"),
    ],
)
def test_retrieve_pick_omit(
    ngsild: NgsiLdOps, run_ids: RunIds, param: str, value: str, expected: set[str]
) -> None:
    entity = made(ngsild, probe(run_ids))
    resp = ngsild.retrieve(entity["id"], params={param: value})
    checks.status_is(resp, 200)
    body = checks.json_object(resp)
    checks.equal(f"members returned for {param}={value}", sorted(set(body) - {"@context"}), sorted(expected))


@requirement(
    "MIM1-ENT-018",
    clause="4.15",
    level="MUST",
    title="Retrieve Entity with lang renders a LanguageProperty as a Property with the chosen string and its lang",
)
@pytest.mark.parametrize(("lang", "text"), [("nl", "Grote Markt"), ("fr", "Grand-Place")])
def test_retrieve_lang(ngsild: NgsiLdOps, run_ids: RunIds, lang: str, text: str) -> None:
    entity = made(ngsild, probe(run_ids, name=lang_prop({"fr": "Grand-Place", "nl": "Grote Markt"})))
    resp = ngsild.retrieve(entity["id"], params={"lang": lang})
    checks.status_is(resp, 200)
    name = checks.member("attribute name", checks.json_object(resp), "name", kind=dict)
    checks.equal("name.type", name.get("type"), "Property")
    checks.equal("name.value", name.get("value"), text)
    checks.equal("name.lang", name.get("lang"), lang)
    checks.absent("name", name, "languageMap")


@requirement(
    "MIM1-ENT-019",
    clause="4.5.18.2",
    level="MUST",
    title="Retrieve Entity without lang returns a LanguageProperty with its whole languageMap",
)
@pytest.mark.parametrize("accept", BOTH_FORMS)
def test_retrieve_language_map(ngsild: NgsiLdOps, run_ids: RunIds, accept: str) -> None:
    language_map = {"fr": "Grand-Place", "nl": "Grote Markt", "en": "Grand Square"}
    entity = made(ngsild, probe(run_ids, name=lang_prop(language_map)))
    resp = ngsild.retrieve(entity["id"], accept=accept)
    checks.status_is(resp, 200)
    name = checks.member("attribute name", checks.json_object(resp), "name", kind=dict)
    checks.equal("name.type", name.get("type"), "LanguageProperty")
    checks.equal("name.languageMap", name.get("languageMap"), language_map)


def _feature(resp: Any, entity: dict[str, Any]) -> dict[str, Any]:
    checks.status_is(resp, 200)
    checks.content_type_is(resp, GEOJSON)
    body = checks.json_object(resp)
    checks.equal("GeoJSON type", body.get("type"), "Feature")
    checks.equal("Feature id", body.get("id"), entity["id"])
    checks.equal("Feature geometry", body.get("geometry"), entity["location"]["value"])
    return checks.member("Feature", body, "properties")


@requirement(
    "MIM1-ENT-020",
    clause="4.5.16",
    level="MUST",
    title="Retrieve Entity with Accept application/geo+json returns a GeoJSON Feature of the normalized entity",
)
@pytest.mark.parametrize("geometry_property", [None, "location"])
def test_retrieve_geojson(ngsild: NgsiLdOps, run_ids: RunIds, geometry_property: str | None) -> None:
    entity = made(ngsild, probe(run_ids))
    params = {"geometryProperty": geometry_property} if geometry_property else None
    props = _feature(ngsild.retrieve(entity["id"], accept=GEOJSON, params=params), entity)
    checks.equal("properties.type", props.get("type"), entity["type"])
    speed = checks.member("properties", props, "speed", kind=dict)
    checks.equal("properties.speed.type", speed.get("type"), "Property")
    checks.equal("properties.speed.value", speed.get("value"), 42.5)
    checks.equal(
        "properties.refSite.object",
        checks.member("properties", props, "refSite").get("object"),
        entity["refSite"]["object"],
    )


@requirement(
    "MIM1-ENT-021",
    clause="4.5.17",
    level="MUST",
    title="Retrieve Entity as application/geo+json with format=keyValues returns a simplified GeoJSON Feature",
)
@pytest.mark.parametrize("value", ["keyValues", "simplified"])
def test_retrieve_geojson_simplified(ngsild: NgsiLdOps, run_ids: RunIds, value: str) -> None:
    entity = made(ngsild, probe(run_ids))
    props = _feature(ngsild.retrieve(entity["id"], accept=GEOJSON, params={"format": value}), entity)
    checks.equal("properties.speed", props.get("speed"), 42.5)
    checks.equal("properties.status", props.get("status"), "running")
    checks.equal("properties.refSite", props.get("refSite"), entity["refSite"]["object"])


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
    resp = ngsild.replace(entity["id"], _send_form(fragment, content_type), content_type=content_type)
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
    resp = ngsild.merge(entity["id"], _send_form(fragment, content_type), content_type=content_type)
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
    made(ngsild, _send_form(entity, content_type), content_type=content_type)
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
    _bad_create(ngsild, entity, JSON)


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
    made(ngsild, _send_form(entity, content_type), content_type=content_type)
    resp = ngsild.retrieve(entity["id"], params={"attrs": "sample"})
    checks.status_is(resp, 200)
    got = checks.member("attribute sample", checks.json_object(resp), "sample", kind=dict)
    checks.equal("sample.type", got.get("type"), kind)
    checks.equal(f"sample.{member}", got.get(member), attr[member])


__all__ = ["point", "rel", "CORE_CONTEXT"]
