"""Small named checks. Each raises ``CheckFailed`` (the only source of a FAIL) with a message that
says what was expected and what the target did."""

from __future__ import annotations

import json
from typing import Any

import requests

from conformance.outcomes import CheckFailed

NGSILD_ERROR_PREFIX = "https://uri.etsi.org/ngsi-ld/errors/"


def fail(message: str, *, expected: Any = None, seen: Any = None, exchange: str | None = None) -> None:
    raise CheckFailed(message, expected=expected, seen=seen, exchange=exchange)


def _where(resp: requests.Response) -> str:
    return f"{resp.request.method} {resp.request.url}"


def status_is(resp: requests.Response, *expected: int) -> None:
    if resp.status_code not in expected:
        want = " or ".join(str(s) for s in expected)
        fail(
            f"{_where(resp)}: expected HTTP status {want}, got {resp.status_code}; body: {resp.text[:300]!r}",
            expected=f"HTTP {want}",
            seen=f"HTTP {resp.status_code}",
            exchange=_where(resp),
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


class AnswerObject(dict):  # type: ignore[type-arg]
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


class AnswerArray(list):  # type: ignore[type-arg]
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
    except (ValueError, json.JSONDecodeError):
        fail(f"{_where(resp)}: expected a JSON body, got {resp.text[:200]!r}")
    return checked(body, _where(resp))


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
        fail(f"{what}: expected {expected!r}, got {got!r}", expected=expected, seen=got)


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
                    f'{_where(resp)}: the JSON-LD context Link {part.strip()!r} lacks type="application/ld+json"'
                )
            return target
    fail(f'{_where(resp)}: the Link header {value!r} names no rel="{JSONLD_CONTEXT_REL}" @context')
    return ""  # unreachable


def problem_details(resp: requests.Response, status: int) -> dict[str, Any]:
    """An RFC 7807 ProblemDetails body for an error of this status, whatever its NGSI-LD type."""
    status_is(resp, status)
    content_type_is(resp, "application/json", "application/problem+json", "application/ld+json")
    body = json_object(resp)
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.startswith(NGSILD_ERROR_PREFIX):
        fail(f"{_where(resp)}: ProblemDetails 'type' should be an NGSI-LD error type URI, got {kind!r}")
    if "status" in body:
        equal(f"{_where(resp)}: ProblemDetails 'status'", body["status"], status)
    return body


def update_result(resp: requests.Response) -> tuple[list[Any], list[Any]]:
    """A 207 UpdateResult: (updated, notUpdated)."""
    status_is(resp, 207)
    body = json_object(resp)
    updated = member(f"{_where(resp)}: UpdateResult", body, "updated")
    not_updated = member(f"{_where(resp)}: UpdateResult", body, "notUpdated")
    if not isinstance(updated, list) or not isinstance(not_updated, list):
        fail(f"{_where(resp)}: UpdateResult 'updated' and 'notUpdated' should be arrays, got {body!r}")
    return updated, not_updated


def utc_datetime(what: str, value: Any) -> None:
    """An NGSI-LD DateTime (clause 4.6.3): ISO 8601 in UTC, ending with Z."""
    import re

    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", value):
        fail(f"{what}: expected an ISO 8601 UTC DateTime ending with Z, got {value!r}")


def instances(what: str, attribute: Any) -> list[dict[str, Any]]:
    """The instances of an attribute in normalized form: one object, or an array of them."""
    items = attribute if isinstance(attribute, list) else [attribute]
    if not items or not all(isinstance(i, dict) for i in items):
        fail(f"{what}: expected an attribute object or an array of them, got {attribute!r}")
    return items


# -- dynamics: subscriptions, notifications, registrations, temporal (added for MIM1 dynamics) --


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


