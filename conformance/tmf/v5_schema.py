"""What the TM Forum v5 OpenAPI files declare, as derived into conformance/data/tmf/v5/<api>.json
(tests/tools/derive_tmf_v5.py): the response schema of create, list, retrieve and patch of each covered
resource, the Error schema, the mandatory attributes of each create (_FVO) schema. The suite reads only
these files.

Validation (JSON Schema draft 7) follows the OAS discriminators: a body whose @type the mapping of a
schema names is validated against the mapped schema (a LogicalResource against LogicalResource); any
other @type against the declared schema (TMF630 Part 2 type extension). Lenient as the v4 checks: a
member set to null counts as absent, undeclared members are allowed, date-time is checked."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft7Validator

from conformance import package_data

# the same lenient date-time check as the v4 swaggers' (one format checker for both)
from conformance.tmf.swagger import FORMATS


@cache
def load(capability: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        package_data.path("data", "tmf", "v5", f"{capability}.json").read_text(encoding="utf-8")
    )
    return data


def source(capability: str) -> str:
    return str(load(capability)["source"])


def fvo_mandatory(capability: str, resource: str) -> list[str]:
    """The required list of the resource's create (_FVO) schema."""
    return list(load(capability)["resources"][resource]["mandatory"])


def update_required(capability: str, resource: str) -> list[str]:
    """The required list of the resource's merge-patch (_MVO) schema: @type in every v5 file."""
    return list(load(capability)["resources"][resource].get("update_required", []))


def declares(capability: str, resource: str, operation: str) -> bool:
    return operation in load(capability)["resources"][resource]["responses"]


def without_nulls(value: Any) -> Any:
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


@cache
def _validator(capability: str, resource: str | None, operation: str) -> Draft7Validator:
    data = load(capability)
    schema = data["error"] if resource is None else data["resources"][resource]["responses"][operation]
    return Draft7Validator({**schema, "definitions": data["definitions"]}, format_checker=FORMATS)


def _problems(validator: Draft7Validator, body: Any, where: str) -> list[str]:
    errors = sorted(validator.iter_errors(without_nulls(body)), key=lambda e: list(e.absolute_path))
    return [f"{_path(e)}: breaks '{e.validator}' ({e.message[:160]}) of {where}" for e in errors[:5]]


def problems(capability: str, resource: str, operation: str, body: Any) -> list[str]:
    """Why the body breaks the operation's response schema (empty: it conforms)."""
    return _problems(_validator(capability, resource, operation), body, source(capability))


def error_problems(capability: str, body: Any) -> list[str]:
    """Why the body is no v5 Error (code, reason and @type required)."""
    return _problems(_validator(capability, None, "error"), body, f"Error of {source(capability)}")
