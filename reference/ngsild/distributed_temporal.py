"""Distributed temporal writes (clauses 4.3.6.2, 4.20; 5.6.11 - 5.6.16): Create or Update (upsertTemporal), Add
Attributes (appendAttrsTemporal), Delete Attribute (deleteAttrsTemporal), Partial Update and Delete of an Attribute
Instance (updateAttrInstanceTemporal, the name Table 4.20-1 gives 5.6.14, whose OpenAPI operationId is
updateAttrsTemporal: both accepted; deleteAttrInstanceTemporal) and Delete (deleteTemporal) of the Temporal
Representation of an Entity are passed on, with the same method and path, to each registration that names the
operation (no group of clause 4.20 holds them) and matches the entity (id, types: the stored temporal entity's or
the payload's; the attributes of the fragment or the path).

As for the entity writes (distributed_modes.py), **exclusive** and **redirect** registrations naming the write take
their part first: the attributes they register (the whole temporal entity when a matching RegistrationInfo names
none) go to their source only and are taken out of the local write; a write they hold entirely is done nowhere
locally. **Inclusive** registrations get what was written locally, after the local write. A registration with an
``observationInterval`` or ``managementInterval`` (a source of Temporal Entity Representations, 5.2.9) is matched
as well as one without. A request with ``local=true`` or whose Via already names this broker is not passed on. A
source that fails makes the answer 207 with a BatchOperationResult.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from . import distributed, distributed_writes
from .broker import Broker
from .context import ActiveContext
from .distributed_modes import NOT_ATTRIBUTES, PROXY_MODES, proxied_bodies, with_body
from .http import no_content, read_body, request_context, resolve_context, tenant_of
from .temporal_history import TEMPORAL_ENTITY

Handler = Callable[..., Awaitable[Response]]
# operation -> (HTTP method, the names a registration may give it)
OPERATIONS: dict[str, tuple[str, set[str]]] = {
    "upsertTemporal": ("POST", {"upsertTemporal"}),
    "appendAttrsTemporal": ("POST", {"appendAttrsTemporal"}),
    "deleteAttrsTemporal": ("DELETE", {"deleteAttrsTemporal"}),
    "updateAttrInstanceTemporal": ("PATCH", {"updateAttrInstanceTemporal", "updateAttrsTemporal"}),
    "deleteAttrInstanceTemporal": ("DELETE", {"deleteAttrInstanceTemporal"}),
    "deleteTemporal": ("DELETE", {"deleteTemporal"}),
}
WITH_BODY = {"upsertTemporal", "appendAttrsTemporal", "updateAttrInstanceTemporal"}
MODES = ("inclusive", *PROXY_MODES)  # auxiliary registrations are never written to (clause 4.3.6.2)


def wrap(operation: str, handler: Handler) -> Handler:
    async def wrapped(request: Request, broker: Broker, **params: str) -> Response:
        return await distributed_temporal(request, broker, operation, handler, params)

    wrapped.__name__ = handler.__name__
    return wrapped


def _candidates(request: Request, broker: Broker, tenant: str, operation: str) -> list[dict[str, Any]]:
    """The inclusive, exclusive and redirect registrations naming this temporal write (none for a local request
    or a loop)."""
    if not distributed.should_forward(request, broker):
        return []
    names = OPERATIONS[operation][1]
    encountered = distributed.via_pseudonyms(request)
    found = []
    for reg in broker.storage.list(distributed.REGISTRATION, tenant):
        if reg.get("contextSourceAlias") in encountered | {broker.source_id}:
            continue
        if distributed_writes.mode_of(reg) not in MODES or not set(reg.get("operations") or []) & names:
            continue
        if str(reg.get("endpoint", "")).startswith(("http://", "https://")):
            found.append(reg)
    return found


def _path(operation: str, params: dict[str, str]) -> str:
    """The path below /ngsi-ld/v1 the write is passed on to: the one it was received at."""
    path = "/temporal/entities"
    if "entity_id" not in params:
        return path
    path += "/" + quote(params["entity_id"], safe=":@")
    if operation == "appendAttrsTemporal":
        return path + "/attrs"
    if "attr_id" in params:
        path += "/attrs/" + quote(params["attr_id"], safe=":@")
    if "instance_id" in params:
        path += "/" + quote(params["instance_id"], safe=":@")
    return path


def _types(payload: Any, ctx: ActiveContext) -> list[str]:
    value = payload.get("type", payload.get("@type")) if isinstance(payload, dict) else None
    values = value if isinstance(value, list) else [value]
    return [ctx.expand(v) for v in values if isinstance(v, str)]


async def distributed_temporal(
    request: Request, broker: Broker, operation: str, handler: Handler, params: dict[str, str]
) -> Response:
    tenant = tenant_of(request)
    registrations = _candidates(request, broker, tenant, operation)
    if not registrations:
        return await handler(request, broker, **params)
    payload: Any = None
    if operation in WITH_BODY:
        body = await read_body(request, allow_merge_patch=operation == "updateAttrInstanceTemporal")
        payload = body.payload
        ctx = await resolve_context(broker.resolver, body.context_value)
    else:
        ctx = await request_context(request, broker.resolver)
    entity_id = params.get("entity_id")
    if operation == "upsertTemporal" and isinstance(payload, dict):
        entity_id = payload.get("id", payload.get("@id"))
    if not isinstance(entity_id, str):
        return await handler(request, broker, **params)  # the local handler reports the bad input
    stored = broker.storage.get(TEMPORAL_ENTITY, tenant, entity_id)
    target = {"id": entity_id, "types": list(stored["types"]) if stored else _types(payload, ctx)}
    attrs: set[str] | None = None
    if "attr_id" in params:
        attrs = {ctx.expand(params["attr_id"])}
    elif operation in ("upsertTemporal", "appendAttrsTemporal") and isinstance(payload, dict):
        attrs = {ctx.expand(k) for k in payload if k not in NOT_ATTRIBUTES}
    matching = [
        reg
        for reg in registrations
        if any(distributed_writes.info_matches(i, target, attrs) for i in reg.get("information", []))
    ]
    proxied = [r for r in matching if distributed_writes.mode_of(r) in PROXY_MODES]
    inclusive = [r for r in matching if r not in proxied]
    method, path, with_payload = OPERATIONS[operation][0], _path(operation, params), operation in WITH_BODY
    errors: list[dict[str, Any]] = []
    taken: set[str] | None = set()  # expanded names held by the exclusive/redirect sources; None: all
    if proxied:
        split = isinstance(payload, dict) and attrs is not None and "attr_id" not in params
        taken, bodies = proxied_bodies(proxied, target, payload, ctx, taken, split)
        errors += await distributed_writes.forward_write(
            request, broker, tenant, proxied, method, path, entity_id, with_body=with_payload, bodies=bodies
        )
    local_request = request
    local: Response | None = None
    if taken is None or (taken and attrs is not None and not attrs - taken):
        pass  # the whole write is held by the exclusive/redirect sources: nothing of it is done locally
    else:
        if taken and isinstance(payload, dict) and "attr_id" not in params:
            left = {k: v for k, v in payload.items() if k in NOT_ATTRIBUTES or ctx.expand(k) not in taken}
            local_request = with_body(request, left)
        local = await handler(local_request, broker, **params)
        if local.status_code >= 300:
            return local
        if inclusive:
            errors += await distributed_writes.forward_write(
                local_request, broker, tenant, inclusive, method, path, entity_id, with_body=with_payload
            )
    if errors:
        return distributed_writes.multi_status(entity_id, local is not None, errors, tenant)
    return local if local is not None else no_content(tenant)
