"""Smart Data Models (MIM2): offline schema registry, the models the suite knows, and the
normalized -> keyValues conversion.

The published schemas describe the keyValues (simplified) representation only, so a normalized
NGSI-LD entity is converted before validation. Their ``$ref``s name online URLs; they are resolved
from the suite's own copies (conformance/data/sdm, see NOTICE.md there), and an unknown URL is an
error, never a silent network fetch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from conformance import fixtures, package_data
from conformance.ngsild.payloads import VALUE_MEMBER

SCHEMA_DIR = package_data.path("data", "sdm")


@dataclass(frozen=True)
class Model:
    """One Smart Data Model: its subject (repository dataModel.<subject>) and the capability."""

    name: str
    subject: str
    capability: str

    @property
    def schema_file(self) -> str:
        return f"{self.name}.schema.json"

    @property
    def context_file(self) -> str:
        """The subject's @context, as the suite's context server serves it (conformance/data/fixtures/contexts)."""
        return f"sdm-{self.subject}.jsonld"

    @property
    def fixture(self) -> str:
        return f"models/{self.name}/normalized.json"


_SUBJECTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Parking": ("sdm-parking", ("ParkingSpot", "OffStreetParking", "OnStreetParking")),
    "Environment": ("sdm-environment", ("AirQualityObserved", "NoiseLevelObserved")),
    "WaterQuality": ("sdm-water-quality", ("WaterQualityObserved",)),
    "Weather": ("sdm-weather", ("WeatherObserved", "WeatherForecast")),
    "Streetlighting": ("sdm-streetlighting", ("Streetlight", "StreetlightGroup")),
    "Transportation": ("sdm-transportation", ("TrafficFlowObserved", "Vehicle")),
    "WasteManagement": ("sdm-waste-management", ("WasteContainer",)),
    "Device": ("sdm-device", ("Device", "DeviceModel")),
    "Building": ("sdm-building", ("Building",)),
    "PointOfInterest": ("sdm-point-of-interest", ("PointOfInterest",)),
    "Alert": ("sdm-alert", ("Alert",)),
}

# Every model the suite checks, in a stable order.
MODELS: dict[str, Model] = {
    name: Model(name=name, subject=subject, capability=capability)
    for subject, (capability, names) in _SUBJECTS.items()
    for name in names
}

# Shared schemas the model schemas $ref; each is registered under its own $id.
SHARED_FILES: tuple[str, ...] = (
    "common-schema.json",
    "Environment-schema.json",
    "weather-schema.json",
    "device-schema.json",
    "alert-schema.json",
)

# Every schema the suite knows, by name -> file; each is registered under its own $id.
SCHEMA_FILES: dict[str, str] = {
    "common": "common-schema.json",
    **{file.removesuffix(".json"): file for file in SHARED_FILES[1:]},
    **{name: model.schema_file for name, model in MODELS.items()},
}

# Other URLs by which published schemas $ref a schema the suite holds (MANIFEST of the reference data).
ALIASES: dict[str, str] = {
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/Environment-schema.json": (
        "Environment-schema.json"
    ),
}


def _refuse(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def _contents(file_name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / file_name).read_text(encoding="utf-8"))


@cache
def registry() -> Registry[Any]:
    """Every schema under its $id and its aliases; any other URL is refused (no network fetch)."""
    resources = []
    for file_name in SCHEMA_FILES.values():
        contents = _contents(file_name)
        resources.append((contents["$id"], Resource.from_contents(contents)))
    for alias, file_name in ALIASES.items():
        resources.append((alias, Resource.from_contents(_contents(file_name))))
    return Registry(retrieve=_refuse).with_resources(resources)  # type: ignore[call-arg]


def schema(model: str) -> dict[str, Any]:
    return _contents(SCHEMA_FILES[model])


def schema_version(model: str) -> str:
    return str(schema(model).get("$schemaVersion", "?"))


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time (JSON Schema "date-time"): a date, T, a time and a UTC offset or Z."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    """An absolute URI (JSON Schema "uri"): a scheme, a colon, no white space."""
    return not isinstance(value, str) or bool(_URI.match(value))


FORMAT_CHECKS = ("strict", "lenient", "off")
# "format" values the SDM schemas use as oneOf discriminators (Device.ipAddress: ipv4 | ipv6): they
# stay checked in every mode, since without them every address would match both branches and fail
DISCRIMINATING_FORMATS = ("ipv4", "ipv6")
LENIENT_FORMATS = ("date-time", "date", "time")


@cache
def format_checker(mode: str = "strict") -> FormatChecker:
    """How the "format" keyword is judged (``mimcheck validate --format-checks``, ``[mim2]
    format_checks``). strict: every format jsonschema's FormatChecker has a checker for, with the
    suite's own "date-time" and "uri" checks so that they never depend on which optional packages
    jsonschema finds installed; lenient: only date-time, date and time; off: none. In every mode
    ipv4/ipv6 stay checked (DISCRIMINATING_FORMATS). notes/mim2.md lists the strict formats."""
    if mode not in FORMAT_CHECKS:
        raise ValueError(f"format checks {mode!r}: expected one of {', '.join(FORMAT_CHECKS)}")
    full = FormatChecker()
    full.checks("date-time")(_is_date_time)
    full.checks("uri")(_is_uri)
    if mode == "strict":
        return full
    kept = DISCRIMINATING_FORMATS + (LENIENT_FORMATS if mode == "lenient" else ())
    checker = FormatChecker(formats=())
    checker.checkers = {name: full.checkers[name] for name in kept if name in full.checkers}
    return checker


def validation_errors(model: str, instance: dict[str, Any]) -> list[str]:
    """Every way the keyValues instance breaks the model's schema, as readable lines."""
    validator = Draft202012Validator(schema(model), registry=registry(), format_checker=format_checker())
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


