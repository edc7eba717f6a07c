"""The answers of the overhead benchmark's server (``load_overhead.py``): plausible enough that the
built-in profiles' checks pass, cheap enough that the Locust process, not the server, is the limit.

An NGSI-LD entity created (alone or by batch create/upsert) is kept; reading it back answers it
normalized or as keyValues; a query (``GET /ngsi-ld/v1/entities?type=...``) answers the kept entities
of that type that satisfy its ``q`` (one comparison), ``georel`` (``near;maxDistance`` around a Point,
``within`` a Polygon) and page (``limit``, ``offset``). Any other path is a TM Forum collection
(``.../{collection}`` and ``.../{collection}/{id}``): created resources get an id, an ``href`` and,
for an order, the state ``acknowledged`` (created again under the same ``name`` or ``externalId``, as
when the benchmark replays a profile's set-up, a resource gets the same id); a list is filtered by attribute (``name=...``), paged
(``offset``, ``limit``) and projected (``fields=``); a merge-patch merges. Updates of NGSI-LD
attributes and deletes of one entity are acknowledged (204) and not applied (a profile never reads an
entity it deleted; the bare replay, which may start after a create and end after the delete, then
reads what the profile read); no notification is ever sent. Answers to the same
read are encoded once and kept until what they show changes.
"""

from __future__ import annotations

import json
import math
import re
from collections import OrderedDict
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson

NGSI_LD = "/ngsi-ld/v1/"
ENTITIES = "/ngsi-ld/v1/entities"
OPERATIONS = "/ngsi-ld/v1/entityOperations/"
MAX_KEPT = 50_000
COMPARISON = re.compile(r"^([A-Za-z_][\w.]*)(==|!=|>=|<=|>|<)(.+)$")
PAGE_PARAMS = {"offset", "limit", "fields"}
NO_CONTENT: tuple[int, bytes] = (204, b"")
Answer = tuple[int, bytes]


def encode(value: Any) -> bytes:
    return orjson.dumps(value)


def decode(body: bytes, empty: Any) -> Any:
    return orjson.loads(body) if body else empty


def problem(status: int, title: str) -> Answer:
    return status, encode({"type": "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", "title": title})


def value_of(member: Any) -> Any:
    return member.get("value", member.get("object")) if isinstance(member, dict) else member


def key_values(entity: dict[str, Any]) -> dict[str, Any]:
    from conformance.sdm import to_key_values

    return to_key_values(entity)


