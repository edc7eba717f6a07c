"""Checks of NGSI-LD answers (ETSI GS CIM 009): ProblemDetails errors, the JSON-LD @context Link,
UpdateResult, DateTimes, attribute instances, the notification envelope."""

from __future__ import annotations

from typing import Any

import requests

from conformance.checks.http import (
    content_type_is,
    equal,
    fail,
    header,
    is_datetime,
    is_uri,
    json_object,
    member,
    status_is,
    where,
)

NGSILD_ERROR_PREFIX = "https://uri.etsi.org/ngsi-ld/errors/"


def ngsild_problem(resp: requests.Response, status: int, error: str) -> dict[str, Any]:
    """An NGSI-LD error: the status, and a ProblemDetails body whose type names the error exactly."""
    status_is(resp, status)
    content_type_is(resp, "application/json", "application/problem+json", "application/ld+json")
    body = json_object(resp)
    expected_type = NGSILD_ERROR_PREFIX + error
    equal(f"{where(resp)}: ProblemDetails 'type'", body.get("type"), expected_type)
    if "status" in body:
        equal(f"{where(resp)}: ProblemDetails 'status'", body["status"], status)
    return body


def ngsild_problem_one_of(resp: requests.Response, status: int, *errors: str) -> str:
    """An NGSI-LD error of one of these types, where the spec allows more than one (for example
    BadRequestData or InvalidRequest where it states the constraint but not the error); returns the
    error type the target used, for the evidence."""
    status_is(resp, status)
    content_type_is(resp, "application/json", "application/problem+json", "application/ld+json")
    body = json_object(resp)
    kind = body.get("type")
    names = {NGSILD_ERROR_PREFIX + e: e for e in errors}
    if not isinstance(kind, str) or kind not in names:
        fail(f"{where(resp)}: ProblemDetails 'type' should be one of {sorted(names)}, got {kind!r}")
        raise AssertionError  # unreachable: fail() raises
    if "status" in body:
        equal(f"{where(resp)}: ProblemDetails 'status'", body["status"], status)
    return names[kind]


# LdContextNotAvailable: CIM 009 V1.8.1 answers it with 504 (V1.9.1 table 6.3.2-1 too; a broker's
# changelog names the change from 503 in 1.8.1, and the V1.8.1 OpenAPI answers a failed @context
# reload with 504); earlier versions, and the ETSI test suite, with 503. Both are accepted.
LD_CONTEXT_NOT_AVAILABLE_STATUSES = (504, 503)


def ld_context_not_available(resp: requests.Response) -> int:
    """An LdContextNotAvailable error, answered 504 (V1.8.1) or 503 (earlier versions); returns the
    status the target used, for the evidence."""
    shown = resp.status_code
    status = shown if shown in LD_CONTEXT_NOT_AVAILABLE_STATUSES else LD_CONTEXT_NOT_AVAILABLE_STATUSES[0]
    ngsild_problem(resp, status, "LdContextNotAvailable")
    return status


JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"


def link_context(resp: requests.Response) -> str:
    """The URL of the JSON-LD @context named by the response's Link header (rel json-ld#context)."""
    value = header(resp, "Link")
    for part in value.split(","):
        if "<" not in part or ">" not in part:
            continue
        target = part[part.index("<") + 1 : part.index(">")].strip()
        params = part[part.index(">") + 1 :].lower()
        if JSONLD_CONTEXT_REL in params.replace("'", '"'):
            if 'type="application/ld+json"' not in params.replace(
                " ", ""
            ) and "type=application/ld+json" not in params.replace(" ", ""):
                fail(
                    f'{where(resp)}: the JSON-LD context Link {part.strip()!r} lacks type="application/ld+json"'
                )
            return target
    fail(f'{where(resp)}: the Link header {value!r} names no rel="{JSONLD_CONTEXT_REL}" @context')
    return ""  # unreachable


def problem_details(resp: requests.Response, status: int) -> dict[str, Any]:
    """An RFC 7807 ProblemDetails body for an error of this status, whatever its NGSI-LD type."""
    status_is(resp, status)
    content_type_is(resp, "application/json", "application/problem+json", "application/ld+json")
    body = json_object(resp)
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.startswith(NGSILD_ERROR_PREFIX):
        fail(f"{where(resp)}: ProblemDetails 'type' should be an NGSI-LD error type URI, got {kind!r}")
    if "status" in body:
        equal(f"{where(resp)}: ProblemDetails 'status'", body["status"], status)
    return body


