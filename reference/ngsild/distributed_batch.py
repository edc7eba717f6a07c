"""Distributed batch operations (clauses 4.3.6.2, 4.3.6.3, 4.20; 5.6.7 - 5.6.10, 5.6.20): a batch create, upsert,
update, delete or merge is passed on, as the same batch operation (POST /entityOperations/{create,upsert,update,
delete,merge} with the request's parameters), to each registration whose ``operations`` name it (``createBatch``
...; no group of clause 4.20 holds them), with the entities of the batch that the registration matches (id, and
type: the item's, else the stored entity's).

As for single-entity writes (distributed_modes.py), **exclusive** and **redirect** registrations take their part
first: the attributes they register (the whole entity when a matching RegistrationInfo names none) go to their
source only and are taken out of the batch the broker then writes locally; **inclusive** registrations get the
local batch's entities after the local write; auxiliary registrations get nothing. A source that fails adds a
BatchEntityError (with the registrationId) per entity it was sent, and the answer becomes 207 with the
BatchOperationResult of the whole batch.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import distributed_writes
from .broker import ENTITY, Broker
from .context import ActiveContext
from .distributed_modes import NOT_ATTRIBUTES, PROXY_MODES, registered_names, with_body
from .errors import NgsiLdError
from .http import JSONLD, link_context_url, media_type, read_json, resolve_context, tenant_headers, tenant_of

Handler = Callable[..., Awaitable[Response]]
OPERATION = {
    "create": "createBatch",
    "upsert": "upsertBatch",
    "update": "updateBatch",
    "delete": "deleteBatch",
    "merge": "mergeBatch",
}
NO_TARGET: dict[str, Any] = {"id": "", "types": []}


def wrap(kind: str, handler: Handler) -> Handler:
    async def wrapped(request: Request, broker: Broker) -> Response:
        return await distributed_batch(request, broker, kind, handler)

    wrapped.__name__ = handler.__name__
    return wrapped


async def _targets(
    request: Request, broker: Broker, tenant: str, payload: list[Any]
) -> list[tuple[dict[str, Any], ActiveContext | None]]:
    """Per batch item: the entity (id, expanded types) it is about, id "" for an item that has none, and the
    @context its terms expand with (None for an id of batch delete or an item whose @context fails)."""
    link = link_context_url(request)
    in_body = media_type(request.headers.get("content-type")) == JSONLD
    found: list[tuple[dict[str, Any], ActiveContext | None]] = []
    for item in payload:
        entity_id = item if isinstance(item, str) else item.get("id") if isinstance(item, dict) else None
        if not isinstance(entity_id, str):
            found.append((NO_TARGET, None))
            continue
        stored = broker.storage.get(ENTITY, tenant, entity_id)
        types = list(stored["types"]) if stored else []
        ctx = None
        if isinstance(item, dict):
            try:
                ctx = await resolve_context(broker.resolver, item.get("@context") if in_body else link)
            except NgsiLdError:  # the local batch reports the item's error
                found.append((NO_TARGET, None))
                continue
            value = item.get("type")
            if value is not None:
                values = value if isinstance(value, list) else [value]
                types = [ctx.expand(t) for t in values if isinstance(t, str)]
        found.append(({"id": entity_id, "types": types}, ctx))
    return found


def _matches(reg: dict[str, Any], target: dict[str, Any], attrs: set[str] | None = None) -> bool:
    return bool(target["id"]) and any(
        distributed_writes.info_matches(i, target, attrs) for i in reg.get("information", [])
    )


class Split:
    """The batch divided between the exclusive/redirect sources and the local write."""

    def __init__(self) -> None:
        self.parts: dict[str, list[tuple[Any, str]]] = {}  # registration id -> (item part, entity id)
        self.local: list[Any] = []
        self.local_targets: list[dict[str, Any]] = []
        self.remote_only: list[str] = []  # entities written at the registered sources only
        self.conflicts: list[dict[str, Any]] = []  # parts registrations hold but do not offer the batch for

    def keep(self, item: Any, target: dict[str, Any]) -> None:
        self.local.append(item)
        self.local_targets.append(target)


def _split(
    kind: str,
    payload: list[Any],
    targets: list[tuple[dict[str, Any], ActiveContext | None]],
    proxied: list[dict[str, Any]],
    refused: list[dict[str, Any]],
) -> Split:
    split = Split()
    for item, (target, ctx) in zip(payload, targets, strict=True):
        if not target["id"] or (isinstance(item, dict) and ctx is None):
            split.keep(item, target)
            continue
        keys = None if ctx is None else {ctx.expand(k) for k in item if k not in NOT_ATTRIBUTES}
        taken: set[str] = set()
        whole = False
        for reg in refused:  # their part is done nowhere: a Conflict (clauses 4.3.6.3, 6.3.17)
            if _matches(reg, target, keys):
                covered = registered_names(reg, target)
                whole = whole or covered is None
                taken |= covered or set()
                split.conflicts.append(distributed_writes.conflict(target["id"], reg["id"], OPERATION[kind]))
        for reg in proxied:
            if not _matches(reg, target, keys):
                continue
            covered = registered_names(reg, target)
            whole = whole or covered is None
            taken |= covered or set()
            part = item
            if ctx is not None and covered is not None:
                part = {k: v for k, v in item.items() if k in NOT_ATTRIBUTES or ctx.expand(k) in covered}
            split.parts.setdefault(reg["id"], []).append((part, target["id"]))
        if whole:
            split.remote_only.append(target["id"])
            continue
        if taken and ctx is not None:
            item = {k: v for k, v in item.items() if k in NOT_ATTRIBUTES or ctx.expand(k) not in taken}
            if kind in ("update", "merge") and all(k in NOT_ATTRIBUTES for k in item):
                split.remote_only.append(target["id"])  # nothing of it left to write locally
                continue
        split.keep(item, target)
    return split


async def _pass_on(
    request: Request, broker: Broker, tenant: str, kind: str, reg: dict[str, Any], part: list[tuple[Any, str]]
) -> list[dict[str, Any]]:
    """Send the batch part to the registration's source; a BatchEntityError per entity when it fails."""
    ids = [entity_id for _item, entity_id in part]
    failed = await distributed_writes.forward_write(
        request,
        broker,
        tenant,
        [reg],
        "POST",
        f"/entityOperations/{kind}",
        ids[0],
        with_body=True,
        bodies={reg["id"]: json.dumps([item for item, _id in part]).encode("utf-8")},
    )
    return [{**error, "entityId": entity_id} for error in failed for entity_id in ids]


