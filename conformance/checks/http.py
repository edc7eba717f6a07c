"""Generic checks of HTTP answers and JSON values: status, headers, media types, bodies read through
checks (a missing member is a FAIL, not a KeyError), equality, members, date-times, URIs, ids.

Each raises ``CheckFailed`` (the only source of a FAIL) with a message that says what was expected
and what the target did."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import requests

from conformance.outcomes import CheckFailed


def fail(message: str, *, expected: Any = None, seen: Any = None, exchange: str | None = None) -> NoReturn:
    raise CheckFailed(message, expected=expected, seen=seen, exchange=exchange)


def where(resp: requests.Response) -> str:
    return f"{resp.request.method} {resp.request.url}"


def status_is(resp: requests.Response, *expected: int) -> None:
    if resp.status_code not in expected:
        want = " or ".join(str(s) for s in expected)
        fail(
            f"{where(resp)}: expected HTTP status {want}, got {resp.status_code}; body: {resp.text[:300]!r}",
            expected=f"HTTP {want}",
            seen=f"HTTP {resp.status_code}",
            exchange=where(resp),
        )


def header(resp: requests.Response, name: str) -> str:
    value = resp.headers.get(name)
    if value is None:
        fail(f"{where(resp)}: expected a {name} header in the response; there is none")
    return value


def no_header(resp: requests.Response, name: str) -> None:
    if name in resp.headers:
        fail(f"{where(resp)}: expected no {name} header, got {resp.headers[name]!r}")


def media_type(resp: requests.Response) -> str:
    return resp.headers.get("Content-Type", "").split(";")[0].strip().lower()


def content_type_is(resp: requests.Response, *expected: str) -> None:
    got = media_type(resp)
    if got not in expected:
        fail(f"{where(resp)}: expected Content-Type {' or '.join(expected)}, got {got or 'none'!r}")


class AnswerObject(dict[str, Any]):
    """A JSON object from the target, read through a check: a missing member is a FAIL that names
    it (CheckFailed), not a KeyError that would make the case a suite error."""

    where: str = "the answer"

    def __getitem__(self, key: Any) -> Any:
        try:
            return super().__getitem__(key)
        except KeyError:
            fail(
                f"{self.where}: expected member {key!r}; members present: {sorted(map(str, self))}"[:600],
                expected=f"member {key!r}",
                seen=f"members {sorted(map(str, self))}"[:300],
            )


class AnswerArray(list[Any]):
    """A JSON array from the target, read through a check: a missing element is a FAIL."""

    where: str = "the answer"

    def __getitem__(self, index: Any) -> Any:
        try:
            return super().__getitem__(index)
        except IndexError:
            fail(
                f"{self.where}: expected an element at index {index!r}; the array has {len(self)}",
                expected=f"element {index!r}",
                seen=f"{len(self)} elements",
            )


def checked(value: Any, where: str = "the answer") -> Any:
    """A parsed JSON value whose objects and arrays FAIL through a check when a scenario reads a
    member or an element that is not there."""
    if isinstance(value, dict):
        obj = AnswerObject((k, checked(v, where)) for k, v in value.items())
        obj.where = where
        return obj
    if isinstance(value, list):
        arr = AnswerArray(checked(v, where) for v in value)
        arr.where = where
        return arr
    return value


def json_body(resp: requests.Response) -> Any:
    try:
        body = resp.json()
        return checked(body, where(resp))
    except (ValueError, json.JSONDecodeError):
        fail(f"{where(resp)}: expected a JSON body, got {resp.text[:200]!r}")
    except RecursionError:  # a hostile or broken answer: no NGSI-LD or TM Forum body nests this deep
        fail(f"{where(resp)}: the JSON body nests deeper than can be read (over ~900 levels)")


def json_object(resp: requests.Response) -> dict[str, Any]:
    body = json_body(resp)
    if not isinstance(body, dict):
        fail(f"{where(resp)}: expected a JSON object, got {type(body).__name__}")
    return body


def json_array(resp: requests.Response) -> list[Any]:
    body = json_body(resp)
    if not isinstance(body, list):
        fail(f"{where(resp)}: expected a JSON array, got {type(body).__name__}")
    return body


def empty_body(resp: requests.Response) -> None:
    if resp.content.strip():
        fail(f"{where(resp)}: expected an empty body, got {resp.text[:200]!r}")


def equal(what: str, got: Any, expected: Any) -> None:
    if got != expected:
        fail(f"{what}: expected {expected!r}, got {got!r}", expected=expected, seen=got)


def member(what: str, obj: dict[str, Any], key: str, kind: type | tuple[type, ...] | None = None) -> Any:
    """The member ``key`` of a JSON object; with ``kind``, it must also be of that JSON type (dict for
    an object, list for an array, str, ...), so that reading it further cannot trip the scenario."""
    if not isinstance(obj, dict) or key not in obj:
        fail(
            f"{what}: expected member {key!r}; members present: {sorted(obj) if isinstance(obj, dict) else obj!r}",
            expected=f"member {key!r}",
        )
    value = obj[key]
    if kind is not None and (
        not isinstance(value, kind) or isinstance(value, bool) and bool not in _kinds(kind)
    ):
        names = " or ".join(JSON_TYPE_NAMES.get(k, k.__name__) for k in _kinds(kind))
        fail(f"{what}: member {key!r} should be {names}, got {value!r}"[:600], expected=names, seen=value)
    return value


JSON_TYPE_NAMES: dict[type, str] = {
    dict: "a JSON object",
    list: "a JSON array",
    str: "a string",
    int: "an integer",
}


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def absent(what: str, obj: dict[str, Any], key: str) -> None:
    if key in obj:
        fail(f"{what}: expected no member {key!r}, got {obj[key]!r}")


def is_datetime(what: str, value: Any) -> None:
    """An NGSI-LD DateTime: ISO 8601 with a time zone (clause 4.6.3 asks for UTC)."""
    from datetime import datetime

    if not isinstance(value, str):
        fail(f"{what}: expected a DateTime string, got {value!r}")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        fail(f"{what}: expected an ISO 8601 DateTime, got {value!r}")
    if moment.tzinfo is None:
        fail(f"{what}: expected a DateTime with a time zone (UTC), got {value!r}")


def is_uri(what: str, value: Any) -> None:
    """An absolute URI (scheme ':' ...), as NGSI-LD identifiers are."""
    import re

    if not isinstance(value, str) or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", value):
        fail(f"{what}: expected an absolute URI, got {value!r}")


def location_names(resp: requests.Response, identifier: str) -> None:
    """A Location header naming the created resource (absolute or relative, id URL-encoded or not)."""
    from urllib.parse import unquote

    location = header(resp, "Location")
    if not unquote(location.rstrip("/")).endswith(identifier):
        fail(f"{where(resp)}: Location {location!r} does not name the created resource {identifier}")


def contains_ids(what: str, items: Any, expected: set[str]) -> None:
    """A JSON array of objects that contains objects with all these ids."""
    if not isinstance(items, list):
        fail(f"{what}: expected a JSON array, got {type(items).__name__}")
    got = {item.get("id") for item in items if isinstance(item, dict)}
    missing = expected - got
    if missing:
        fail(
            f"{what}: expected ids {sorted(missing)} among the results; got {sorted(str(g) for g in got)[:20]}"
        )


def lacks_ids(what: str, items: Any, unexpected: set[str]) -> None:
    if not isinstance(items, list):
        fail(f"{what}: expected a JSON array, got {type(items).__name__}")
    got = {item.get("id") for item in items if isinstance(item, dict)}
    present = unexpected & got
    if present:
        fail(f"{what}: expected no result with ids {sorted(present)}; they are there")


def count_header(resp: requests.Response, name: str) -> int:
    """A header holding a non-negative integer (X-Total-Count, X-Result-Count)."""
    value = header(resp, name).strip()
    if not value.isdigit():
        fail(f"{where(resp)}: {name} should be a non-negative integer, got {value!r}")
    return int(value)