_PLACEHOLDER = re.compile(r"\{([A-Za-z][A-Za-z0-9]*)\}")


def load_fixture(model: str, entity_id: Callable[[str], str], form: str = "normalized") -> dict[str, Any]:
    """A model's payload fixture with its placeholders filled: ``{id}`` is the entity's own id (of
    the model's type), ``{<Type>}`` (``{<Type>2}``...) a relationship target of that type; every id
    comes from ``entity_id(type)``, so that it is run-scoped."""
    relative = f"models/{model}/{form}.json"
    return fill_placeholders((fixtures.root() / relative).read_text(encoding="utf-8"), model, entity_id)


def fill_placeholders(text: str, model: str, entity_id: Callable[[str], str]) -> dict[str, Any]:
    """A payload fixture's JSON text with its placeholders filled (see ``load_fixture``)."""
    for name in dict.fromkeys(_PLACEHOLDER.findall(text)):
        value = entity_id(model if name == "id" else name.rstrip("0123456789"))
        text = text.replace("{" + name + "}", value)
    result: dict[str, Any] = json.loads(text)
    return result


def relationships(entity: dict[str, Any]) -> dict[str, Any]:
    """The Relationship attributes of a normalized entity: name -> object."""
    return {
        name: member["object"]
        for name, member in entity.items()
        if isinstance(member, dict) and member.get("type") == "Relationship"
    }


def _attribute_value(attribute: Any) -> Any:
    if isinstance(attribute, list):  # several instances (datasetId): the default one, or the first
        defaults = [a for a in attribute if isinstance(a, dict) and "datasetId" not in a]
        attribute = (defaults or attribute)[0]
    if not isinstance(attribute, dict):
        return attribute
    kind = attribute.get("type")
    if kind == "Relationship" and "object" not in attribute:
        # NGSI-LD names the target "object"; the NGSI-v2 normalized form of the SDM examples "value".
        return attribute.get("value")
    return attribute.get(VALUE_MEMBER.get(str(kind), "value"))


def to_key_values(entity: dict[str, Any]) -> dict[str, Any]:
    """The keyValues form of a normalized entity (clause 4.5.4 of ETSI GS CIM 009)."""
    simplified: dict[str, Any] = {}
    for name, member in entity.items():
        if name in ("id", "type", "@context", "scope"):
            simplified[name] = member
        else:
            simplified[name] = _attribute_value(member)
    return simplified


def canonical(value: Any, *, ordered: bool = False) -> Any:
    """A value made comparable the way JSON-LD sees it: the order of an array is not significant
    (an NGSI-LD Property value array or a Relationship object array is a set; ordered lists are
    ListProperty / ListRelationship), except GeoJSON coordinates (an ordered ``@list``)."""
    if isinstance(value, dict):
        return {k: canonical(v, ordered=ordered or k in ("coordinates", "bbox")) for k, v in value.items()}
    if isinstance(value, list):
        items = [canonical(v, ordered=ordered) for v in value]
        return items if ordered else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def _sample(name: str) -> dict[str, Any]:
    return load_fixture(name, lambda kind: f"urn:ngsi-ld:{kind}:x")


def with_relationships() -> list[str]:
    """The models whose fixture holds at least one Relationship attribute."""
    return [name for name in MODELS if relationships(_sample(name))]


def with_location() -> list[str]:
    """The models whose fixture has a location (Device, DeviceModel and WeatherForecast have none)."""
    return [name for name in MODELS if "location" in _sample(name)]
