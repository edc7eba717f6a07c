"""Smart Data Models (MIM2): offline schema registry and the normalized -> keyValues conversion.

The published schemas describe the keyValues (simplified) representation only, so a normalized
NGSI-LD entity is converted before validation. Their ``$ref``s name online URLs; they are resolved
from the suite's own copies, and an unknown URL is an error, never a silent network fetch.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "sdm"

# Every schema the suite knows, by file; each is registered under its own $id.
SCHEMA_FILES: dict[str, str] = {
    "common": "common-schema.json",
    "ParkingSpot": "ParkingSpot.schema.json",
}


def _refuse(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)


@cache
def registry() -> Registry[Any]:
    resources = []
    for file_name in SCHEMA_FILES.values():
        contents = json.loads((SCHEMA_DIR / file_name).read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry(retrieve=_refuse).with_resources(resources)  # type: ignore[call-arg]


def schema(model: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / SCHEMA_FILES[model]).read_text(encoding="utf-8"))


def validation_errors(model: str, instance: dict[str, Any]) -> list[str]:
    """Every way the keyValues instance breaks the model's schema, as readable lines."""
    validator = Draft202012Validator(schema(model), registry=registry(), format_checker=FormatChecker())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


def _attribute_value(attribute: Any) -> Any:
    if isinstance(attribute, list):  # several instances (datasetId): the default one, or the first
        defaults = [a for a in attribute if isinstance(a, dict) and "datasetId" not in a]
        attribute = (defaults or attribute)[0]
    if not isinstance(attribute, dict):
        return attribute
    kind = attribute.get("type")
    if kind == "Relationship":
        return attribute.get("object")
    if kind == "ListRelationship":
        return attribute.get("objectList")
    if kind == "LanguageProperty":
        return attribute.get("languageMap")
    if kind == "ListProperty":
        return attribute.get("valueList")
    if kind == "VocabProperty":
        return attribute.get("vocab")
    if kind == "JsonProperty":
        return attribute.get("json")
    return attribute.get("value")


def to_key_values(entity: dict[str, Any]) -> dict[str, Any]:
    """The keyValues form of a normalized entity (clause 4.5.4 of ETSI GS CIM 009)."""
    simplified: dict[str, Any] = {}
    for name, member in entity.items():
        if name in ("id", "type", "@context", "scope"):
            simplified[name] = member
        else:
            simplified[name] = _attribute_value(member)
    return simplified
