"""Entity and attribute operations (ETSI GS CIM 009 clauses 5.6.1 - 5.6.6, 5.6.17 - 5.6.19, 5.7.1)."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from . import distributed, distributed_writes, entity_maps
from .broker import ENTITY, Broker
from .context import ActiveContext
from .entity_content import (
    _compact_list,
    _drop_nulls,
    _has_members,
    _is_null_instance,
    _merge_instance,
    fragment_members,
    merge_entity_content,
    put_instance,
    replace_entity_content,
)
from .errors import NgsiLdError, bad_request, invalid_request, not_found
from .geojson import entity_feature
from .http import (
    GEOJSON,
    JSON,
    JSONLD,
    entity_location,
    json_response,
    negotiate,
    no_content,
    read_body,
    render_options_from,
    request_context,
    resolve_context,
    tenant_headers,
    tenant_of,
)
from .linked import apply_join, parse_join
from .model import (
    ATTRIBUTE_TYPES,
    VALUE_MEMBERS,
    check_entity_id,
    check_name,
    find_instance,
    now_timestamp,
    parse_attribute,
    parse_entity,
    parse_entity_attributes,
    parse_instance,
)
from .query import parse_type_expression
from .render import render_entity


def load_entity(
    broker: Broker,
    tenant: str,
    entity_id: str,
    type_filter: str | None = None,
    ctx: ActiveContext | None = None,
) -> dict[str, Any]:
    check_entity_id(entity_id)
    entity = broker.storage.get(ENTITY, tenant, entity_id)
    if entity is None:
        raise not_found(f"entity {entity_id} does not exist")
    if type_filter is not None and ctx is not None:
        if not parse_type_expression(type_filter, ctx)(entity):
            raise not_found(f"entity {entity_id} does not match type {type_filter}")
    return entity


def save_entity(broker: Broker, tenant: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    broker.storage.update(ENTITY, tenant, after["id"], after)
    broker.notify_change(tenant, before, after)


async def _body_and_context(
    request: Request, broker: Broker, allow_merge_patch: bool = False
) -> tuple[Any, ActiveContext]:
    body = await read_body(request, allow_merge_patch=allow_merge_patch)
    ctx = await resolve_context(broker.resolver, body.context_value)
    return body.payload, ctx


# ------------------------------------------------------------------------------ create


def insert_entity(broker: Broker, tenant: str, payload: Any, ctx: ActiveContext) -> dict[str, Any]:
    entity = parse_entity(payload, ctx, now_timestamp())
    broker.storage.ensure_tenant(tenant)
    if not broker.storage.insert(ENTITY, tenant, entity["id"], entity):
        raise NgsiLdError("AlreadyExists", f"entity {entity['id']} already exists")
    broker.notify_change(tenant, None, entity)
    return entity


async def create_entity(request: Request, broker: Broker) -> Response:
    payload, ctx = await _body_and_context(request, broker)
    tenant = tenant_of(request)
    entity = insert_entity(broker, tenant, payload, ctx)
    headers = {"Location": entity_location(entity["id"]), **tenant_headers(tenant)}
    return Response(status_code=201, headers=headers)


# ---------------------------------------------------------------------------- retrieve


async def retrieve_entity(request: Request, broker: Broker, entity_id: str) -> Response:
    accept = negotiate(request, [JSON, JSONLD, GEOJSON])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    opts = render_options_from(request, ctx)
    join = parse_join(request.query_params)
    type_filter = request.query_params.get("type")
    check_entity_id(entity_id)
    entity = broker.storage.get(ENTITY, tenant, entity_id)
    if entity is not None and type_filter is not None and not parse_type_expression(type_filter, ctx)(entity):
        entity = None
    maps = entity_maps.use_for(request, broker, tenant)  # EntityMaps (clause 5.7.1.4)
    if entity is not None:
        maps.saw(entity_id, entity_maps.LOCAL)
    if distributed.should_forward(request, broker):
        registrations = distributed.matching_registrations(
            broker, tenant, "retrieveEntity", ctx, [entity_id], type_filter, opts.attrs
        )
        allowed = maps.registrations()
        registrations = [r for r in registrations if allowed is None or r.get("id") in allowed]
        if registrations:
            path = "/entities/" + quote(entity_id, safe=":@")
            answers = await distributed.forward(
                request,
                broker,
                tenant,
                ctx,
                registrations,
                path,
                distributed.forwarded_params(request),
                maps=maps,
            )
            for registration, remote_entities in answers:
                for remote in remote_entities:
                    if remote["id"] == entity_id:
                        maps.saw(entity_id, str(registration.get("id")))
                        entity = distributed.merge(entity, remote, registration.get("mode", "inclusive"))
    if entity is None:
        raise not_found(f"entity {entity_id} does not exist")
    if opts.attrs is not None and not (opts.attrs & set(entity["attrs"])):
        raise not_found(f"entity {entity_id} has none of the requested attributes")
    body: Any = render_entity(entity, ctx, opts)
    if accept == GEOJSON:
        geometry_property = request.query_params.get("geometryProperty", "location")
        body = entity_feature(entity, body, ctx, geometry_property, opts)
    elif join is not None:  # linked entity retrieval (4.5.23): flat answers an array
        linked = apply_join(
            join, [(entity, body)], lambda i: broker.storage.get(ENTITY, tenant, i), ctx, opts
        )
        body = linked if join.kind == "flat" else linked[0]
    headers = {**tenant_headers(tenant), **distributed.warnings_of(request)}
    maps.finish(broker, headers)
    return json_response(body, ctx, accept, headers=headers)


# ------------------------------------------------------------------------------ delete


async def delete_entity(request: Request, broker: Broker, entity_id: str) -> Response:
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    entity = load_entity(broker, tenant, entity_id, request.query_params.get("type"), ctx)
    remote = distributed_writes.write_registrations(request, broker, tenant, "deleteEntity", entity)
    broker.storage.delete(ENTITY, tenant, entity_id)
    broker.notify_change(tenant, entity, None)
    return await _distributed_result(request, broker, tenant, remote, "DELETE", entity_id, "", False)


async def _distributed_result(
    request: Request,
    broker: Broker,
    tenant: str,
    registrations: list[dict[str, Any]],
    method: str,
    entity_id: str,
    suffix: str,
    with_body: bool,
    local: Response | None = None,
) -> Response:
    """Pass a write done locally on to the matching sources (clause 4.3.6.2); 207 when one failed."""
    if registrations:
        path = "/entities/" + quote(entity_id, safe=":@") + suffix
        errors = await distributed_writes.forward_write(
            request, broker, tenant, registrations, method, path, entity_id, with_body
        )
        if errors:
            return distributed_writes.multi_status(entity_id, True, errors, tenant)
    return local if local is not None else no_content(tenant)


# ------------------------------------------------------------------- attribute helpers


def _check_fragment_id(payload: dict[str, Any], entity_id: str) -> None:
    raw_id = payload.get("id", payload.get("@id"))
    if raw_id is not None and raw_id != entity_id:
        raise bad_request(f"the payload id {raw_id!r} does not match the entity id {entity_id!r}")


def _fragment(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise bad_request("the payload shall be a JSON object (an entity fragment)")
    return payload


def append_attributes(
    entity: dict[str, Any], attrs: dict[str, list[dict[str, Any]]], no_overwrite: bool, ctx: ActiveContext
) -> tuple[list[str], list[dict[str, str]]]:
    updated: list[str] = []
    not_updated: list[dict[str, str]] = []
    for iri, instances in attrs.items():
        existing = entity["attrs"].setdefault(iri, [])
        name = iri  # UpdateResult names attributes by Fully Qualified Names (clause 6.3.6)
        changed = False
        for inst in instances:
            index = find_instance(existing, inst.get("datasetId"))
            if index is not None and no_overwrite:
                continue
            put_instance(existing, inst)
            changed = True
        if changed:
            updated.append(name)
        else:
            not_updated.append(
                {"attributeName": name, "reason": "attribute exists and noOverwrite was requested"}
            )
        if not existing:
            del entity["attrs"][iri]
    return updated, not_updated


def update_result(updated: list[str], not_updated: list[dict[str, str]], tenant: str) -> Response:
    if not not_updated:
        return no_content(tenant)
    return Response(
        json.dumps({"updated": updated, "notUpdated": not_updated}),
        status_code=207,
        media_type="application/json",
        headers=tenant_headers(tenant),
    )


def _options_set(request: Request) -> set[str]:
    return {o.strip() for o in request.query_params.get("options", "").split(",") if o.strip()}


# ---------------------------------------------------------------- append (5.6.3)


async def append_entity_attrs(request: Request, broker: Broker, entity_id: str) -> Response:
    payload, ctx = await _body_and_context(request, broker)
    payload = _fragment(payload)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    options = _options_set(request)
    if options - {"noOverwrite"}:
        raise invalid_request(f"unsupported options {sorted(options - {'noOverwrite'})}")
    entity = load_entity(broker, tenant, entity_id, request.query_params.get("type"), ctx)
    _check_fragment_id(payload, entity_id)
    now = now_timestamp()
    attrs = parse_entity_attributes(payload, ctx, now)
    if not attrs and not _has_members(payload):
        raise bad_request("the entity fragment holds no attribute")
    before = copy.deepcopy(entity)
    fragment_members(entity, payload, ctx)
    updated, not_updated = append_attributes(entity, attrs, "noOverwrite" in options, ctx)
    entity["modifiedAt"] = now
    save_entity(broker, tenant, before, entity)
    remote = distributed_writes.write_registrations(
        request, broker, tenant, "appendAttrs", before, set(attrs)
    )
    local = update_result(updated, not_updated, tenant)
    return await _distributed_result(
        request, broker, tenant, remote, "POST", entity_id, "/attrs", True, local
    )


# ---------------------------------------------------------------- update (5.6.2)


def update_attributes(
    entity: dict[str, Any], attrs: dict[str, list[dict[str, Any]]], ctx: ActiveContext
) -> tuple[list[str], list[dict[str, str]]]:
    updated: list[str] = []
    not_updated: list[dict[str, str]] = []
    for iri, instances in attrs.items():
        name = iri  # UpdateResult names attributes by Fully Qualified Names (clause 6.3.6)
        existing = entity["attrs"].get(iri)
        if not existing:
            not_updated.append({"attributeName": name, "reason": "attribute does not exist"})
            continue
        missing = False
        for inst in instances:
            index = find_instance(existing, inst.get("datasetId"))
            if index is None:
                missing = True
                continue
            if _is_null_instance([inst]):
                existing.pop(index)  # clause 5.5.8
                continue
            _drop_nulls(inst)
            put_instance(existing, inst)
        if not existing:
            del entity["attrs"][iri]
        if missing:
            not_updated.append(
                {"attributeName": name, "reason": "attribute instance with that datasetId does not exist"}
            )
        else:
            updated.append(name)
    return updated, not_updated


async def update_entity_attrs(request: Request, broker: Broker, entity_id: str) -> Response:
    payload, ctx = await _body_and_context(request, broker)
    payload = _fragment(payload)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    entity = load_entity(broker, tenant, entity_id, request.query_params.get("type"), ctx)
    _check_fragment_id(payload, entity_id)
    now = now_timestamp()
    attrs = parse_entity_attributes(payload, ctx, now, allow_null=True)
    if not attrs and not _has_members(payload):
        raise bad_request("the entity fragment holds no attribute")
    before = copy.deepcopy(entity)
    fragment_members(entity, payload, ctx)
    updated, not_updated = update_attributes(entity, attrs, ctx)
    if updated or _has_members(payload):
        entity["modifiedAt"] = now
        save_entity(broker, tenant, before, entity)
    remote = distributed_writes.write_registrations(
        request, broker, tenant, "updateEntity", before, set(attrs)
    )
    local = update_result(updated, not_updated, tenant)
    return await _distributed_result(
        request, broker, tenant, remote, "PATCH", entity_id, "/attrs", True, local
    )


# ----------------------------------------------------- partial attribute update (5.6.4)


async def partial_attribute_update(
    request: Request, broker: Broker, entity_id: str, attr_id: str
) -> Response:
    # application/merge-patch+json is read as application/json, as for Merge Entity (notes/mim1.md)
    payload, ctx = await _body_and_context(request, broker, allow_merge_patch=True)
    payload = _fragment(payload)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    entity = load_entity(broker, tenant, entity_id, request.query_params.get("type"), ctx)
    check_name(attr_id, "attribute name")
    iri = ctx.expand(attr_id)
    existing = entity["attrs"].get(iri)
    if not existing:
        raise not_found(f"attribute {attr_id} does not exist in entity {entity_id}")
    dataset_id = payload.get("datasetId")
    index = find_instance(existing, dataset_id)
    if index is None:
        raise not_found(f"attribute {attr_id} has no instance with datasetId {dataset_id}")
    now = now_timestamp()
    raw = dict(payload)
    if not ({"type", "@type"} & set(raw)):
        raw["type"] = existing[index]["type"]
    if not any(m in raw for m in VALUE_MEMBERS):
        member = ATTRIBUTE_TYPES[existing[index]["type"]]
        raw[member] = existing[index][member] if member != "objectList" else existing[index][member]
        if member == "vocab":
            raw[member] = _compact_list(existing[index][member], ctx)
    fragment = parse_instance(attr_id, raw, ctx, now, allow_null=True)
    before = copy.deepcopy(entity)
    if _is_null_instance([fragment]):
        existing.pop(index)  # clause 5.5.8: an attribute value of urn:ngsi-ld:null deletes the instance
        if not existing:
            del entity["attrs"][iri]
        entity["modifiedAt"] = now
        save_entity(broker, tenant, before, entity)
        return no_content(tenant)
    _merge_instance(existing[index], fragment, payload, now)
    entity["modifiedAt"] = now
    save_entity(broker, tenant, before, entity)
    return no_content(tenant)


# ------------------------------------------------------------ replace attribute (5.6.19)


async def replace_attribute(request: Request, broker: Broker, entity_id: str, attr_id: str) -> Response:
    payload, ctx = await _body_and_context(request, broker)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    entity = load_entity(broker, tenant, entity_id, request.query_params.get("type"), ctx)
    check_name(attr_id, "attribute name")
    iri = ctx.expand(attr_id)
    existing = entity["attrs"].get(iri)
    if not existing:
        raise not_found(f"attribute {attr_id} does not exist in entity {entity_id}")
    now = now_timestamp()
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "@context"}
    instances = parse_attribute(attr_id, payload, ctx, now)
    before = copy.deepcopy(entity)
    for inst in instances:
        if find_instance(existing, inst.get("datasetId")) is None:
            raise not_found(f"attribute {attr_id} has no instance with datasetId {inst.get('datasetId')}")
        put_instance(existing, inst)
    entity["modifiedAt"] = now
    save_entity(broker, tenant, before, entity)
    return no_content(tenant)


# ------------------------------------------------------------- delete attribute (5.6.5)


async def delete_attribute(request: Request, broker: Broker, entity_id: str, attr_id: str) -> Response:
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    entity = load_entity(broker, tenant, entity_id, request.query_params.get("type"), ctx)
    iri = ctx.expand(attr_id)
    existing = entity["attrs"].get(iri)
    if not existing:
        raise not_found(f"attribute {attr_id} does not exist in entity {entity_id}")
    params = request.query_params
    delete_all = params.get("deleteAll", "false").lower()
    if delete_all not in ("true", "false"):
        raise bad_request("deleteAll shall be true or false")
    dataset_id = params.get("datasetId")
    before = copy.deepcopy(entity)
    if delete_all == "true":
        del entity["attrs"][iri]
    else:
        key = None if dataset_id in (None, "@none") else dataset_id
        index = find_instance(existing, key)
        if index is None:
            raise not_found(f"attribute {attr_id} has no instance with datasetId {dataset_id}")
        existing.pop(index)
        if not existing:
            del entity["attrs"][iri]
    entity["modifiedAt"] = now_timestamp()
    save_entity(broker, tenant, before, entity)
    return no_content(tenant)


# -------------------------------------------------------------- replace entity (5.6.18)


async def replace_entity(request: Request, broker: Broker, entity_id: str) -> Response:
    payload, ctx = await _body_and_context(request, broker)
    payload = _fragment(payload)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    entity = load_entity(broker, tenant, entity_id, request.query_params.get("type"), ctx)
    _check_fragment_id(payload, entity_id)
    before = copy.deepcopy(entity)
    replace_entity_content(entity, payload, ctx)
    save_entity(broker, tenant, before, entity)
    return no_content(tenant)


# ---------------------------------------------------------------- merge entity (5.6.17)


async def merge_entity(request: Request, broker: Broker, entity_id: str) -> Response:
    payload, ctx = await _body_and_context(request, broker, allow_merge_patch=True)
    payload = _fragment(payload)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    entity = load_entity(broker, tenant, entity_id, request.query_params.get("type"), ctx)
    _check_fragment_id(payload, entity_id)
    observed_at = request.query_params.get("observedAt")
    before = copy.deepcopy(entity)
    merge_entity_content(entity, payload, ctx, observed_at)
    save_entity(broker, tenant, before, entity)
    return no_content(tenant)