def concise_attribute(
    what: str, got: Any, value_key: str, value: Any, extra: dict[str, Any] | None = None
) -> str:
    """An attribute in the concise representation (clauses 4.5.2.3, 4.5.3.3): no 'type', the value
    (or object) and the other members given; a Property with no other member may also be the bare
    value. Returns the form the target used: "bare" or "object"."""
    extra = extra or {}
    if not isinstance(got, dict) or value_key not in got:
        if not extra and value_key == "value" and got == value:
            return "bare"
        fail(f"{what}: expected a concise attribute with {value_key!r} = {value!r}, got {got!r}")
    if "type" in got:
        fail(f"{what}: a concise attribute carries no 'type', got {got!r}")
    equal(f"{what}.{value_key}", got[value_key], value)
    for key, expected in extra.items():
        equal(f"{what}.{key}", got.get(key), expected)
    return "object"


def update_result(resp: requests.Response) -> tuple[list[Any], list[Any]]:
    """A 207 UpdateResult: (updated, notUpdated)."""
    status_is(resp, 207)
    body = json_object(resp)
    updated = member(f"{where(resp)}: UpdateResult", body, "updated")
    not_updated = member(f"{where(resp)}: UpdateResult", body, "notUpdated")
    if not isinstance(updated, list) or not isinstance(not_updated, list):
        fail(f"{where(resp)}: UpdateResult 'updated' and 'notUpdated' should be arrays, got {body!r}")
    return updated, not_updated


def utc_datetime(what: str, value: Any) -> None:
    """An NGSI-LD DateTime (clause 4.6.3): ISO 8601 in UTC, ending with Z."""
    import re

    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", value):
        fail(f"{what}: expected an ISO 8601 UTC DateTime ending with Z, got {value!r}")


def _instant(text: str) -> Any:
    """The instant an ISO 8601 date-time with a time zone names, or None."""
    from datetime import datetime

    if "T" not in text:
        return None
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _value_difference(got: Any, expected: Any, path: str) -> str | None:
    if isinstance(expected, dict) and isinstance(got, dict):
        if set(got) != set(expected):
            return f"{path}: expected the members {sorted(expected)}, got {sorted(got)} ({got!r})"
        for key, value in expected.items():
            problem = _value_difference(got[key], value, f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list) and isinstance(got, list) and len(got) == len(expected):
        for index, (g, e) in enumerate(zip(got, expected, strict=True)):
            problem = _value_difference(g, e, f"{path}[{index}]")
            if problem:
                return problem
        return None
    if isinstance(expected, str) and isinstance(got, str) and got != expected:
        instant = _instant(expected)
        if instant is not None and _instant(got) == instant:
            return None
    if got == expected and isinstance(got, bool) == isinstance(expected, bool):
        return None  # 1 and 1.0 are the same JSON number; true is not 1
    return f"{path}: expected {expected!r}, got {got!r}"


def same_value(what: str, got: Any, expected: Any) -> None:
    """got equals expected, except that a DateTime may come back in any form naming the same instant
    (2024-05-01T10:00:00Z as ...00.000Z or ...00+00:00): a DateTime is an instant (clause 4.6.3),
    and brokers render it back in their own form (Orion-LD always with milliseconds)."""
    problem = _value_difference(got, expected, what)
    if problem:
        fail(problem, expected=expected, seen=got)


def instances(what: str, attribute: Any) -> list[dict[str, Any]]:
    """The instances of an attribute in normalized form: one object, or an array of them."""
    items = attribute if isinstance(attribute, list) else [attribute]
    if not items or not all(isinstance(i, dict) for i in items):
        fail(f"{what}: expected an attribute object or an array of them, got {attribute!r}")
    return items


def notification_envelope(body: dict[str, Any], subscription_id: str) -> list[Any]:
    """A Notification (clause 5.3.1): id, type Notification, subscriptionId, notifiedAt, data."""
    is_uri("notification 'id'", member("notification", body, "id"))
    equal("notification 'type'", member("notification", body, "type"), "Notification")
    equal("notification 'subscriptionId'", member("notification", body, "subscriptionId"), subscription_id)
    is_datetime("notification 'notifiedAt'", member("notification", body, "notifiedAt"))
    data = member("notification", body, "data")
    if not isinstance(data, list) or not data:
        fail(f"notification 'data': expected a non-empty array of entities, got {data!r}")
    return data
