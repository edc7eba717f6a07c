"""RFC 6902 JSON Patch for the TM Forum APIs (application/json-patch+json, optional in the v4 user
guides): add, remove, replace, move, copy and test on a JSON document. A malformed document or an
operation that cannot apply is a 400 (RFC 5789 section 2.2: malformed patch document)."""

from __future__ import annotations

import copy
import json
from typing import Any

from starlette.requests import Request

from .common import TmfError, bad_request

JSON_PATCH = "application/json-patch+json"
OPS = ("add", "remove", "replace", "move", "copy", "test")


async def read_json_patch(request: Request) -> list[dict[str, Any]]:
    """The patch document: a JSON array of operation objects."""
    raw = await request.body()
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_request(f"the JSON Patch document is not valid JSON: {exc}") from exc
    if not isinstance(document, list):
        raise bad_request("a JSON Patch document shall be a JSON array of operations (RFC 6902)")
    for index, op in enumerate(document):
        if not isinstance(op, dict) or op.get("op") not in OPS or not isinstance(op.get("path"), str):
            raise bad_request(
                f"JSON Patch operation {index}: needs 'op' (one of {', '.join(OPS)}) and 'path'"
            )
        if op["op"] in ("add", "replace", "test") and "value" not in op:
            raise bad_request(f"JSON Patch operation {index} ({op['op']}): needs 'value'")
        if op["op"] in ("move", "copy") and not isinstance(op.get("from"), str):
            raise bad_request(f"JSON Patch operation {index} ({op['op']}): needs 'from'")
    return document


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise bad_request(f"JSON Pointer {pointer!r} shall start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, pointer: str, appending: bool) -> int:
    if appending and token == "-":
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise bad_request(f"JSON Pointer {pointer!r}: {token!r} is not an array index")
    index = int(token)
    if index > len(container) or (index == len(container) and not appending):
        raise bad_request(f"JSON Pointer {pointer!r}: index {index} is out of range")
    return index


def _parent(doc: Any, pointer: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise bad_request("a JSON Patch operation on the whole resource is not supported")
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, pointer, appending=False)]
        else:
            raise bad_request(f"JSON Pointer {pointer!r} does not exist in the resource")
    return node, tokens[-1]


def _get(doc: Any, pointer: str) -> Any:
    parent, last = _parent(doc, pointer)
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, pointer, appending=False)]
    raise bad_request(f"JSON Pointer {pointer!r} does not exist in the resource")


def _add(doc: Any, pointer: str, value: Any) -> None:
    parent, last = _parent(doc, pointer)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, pointer, appending=True), value)
    else:
        raise bad_request(f"JSON Pointer {pointer!r}: the parent is not an object or an array")


def _remove(doc: Any, pointer: str) -> Any:
    parent, last = _parent(doc, pointer)
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, pointer, appending=False))
    raise bad_request(f"JSON Pointer {pointer!r} does not exist in the resource")


def apply_json_patch(document: dict[str, Any], operations: list[dict[str, Any]]) -> dict[str, Any]:
    """The document after every operation, in order; atomic (the input is not modified)."""
    doc = copy.deepcopy(document)
    for op in operations:
        kind, path = op["op"], op["path"]
        if kind == "add":
            _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            _remove(doc, path)
            _add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "move":
            if path.startswith(op["from"] + "/"):
                raise bad_request(f"JSON Patch move: {path!r} is inside {op['from']!r}")
            _add(doc, path, _remove(doc, op["from"]))
        elif kind == "copy":
            _add(doc, path, copy.deepcopy(_get(doc, op["from"])))
        elif _get(doc, path) != op["value"]:  # test
            raise TmfError(409, "Conflict", f"JSON Patch test failed at {path!r}")
    return doc
