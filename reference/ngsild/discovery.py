"""Type and attribute discovery (clause 5.7.5 - 5.7.10) and source identity (clause 5.15.1).

@context management (clause 5.13) is in context_store.py."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from .broker import ENTITY, Broker
from .errors import bad_request, not_found
from .http import (
    JSON,
    JSONLD,
    json_response,
    negotiate,
    request_context,
    tenant_headers,
    tenant_of,
)
from .model import now_timestamp


def _details(request: Request) -> bool:
    raw = request.query_params.get("details", "false").lower()
    if raw not in ("true", "false"):
        raise bad_request("details shall be true or false")
    return raw == "true"


def _entities(broker: Broker, tenant: str) -> list[dict[str, Any]]:
    broker.require_tenant(tenant)
    return broker.storage.list(ENTITY, tenant)


async def list_types(request: Request, broker: Broker) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    entities = _entities(broker, tenant)
    attrs_by_type: dict[str, list[str]] = {}
    for entity in entities:
        for type_iri in entity["types"]:
            names = attrs_by_type.setdefault(type_iri, [])
            for attr in entity["attrs"]:
                if attr not in names:
                    names.append(attr)
    if _details(request):
        body: Any = [
            {
                "id": iri,
                "type": "EntityType",
                "typeName": ctx.compact(iri),
                "attributeNames": [ctx.compact(a) for a in attrs],
            }
            for iri, attrs in attrs_by_type.items()
        ]
    else:
        body = {
            "id": f"urn:ngsi-ld:EntityTypeList:{uuid.uuid4()}",
            "type": "EntityTypeList",
            "typeList": [ctx.compact(iri) for iri in attrs_by_type],
        }
    return json_response(body, ctx, accept, headers=tenant_headers(tenant))


async def type_details(request: Request, broker: Broker, type_name: str) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    iri = ctx.expand(type_name)
    matching = [e for e in _entities(broker, tenant) if iri in e["types"]]
    if not matching:
        raise not_found(f"no entity of type {type_name} exists")
    details: dict[str, set[str]] = {}
    for entity in matching:
        for attr, instances in entity["attrs"].items():
            details.setdefault(attr, set()).update(i["type"] for i in instances)
    body = {
        "id": iri,
        "type": "EntityTypeInfo",
        "typeName": ctx.compact(iri),
        "entityCount": len(matching),
        "attributeDetails": [
            {
                "id": attr,
                "type": "Attribute",
                "attributeName": ctx.compact(attr),
                "attributeTypes": sorted(types),
            }
            for attr, types in details.items()
        ],
    }
    return json_response(body, ctx, accept, headers=tenant_headers(tenant))


def _attribute_info(entities: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    info: dict[str, dict[str, Any]] = {}
    for entity in entities:
        for attr, instances in entity["attrs"].items():
            item = info.setdefault(attr, {"count": 0, "types": set(), "typeNames": []})
            item["count"] += len(instances)
            item["types"].update(i["type"] for i in instances)
            for type_iri in entity["types"]:
                if type_iri not in item["typeNames"]:
                    item["typeNames"].append(type_iri)
    return info


def _attribute_body(iri: str, item: dict[str, Any], ctx: Any) -> dict[str, Any]:
    return {
        "id": iri,
        "type": "Attribute",
        "attributeName": ctx.compact(iri),
        "attributeCount": item["count"],
        "attributeTypes": sorted(item["types"]),
        "typeNames": [ctx.compact(t) for t in item["typeNames"]],
    }


async def list_attributes(request: Request, broker: Broker) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    info = _attribute_info(_entities(broker, tenant))
    if _details(request):
        body: Any = [_attribute_body(iri, item, ctx) for iri, item in info.items()]
    else:
        body = {
            "id": f"urn:ngsi-ld:AttributeList:{uuid.uuid4()}",
            "type": "AttributeList",
            "attributeList": [ctx.compact(iri) for iri in info],
        }
    return json_response(body, ctx, accept, headers=tenant_headers(tenant))


async def attribute_details(request: Request, broker: Broker, attr_name: str) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    iri = ctx.expand(attr_name)
    info = _attribute_info(_entities(broker, tenant))
    if iri not in info:
        raise not_found(f"no entity has attribute {attr_name}")
    return json_response(_attribute_body(iri, info[iri], ctx), ctx, accept, headers=tenant_headers(tenant))


async def source_identity(request: Request, broker: Broker) -> Response:
    """5.15.1 Retrieve Context Source Identity Information (ContextSourceIdentity, clause 5.2.40)."""
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    identity = broker.source_id if not tenant else broker.source_id + ":" + quote(tenant, safe="")
    body = {
        "id": identity,
        "type": "ContextSourceIdentity",
        "contextSourceUpTime": f"PT{time.monotonic() - broker.started:.3f}S",
        "contextSourceTimeAt": now_timestamp(),
        "contextSourceAlias": identity,
        "contextSourceExtras": {
            "product": "OASC MIM reference platform",
            "ngsi-ld": "ETSI GS CIM 009 V1.8.1",
        },
    }
    return json_response(body, ctx, accept, headers=tenant_headers(tenant))