def _local_result(response: Response | None, payload: list[Any]) -> tuple[list[Any], list[Any]]:
    """success and errors of the local batch's answer (201 ids, 204, or 207 BatchOperationResult)."""
    if response is not None and response.status_code == 207:
        body = json.loads(bytes(response.body))
        return list(body.get("success", [])), list(body.get("errors", []))
    ids = [i if isinstance(i, str) else i.get("id") for i in payload if isinstance(i, (str, dict))]
    return ids, []


async def distributed_batch(request: Request, broker: Broker, kind: str, handler: Handler) -> Response:
    tenant = tenant_of(request)
    operation = OPERATION[kind]
    modes = distributed_writes.INCLUSIVE + PROXY_MODES
    registrations = distributed_writes.candidate_registrations(request, broker, tenant, operation, modes)
    refused = distributed_writes.candidate_registrations(
        request, broker, tenant, operation, PROXY_MODES, False
    )
    if not registrations and not refused:  # local=true, a loop, or no registration concerns the operation
        return await handler(request, broker)
    try:
        payload = await read_json(request)
    except NgsiLdError:  # the local handler reports the bad input
        return await handler(request, broker)
    if not isinstance(payload, list) or not payload:
        return await handler(request, broker)
    targets = await _targets(request, broker, tenant, payload)
    proxied = [r for r in registrations if distributed_writes.mode_of(r) in PROXY_MODES]
    split = _split(kind, payload, targets, proxied, refused)
    errors: list[dict[str, Any]] = list(split.conflicts)
    for reg in proxied:
        if split.parts.get(reg["id"]):
            errors += await _pass_on(request, broker, tenant, kind, reg, split.parts[reg["id"]])
    local: Response | None = None
    local_request = request
    if split.local:
        if split.local != payload:
            local_request = with_body(request, split.local)
        local = await handler(local_request, broker)
        if local.status_code >= 300 and local.status_code != 207:
            return local
    for reg in registrations:
        if reg in proxied:
            continue
        part = [
            (item, target["id"])
            for item, target in zip(split.local, split.local_targets, strict=True)
            if _matches(reg, target)
        ]
        if part:
            errors += await _pass_on(local_request, broker, tenant, kind, reg, part)
    if not errors and local is not None and not split.remote_only:
        return local
    success, local_errors = _local_result(local, split.local)
    failed_ids = {e["entityId"] for e in errors}
    success = [i for i in success + split.remote_only if i not in failed_ids]
    if errors or local_errors:
        body = {"success": success, "errors": local_errors + errors}
        return JSONResponse(body, status_code=207, headers=tenant_headers(tenant))
    if kind == "create" or (local is not None and local.status_code == 201):
        created = json.loads(bytes(local.body)) if local is not None and local.status_code == 201 else []
        return JSONResponse(
            created + [i for i in split.remote_only if i not in created], 201, tenant_headers(tenant)
        )
    return Response(status_code=204, headers=tenant_headers(tenant))
