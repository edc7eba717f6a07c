"""MIM1 Retrieve Entity representations: normalized, simplified, concise, system attributes, attrs,
pick/omit, lang and GeoJSON (ETSI GS CIM 009 clauses 5.7.1, 6.3.7, 4.5)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.mim1.entity_forms import BOTH_FORMS
from conformance.ngsild.api import GEOJSON, NgsiLdOps, made
from conformance.ngsild.payloads import OBSERVED_AT, lang_prop, probe
from conformance.requirements import requirement
from conformance.run_ids import RunIds


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