def location_names(resp: requests.Response, identifier: str) -> None:
    """A Location header naming the created resource (absolute or relative, id URL-encoded or not)."""
    from urllib.parse import unquote

    location = header(resp, "Location")
    if not unquote(location.rstrip("/")).endswith(identifier):
        fail(f"{_where(resp)}: Location {location!r} does not name the created resource {identifier}")


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


# -- MIM2 Smart Data Models (added for MIM2 in depth) --

GEOJSON_GEOMETRIES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


def _geojson_problem(kind: Any, coordinates: Any) -> str | None:
    """Why these are not the coordinates of a GeoJSON geometry of this type (RFC 7946 clause 3.1),
    or None when they are."""

    def position(p: Any) -> str | None:
        if not isinstance(p, list) or not 2 <= len(p) <= 3:
            return f"a position should be an array of 2 or 3 numbers, got {p!r}"
        if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in p):
            return f"a position should hold numbers only, got {p!r}"
        if not (-180 <= p[0] <= 180 and -90 <= p[1] <= 90):
            return f"position {p!r} is not a longitude, latitude pair in range"
        return None

    def positions(items: Any, minimum: int, ring: bool = False) -> str | None:
        if not isinstance(items, list) or len(items) < minimum:
            return f"expected an array of at least {minimum} positions, got {items!r}"
        for p in items:
            problem = position(p)
            if problem:
                return problem
        if ring and items[0] != items[-1]:
            return f"a linear ring should end where it starts, got {items!r}"
        return None

    def many(items: Any, each: Any) -> str | None:
        if not isinstance(items, list) or not items:
            return f"expected a non-empty array, got {items!r}"
        for item in items:
            problem = each(item)
            if problem:
                return problem
        return None

    def polygon(rings: Any) -> str | None:
        return many(rings, lambda r: positions(r, 4, ring=True))

    if kind == "Point":
        return position(coordinates)
    if kind == "MultiPoint":
        return many(coordinates, position)
    if kind == "LineString":
        return positions(coordinates, 2)
    if kind == "MultiLineString":
        return many(coordinates, lambda line: positions(line, 2))
    if kind == "Polygon":
        return polygon(coordinates)
    if kind == "MultiPolygon":
        return many(coordinates, polygon)
    return f"type {kind!r} is not one of {', '.join(GEOJSON_GEOMETRIES)}"


def geojson_geometry(what: str, value: Any) -> None:
    """A GeoJSON geometry object (RFC 7946 clause 3.1): a geometry type and well-formed coordinates."""
    if not isinstance(value, dict):
        fail(f"{what}: expected a GeoJSON geometry object, got {value!r}")
    if "coordinates" not in value:
        fail(f"{what}: expected a GeoJSON geometry with 'coordinates', got {value!r}")
    problem = _geojson_problem(value.get("type"), value["coordinates"])
    if problem:
        fail(f"{what}: not a valid GeoJSON geometry: {problem}")


# -- MIM3 TM Forum Open APIs (added for MIM3 in depth) --


def tmf_error(resp: requests.Response, *statuses: int) -> dict[str, Any]:
    """A TMF Error (v4 swagger `Error`, TMF630): the status, a JSON object with the mandatory `code`
    and `reason` as non-empty strings; `message`, optional, a string when present."""
    status_is(resp, *statuses)
    body = json_object(resp)
    for key in ("code", "reason"):
        value = member(f"{_where(resp)}: TMF Error", body, key)
        if not isinstance(value, str) or not value:
            fail(f"{_where(resp)}: TMF Error {key!r} should be a non-empty string, got {value!r}")
    if "message" in body and not isinstance(body["message"], str):
        fail(f"{_where(resp)}: TMF Error 'message' should be a string, got {body['message']!r}")
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


def count_header(resp: requests.Response, name: str) -> int:
    """A header holding a non-negative integer (X-Total-Count, X-Result-Count)."""
    value = header(resp, name).strip()
    if not value.isdigit():
        fail(f"{_where(resp)}: {name} should be a non-negative integer, got {value!r}")
    return int(value)
