"""Distributed entity writes by registration mode (clauses 4.3.6.2, 4.3.6.3, 4.20; the distributed behaviour of
Create Entity 5.6.1, Update/Append Entity Attributes 5.6.2/5.6.3, Partial Attribute Update 5.6.4, Delete Entity
5.6.6, Delete Entity Attribute 5.6.5, Merge Entity 5.6.17, Replace Entity 5.6.18, Replace Attribute 5.6.19).

Each write route is wrapped here. Before the local write, the **exclusive** and **redirect** registrations that
match the entity (id, and type when known) and whose ``operations`` name the write take their part of it: the
attributes they register (all of them when a matching RegistrationInfo names none) are sent to their context
source and taken out of the fragment the broker writes locally. A registration of the whole entity leaves no
local part: the broker keeps nothing of it (an Append to an entity the broker does not hold is answered from the
source alone). **Auxiliary** registrations are never used for writes. The writes whose handlers do not pass
themselves on (Create, Merge and Replace Entity, Partial Attribute Update, Replace and Delete Attribute) are passed on here,
after the local write, to the **inclusive** registrations that name them; Delete Entity, Update and Append
Entity Attributes do that in entities.py. A source that fails makes the answer 207 with a BatchOperationResult.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from . import distributed_writes
from .broker import ENTITY, Broker
from .context import ActiveContext
from .errors import NgsiLdError
from .http import (
    entity_location,
    no_content,
    read_body,
    request_context,
    resolve_context,
    tenant_headers,
    tenant_of,
)

Handler = Callable[..., Awaitable[Response]]
PROXY_MODES = ("exclusive", "redirect")
NOT_ATTRIBUTES = {"id", "@id", "type", "@type", "@context", "scope", "createdAt", "modifiedAt", "deletedAt"}
METHOD = {
    "createEntity": "POST",
    "deleteEntity": "DELETE",
    "deleteAttrs": "DELETE",
    "appendAttrs": "POST",
    "updateEntity": "PATCH",
    "mergeEntity": "PATCH",
    "replaceEntity": "PUT",
    "updateAttrs": "PATCH",
    "replaceAttrs": "PUT",
}
ATTRIBUTE_OPS = {"updateAttrs", "replaceAttrs", "deleteAttrs"}  # the attribute is in the path
NO_BODY = {"deleteEntity", "deleteAttrs"}
# nothing left to write locally: no local part (a Create Entity whose attributes all went to exclusive or
# redirect sources creates nothing locally, as ETSI D001_01_exc expects 201 for an entity held locally already)
FRAGMENT_OPS = {"appendAttrs", "updateEntity", "mergeEntity", "createEntity"}
# writes whose handlers in entities.py do not pass themselves on to inclusive registrations
PASSED_ON_HERE = {
    "createEntity",
    "mergeEntity",
    "replaceEntity",
    "updateAttrs",
    "replaceAttrs",
    "deleteAttrs",
}


def wrap(operation: str, handler: Handler) -> Handler:
    async def wrapped(request: Request, broker: Broker, **params: str) -> Response:
        return await distributed_write(request, broker, operation, handler, params)

    wrapped.__name__ = handler.__name__
    return wrapped


def _path(operation: str, entity_id: str, attr_id: str | None) -> str:
    if operation == "createEntity":
        return "/entities"
    path = "/entities/" + quote(entity_id, safe=":@")
    if operation in ("appendAttrs", "updateEntity"):
        return path + "/attrs"
    if attr_id is not None:
        return path + "/attrs/" + quote(attr_id, safe=":@")
    return path


def _attribute_keys(payload: Any, attr_id: str | None, ctx: ActiveContext) -> dict[str, str] | None:
    """Expanded attribute name -> the key the request uses; None: the write concerns the whole entity."""
    if attr_id is not None:
        return {ctx.expand(attr_id): attr_id}
    if not isinstance(payload, dict):
        return None
    return {ctx.expand(k): k for k in payload if k not in NOT_ATTRIBUTES}


def _payload_types(payload: Any, ctx: ActiveContext) -> list[str]:
    if not isinstance(payload, dict):
        return []
    value = payload.get("type", payload.get("@type"))
    values = value if isinstance(value, list) else [value]
    return [ctx.expand(v) for v in values if isinstance(v, str)]


def registered_names(reg: dict[str, Any], target: dict[str, Any]) -> set[str] | None:
    """The attributes a registration covers for this entity; None: the whole entity."""
    names: set[str] = set()
    for info in reg.get("information", []):
        if not distributed_writes.info_matches(info, target, None):
            continue
        listed = set(info.get("propertyNames", [])) | set(info.get("relationshipNames", []))
        if not listed:
            return None
        names |= listed
    return names


def proxied_bodies(
    proxied: list[dict[str, Any]],
    target: dict[str, Any],
    payload: Any,
    ctx: ActiveContext,
    taken: set[str] | None,
    split: bool,
) -> tuple[set[str] | None, dict[str, bytes]]:
    """What the exclusive/redirect registrations take of a write: ``taken`` widened by the names each
    covers (None: the whole entity), and, when ``split``, each one's part of the payload (the
    attributes it covers, with id and type) as the JSON body passed on to it."""
    bodies: dict[str, bytes] = {}
    for reg in proxied:
        covered = registered_names(reg, target)
        taken = None if covered is None or taken is None else taken | covered
        if split:
            part = {
                k: v
                for k, v in payload.items()
                if k in NOT_ATTRIBUTES or covered is None or ctx.expand(k) in covered
            }
            bodies[reg["id"]] = json.dumps(part).encode("utf-8")
    return taken, bodies


def with_body(request: Request, payload: Any) -> Request:
    """The request with another JSON body (the fragment left for the local write)."""
    data = json.dumps(payload).encode("utf-8")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": data, "more_body": False}

    return Request(request.scope, receive)


async def distributed_write(
    request: Request, broker: Broker, operation: str, handler: Handler, params: dict[str, str]
) -> Response:
    tenant = tenant_of(request)
    modes = PROXY_MODES + (distributed_writes.INCLUSIVE if operation in PASSED_ON_HERE else ())
    if not distributed_writes.candidate_registrations(
        request, broker, tenant, operation, modes
    ) and not distributed_writes.candidate_registrations(
        request, broker, tenant, operation, PROXY_MODES, False
    ):
        return await handler(request, broker, **params)  # nothing to pass on: the local write alone
    entity_id, attr_id = params.get("entity_id"), params.get("attr_id")
    payload: Any = None
    if operation in NO_BODY:
        ctx = await request_context(request, broker.resolver)
    else:
        body = await read_body(request, allow_merge_patch=operation in ("mergeEntity", "updateAttrs"))
        payload = body.payload
        ctx = await resolve_context(broker.resolver, body.context_value)
    if operation == "createEntity":
        entity_id = payload.get("id", payload.get("@id")) if isinstance(payload, dict) else None
    if not isinstance(entity_id, str):
        return await handler(request, broker, **params)  # the local handler reports the bad input
    stored = broker.storage.get(ENTITY, tenant, entity_id)
    target = {"id": entity_id, "types": stored["types"] if stored else _payload_types(payload, ctx)}
    keys = _attribute_keys(payload, attr_id, ctx)
    wanted = set(keys) if keys is not None else None
    proxied = distributed_writes.write_registrations(
        request, broker, tenant, operation, target, wanted, modes=PROXY_MODES
    )
    errors: list[dict[str, Any]] = []
    taken: set[str] | None = set()  # expanded names written remotely only; None: all of them
    # exclusive/redirect registrations of this data whose operations do not name the write: their part is
    # done nowhere and answered with a Conflict (clauses 4.3.6.3, 6.3.17)
    refused = distributed_writes.write_registrations(
        request, broker, tenant, operation, target, wanted, modes=PROXY_MODES, supported=False
    )
    for reg in refused:
        covered = registered_names(reg, target)
        taken = None if covered is None or taken is None else taken | covered
        errors.append(distributed_writes.conflict(entity_id, reg["id"], operation))
    if proxied:
        split = isinstance(payload, dict) and keys is not None and operation not in ATTRIBUTE_OPS
        taken, bodies = proxied_bodies(proxied, target, payload, ctx, taken, split)
        errors += await distributed_writes.forward_write(
            request,
            broker,
            tenant,
            proxied,
            METHOD[operation],
            _path(operation, entity_id, attr_id),
            entity_id,
            with_body=payload is not None,
            bodies=bodies,
        )
    local_request = request
    left = None if keys is None else {i for i in keys if taken is not None and i not in taken}
    if taken is None or (operation in ATTRIBUTE_OPS and keys and not left):
        local_response = None  # the whole write went to the registered sources
    elif operation in FRAGMENT_OPS and taken and keys is not None and not left:
        local_response = None  # every attribute of the fragment went to the registered sources
    else:
        if taken and isinstance(payload, dict) and keys is not None:
            local_request = with_body(
                request, {k: v for k, v in payload.items() if ctx.expand(k) not in taken}
            )
        local_response = await handler(local_request, broker, **params)
    local_ok = local_response is None or local_response.status_code < 300
    if operation in PASSED_ON_HERE and local_ok and local_response is not None:
        inclusive = distributed_writes.write_registrations(
            local_request, broker, tenant, operation, target, left
        )
        if inclusive:
            errors += await distributed_writes.forward_write(
                local_request,
                broker,
                tenant,
                inclusive,
                METHOD[operation],
                _path(operation, entity_id, attr_id),
                entity_id,
                with_body=payload is not None,
            )
    if local_response is not None and not local_ok:
        return local_response
    if local_response is None and refused and not proxied:  # nothing of the write could be done
        raise NgsiLdError("Conflict", f"the registrations holding {entity_id} do not offer {operation}")
    if errors:
        return distributed_writes.multi_status(entity_id, local_response is not None, errors, tenant)
    if local_response is not None:
        return local_response
    if operation == "createEntity":
        return Response(
            status_code=201, headers={"Location": entity_location(entity_id), **tenant_headers(tenant)}
        )
    return no_content(tenant)
