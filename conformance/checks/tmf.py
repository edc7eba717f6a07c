"""Checks of TM Forum Open API answers (v4): the Error body, resource identity, echoed members."""

from __future__ import annotations

from typing import Any

import requests

from conformance.checks.http import fail, json_object, member, status_is, where


def tmf_error(resp: requests.Response, *statuses: int) -> dict[str, Any]:
    """A TMF Error (v4 swagger `Error`, TMF630): the status, a JSON object with the mandatory `code`
    and `reason` as non-empty strings; `message`, optional, a string when present."""
    status_is(resp, *statuses)
    body = json_object(resp)
    for key in ("code", "reason"):
        value = member(f"{where(resp)}: TMF Error", body, key)
        if not isinstance(value, str) or not value:
            fail(f"{where(resp)}: TMF Error {key!r} should be a non-empty string, got {value!r}")
    if "message" in body and not isinstance(body["message"], str):
        fail(f"{where(resp)}: TMF Error 'message' should be a string, got {body['message']!r}")
    return body


def tmf_identity(what: str, resource: Any) -> dict[str, Any]:
    """A TMF resource representation: a JSON object with non-empty string id, href and @type."""
    if not isinstance(resource, dict):
        fail(f"{what}: expected a JSON object, got {resource!r}")
    for key in ("id", "href", "@type"):
        value = member(what, resource, key)
        if not isinstance(value, str) or not value:
            fail(f"{what}: {key} must be a non-empty string, got {value!r}")
    return resource


def _subset_problem(got: Any, sent: Any, path: str) -> str | None:
    """Why `got` does not carry everything `sent` carries (objects may have more members; arrays
    are compared element by element), or None."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return f"{path}: expected an object, got {got!r}"
        for key, value in sent.items():
            if key not in got:
                return f"{path}/{key}: missing (sent {value!r})"
            problem = _subset_problem(got[key], value, f"{path}/{key}")
            if problem:
                return problem
        return None
    if isinstance(sent, list):
        if not isinstance(got, list) or len(got) != len(sent):
            return f"{path}: expected an array of {len(sent)} elements like {sent!r}, got {got!r}"
        for index, (g, s) in enumerate(zip(got, sent, strict=True)):
            problem = _subset_problem(g, s, f"{path}/{index}")
            if problem:
                return problem
        return None
    if isinstance(sent, bool) or isinstance(got, bool):
        return None if got is sent else f"{path}: expected {sent!r}, got {got!r}"
    if isinstance(sent, int | float) and isinstance(got, int | float):
        return None if got == sent else f"{path}: expected {sent!r}, got {got!r}"
    if isinstance(sent, str) and isinstance(got, str) and got != sent and _same_instant(got, sent):
        return None
    return None if got == sent else f"{path}: expected {sent!r}, got {got!r}"


def _same_instant(a: str, b: str) -> bool:
    """Two ISO 8601 date-times naming the same instant (2026-01-01T00:00:00Z, ...00.000+00:00)."""
    from datetime import datetime

    try:
        x = datetime.fromisoformat(a.strip().replace("Z", "+00:00"))
        y = datetime.fromisoformat(b.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    if "T" not in a or "T" not in b or x.tzinfo is None or y.tzinfo is None:
        return False
    return x == y


def echoes(what: str, got: Any, sent: dict[str, Any]) -> None:
    """Every member sent is in the representation with the value sent (the server may add members)."""
    problem = _subset_problem(got, sent, "")
    if problem:
        fail(f"{what} does not echo the request: {problem}")
