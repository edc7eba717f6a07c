"""Distributed batch operations (clauses 4.3.6.2, 4.20; 5.6.7 - 5.6.10, 5.6.20): a batch create, upsert, update,
delete or merge is done locally, then passed on, as the same batch operation (POST
/entityOperations/{create,upsert,update,delete,merge} with the request's parameters), to each inclusive
registration whose ``operations`` name it (``createBatch`` ...; no group of clause 4.20 holds them), with the
entities of the batch that the registration matches (id, and type: the item's, else the stored entity's).

A source that fails adds a BatchEntityError (with the registrationId) per entity it was sent, and the answer
becomes 207 with the BatchOperationResult of the whole batch. Exclusive and redirect registrations are not
applied to batches (the whole batch is written locally too).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import distributed_writes
from .broker import ENTITY, Broker
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


def wrap(kind: str, handler: Handler) -> Handler:
    async def wrapped(request: Request, broker: Broker) -> Response:
        return await distributed_batch(request, broker, kind, handler)

    wrapped.__name__ = handler.__name__
    return wrapped


async def _targets(request: Request, broker: Broker, tenant: str, payload: list[Any]) -> list[dict[str, Any]]:
    """Per batch item: the entity (id, expanded types) it is about; id "" for an item that has none."""
    link = link_context_url(request)
    in_body = media_type(request.headers.get("content-type")) == JSONLD
    found = []
    for item in payload:
        entity_id = item if isinstance(item, str) else item.get("id") if isinstance(item, dict) else None
        if not isinstance(entity_id, str):
            found.append({"id": "", "types": []})
            continue
        stored = broker.storage.get(ENTITY, tenant, entity_id)
        types = list(stored["types"]) if stored else []
        if isinstance(item, dict) and item.get("type") is not None:
            try:
                ctx = await resolve_context(broker.resolver, item.get("@context") if in_body else link)
            except NgsiLdError:  # the local batch reports the item's error
                found.append({"id": "", "types": []})
                continue
            value = item["type"]
            types = [
                ctx.expand(t) for t in (value if isinstance(value, list) else [value]) if isinstance(t, str)
            ]
        found.append({"id": entity_id, "types": types})
    return found


def _local_result(response: Response, payload: list[Any]) -> tuple[list[Any], list[Any]]:
    """success and errors of the local batch's answer (201 ids, 204, or 207 BatchOperationResult)."""
    if response.status_code == 207:
        body = json.loads(bytes(response.body))
        return list(body.get("success", [])), list(body.get("errors", []))
    ids = [i if isinstance(i, str) else i.get("id") for i in payload if isinstance(i, (str, dict))]
    return ids, []


async def distributed_batch(request: Request, broker: Broker, kind: str, handler: Handler) -> Response:
    tenant = tenant_of(request)
    operation = OPERATION[kind]
    registrations = distributed_writes.candidate_registrations(request, broker, tenant, operation)
    if not registrations:  # local=true, a loop, or no inclusive registration names the operation
        return await handler(request, broker)
    try:
        payload = await read_json(request)
    except Exception:  # noqa: BLE001 - the local handler reports the bad input
        return await handler(request, broker)
    if not isinstance(payload, list):
        return await handler(request, broker)
    targets = await _targets(request, broker, tenant, payload)
    local = await handler(request, broker)
    if local.status_code >= 300 and local.status_code != 207:
        return local
    errors: list[dict[str, Any]] = []
    for reg in registrations:
        pairs = [
            (item, target["id"])
            for item, target in zip(payload, targets, strict=True)
            if target["id"]
            and any(distributed_writes.info_matches(i, target, None) for i in reg.get("information", []))
        ]
        if not pairs:
            continue
        part, ids = [p[0] for p in pairs], [p[1] for p in pairs]
        failed = await distributed_writes.forward_write(
            request,
            broker,
            tenant,
            [reg],
            "POST",
            f"/entityOperations/{kind}",
            ids[0],
            with_body=True,
            bodies={reg["id"]: json.dumps(part).encode("utf-8")},
        )
        for error in failed:
            errors += [{**error, "entityId": entity_id} for entity_id in ids]
    if not errors:
        return local
    success, local_errors = _local_result(local, payload)
    failed_ids = {e["entityId"] for e in errors}
    body = {"success": [i for i in success if i not in failed_ids], "errors": local_errors + errors}
    return JSONResponse(body, status_code=207, headers=tenant_headers(tenant))
