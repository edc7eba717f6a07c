"""Small named checks. Each raises ``CheckFailed`` (an AssertionError, so a FAIL) with a message
that says what was expected and what the target did."""

from __future__ import annotations

import json
from typing import Any

import requests

NGSILD_ERROR_PREFIX = "https://uri.etsi.org/ngsi-ld/errors/"


class CheckFailed(AssertionError):
    """The target deviates from the requirement under test."""


def fail(message: str) -> None:
    raise CheckFailed(message)


def _where(resp: requests.Response) -> str:
    return f"{resp.request.method} {resp.request.url}"


def status_is(resp: requests.Response, *expected: int) -> None:
    if resp.status_code not in expected:
        want = " or ".join(str(s) for s in expected)
        fail(
            f"{_where(resp)}: expected HTTP status {want}, got {resp.status_code}; body: {resp.text[:300]!r}"
        )


def header(resp: requests.Response, name: str) -> str:
    value = resp.headers.get(name)
    if value is None:
        fail(f"{_where(resp)}: expected a {name} header in the response; there is none")
    return value  # type: ignore[return-value]


def no_header(resp: requests.Response, name: str) -> None:
    if name in resp.headers:
        fail(f"{_where(resp)}: expected no {name} header, got {resp.headers[name]!r}")


def media_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def content_type_is(resp: requests.Response, *expected: str) -> None:
    got = media_type(resp)
    if got not in expected:
        fail(f"{_where(resp)}: expected Content-Type {' or '.join(expected)}, got {got or 'none'!r}")


def json_body(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except (ValueError, json.JSONDecodeError):
        fail(f"{_where(resp)}: expected a JSON body, got {resp.text[:200]!r}")


def json_object(resp: requests.Response) -> dict[str, Any]:
    body = json_body(resp)
    if not isinstance(body, dict):
        fail(f"{_where(resp)}: expected a JSON object, got {type(body).__name__}")
    return body


def json_array(resp: requests.Response) -> list[Any]:
    body = json_body(resp)
    if not isinstance(body, list):
        fail(f"{_where(resp)}: expected a JSON array, got {type(body).__name__}")
    return body


def empty_body(resp: requests.Response) -> None:
    if resp.content.strip():
        fail(f"{_where(resp)}: expected an empty body, got {resp.text[:200]!r}")


def equal(what: str, got: Any, expected: Any) -> None:
    if got != expected:
        fail(f"{what}: expected {expected!r}, got {got!r}")


def member(what: str, obj: dict[str, Any], key: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        fail(
            f"{what}: expected member {key!r}; members present: {sorted(obj) if isinstance(obj, dict) else obj!r}"
        )
    return obj[key]


def absent(what: str, obj: dict[str, Any], key: str) -> None:
    if key in obj:
        fail(f"{what}: expected no member {key!r}, got {obj[key]!r}")


def ngsild_problem(resp: requests.Response, status: int, error: str) -> dict[str, Any]:
    """An NGSI-LD error: the status, and a ProblemDetails body whose type names the error exactly."""
    status_is(resp, status)
    content_type_is(resp, "application/json", "application/problem+json", "application/ld+json")
    body = json_object(resp)
    expected_type = NGSILD_ERROR_PREFIX + error
    equal(f"{_where(resp)}: ProblemDetails 'type'", body.get("type"), expected_type)
    if "status" in body:
        equal(f"{_where(resp)}: ProblemDetails 'status'", body["status"], status)
    return body
