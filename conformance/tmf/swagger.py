"""What the v4 swaggers declare, as derived into conformance/data/tmf/swagger/<api>.json
(tests/tools/derive_tmf_swagger.py): the response schema of each covered operation, and the event
types each resource's listener paths list. The suite reads only these files, never a swagger.

Validation is lenient where TMF630 is: a member set to null counts as absent (the merge-patch
decision of notes/mim3.md), the polymorphism attributes are plain strings (a subtype named by
@type is an allowed extension), and undeclared members are allowed (the swaggers do not close
their objects). An API with two v4 swagger files accepts a body either file accepts."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

from conformance import package_data

OPERATIONS = ("create", "retrieve", "list", "patch")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$")
FORMATS = FormatChecker(formats=())  # date-time only, leniently (also the v5 checks' checker)


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return False
    return True


@cache
def _load(api: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        package_data.path("data", "tmf", "swagger", f"{api}.json").read_text(encoding="utf-8")
    )
    return data


def sources(api: str) -> list[str]:
    return [v["source"] for v in _load(api)["variants"]]


def event_types(api: str, resource: str) -> set[str]:
    """Every event type some v4 swagger file of the API lists for the resource."""
    return {e for v in _load(api)["variants"] for e in v["events"].get(resource, [])}


def event_lists(api: str, resource: str) -> list[set[str]]:
    """The event types each v4 swagger file of the API lists for the resource, file by file."""
    return [set(v["events"].get(resource, [])) for v in _load(api)["variants"]]


def declares(api: str, resource: str, operation: str) -> bool:
    return any(operation in v["responses"].get(resource, {}) for v in _load(api)["variants"])


def without_nulls(value: Any) -> Any:
    """The body with every member whose value is null left out (null = absent)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def _path(error: Any) -> str:
    out = "$"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def problems(api: str, resource: str, operation: str, body: Any) -> list[str]:
    """Why the body breaks the response schema of the operation (empty: it conforms to at least one
    v4 swagger file of the API). Each problem names the JSON path, the rule and the source file."""
    found: list[list[str]] = []
    instance = without_nulls(body)
    for variant in _load(api)["variants"]:
        schema = variant["responses"].get(resource, {}).get(operation)
        if schema is None:
            continue
        validator = Draft4Validator({**schema, "definitions": variant["definitions"]}, format_checker=FORMATS)
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        if not errors:
            return []
        found.append(
            [
                f"{_path(e)}: breaks '{e.validator}' ({e.message[:160]}) of {variant['source']}"
                for e in errors[:5]
            ]
        )
    return min(found, key=len) if found else []
