"""Shared TMF630 (REST API design guidelines v4) behaviour: errors, JSON bodies, merge patch, queries."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

JSON_UTF8 = "application/json;charset=utf-8"
# query parameters of a list request that are not attribute filters
LIST_PARAMS = frozenset({"fields", "offset", "limit", "sort", "depth", "expand"})
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte")
MAX_LIMIT = 1000


class TmfError(Exception):
    """An error answered with the TMF630 Error structure."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message

    def response(self) -> Response:
        body = {
            "code": str(self.status),
            "reason": self.reason,
            "message": self.message,
            "status": str(self.status),
            "@type": "Error",
        }
        return Response(json.dumps(body), status_code=self.status, media_type=JSON_UTF8)


def bad_request(message: str) -> TmfError:
    return TmfError(400, "Bad Request", message)


def not_found(message: str) -> TmfError:
    return TmfError(404, "Not Found", message)


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False), status_code=status, media_type=JSON_UTF8, headers=headers
    )


async def read_object(request: Request, allowed_types: tuple[str, ...]) -> dict[str, Any]:
    """The JSON object body; a missing Content-Type is read as the first allowed type."""
    ctype = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if ctype and ctype not in allowed_types:
        raise TmfError(
            415,
            "Unsupported Media Type",
            f"Content-Type {ctype} is not supported; use {' or '.join(allowed_types)}",
        )
    raw = await request.body()
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise bad_request("the request body shall be a JSON object")
    return payload


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ------------------------------------------------------------------ attribute selection (fields=)
ALWAYS_KEPT = ("id", "href", "@type")


def _field_tree(fields: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for field in fields.split(","):
        field = field.strip()
        if not field or field == "none":
            continue
        node = tree
        parts = field.split(".")
        for i, part in enumerate(parts):
            if i == len(parts) - 1:
                node[part] = True  # the whole value
            else:
                child = node.get(part)
                if child is True:
                    break
                node = node.setdefault(part, {})
    return tree


def _apply_tree(value: Any, tree: dict[str, Any] | bool) -> Any:
    if tree is True:
        return value
    if isinstance(value, list):
        return [_apply_tree(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    assert isinstance(tree, dict)
    return {k: _apply_tree(value[k], sub) for k, sub in tree.items() if k in value}


def select_fields(resource: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """TMF630 attribute selection: the requested attributes (dotted paths select sub-attributes) plus
    id, href and @type, which are always returned."""
    if fields is None or fields.strip() == "":
        return resource
    selected = _apply_tree(resource, _field_tree(fields))
    for key in ALWAYS_KEPT:
        if key in resource:
            selected[key] = resource[key]
    return {k: selected[k] for k in resource if k in selected}


# ------------------------------------------------------------------ filtering
def lookup(resource: Any, path: list[str]) -> list[Any]:
    """Values at a dotted path; arrays are traversed (any element may match)."""
    if not path:
        return list(resource) if isinstance(resource, list) else [resource]
    if isinstance(resource, list):
        found: list[Any] = []
        for item in resource:
            found.extend(lookup(item, path))
        return found
    if isinstance(resource, dict) and path[0] in resource:
        return lookup(resource[path[0]], path[1:])
    return []


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if value is None:
        return "null"
    return str(value)


def _compare(value: Any, expected: str) -> int | None:
    """-1/0/1 comparing value with expected (numbers numerically, else as text); None when incomparable."""
    if isinstance(value, (dict, list)) or value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            other = float(expected)
        except ValueError:
            return None
        return (value > other) - (value < other)
    text = as_text(value)
    return (text > expected) - (text < expected)


def parse_filters(items: list[tuple[str, str]]) -> list[tuple[list[str], str, str]]:
    """(path, operator, value) for each `attr[.op]=value` query item."""
    filters = []
    for name, expected in items:
        if name in LIST_PARAMS:
            continue
        path = name.split(".")
        operator = "eq"
        if len(path) > 1 and path[-1] in OPERATORS:
            operator = path.pop()
        filters.append((path, operator, expected))
    return filters


def _term(resource: dict[str, Any], path: list[str], operator: str, expected: str) -> bool:
    values = lookup(resource, path)
    if operator == "eq":
        alternatives = expected.split(",")
        return any(as_text(v) in alternatives for v in values)
    if operator == "ne":
        alternatives = expected.split(",")
        return not any(as_text(v) in alternatives for v in values)
    wanted = {"gt": (1,), "gte": (0, 1), "lt": (-1,), "lte": (-1, 0)}[operator]
    return any(_compare(v, expected) in wanted for v in values)


def matches(resource: dict[str, Any], filters: list[tuple[list[str], str, str]]) -> bool:
    return all(_term(resource, path, op, value) for path, op, value in filters)


def sort_items(items: list[dict[str, Any]], sort: str | None) -> list[dict[str, Any]]:
    """TMF630 `sort=a,-b`: ascending, `-` descending; resources lacking the attribute come last."""
    if not sort:
        return items
    for key in reversed([k.strip() for k in sort.split(",") if k.strip()]):
        descending = key.startswith("-")
        path = key.lstrip("+-").split(".")
        present = [r for r in items if lookup(r, path)]
        missing = [r for r in items if not lookup(r, path)]

        def sort_key(r: dict[str, Any], path: list[str] = path) -> tuple[int, Any]:
            value = lookup(r, path)[0]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return (0, value)
            return (1, as_text(value))

        present.sort(key=sort_key, reverse=descending)
        items = present + missing
    return items


def int_param(request: Request, name: str, default: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not re.match(r"^\d+$", raw):
        raise bad_request(f"{name} shall be a non-negative integer")
    return int(raw)


def public_root(request: Request) -> str:
    """scheme://host[:port] the client addressed: the request's own, or the one a reverse proxy in
    front names in X-Forwarded-Host (and X-Forwarded-Proto), so that an href names the host the
    client used rather than the address behind the proxy."""
    forwarded = request.headers.get("x-forwarded-host", "").split(",")[0].strip()
    if not forwarded:
        return str(request.base_url).rstrip("/")
    scheme = request.headers.get("x-forwarded-proto", "").split(",")[0].strip() or request.url.scheme
    return f"{scheme}://{forwarded}" + str(request.scope.get("root_path", "")).rstrip("/")
