"""Representations of a Smart Data Models entity: any form to keyValues (what the schemas
describe), and an official example to the normalized payload fixture the MIM2 scenarios send.

NGSI-LD has three forms of an entity (ETSI GS CIM 009 V1.8.1 clause 4.5): normalized (every
attribute an object with its ``type``), concise (the ``type`` left out, or a bare value) and
keyValues (bare values only). The Smart Data Models examples also come in the NGSI-v2 normalized
form (``{"type": "Text", "value": ...}``). Each attribute is read on its own, so a concise entity
that mixes bare values and attribute objects converts too.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from conformance.ngsild.payloads import VALUE_MEMBER

CORE_MEMBERS = ("id", "type", "@context", "scope")
# members that carry the value of a concise attribute (its "type" left out), in the order looked at
CONCISE_MEMBERS = ("value", "object", "languageMap", "valueList", "objectList", "vocab", "json")
V2_MEMBERS = {"type", "value", "metadata"}
GEOMETRIES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}

FORMS = ("auto", "normalized", "concise", "keyValues")


def _attribute(member: Any) -> tuple[str, Any]:
    """How one attribute is written ("normalized", "concise", "v2" or "plain") and its value."""
    if isinstance(member, dict):
        kind = member.get("type")
        if isinstance(kind, str) and kind in VALUE_MEMBER:
            if kind == "Relationship" and "object" not in member:
                return "normalized", member.get("value")
            return "normalized", member.get(VALUE_MEMBER[kind])
        if "type" not in member:
            for key in CONCISE_MEMBERS:
                if key in member:
                    return "concise", member[key]
        if isinstance(kind, str) and "value" in member and set(member) <= V2_MEMBERS:
            return "v2", member["value"]
        return "plain", member
    if isinstance(member, list) and member and all(isinstance(m, dict) for m in member):
        kinds = [_attribute(m)[0] for m in member]
        if "plain" not in kinds:  # several instances (datasetId): the default one, else the first
            defaults = [m for m in member if "datasetId" not in m]
            return kinds[0], _attribute((defaults or member)[0])[1]
    return "plain", member


def detect(entity: dict[str, Any]) -> str:
    """The form an entity is written in: normalized, concise, keyValues or NGSI-v2 normalized."""
    kinds = {_attribute(v)[0] for k, v in entity.items() if k not in CORE_MEMBERS}
    if not kinds or kinds == {"plain"}:
        return "keyValues"
    if kinds == {"normalized"}:
        return "normalized"
    if kinds <= {"v2", "normalized"}:
        return "NGSI-v2 normalized"
    return "concise"


def to_key_values(entity: dict[str, Any], form: str = "auto") -> tuple[str, dict[str, Any]]:
    """The form the entity was read as, and its keyValues form. ``form`` forces one reading:
    keyValues keeps every member as it is; any other reads each attribute by its shape. A typed
    JSON-LD value (``{"@type": "DateTime", "@value": ...}``) is read as its plain string, which is
    what the schemas describe."""
    if form == "keyValues":
        return form, dict(entity)
    detected = detect(entity) if form == "auto" else form
    simplified = {
        name: member if name in CORE_MEMBERS else _plain_dates(_attribute(member)[1])
        for name, member in entity.items()
    }
    return detected, simplified


def _concise(attribute: Any) -> Any:
    """One normalized attribute (or sub-attribute) in the concise form (clauses 4.5.2.3, 4.5.3):
    its ``type`` left out, sub-attributes likewise; a GeoProperty with nothing but its value is the
    bare GeoJSON geometry. A GeoProperty with other members keeps its ``type``: without it, an object
    with a ``value`` reads as a Property."""
    if not isinstance(attribute, dict) or attribute.get("type") not in VALUE_MEMBER:
        return attribute
    if attribute["type"] == "GeoProperty":
        return attribute["value"] if set(attribute) == {"type", "value"} else attribute
    value_member = VALUE_MEMBER[attribute["type"]]
    return {
        key: member if key == value_member else _concise(member)
        for key, member in attribute.items()
        if key != "type"
    }


def to_concise(entity: dict[str, Any]) -> dict[str, Any]:
    """The concise form of a normalized entity (several instances: each one concise)."""
    return {
        name: member
        if name in CORE_MEMBERS
        else [_concise(m) for m in member]
        if isinstance(member, list)
        else _concise(member)
        for name, member in entity.items()
    }


# -- payload fixtures --------------------------------------------------------------------------

_URN_TYPE = re.compile(r"^urn:ngsi-ld:([A-Za-z][A-Za-z0-9_]*?)[0-9]*:")


def _plain_dates(value: Any) -> Any:
    """Typed JSON-LD values (``{"@type": "DateTime", "@value": ...}``) as the plain string."""
    if isinstance(value, dict):
        if set(value) == {"@type", "@value"}:
            return value["@value"]
        return {k: _plain_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_dates(v) for v in value]
    return value


class _Targets:
    """Relationship targets -> placeholders: ``{<Type>}``, ``{<Type>2}``... (``{Thing}`` when the
    URN names no type); the same target keeps its placeholder."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def placeholder(self, target: Any) -> Any:
        if isinstance(target, list):
            return [self.placeholder(t) for t in target]
        if not isinstance(target, str):
            return target
        if target not in self.names:
            match = _URN_TYPE.match(target)
            kind = match.group(1) if match else "Thing"
            self.counts[kind] = self.counts.get(kind, 0) + 1
            count = self.counts[kind]
            self.names[target] = "{" + kind + (str(count) if count > 1 else "") + "}"
        return self.names[target]


def fixture_from_normalized(example: dict[str, Any]) -> dict[str, Any]:
    """The payload fixture of an NGSI-LD normalized example: no @context, ``{id}`` for its id,
    placeholders for Relationship targets, plain date-time strings."""
    entity = _plain_dates({k: copy.deepcopy(v) for k, v in example.items() if k != "@context"})
    entity["id"] = "{id}"
    targets = _Targets()
    for member in entity.values():
        for instance in member if isinstance(member, list) else [member]:
            if isinstance(instance, dict) and instance.get("type") == "Relationship" and "object" in instance:
                instance["object"] = targets.placeholder(instance["object"])
    return entity


def _is_relationship(name: str, schema: dict[str, Any]) -> bool:
    """Whether the schema describes the attribute as a Relationship (its description says so)."""
    for part in [schema, *schema.get("allOf", [])]:
        definition = part.get("properties", {}).get(name) if isinstance(part, dict) else None
        if isinstance(definition, dict):
            return str(definition.get("description", "")).startswith("Relationship")
    return name.startswith("ref")


def fixture_from_key_values(example: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The payload fixture of a keyValues example: each attribute a Relationship (as the schema
    says), a GeoProperty (a GeoJSON geometry) or a Property."""
    normalized: dict[str, Any] = {}
    for name, value in example.items():
        if name in CORE_MEMBERS:
            normalized[name] = value
        elif _is_relationship(name, schema):
            normalized[name] = {"type": "Relationship", "object": value}
        elif isinstance(value, dict) and value.get("type") in GEOMETRIES and "coordinates" in value:
            normalized[name] = {"type": "GeoProperty", "value": value}
        else:
            normalized[name] = {"type": "Property", "value": value}
    return fixture_from_normalized(normalized)
