"""The suite's own small NGSI-LD context source: a route handler on the session's callback server that
the target is registered to (clause 4.3.6) and forwards distributed operations to.

Each scenario gets its own source (a unique path under ``/mimcheck-source``) holding the entities the
scenario gives it, in normalized form with short names (the core @context: the source answers
``application/json`` without a Link header, clause 6.3.5). It answers

- ``GET .../ngsi-ld/v1/entities/{id}`` with the entity, or 404 ProblemDetails (ResourceNotFound);
- ``GET .../ngsi-ld/v1/entities`` (Query Entities) filtered by ``id``, ``idPattern``, ``type`` and
  ``attrs`` (other parameters are ignored: the scenarios never rely on them);
- ``POST .../ngsi-ld/v1/entityOperations/query`` the same from the Query's ``entities``;
- ``DELETE .../entities/{id}``, ``PATCH`` and ``POST .../entities/{id}/attrs`` (forwarded writes) with
  204 when it holds the entity (the fragment's members replace its attributes), else 404;
- the other forwarded writes (clause 4.20 operations): ``POST .../entities`` (201), ``PUT``/``PATCH
  .../entities/{id}`` and ``PUT``/``PATCH``/``DELETE .../entities/{id}/attrs/{attr}`` (204, or 404), and the batch
  operations ``POST .../entityOperations/{create,upsert,update,delete,merge}`` (204), and the temporal writes
  ``POST``/``PATCH``/``DELETE .../temporal/entities...`` (204; recorded, nothing kept);
- anything else with 422 OperationNotSupported.

Every request is recorded (method, path, query, headers such as ``Via``, body) for the evidence and
for the scenarios' checks; a source can be told to answer with an error status or to answer late.

A source given an EntityMap id (``answers_map``) plays a broker that keeps EntityMaps: a Retrieve Entity
or query that asks for a map (``entityMap=true`` or ``details=true``, the Query member ``entityMap`` of a
POST query) or names one (an ``NGSILD-EntityMap`` request header) is answered with the header
``NGSILD-EntityMap: /ngsi-ld/v1/entityMap/{id}`` (V1.8.1 OpenAPI, queryEntity/retrieveEntity 200).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from conformance.callback_server import CallbackServer

BASE_PATH = "/mimcheck-source"
API_ROOT = "/ngsi-ld/v1"
MAX_BODY_BYTES = 1_000_000
PROBLEM = "https://uri.etsi.org/ngsi-ld/errors/"
MAP_HEADER = "NGSILD-EntityMap"


@dataclass(frozen=True)
class SourceRequest:
    """One request a context source got."""

    method: str
    path: str  # below the source's own path, e.g. /ngsi-ld/v1/entities/urn:...
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    wall: str
    answered: int

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers.items() if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def as_text(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        lines = [f"{self.method} {self.path}{'?' + query if query else ''} at {self.wall} -> {self.answered}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body:
            lines += ["", self.body[:2000].decode("utf-8", errors="replace")]
        return "\n".join(lines)


@dataclass
class Source:
    """One context source of one scenario: its entities, its behaviour and what it was asked."""

    path: str
    url: str  # the endpoint to register (the target reaches the suite there)
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    status: int | None = None  # answer every request with this error status
    delay: float = 0.0  # seconds to wait before answering
    garbage: bool = False  # answer queries with 200 and a payload that is not JSON
    entity_map: str | None = None  # the EntityMap id this source names when asked for a map
    requests: list[SourceRequest] = field(default_factory=list)

    def hold(self, *entities: dict[str, Any]) -> Source:
        for entity in entities:
            self.entities[str(entity["id"])] = entity
        return self

    def answers_map(self, map_id: str) -> Source:
        self.entity_map = map_id
        return self

    def received(self) -> list[SourceRequest]:
        return list(self.requests)

    def as_text(self) -> str:
        got = self.received()
        return f"context source {self.url}: {len(got)} request(s) received" + "".join(
            "\n\n" + r.as_text() for r in got
        )


def _types(entity: dict[str, Any]) -> list[str]:
    value = entity.get("type")
    return [str(t) for t in value] if isinstance(value, list) else [str(value)]


def _select(
    entities: Iterable[dict[str, Any]],
    ids: list[str] | None,
    id_pattern: str | None,
    types: list[str] | None,
    attrs: list[str] | None,
) -> list[dict[str, Any]]:
    found = []
    for entity in entities:
        if ids is not None and entity.get("id") not in ids:
            continue
        if id_pattern is not None and not re.search(id_pattern, str(entity.get("id", ""))):
            continue
        if types is not None and not set(types) & set(_types(entity)):
            continue
        if attrs:
            if not any(a in entity for a in attrs):
                continue
            entity = {k: v for k, v in entity.items() if k in ("id", "type") or k in attrs}
        found.append(entity)
    return found


def _split(value: str | None) -> list[str] | None:
    return [v for v in value.split(",") if v] if value else None


class ContextSources:
    """The suite's context sources as one route on the callback server:
    ``sources = ContextSources(server).start(); src = sources.source("name").hold(entity)``."""

    def __init__(self, server: CallbackServer) -> None:
        self.server = server
        self._lock = threading.Lock()
        self._sources: dict[str, Source] = {}
        self._counter = 0

    def start(self) -> ContextSources:
        self.server.route(BASE_PATH, self._handle)
        return self

    def stop(self) -> None:
        self.server.unroute(BASE_PATH)

    def source(self, name: str) -> Source:
        """A fresh source whose path is unique (``name`` should carry the run id)."""
        with self._lock:
            self._counter += 1
            safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
            path = f"{BASE_PATH}/{safe}-{self._counter}"
            made = Source(path, self.server.base_url + path)
            self._sources[path] = made
        return made

    def forget(self, source: Source) -> None:
        with self._lock:
            self._sources.pop(source.path, None)

    # -- serving --------------------------------------------------------------------------------

    def _find(self, path: str) -> tuple[Source | None, str]:
        with self._lock:
            for prefix, source in self._sources.items():
                if path == prefix or path.startswith(prefix + "/"):
                    return source, path[len(prefix) :]
        return None, path

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(min(length, MAX_BODY_BYTES)) if length else b""
        source, rest = self._find(parts.path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if source is None:
            status, payload = 404, _problem("ResourceNotFound", "no such context source")
        else:
            status, payload = self._answer(source, handler.command, rest, query, body)
            wall = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
            record = SourceRequest(
                handler.command, rest, query, dict(handler.headers.items()), body, wall, status
            )
            with self._lock:  # recorded on arrival, before any delay
                source.requests.append(record)
            if source.delay:
                time.sleep(source.delay)
        data = b"" if status in (201, 204) else json.dumps(payload).encode("utf-8")
        named = _map_header(source, handler.command, rest, query, body, handler.headers.get(MAP_HEADER))
        if source is not None and source.garbage and status == 200:
            data = b"<html>not an NGSI-LD payload"
        ctype = "application/problem+json" if status >= 400 else "application/json"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", ctype)
            handler.send_header("Content-Length", str(len(data)))
            if named and status == 200:
                handler.send_header(MAP_HEADER, named)
            handler.end_headers()
            if handler.command != "HEAD":
                handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the target gave up waiting (a source slower than its timeout): nothing to answer

    def _answer(
        self, source: Source, method: str, rest: str, query: list[tuple[str, str]], body: bytes
    ) -> tuple[int, Any]:
        if source.status is not None:
            return source.status, _problem("InternalError", "the context source was told to fail")
        rest = rest[len(API_ROOT) :] if rest.startswith(API_ROOT) else rest
        params = dict(query)
        attrs = _split(params.get("attrs"))
        with self._lock:
            held = list(source.entities.values())
        if method == "GET" and rest.startswith("/entities/"):
            entity_id = unquote(rest[len("/entities/") :])
            found = _select(held, [entity_id], None, None, attrs)
            if not found:
                return 404, _problem("ResourceNotFound", f"{entity_id} is not held by this source")
            return 200, found[0]
        if method == "GET" and rest in ("/entities", "/entities/"):
            return 200, _select(
                held, _split(params.get("id")), params.get("idPattern"), _split(params.get("type")), attrs
            )
        if method == "POST" and rest == "/entityOperations/query":
            return 200, _query_batch(held, body)
        if method == "POST" and rest.startswith("/entityOperations/"):
            return 204, None  # a forwarded batch operation: recorded, nothing kept
        if method in ("DELETE", "PATCH", "POST") and rest.startswith("/temporal/entities"):
            return 204, None  # a forwarded temporal write: recorded, nothing kept
        if method == "POST" and rest in ("/entities", "/entities/"):
            return self._create(source, body)
        if method in ("DELETE", "PATCH", "POST", "PUT") and rest.startswith("/entities/"):
            return self._write(source, method, unquote(rest[len("/entities/") :]), body)
        return 422, _problem("OperationNotSupported", f"{method} {rest} is not offered by this source")

    def _write(self, source: Source, method: str, target: str, body: bytes) -> tuple[int, Any]:
        """Delete Entity, Append or Update Entity Attributes of a held entity: 204, or 404."""
        entity_id, _, rest = target.partition("/")
        with self._lock:
            held = source.entities.get(entity_id)
            if held is None:
                return 404, _problem("ResourceNotFound", f"{entity_id} is not held by this source")
            if method == "DELETE" and not rest:
                del source.entities[entity_id]
                return 204, None
            if method == "DELETE" and rest.startswith("attrs/"):  # Delete Attribute
                name = unquote(rest[len("attrs/") :])
                if held.pop(name, None) is None:
                    return 404, _problem("ResourceNotFound", f"{entity_id} has no attribute {name} here")
                return 204, None
            try:
                fragment = json.loads(body or b"{}")
            except ValueError:
                return 400, _problem("InvalidRequest", "the fragment is not JSON")
            if not isinstance(fragment, dict):
                return 400, _problem("BadRequestData", "the fragment is not a JSON object")
            if method in ("PATCH", "POST") and rest == "attrs" or method == "PATCH" and not rest:
                held.update({k: v for k, v in fragment.items() if k not in ("@context", "id", "type")})
                return 204, None
            if method == "PUT" and not rest:  # Replace Entity
                kept: dict[str, Any] = {k: held[k] for k in ("id", "type") if k in held}
                source.entities[entity_id] = {
                    **kept,
                    **{k: v for k, v in fragment.items() if k != "@context"},
                }
                return 204, None
            if method in ("PUT", "PATCH") and rest.startswith("attrs/"):
                name = unquote(rest[len("attrs/") :])
                current = held.get(name)
                if method == "PATCH" and isinstance(current, dict):
                    held[name] = {**current, **{k: v for k, v in fragment.items() if k != "@context"}}
                else:
                    held[name] = {k: v for k, v in fragment.items() if k != "@context"}
                return 204, None
        return 422, _problem("OperationNotSupported", f"{method} /entities/{target} is not offered")

    def _create(self, source: Source, body: bytes) -> tuple[int, Any]:
        """Create Entity: 201, or 409 when the source already holds the entity."""
        try:
            entity = json.loads(body or b"{}")
        except ValueError:
            return 400, _problem("InvalidRequest", "the entity is not JSON")
        if not isinstance(entity, dict) or not isinstance(entity.get("id"), str):
            return 400, _problem("BadRequestData", "the entity has no id")
        with self._lock:
            if entity["id"] in source.entities:
                return 409, _problem("AlreadyExists", f"{entity['id']} is held by this source")
            source.entities[entity["id"]] = {k: v for k, v in entity.items() if k != "@context"}
        return 201, None


def _query_batch(held: list[dict[str, Any]], body: bytes) -> list[dict[str, Any]]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return []
    selectors = doc.get("entities") if isinstance(doc, dict) else None
    attrs = doc.get("attrs") if isinstance(doc, dict) and isinstance(doc.get("attrs"), list) else None
    if not isinstance(selectors, list) or not selectors:
        return _select(held, None, None, None, attrs)
    found: dict[str, dict[str, Any]] = {}
    for sel in selectors:
        if not isinstance(sel, dict):
            continue
        ids = [str(sel["id"])] if "id" in sel else None
        types = [str(sel["type"])] if "type" in sel else None
        for entity in _select(held, ids, sel.get("idPattern"), types, attrs):
            found[str(entity["id"])] = entity
    return list(found.values())


def _map_header(
    source: Source | None,
    method: str,
    rest: str,
    query: list[tuple[str, str]],
    body: bytes,
    named: str | None,
) -> str | None:
    """The NGSILD-EntityMap answer header of a source that keeps maps, when the request asks for or names
    a map (a Retrieve Entity or a query only)."""
    if source is None or source.entity_map is None:
        return None
    rest = rest[len(API_ROOT) :] if rest.startswith(API_ROOT) else rest
    asked = any(k in ("entityMap", "details") and v.lower() == "true" for k, v in query) or bool(named)
    if method == "POST" and rest == "/entityOperations/query":
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = None
        asked = asked or (isinstance(doc, dict) and doc.get("entityMap") is True)
    elif method != "GET" or not rest.startswith("/entities"):
        return None
    return f"{API_ROOT}/entityMap/{source.entity_map}" if asked else None


def _problem(kind: str, detail: str) -> dict[str, Any]:
    return {"type": PROBLEM + kind, "title": kind, "detail": detail}
