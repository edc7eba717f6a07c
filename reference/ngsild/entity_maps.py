"""EntityMaps (ETSI GS CIM 009 V1.8.1 clauses 5.2.39, 5.7.1.4, 5.7.2.4, 5.14.1-5.14.3; the V1.8.1 OpenAPI's
``Query.entityMap`` parameter, ``/entityMap/{entityMapId}`` and the ``NGSILD-EntityMap`` header).

An EntityMap records, for the entities a Retrieve Entity or Query Entities answered, where they came from:
``entityMap`` maps each entity id to the ids of the Context Source Registrations whose sources returned
data for it, ``"@none"`` standing for data held locally; ``linkedMaps`` maps the ids of the registrations
asked to the EntityMap id their source named in its own ``NGSILD-EntityMap`` answer header (a source that
named none has no entry).

Towards context sources (the V1.8.1 OpenAPI's ``linkedMaps``; the clause text was not at hand, see
notes/mim1.md, "Entity maps passed on to context sources"): while a map is made or used, every forwarded
Retrieve Entity and GET query carries ``entityMap=true`` (a forwarded POST query the Query member
``entityMap: true``), and a source the map in use links is also sent its own map in the
``NGSILD-EntityMap`` request header, so that its pages stay consistent too.

A query asks for a map with ``entityMap=true`` (the OpenAPI names the parameter ``details``: both are
accepted; the Query body of POST /entityOperations/query has an ``entityMap`` member). The answer carries
``NGSILD-EntityMap: /ngsi-ld/v1/entityMap/{id}``. A request carrying that header (its value, or the map
id alone) uses the map while it lives: only the registrations named in it are asked, and only the
entities it lists are answered (pagination over a fixed set, filters rechecked); a map that is unknown
or expired is replaced by a new one. Maps live one hour unless PATCH sets another ``expiresAt``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from starlette.requests import Request
from starlette.responses import Response

from .broker import Broker
from .errors import bad_request, not_found
from .http import (
    JSON,
    JSONLD,
    json_response,
    negotiate,
    no_content,
    read_body,
    request_context,
    tenant_headers,
    tenant_of,
)
from .model import is_uri, parse_datetime

KIND = "entityMap"
HEADER = "NGSILD-EntityMap"
LOCAL = "@none"
LIFETIME = timedelta(hours=1)
PATH = "/ngsi-ld/v1/entityMap/"


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _live(doc: dict[str, Any] | None) -> bool:
    expires = parse_datetime(doc.get("expiresAt")) if doc else None
    return expires is not None and expires > datetime.now(UTC)


def location(map_id: str) -> str:
    return PATH + quote(map_id, safe=":")


def _id_from_reference(value: str) -> str:
    """The map id named by an NGSILD-EntityMap request header: its resource URI, or the id itself."""
    value = value.strip()
    if PATH.rstrip("/") in value:
        return unquote(value.rsplit("/", 1)[-1])
    return value


def _flag(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


@dataclass
class MapUse:
    """What a Retrieve Entity or Query Entities request does with EntityMaps."""

    tenant: str
    wanted: bool  # entityMap=true, or an NGSILD-EntityMap header: a map is used and its location answered
    current: dict[str, Any] | None = None  # the live map the request names, if any
    sources: dict[str, list[str]] = field(default_factory=dict)  # entity id -> registration ids / "@none"
    linked: dict[str, str] = field(default_factory=dict)  # registration id -> the map id its source named

    def registrations(self) -> set[str] | None:
        """The registration ids the live map allows asking (None: no map in use, any may be asked)."""
        if self.current is None:
            return None
        named = {s for found in self.current.get("entityMap", {}).values() for s in found if s != LOCAL}
        return named | set(self.current.get("linkedMaps", {}))

    def entity_ids(self) -> set[str] | None:
        """The entities of the live map: the fixed set a paged query walks through (None: no map)."""
        return None if self.current is None else set(self.current.get("entityMap", {}))

    def saw(self, entity_id: str, source: str) -> None:
        found = self.sources.setdefault(entity_id, [])
        if source not in found:
            found.append(source)

    def prepare(
        self, registration: str, query: list[tuple[str, str]], headers: dict[str, str], body: Any
    ) -> Any:
        """A request to a context source: asks for the source's map while a map is made or used (query
        parameter, or the Query member of a forwarded POST query, returned), and names the source's own map
        when the map in use links one."""
        if not self.wanted:
            return body
        theirs = (self.current or {}).get("linkedMaps", {}).get(registration)
        if isinstance(theirs, str) and theirs:
            headers[HEADER] = theirs
        if body is None:
            query.append(("entityMap", "true"))
            return body
        return {**body, "entityMap": True}

    def answered(self, registration: str, headers: Mapping[str, str]) -> None:
        """A source's answer (header names in lower case): the map it named, if any."""
        value = headers.get(HEADER.lower())
        if self.wanted and value and value.strip():
            self.linked[registration] = _id_from_reference(value)

    def finish(self, broker: Broker, headers: dict[str, str]) -> None:
        """Store a new map (when no live one was named), or the sources' maps as they now answer, and
        answer the map's location."""
        if not self.wanted:
            return
        if self.current is None:
            self.current = create(broker, self.tenant, self.sources, self.linked)
        elif self.linked and any(self.current["linkedMaps"].get(k) != v for k, v in self.linked.items()):
            self.current["linkedMaps"] = {**self.current.get("linkedMaps", {}), **self.linked}
            broker.storage.update(KIND, self.tenant, str(self.current["id"]), self.current)
        headers[HEADER] = location(str(self.current["id"]))


