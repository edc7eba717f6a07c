"""Batch entity operations under /entityOperations/ (clauses 5.6.7 - 5.6.10, 5.6.20; 6.14 - 6.17, 6.31).

Responses: create 201 with the array of created ids; upsert 201 with the created ids when at least one
entity was created, 204 when all were updated; update, delete and merge 204; any entity failure gives
207 Multi-Status with a BatchOperationResult {success: [ids], errors: [{entityId, error}]}.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .broker import ENTITY, Broker
from .context import ActiveContext
from .entities import append_attributes, insert_entity, load_entity, save_entity
from .entity_content import fragment_members, merge_entity_content, replace_entity_content
from .errors import NgsiLdError, bad_request
from .http import (
    JSONLD,
    link_context_url,
    media_type,
    read_body,
    read_json,
    resolve_context,
    tenant_headers,
    tenant_of,
)
from .model import check_entity_id, now_timestamp, parse_entity, parse_entity_attributes

ItemOperation = Callable[[dict[str, Any], ActiveContext], str | None]


class BatchResult:
    def __init__(self) -> None:
        self.success: list[str] = []
        self.errors: list[dict[str, Any]] = []
        self.created: list[str] = []

    def fail(self, entity_id: Any, error: NgsiLdError) -> None:
        self.errors.append(
            {"entityId": entity_id if isinstance(entity_id, str) else "", "error": error.problem()}
        )

    def multi_status(self, tenant: str) -> Response:
        return Response(
            json.dumps({"success": self.success, "errors": self.errors}),
            status_code=207,
            media_type="application/json",
            headers=tenant_headers(tenant),
        )


async def _read_array(request: Request, broker: Broker) -> tuple[list[Any], list[ActiveContext]]:
    body = await read_body(request)
    payload = body.payload
    if not isinstance(payload, list):
        raise bad_request("the payload of a batch operation shall be a JSON array")
    if not payload:
        raise bad_request("the payload of a batch operation shall not be an empty array")
    if not all(isinstance(item, dict) for item in payload):
        raise bad_request("the payload of a batch operation shall be an array of entity objects")
    contexts: list[ActiveContext] = []
    for item in payload:
        if body.from_body and isinstance(item, dict):
            contexts.append(await resolve_context(broker.resolver, item.get("@context")))
        else:
            contexts.append(await resolve_context(broker.resolver, body.context_value))
    return payload, contexts


def _entity_id(item: Any) -> Any:
    return item.get("id", item.get("@id")) if isinstance(item, dict) else item


def _run(payload: list[Any], contexts: list[ActiveContext], operation: ItemOperation) -> BatchResult:
    result = BatchResult()
    for item, ctx in zip(payload, contexts, strict=True):
        entity_id = _entity_id(item)
        try:
            if not isinstance(item, dict):
                raise bad_request("each batch item shall be an entity object")
            created = operation(item, ctx)
        except NgsiLdError as error:
            result.fail(entity_id, error)
            continue
        result.success.append(entity_id)
        if created:
            result.created.append(created)
    return result


async def batch_create(request: Request, broker: Broker) -> Response:
    payload, contexts = await _read_array(request, broker)
    tenant = tenant_of(request)

    def operation(item: dict[str, Any], ctx: ActiveContext) -> str | None:
        return insert_entity(broker, tenant, item, ctx)["id"]

    result = _run(payload, contexts, operation)
    if result.errors:
        return result.multi_status(tenant)
    return Response(
        json.dumps(result.created),
        status_code=201,
        media_type="application/json",
        headers=tenant_headers(tenant),
    )


def _options(request: Request, allowed: set[str]) -> set[str]:
    options = {o.strip() for o in request.query_params.get("options", "").split(",") if o.strip()}
    unknown = options - allowed
    if unknown:
        raise bad_request(f"unsupported options {sorted(unknown)}")
    return options


async def batch_upsert(request: Request, broker: Broker) -> Response:
    options = _options(request, {"replace", "update"})
    if options == {"replace", "update"}:
        raise bad_request("options replace and update are mutually exclusive")
    payload, contexts = await _read_array(request, broker)
    tenant = tenant_of(request)
    update_mode = "update" in options

    def operation(item: dict[str, Any], ctx: ActiveContext) -> str | None:
        parsed = parse_entity(item, ctx, now_timestamp())
        existing = broker.storage.get(ENTITY, tenant, parsed["id"])
        if existing is None:
            return insert_entity(broker, tenant, item, ctx)["id"]
        before = copy.deepcopy(existing)
        if update_mode:
            fragment_members(existing, item, ctx)
            append_attributes(existing, parsed["attrs"], False, ctx)
            existing["modifiedAt"] = parsed["modifiedAt"]
        else:
            replace_entity_content(existing, item, ctx)
        save_entity(broker, tenant, before, existing)
        return None

    result = _run(payload, contexts, operation)
    if result.errors:
        return result.multi_status(tenant)
    if result.created:
        return Response(
            json.dumps(result.created),
            status_code=201,
            media_type="application/json",
            headers=tenant_headers(tenant),
        )
    return Response(status_code=204, headers=tenant_headers(tenant))


async def batch_update(request: Request, broker: Broker) -> Response:
    options = _options(request, {"noOverwrite"})
    payload, contexts = await _read_array(request, broker)
    tenant = tenant_of(request)
    no_overwrite = "noOverwrite" in options
    if not broker.storage.tenant_exists(tenant):
        raise NgsiLdError("NonexistentTenant", f"tenant {tenant!r} does not exist")

    def operation(item: dict[str, Any], ctx: ActiveContext) -> str | None:
        entity_id = check_entity_id(_entity_id(item))
        entity = load_entity(broker, tenant, entity_id)
        now = now_timestamp()
        attrs = parse_entity_attributes(item, ctx, now)
        before = copy.deepcopy(entity)
        fragment_members(entity, item, ctx)
        append_attributes(entity, attrs, no_overwrite, ctx)
        entity["modifiedAt"] = now
        save_entity(broker, tenant, before, entity)
        return None

    result = _run(payload, contexts, operation)
    if result.errors:
        return result.multi_status(tenant)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def _read_ids(request: Request) -> Any:
    """The payload of batch delete. An array of entity ids holds no term to expand and no member that
    could carry an @context, so application/ld+json is read like application/json (without one)."""
    if media_type(request.headers.get("content-type")) != JSONLD:
        return (await read_body(request)).payload
    if link_context_url(request) is not None:
        raise bad_request("a JSON-LD Link header shall not be used with Content-Type application/ld+json")
    return await read_json(request)


async def batch_delete(request: Request, broker: Broker) -> Response:
    payload = await _read_ids(request)
    if not isinstance(payload, list):
        raise bad_request("the payload of batch delete shall be a JSON array of entity ids")
    if not payload:
        raise bad_request("the payload of batch delete shall not be an empty array")
    if not all(isinstance(item, str) for item in payload):
        raise bad_request("the payload of batch delete shall be an array of entity ids (strings)")
    # an array of Entity ids (URIs, 5.6.10): an item that is no URI makes the payload wrong as a whole
    # (the BatchEntityError of a 207 could not even name it: its entityId is a URI in the OpenAPI)
    for item in payload:
        check_entity_id(item)
    tenant = tenant_of(request)
    if not broker.storage.tenant_exists(tenant):
        raise NgsiLdError("NonexistentTenant", f"tenant {tenant!r} does not exist")
    result = BatchResult()
    for entity_id in payload:
        try:
            if not isinstance(entity_id, str):
                raise bad_request("each item of batch delete shall be an entity id (string)")
            entity = load_entity(broker, tenant, entity_id)
            broker.storage.delete(ENTITY, tenant, entity_id)
            broker.notify_change(tenant, entity, None)
        except NgsiLdError as error:
            result.fail(entity_id, error)
            continue
        result.success.append(entity_id)
    if result.errors:
        return result.multi_status(tenant)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def batch_merge(request: Request, broker: Broker) -> Response:
    payload, contexts = await _read_array(request, broker)
    tenant = tenant_of(request)
    if not broker.storage.tenant_exists(tenant):
        raise NgsiLdError("NonexistentTenant", f"tenant {tenant!r} does not exist")

    def operation(item: dict[str, Any], ctx: ActiveContext) -> str | None:
        entity_id = check_entity_id(_entity_id(item))
        entity = load_entity(broker, tenant, entity_id)
        before = copy.deepcopy(entity)
        merge_entity_content(entity, item, ctx)
        save_entity(broker, tenant, before, entity)
        return None

    result = _run(payload, contexts, operation)
    if result.errors:
        return result.multi_status(tenant)
    return Response(status_code=204, headers=tenant_headers(tenant))
