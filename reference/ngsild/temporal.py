"""Temporal API: temporal representation of entities (clauses 4.5.6 - 4.5.9, 4.5.19, 4.8, 4.11; operations
5.6.11 - 5.6.16, 5.7.3, 5.7.4; HTTP binding 6.18 - 6.24).

This module holds the provision handlers (create/update, add attributes, delete attribute, patch and delete
an instance, delete the temporal entity) and re-exports the rest: storage and the history recorded from the
entity API in ``temporal_history``, the temporal query in ``temporal_query``, rendering in ``temporal_render``,
the consumption handlers (retrieve, query by GET and POST) in ``temporal_consume``.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .broker import Broker
from .context import ActiveContext
from .errors import NgsiLdError, bad_request, not_found
from .http import read_body, request_context, resolve_context, tenant_headers, tenant_of
from .model import check_entity_id, check_name, expand_types, now_timestamp, parse_instance, parse_scope
from .render import RenderOptions, render_instance
from .temporal_consume import query_temporal, query_temporal_post, retrieve_temporal
from .temporal_history import (
    TEMPORAL_ENTITY,
    install_recorder,
    load_temporal,
    parse_temporal_attributes,
    store_instances,
)

__all__ = [
    "append_temporal_attrs",
    "delete_temporal",
    "delete_temporal_attr",
    "delete_temporal_instance",
    "install_recorder",
    "query_temporal",
    "query_temporal_post",
    "retrieve_temporal",
    "update_temporal_instance",
    "upsert_temporal",
]


# ---------------------------------------------------------------------------- provision


async def upsert_temporal(request: Request, broker: Broker) -> Response:
    """5.6.11 Create or Update Temporal Representation of an Entity: 201 created, 204 instances added."""
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    payload = body.payload
    if not isinstance(payload, dict):
        raise bad_request("the temporal entity shall be a JSON object")
    entity_id = check_entity_id(payload.get("id", payload.get("@id")))
    raw_type = payload.get("type", payload.get("@type"))
    if raw_type is None:
        raise bad_request("the entity type is missing")
    types = expand_types(raw_type, ctx)
    scope = parse_scope(payload["scope"]) if "scope" in payload else None
    now = now_timestamp()
    attrs = parse_temporal_attributes(payload, ctx, now)
    broker.storage.ensure_tenant(tenant)
    existing = broker.storage.get(TEMPORAL_ENTITY, tenant, entity_id)
    if existing is None:
        doc: dict[str, Any] = {"id": entity_id, "types": types, "createdAt": now, "modifiedAt": now}
        if scope is not None:
            doc["scope"] = scope
        if not broker.storage.insert(TEMPORAL_ENTITY, tenant, entity_id, doc):
            raise NgsiLdError("AlreadyExists", f"temporal entity {entity_id} already exists")
        store_instances(broker, tenant, entity_id, attrs)
        location = "/ngsi-ld/v1/temporal/entities/" + entity_id
        return Response(status_code=201, headers={"Location": location, **tenant_headers(tenant)})
    for iri in types:
        if iri not in existing["types"]:
            existing["types"].append(iri)
    if scope is not None:
        existing["scope"] = scope
    existing["modifiedAt"] = now
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, existing)
    store_instances(broker, tenant, entity_id, attrs)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def append_temporal_attrs(request: Request, broker: Broker, entity_id: str) -> Response:
    """5.6.12 Add Attributes to Temporal Representation of an Entity."""
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    payload = body.payload
    if not isinstance(payload, dict):
        raise bad_request("the payload shall be a JSON object (a temporal entity fragment)")
    broker.require_tenant(tenant)
    doc = load_temporal(broker, tenant, entity_id)
    raw_id = payload.get("id", payload.get("@id"))
    if raw_id is not None and raw_id != entity_id:
        raise bad_request("the payload id does not match the entity id")
    now = now_timestamp()
    attrs = parse_temporal_attributes(payload, ctx, now)
    if not attrs:
        raise bad_request("the fragment holds no attribute")
    store_instances(broker, tenant, entity_id, attrs)
    doc["modifiedAt"] = now
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, doc)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def delete_temporal(request: Request, broker: Broker, entity_id: str) -> Response:
    """5.6.16 Delete Temporal Representation of an Entity."""
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    load_temporal(broker, tenant, entity_id)
    broker.storage.delete(TEMPORAL_ENTITY, tenant, entity_id)
    broker.storage.delete_instances(tenant, entity_id)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def delete_temporal_attr(request: Request, broker: Broker, entity_id: str, attr_id: str) -> Response:
    """5.6.13 Delete Attribute from Temporal Representation: default instances, one datasetId or all."""
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    doc = load_temporal(broker, tenant, entity_id)
    check_name(attr_id, "attribute name")
    iri = ctx.expand(attr_id)
    delete_all = request.query_params.get("deleteAll", "false").lower()
    if delete_all not in ("true", "false"):
        raise bad_request("deleteAll shall be true or false")
    dataset_id = request.query_params.get("datasetId")
    if (
        dataset_id is not None
        and dataset_id != "@none"
        and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", dataset_id)
    ):
        raise bad_request("datasetId shall be a URI")
    rows = [(i, d) for a, i, d in broker.storage.instances(tenant, entity_id) if a == iri]
    if not rows:
        raise not_found(f"attribute {attr_id} does not exist in the temporal entity {entity_id}")
    if delete_all == "true":
        chosen = [i for i, _ in rows]
    else:
        key = None if dataset_id in (None, "@none") else dataset_id
        chosen = [i for i, d in rows if d.get("datasetId") == key]
    if not chosen:
        raise not_found(f"attribute {attr_id} has no instance with datasetId {dataset_id}")
    broker.storage.delete_instances(tenant, entity_id, chosen)
    doc["modifiedAt"] = now_timestamp()
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, doc)
    return Response(status_code=204, headers=tenant_headers(tenant))


def _find_instance(broker: Broker, tenant: str, entity_id: str, iri: str, instance_id: str) -> dict[str, Any]:
    for attr, inst_id, inst in broker.storage.instances(tenant, entity_id):
        if attr == iri and inst_id == instance_id:
            return inst
    raise not_found(f"no instance {instance_id} of that attribute in temporal entity {entity_id}")


async def update_temporal_instance(
    request: Request, broker: Broker, entity_id: str, attr_id: str, instance_id: str
) -> Response:
    """5.6.14 Partial Update Attribute instance in Temporal Representation of an Entity."""
    body = await read_body(request, allow_merge_patch=True)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    doc = load_temporal(broker, tenant, entity_id)
    check_name(attr_id, "attribute name")
    iri = ctx.expand(attr_id)
    existing = _find_instance(broker, tenant, entity_id, iri, instance_id)
    payload = body.payload
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "@context"}
        wrapped = payload.get(attr_id)
        if len(payload) == 1 and isinstance(wrapped, (dict, list)):  # {attrId: fragment} form
            payload = wrapped[0] if isinstance(wrapped, list) and len(wrapped) == 1 else wrapped
    if not isinstance(payload, dict) or not payload:
        raise bad_request("the payload shall be an attribute instance fragment (a JSON object)")
    merged = dict(_as_raw(existing, ctx))
    if ("type" in payload or "@type" in payload) and payload.get("type", payload.get("@type")) != existing[
        "type"
    ]:
        merged = {}
    merged.update(payload)
    now = now_timestamp()
    updated = parse_instance(attr_id, merged, ctx, now)
    updated["createdAt"] = existing.get("createdAt", now)
    updated["instanceId"] = instance_id
    broker.storage.update_instance(tenant, entity_id, instance_id, updated)
    doc["modifiedAt"] = now
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, doc)
    return Response(status_code=204, headers=tenant_headers(tenant))


def _as_raw(inst: dict[str, Any], ctx: ActiveContext) -> dict[str, Any]:
    """A stored instance back in normalized input form (for merging a fragment into it)."""
    rendered = render_instance(inst, ctx, RenderOptions())
    return rendered if isinstance(rendered, dict) else {"type": inst["type"], "value": rendered}


async def delete_temporal_instance(
    request: Request, broker: Broker, entity_id: str, attr_id: str, instance_id: str
) -> Response:
    """5.6.15 Delete Attribute Instance from Temporal Representation of an Entity."""
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    doc = load_temporal(broker, tenant, entity_id)
    check_name(attr_id, "attribute name")
    _find_instance(broker, tenant, entity_id, ctx.expand(attr_id), instance_id)
    broker.storage.delete_instances(tenant, entity_id, [instance_id])
    doc["modifiedAt"] = now_timestamp()
    broker.storage.update(TEMPORAL_ENTITY, tenant, entity_id, doc)
    return Response(status_code=204, headers=tenant_headers(tenant))
