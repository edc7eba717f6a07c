"""Payload builders for NGSI-LD scenarios. Every entity gets a run-scoped id."""

from __future__ import annotations

from typing import Any

from conformance.run_ids import RunIds

# The one table of NGSI-LD attribute types and the member that holds their value (clause 4.5).
VALUE_MEMBER: dict[str, str] = {
    "Property": "value",
    "GeoProperty": "value",
    "Relationship": "object",
    "LanguageProperty": "languageMap",
    "ListProperty": "valueList",
    "ListRelationship": "objectList",
    "VocabProperty": "vocab",
    "JsonProperty": "json",
}


def prop(value: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value, **extra}


def rel(target: str, **extra: Any) -> dict[str, Any]:
    return {"type": "Relationship", "object": target, **extra}


def geo(geometry: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "GeoProperty", "value": geometry, **extra}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def sensor(ids: RunIds, entity_type: str = "MimcheckSensor", **attrs: Any) -> dict[str, Any]:
    """A small normalized entity with a Property, a Relationship and a GeoProperty."""
    entity: dict[str, Any] = {
        "id": ids.entity_id(entity_type),
        "type": entity_type,
        "temperature": prop(21.5, unitCode="CEL"),
        "condition": prop("ok"),
        "isPartOf": rel(ids.entity_id("MimcheckSite")),
        "location": geo(point(2.1734, 41.3851)),
    }
    entity.update(attrs)
    return entity


# -- MIM1 core: a small probe entity and one sample per attribute type ---------------------------

PROBE_TYPE = "MimcheckProbe"
OBSERVED_AT = "2024-05-01T10:00:00Z"


def probe(ids: RunIds, entity_type: str = PROBE_TYPE, **attrs: Any) -> dict[str, Any]:
    """A small normalized entity whose attribute names are not used by any other fixture (so that a
    fault injected on one scenario's payload does not touch another's)."""
    entity: dict[str, Any] = {
        "id": ids.entity_id(entity_type),
        "type": entity_type,
        "speed": prop(42.5, unitCode="KMH", observedAt=OBSERVED_AT),
        "status": prop("running"),
        "refSite": rel(ids.entity_id("MimcheckSite")),
        "location": geo(point(4.3517, 50.8503)),
    }
    entity.update(attrs)
    return entity


def lang_prop(language_map: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "LanguageProperty", "languageMap": language_map, **extra}


def list_prop(values: list[Any], **extra: Any) -> dict[str, Any]:
    return {"type": "ListProperty", "valueList": values, **extra}


def list_rel(targets: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "ListRelationship", "objectList": targets, **extra}


def vocab_prop(vocab: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "VocabProperty", "vocab": vocab, **extra}


def json_prop(document: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "JsonProperty", "json": document, **extra}


# (attribute type, value member, sample builder, the requirement with its own round trip of this
# attribute type or None). The builder takes a RunIds so that relationship targets are run-scoped.
ATTRIBUTE_SAMPLES: dict[str, tuple[str, str, Any, str | None]] = {
    "property-number": ("Property", VALUE_MEMBER["Property"], lambda ids: prop(17.25), None),
    "property-string": ("Property", VALUE_MEMBER["Property"], lambda ids: prop("Grand-Place"), None),
    "property-boolean": ("Property", VALUE_MEMBER["Property"], lambda ids: prop(True), None),
    "property-object": (
        "Property",
        VALUE_MEMBER["Property"],
        lambda ids: prop({"street": "Rue Neuve", "number": 12}),
        None,
    ),
    "property-array": ("Property", VALUE_MEMBER["Property"], lambda ids: prop([1, 2, 3]), None),
    "property-datetime": (
        "Property",
        VALUE_MEMBER["Property"],
        lambda ids: prop({"@type": "DateTime", "@value": "2024-05-01T10:00:00Z"}),
        None,
    ),
    "relationship": (
        "Relationship",
        VALUE_MEMBER["Relationship"],
        lambda ids: rel(ids.entity_id("MimcheckSite")),
        None,
    ),
    "geo-point": ("GeoProperty", VALUE_MEMBER["GeoProperty"], lambda ids: geo(point(2.35, 48.85)), None),
    "geo-linestring": (
        "GeoProperty",
        VALUE_MEMBER["GeoProperty"],
        lambda ids: geo({"type": "LineString", "coordinates": [[2.3, 48.8], [2.4, 48.9]]}),
        None,
    ),
    "geo-polygon": (
        "GeoProperty",
        VALUE_MEMBER["GeoProperty"],
        lambda ids: geo(
            {"type": "Polygon", "coordinates": [[[2.3, 48.8], [2.4, 48.8], [2.4, 48.9], [2.3, 48.8]]]}
        ),
        None,
    ),
    "language-property": (
        "LanguageProperty",
        VALUE_MEMBER["LanguageProperty"],
        lambda ids: lang_prop({"fr": "Grand-Place", "nl": "Grote Markt"}),
        "MIM1-ATTR-021",
    ),
    "list-property": (
        "ListProperty",
        VALUE_MEMBER["ListProperty"],
        lambda ids: list_prop([3, 1, 2]),
        "MIM1-ATTR-023",
    ),
    "list-relationship": (
        "ListRelationship",
        VALUE_MEMBER["ListRelationship"],
        lambda ids: list_rel([ids.entity_id("MimcheckSite"), ids.entity_id("MimcheckSite")]),
        "MIM1-ATTR-024",
    ),
    "vocab-property": (
        "VocabProperty",
        VALUE_MEMBER["VocabProperty"],
        lambda ids: vocab_prop("mimcheckRunning"),
        "MIM1-ATTR-022",
    ),
    "json-property": (
        "JsonProperty",
        VALUE_MEMBER["JsonProperty"],
        lambda ids: json_prop({"type": "raw", "speed": 3, "nested": {"a": [1, 2]}}),
        "MIM1-ATTR-025",
    ),
}