def use_for(request: Request, broker: Broker, tenant: str, body_flag: Any = None) -> MapUse:
    params = request.query_params
    asked = _flag(params.get("entityMap")) or _flag(params.get("details")) or _flag(body_flag)
    reference = request.headers.get(HEADER)
    use = MapUse(tenant, asked or bool(reference))
    if reference:
        doc = broker.storage.get(KIND, tenant, _id_from_reference(reference))
        use.current = doc if _live(doc) else None  # unknown or expired: a new map is created
    return use


def create(
    broker: Broker, tenant: str, sources: dict[str, list[str]], linked: dict[str, str] | None = None
) -> dict[str, Any]:
    for old in broker.storage.list(KIND, tenant):
        if not _live(old):
            broker.storage.delete(KIND, tenant, str(old["id"]))
    doc = {
        "id": f"urn:ngsi-ld:EntityMap:{uuid.uuid4()}",
        "type": "EntityMap",
        "expiresAt": _timestamp(datetime.now(UTC) + LIFETIME),
        "entityMap": {k: list(v) for k, v in sources.items()},
        "linkedMaps": dict(linked or {}),
    }
    broker.storage.insert(KIND, tenant, str(doc["id"]), doc)
    return doc


def _load(broker: Broker, tenant: str, map_id: str) -> dict[str, Any]:
    if not is_uri(map_id):
        raise bad_request(f"the EntityMap id {map_id!r} is not a URI")
    broker.require_tenant(tenant)
    doc = broker.storage.get(KIND, tenant, map_id)
    if not _live(doc):
        raise not_found(f"EntityMap {map_id} does not exist")
    assert doc is not None
    return doc


async def retrieve_entity_map(request: Request, broker: Broker, map_id: str) -> Response:
    """Retrieve EntityMap (clause 5.14.1)."""
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    doc = _load(broker, tenant, map_id)
    return json_response(doc, ctx, accept, headers=tenant_headers(tenant))


async def update_entity_map(request: Request, broker: Broker, map_id: str) -> Response:
    """Update EntityMap (clause 5.14.2): a partial update; output-only members are ignored."""
    tenant = tenant_of(request)
    doc = _load(broker, tenant, map_id)
    fragment = (await read_body(request)).payload
    if not isinstance(fragment, dict):
        raise bad_request("the payload shall be an EntityMap fragment (a JSON object)")
    if "type" in fragment and fragment["type"] != "EntityMap":
        raise bad_request('the type of an EntityMap shall be "EntityMap"')
    if "id" in fragment and fragment["id"] != map_id:
        raise bad_request("the id of an EntityMap cannot be changed")
    if "expiresAt" in fragment:
        if parse_datetime(fragment["expiresAt"]) is None:
            raise bad_request("expiresAt shall be a DateTime")
        doc["expiresAt"] = fragment["expiresAt"]
    broker.storage.update(KIND, tenant, map_id, doc)
    return no_content(tenant)


async def delete_entity_map(request: Request, broker: Broker, map_id: str) -> Response:
    """Delete EntityMap (clause 5.14.3)."""
    tenant = tenant_of(request)
    _load(broker, tenant, map_id)
    broker.storage.delete(KIND, tenant, map_id)
    return no_content(tenant)
