"""Validation of NGSI-LD payloads and their conversion to the stored (expanded) form.

Stored entity::

    {"id": URI, "types": [IRI...], "scope": [..] (optional), "createdAt": ts, "modifiedAt": ts,
     "attrs": {attribute IRI: [instance, ...]}}

Stored attribute instance::

    {"type": "Property"|..., <value member>, "datasetId"?, "observedAt"?, "unitCode"?, "objectType"?,
     "createdAt": ts, "modifiedAt": ts, "subs": {sub-attribute IRI: [instance, ...]}}

Value members per attribute type (clause 4.5, 5.2.5 - 5.2.38): Property/GeoProperty ``value``,
Relationship ``object``, LanguageProperty ``languageMap``, ListProperty ``valueList``, ListRelationship
``objectList`` (stored as a list of URIs), VocabProperty ``vocab`` (stored expanded), JsonProperty ``json``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any, TypeGuard

from .context import ActiveContext
from .errors import bad_request

# The one table of NGSI-LD attribute type -> its value member; every module of the reference takes it from
# here (parsing, rendering, q evaluation, showChanges, the temporal ``values``/``objects``/... members).
ATTRIBUTE_TYPES = {
    "Property": "value",
    "GeoProperty": "value",
    "Relationship": "object",
    "LanguageProperty": "languageMap",
    "ListProperty": "valueList",
    "ListRelationship": "objectList",
    "VocabProperty": "vocab",
    "JsonProperty": "json",
}
VALUE_MEMBERS = {v for v in ATTRIBUTE_TYPES.values()}
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"}
# Members of an attribute that are not sub-attributes.
RESERVED_ATTRIBUTE_MEMBERS = VALUE_MEMBERS | {
    "type",
    "@type",
    "datasetId",
    "observedAt",
    "unitCode",
    "objectType",
    "createdAt",
    "modifiedAt",
    "deletedAt",
    "instanceId",
    "previousValue",
    "previousObject",
    "previousLanguageMap",
    "previousValueList",
    "previousObjectList",
    "previousVocab",
    "previousJson",
    "entity",
    "entityList",
    "lang",
    "@context",
}
RESERVED_ENTITY_MEMBERS = {
    "id",
    "@id",
    "type",
    "@type",
    "scope",
    "@context",
    "createdAt",
    "modifiedAt",
    "deletedAt",
}
NULL_URI = "urn:ngsi-ld:null"
# members of an attribute that a partial update or merge may remove by setting them to the NGSI-LD Null
NULLABLE_MEMBERS = {"observedAt", "unitCode"}

_URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]+$")
# Clause 4.6.2: characters that shall not appear in names.
_FORBIDDEN_NAME_CHARS = re.compile(r"[\s<>\"'=;()\x00-\x1f\x7f]")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")


def now_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_uri(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(_URI_RE.match(value))


def parse_datetime(value: Any) -> datetime | None:
    """Parse an NGSI-LD DateTime (ISO 8601, UTC when no offset). None when not a valid DateTime."""
    if not isinstance(value, str) or not _DATETIME_RE.match(value):
        return None
    text = value.replace("Z", "+00:00")
    match = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", text)
    if match:  # Python accepts at most 6 fractional digits
        text = match.group(1) + "." + (match.group(2) + "000000")[:6] + match.group(3)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_time(value: Any) -> time | None:
    if not isinstance(value, str) or not re.match(r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z)?$", value):
        return None
    try:
        return time.fromisoformat(value.rstrip("Z"))
    except ValueError:
        return None


def check_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name:
        raise bad_request(f"{what} shall be a non-empty string")
    if _FORBIDDEN_NAME_CHARS.search(name):
        raise bad_request(f"{what} {name!r} contains characters that are not allowed (clause 4.6.2)")
    return name


def check_entity_id(value: Any) -> str:
    if value is None:
        raise bad_request("the entity id is missing")
    if not is_uri(value):
        raise bad_request(f"the entity id {value!r} is not a valid URI")
    return value


def expand_types(raw: Any, ctx: ActiveContext) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise bad_request("the entity type shall not be empty")
    types: list[str] = []
    for item in items:
        check_name(item, "entity type")
        iri = ctx.expand(item)
        if iri.startswith("@"):
            # "type" and "id" are aliases of @type and @id in the core @context: such a name expands to a
            # JSON-LD keyword, not to an IRI, so it cannot name an entity type (clauses 4.6.2, 5.2.4)
            raise bad_request(f"entity type {item!r} expands to the JSON-LD keyword {iri}, not to a type IRI")
        if iri not in types:
            types.append(iri)
    return types


def parse_scope(raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    for item in items:
        if not isinstance(item, str) or not re.match(r"^/[^\s]*$", item):
            raise bad_request(f"invalid scope {item!r}: a scope is a string such as /a/b")
    return list(items)


def is_geometry(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("type"), str)
        and value.get("type") in GEOMETRY_TYPES
        and isinstance(value.get("coordinates"), list)
    )


def validate_geometry(value: Any, name: str) -> None:
    """Structural GeoJSON geometry check (IETF RFC 7946)."""
    if not is_geometry(value):
        raise bad_request(f"the value of GeoProperty {name!r} is not a valid GeoJSON geometry")
    gtype = value["type"]
    coords = value["coordinates"]

    def position(p: Any) -> bool:
        return (
            isinstance(p, list)
            and 2 <= len(p) <= 3
            and all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in p)
        )

    def line(ps: Any, minimum: int) -> bool:
        return isinstance(ps, list) and len(ps) >= minimum and all(position(p) for p in ps)

    def ring(ps: Any) -> bool:
        return line(ps, 4) and ps[0][:2] == ps[-1][:2]

    ok = {
        "Point": lambda c: position(c),
        "MultiPoint": lambda c: isinstance(c, list) and all(position(p) for p in c),
        "LineString": lambda c: line(c, 2),
        "MultiLineString": lambda c: isinstance(c, list) and all(line(x, 2) for x in c),
        "Polygon": lambda c: isinstance(c, list) and len(c) >= 1 and all(ring(r) for r in c),
        "MultiPolygon": lambda c: (
            isinstance(c, list)
            and all(isinstance(p, list) and len(p) >= 1 and all(ring(r) for r in p) for p in c)
        ),
    }[gtype](coords)
    if not ok:
        raise bad_request(f"the {gtype} coordinates of GeoProperty {name!r} are not valid")


def _looks_like_instance(item: Any) -> bool:
    return isinstance(item, dict) and ("type" in item or "@type" in item or bool(VALUE_MEMBERS & set(item)))


def parse_attribute(
    name: str, raw: Any, ctx: ActiveContext, now: str, allow_null: bool = False
) -> list[dict[str, Any]]:
    """Parse an attribute (normalized or concise form, one or several instances)."""
    if isinstance(raw, list) and raw and all(_looks_like_instance(i) for i in raw):
        instances = [parse_instance(name, item, ctx, now, allow_null) for item in raw]
        seen: set[str | None] = set()
        for inst in instances:
            key = inst.get("datasetId")
            if key in seen:
                raise bad_request(f"attribute {name!r} has two instances with the same datasetId")
            seen.add(key)
        return instances
    return [parse_instance(name, raw, ctx, now, allow_null)]


def parse_instance(
    name: str, raw: Any, ctx: ActiveContext, now: str, allow_null: bool = False
) -> dict[str, Any]:
    if raw is None:
        if allow_null:
            return {"type": "Property", "value": NULL_URI, "createdAt": now, "modifiedAt": now, "subs": {}}
        raise bad_request(f"attribute {name!r} has a null value")
    if not isinstance(raw, dict):
        # concise form of a Property: the bare value
        if raw == NULL_URI and not allow_null:
            raise bad_request(
                f"attribute {name!r} holds the NGSI-LD Null, allowed only in a partial update or a merge"
            )
        return {"type": "Property", "value": raw, "createdAt": now, "modifiedAt": now, "subs": {}}
    attr_type = raw.get("type", raw.get("@type"))
    value_source = raw
    if attr_type is not None and not isinstance(attr_type, str):
        raise bad_request(f"attribute {name!r} has an invalid type {attr_type!r}")
    if attr_type is None:
        attr_type = _infer_type(raw)
        if attr_type is None:
            raise bad_request(
                f"attribute {name!r} has no type and no value member (value, object, languageMap, "
                "valueList, objectList, vocab or json)"
            )
    elif attr_type in GEOMETRY_TYPES and "coordinates" in raw:
        # concise GeoProperty: the bare GeoJSON geometry
        value_source = {"value": {"type": raw["type"], "coordinates": raw["coordinates"]}}
        attr_type = "GeoProperty"
        raw = value_source
    if not isinstance(attr_type, str) or attr_type not in ATTRIBUTE_TYPES:
        raise bad_request(f"attribute {name!r} has an invalid type {attr_type!r}")
    member = ATTRIBUTE_TYPES[attr_type]
    if member not in raw:
        raise bad_request(f"attribute {name!r} of type {attr_type} has no {member!r} member")
    inst: dict[str, Any] = {"type": attr_type}
    value = raw[member]
    if value is None:
        if not allow_null:
            raise bad_request(f"attribute {name!r} has a null {member}")
        value = NULL_URI
    if is_null_value(attr_type, value):
        # clause 5.2.1: the NGSI-LD Null only has a meaning in a partial update or a merge (5.5.8,
        # 5.5.12); anywhere else it is BadRequestData. Stored (transiently) as the bare Null URI.
        if not allow_null:
            raise bad_request(
                f"attribute {name!r} holds the NGSI-LD Null, allowed only in a partial update or a merge"
            )
        inst[member] = NULL_URI
    else:
        inst[member] = _check_value(name, attr_type, value, ctx)
    if "datasetId" in raw:
        if not is_uri(raw["datasetId"]):
            raise bad_request(f"datasetId of attribute {name!r} is not a URI")
        inst["datasetId"] = raw["datasetId"]
    for removable in NULLABLE_MEMBERS & set(raw):
        if raw[removable] == NULL_URI:  # clause 5.2.1: the Null removes the member, only in an update
            if not allow_null:
                raise bad_request(f"{removable} of attribute {name!r} is the NGSI-LD Null outside an update")
            inst[removable] = NULL_URI
    if "observedAt" in raw and "observedAt" not in inst:
        if parse_datetime(raw["observedAt"]) is None:
            raise bad_request(f"observedAt of attribute {name!r} is not a valid DateTime")
        inst["observedAt"] = raw["observedAt"]
    if "unitCode" in raw and "unitCode" not in inst:
        if not isinstance(raw["unitCode"], str):
            raise bad_request(f"unitCode of attribute {name!r} shall be a string")
        inst["unitCode"] = raw["unitCode"]
    if "objectType" in raw:
        if attr_type not in ("Relationship", "ListRelationship"):
            raise bad_request(f"objectType is only allowed on relationships ({name!r})")
        inst["objectType"] = _expand_vocab(raw["objectType"], ctx, f"objectType of {name!r}")
    inst["createdAt"] = now
    inst["modifiedAt"] = now
    subs: dict[str, list[dict[str, Any]]] = {}
    for key, sub_raw in raw.items():
        if key in RESERVED_ATTRIBUTE_MEMBERS:
            continue
        check_name(key, "sub-attribute name")
        subs[ctx.expand(key)] = parse_attribute(key, sub_raw, ctx, now, allow_null)
    inst["subs"] = subs
    return inst


def is_null_value(attr_type: str, value: Any) -> bool:
    """The NGSI-LD Null of an attribute's value member (clause 5.2.1): the URI urn:ngsi-ld:null, and
    for a LanguageProperty also the languageMap {"@none": "urn:ngsi-ld:null"}."""
    if value == NULL_URI:
        return True
    return attr_type == "LanguageProperty" and value == {"@none": NULL_URI}


def _infer_type(raw: dict[str, Any]) -> str | None:
    if "value" in raw:
        return "GeoProperty" if is_geometry(raw["value"]) else "Property"
    for attr_type, member in ATTRIBUTE_TYPES.items():
        if member in raw:
            return attr_type
    return None


def _expand_vocab(value: Any, ctx: ActiveContext, what: str) -> str | list[str]:
    if isinstance(value, str) and value:
        return ctx.expand(value)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return [ctx.expand(v) for v in value]
    raise bad_request(f"{what} shall be a string or an array of strings")


def _check_value(name: str, attr_type: str, value: Any, ctx: ActiveContext) -> Any:
    if attr_type == "Property":
        return value
    if attr_type == "GeoProperty":
        validate_geometry(value, name)
        return value
    if attr_type == "Relationship":
        targets = value if isinstance(value, list) else [value]
        if not targets or not all(is_uri(t) for t in targets):
            raise bad_request(f"the object of Relationship {name!r} shall be a URI (or an array of URIs)")
        return value
    if attr_type == "ListRelationship":
        if not isinstance(value, list):
            raise bad_request(f"objectList of ListRelationship {name!r} shall be an array")
        uris: list[str] = []
        for item in value:
            target = item.get("object") if isinstance(item, dict) else item
            if not is_uri(target):
                raise bad_request(f"objectList of ListRelationship {name!r} holds a non-URI item")
            uris.append(target)
        return uris
    if attr_type == "LanguageProperty":
        if not isinstance(value, dict) or not value:
            raise bad_request(f"languageMap of LanguageProperty {name!r} shall be a non-empty object")
        for tag, text in value.items():
            if not isinstance(tag, str) or not (
                tag == "@none" or re.match(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$", tag)
            ):
                raise bad_request(f"languageMap of {name!r} has an invalid language tag {tag!r}")
            if not (
                isinstance(text, str) or (isinstance(text, list) and all(isinstance(t, str) for t in text))
            ):
                raise bad_request(f"languageMap of {name!r} shall map language tags to strings")
        return value
    if attr_type == "ListProperty":
        if not isinstance(value, list):
            raise bad_request(f"valueList of ListProperty {name!r} shall be an array")
        return value
    if attr_type == "VocabProperty":
        return _expand_vocab(value, ctx, f"vocab of VocabProperty {name!r}")
    if attr_type == "JsonProperty":
        return value
    raise bad_request(f"attribute {name!r} has an invalid type {attr_type!r}")


def parse_entity_attributes(
    payload: dict[str, Any], ctx: ActiveContext, now: str, allow_null: bool = False
) -> dict[str, list[dict[str, Any]]]:
    attrs: dict[str, list[dict[str, Any]]] = {}
    for key, raw in payload.items():
        if key in RESERVED_ENTITY_MEMBERS:
            continue
        check_name(key, "attribute name")
        iri = ctx.expand(key)
        instances = parse_attribute(key, raw, ctx, now, allow_null)
        if iri in attrs:
            raise bad_request(f"attribute {key!r} appears twice")
        attrs[iri] = instances
    return attrs


def parse_entity(
    payload: Any, ctx: ActiveContext, now: str, require_id: bool = True, require_type: bool = True
) -> dict[str, Any]:
    """Parse a complete entity (create, upsert, replace)."""
    if not isinstance(payload, dict):
        raise bad_request("the entity shall be a JSON object")
    raw_id = payload.get("id", payload.get("@id"))
    entity: dict[str, Any] = {}
    if raw_id is not None or require_id:
        entity["id"] = check_entity_id(raw_id)
    raw_type = payload.get("type", payload.get("@type"))
    if raw_type is None:
        if require_type:
            raise bad_request("the entity type is missing")
    else:
        entity["types"] = expand_types(raw_type, ctx)
    if "scope" in payload:
        entity["scope"] = parse_scope(payload["scope"])
    entity["createdAt"] = now
    entity["modifiedAt"] = now
    entity["attrs"] = parse_entity_attributes(payload, ctx, now)
    return entity


def instance_key(inst: dict[str, Any]) -> str | None:
    return inst.get("datasetId")


def find_instance(instances: list[dict[str, Any]], dataset_id: str | None) -> int | None:
    for index, inst in enumerate(instances):
        if inst.get("datasetId") == dataset_id:
            return index
    return None