def distance_m(a: list[float], b: list[float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def inside(point: list[float], ring: list[list[float]]) -> bool:
    """Even-odd rule; a point on the boundary counts as inside (enough for the profiles' rectangles)."""
    x, y = point[0], point[1]
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    if min(xs) <= x <= max(xs) and min(ys) <= y <= max(ys) and len(ring) == 5:
        return True  # an axis-aligned rectangle: its bounding box
    hit = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
        if (y0 > y) != (y1 > y) and x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
            hit = not hit
    return hit


def compare(left: Any, operator: str, right: Any) -> bool:
    if isinstance(right, str) != isinstance(left, str) or left is None:
        return operator == "!="
    if operator == "==":
        return bool(left == right)
    if operator == "!=":
        return bool(left != right)
    if operator == ">=":
        return bool(left >= right)
    if operator == "<=":
        return bool(left <= right)
    return bool(left > right) if operator == ">" else bool(left < right)


def entity_filter(params: dict[str, str]) -> Any:
    """A predicate over normalized entities for the query's q and georel (None: the query is not understood)."""
    tests = []
    if "q" in params:
        match = COMPARISON.match(params["q"])
        if match is None:
            return None
        attribute, operator, raw = match.groups()
        right: Any = raw[1:-1] if raw.startswith('"') and raw.endswith('"') else float(raw)
        tests.append(lambda e: compare(value_of(e.get(attribute)), operator, right))
    if "georel" in params:
        relation, geometry = params["georel"], params.get("geometry")
        coordinates = json.loads(params.get("coordinates", "null"))

        def where(e: dict[str, Any]) -> list[float] | None:
            location = value_of(e.get("location"))
            return location.get("coordinates") if isinstance(location, dict) else None

        if relation.startswith("near;maxDistance==") and geometry == "Point":
            radius = float(relation.split("==", 1)[1])
            tests.append(lambda e: (p := where(e)) is not None and distance_m(p, coordinates) <= radius)
        elif relation == "within" and geometry == "Polygon":
            tests.append(lambda e: (p := where(e)) is not None and inside(p, coordinates[0]))
        else:
            return None
    return lambda e: all(test(e) for test in tests)


class Answers:
    """What the server keeps and answers; ``answer(method, path, query, body)`` -> (status, JSON bytes)."""

    def __init__(self) -> None:
        self.entities: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.by_type: dict[str, dict[str, dict[str, Any]]] = {}  # what a query scans: its type only
        self.encoded: dict[tuple[str, bool], bytes] = {}  # (entity id, keyValues) -> its answer
        self.resources: dict[str, OrderedDict[str, dict[str, Any]]] = {}  # TM Forum collection -> items
        self.reads: dict[str, dict[str, Answer]] = {}  # entity type or collection -> query -> answer
        self.next_id = 0
        self.ids: dict[tuple[str, str], str] = {}  # (collection, name or externalId) -> id

    # NGSI-LD
    def keep(self, entity: Any) -> None:
        if isinstance(entity, dict) and isinstance(entity.get("id"), str):
            self.forget(entity["id"])
            self.entities[entity["id"]] = entity
            self.by_type.setdefault(str(entity.get("type")), {})[entity["id"]] = entity
            self.reads.pop(str(entity.get("type")), None)
        while len(self.entities) > MAX_KEPT:
            self.forget(next(iter(self.entities)))

    def forget(self, entity_id: Any) -> bool:
        entity = self.entities.pop(entity_id, None) if isinstance(entity_id, str) else None
        if entity is None:
            return False
        self.by_type.get(str(entity.get("type")), {}).pop(entity_id, None)
        self.encoded.pop((entity_id, False), None)
        self.encoded.pop((entity_id, True), None)
        self.reads.pop(str(entity.get("type")), None)
        return True

    def read_entity(self, entity_id: str, simplified: bool) -> Answer:
        entity = self.entities.get(entity_id)
        if entity is None:
            return problem(404, f"no entity {entity_id}")
        encoded = self.encoded.get((entity_id, simplified))
        if encoded is None:
            encoded = encode(key_values(entity) if simplified else entity)
            self.encoded[(entity_id, simplified)] = encoded
        return 200, encoded

    def query(self, query: str) -> Answer:
        params = dict(parse_qsl(query))
        kind = params.get("type", "")
        cached = self.reads.get(kind, {}).get(query)
        if cached is not None:
            return cached
        wanted = entity_filter(params)
        if wanted is None:
            return 400, encode({"title": f"query not understood: {query}"})
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 20))
        found = [e for e in self.by_type.get(kind, {}).values() if wanted(e)]
        simplified = "keyValues" in params.get("options", "")
        page = [key_values(e) if simplified else e for e in found[offset : offset + limit]]
        answer = (200, encode(page))
        self.reads.setdefault(kind, {})[query] = answer
        return answer

    def ngsi_ld(self, method: str, path: str, query: str, body: bytes) -> Answer:
        if path.startswith(OPERATIONS):
            items = decode(body, [])
            operation = path[len(OPERATIONS) :]
            if operation == "delete":
                missing = [i for i in items if not self.forget(i)]
                return (207, encode({"success": [], "errors": missing})) if missing else NO_CONTENT
            for entity in items:
                self.keep(entity)
            return (201, encode([e.get("id") for e in items])) if operation == "create" else NO_CONTENT
        if path == ENTITIES:
            if method == "POST":
                self.keep(decode(body, {}))
                return 201, b""
            return self.query(query)
        if path.startswith(ENTITIES + "/"):
            rest = path[len(ENTITIES) + 1 :]
            entity_id = unquote(rest.split("/", 1)[0])
            if method == "GET" and "/" not in rest:
                return self.read_entity(entity_id, "keyValues" in query)
            return NO_CONTENT  # an attribute update or a delete: acknowledged, not applied
        return (201, b"") if method == "POST" else NO_CONTENT  # subscriptions

    # TM Forum
    def tmf(self, method: str, path: str, query: str, body: bytes) -> Answer:
        head, _, last = path.rpartition("/")
        if method == "POST":
            items = self.resources.setdefault(path, OrderedDict())
            resource = decode(body, {})
            # a resource created again under its name (a replayed set-up) gets its id again
            named = (path, str(resource.get("name") or resource.get("externalId") or ""))
            if not named[1] or named not in self.ids:
                self.next_id += 1
                self.ids[named] = str(self.next_id)
            resource["id"] = self.ids[named] if named[1] else str(self.next_id)
            resource["href"] = f"{path}/{resource['id']}"
            if path.endswith("Order"):
                resource.setdefault("state", "acknowledged")
            items[resource["id"]] = resource
            self.reads.pop(path, None)
            return 201, encode(resource)
        if method == "GET" and path in self.resources:
            return self.list(path, query)
        items = self.resources.get(head)
        item = items.get(unquote(last)) if items is not None else None
        if item is None or items is None:
            return (200, b"[]") if method == "GET" else problem(404, f"no resource {path}")
        self.reads.pop(head, None)
        if method == "DELETE":
            del items[unquote(last)]
            return NO_CONTENT
        if method == "PATCH":
            item.update(decode(body, {}))
        return 200, encode(item)

    def list(self, collection: str, query: str) -> Answer:
        cached = self.reads.get(collection, {}).get(query)
        if cached is not None:
            return cached
        params = dict(parse_qsl(query))
        filters = {k: v for k, v in params.items() if k not in PAGE_PARAMS}
        found = [
            r for r in self.resources[collection].values() if all(r.get(k) == v for k, v in filters.items())
        ]
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", len(found)))
        page = found[offset : offset + limit]
        if "fields" in params:
            keep = {"id", "href", *params["fields"].split(",")}
            page = [{k: v for k, v in r.items() if k in keep} for r in page]
        answer = (200, encode(page))
        self.reads.setdefault(collection, {})[query] = answer
        return answer

    def answer(self, method: str, path: str, query: str, body: bytes) -> Answer:
        try:
            if path.startswith(NGSI_LD):
                return self.ngsi_ld(method, path, query, body)
            return self.tmf(method, path, query, body)
        except (ValueError, TypeError, AttributeError, KeyError) as error:
            return 400, encode({"title": f"{type(error).__name__}: {error}"})
