"""Context subscriptions (clauses 5.8.1 - 5.8.5, 5.2.12 - 5.2.15) and registration subscriptions
(clauses 5.11.2 - 5.11.6): rendering and the HTTP handlers (validation: subscription_validation.py).

Stored subscription: the validated payload with watched attributes and notified attributes in expanded
form, the user @context it was created with (``_context``, used to evaluate ``q`` and to compact
notifications) and the delivery bookkeeping (``_status``: timesSent, timesFailed, lastNotification,
lastSuccess, lastFailure, lastFailed).

Matching entity changes and sending the notifications is the notifier's work (notifier.py).
"""

from __future__ import annotations

import copy
import logging
from contextlib import suppress
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .broker import Broker
from .context import ActiveContext
from .errors import NgsiLdError, bad_request, invalid_request, not_found
from .http import (
    JSON,
    JSONLD,
    json_response,
    negotiate,
    page_links,
    parse_page,
    read_body,
    request_context,
    resolve_context,
    tenant_headers,
    tenant_of,
)
from .model import is_uri, now_timestamp
from .notifier import CSOURCE_SUBSCRIPTION, DEFAULT_TRIGGERS, SUBSCRIPTION, Notifier, subscription_status
from .notify_context import applicable_context_url
from .subscription_validation import KNOWN_MEMBERS, map_type_names, validate_subscription

log = logging.getLogger("reference.ngsild")


# ------------------------------------------------------------------------------- rendering


def _render(
    sub: dict[str, Any],
    ctx: ActiveContext,
    sys_attrs: bool,
    kind: str = SUBSCRIPTION,
    broker: Broker | None = None,
) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in sub.items() if not k.startswith("_")}
    if kind == SUBSCRIPTION and "notificationTrigger" not in out:
        # the default triggers are shown, as for isActive's default in status (5.2.12)
        out["notificationTrigger"] = list(DEFAULT_TRIGGERS)
    if kind == SUBSCRIPTION and broker is not None and "jsonldContext" not in out:
        # initialised with the @context applicable for the subscription (5.8.1)
        with suppress(NgsiLdError):
            out["jsonldContext"] = applicable_context_url(broker, sub)
    if "watchedAttributes" in out:
        out["watchedAttributes"] = [ctx.compact(a) for a in out["watchedAttributes"]]
    for selector in out.get("entities", []):
        selector["type"] = map_type_names(selector["type"], ctx.compact)
    notification = out["notification"]
    if "attributes" in notification:
        notification["attributes"] = [ctx.compact(a) for a in notification["attributes"]]
    status = sub.get("_status", {})
    for member in ("timesSent", "timesFailed", "lastNotification", "lastSuccess", "lastFailure"):
        if status.get(member):
            notification[member] = status[member]
    if "lastFailed" in status:
        notification["status"] = "failed" if status["lastFailed"] else "ok"
    out["status"] = subscription_status(sub)
    if not sys_attrs:
        out.pop("createdAt", None)
        out.pop("modifiedAt", None)
    return out


# -------------------------------------------------------------------------------- handlers


async def _warm_contexts(broker: Broker, sub: dict[str, Any]) -> None:
    """Fetch remote contexts needed later by the notifier, so that it never fetches inside the loop."""
    if sub.get("jsonldContext"):
        await resolve_context(broker.resolver, sub["jsonldContext"])


def _path(kind: str) -> str:
    return "/ngsi-ld/v1/" + ("csourceSubscriptions/" if kind == CSOURCE_SUBSCRIPTION else "subscriptions/")


async def create_subscription(request: Request, broker: Broker, kind: str = SUBSCRIPTION) -> Response:
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    sub = validate_subscription(body.payload, ctx, None)
    await _warm_contexts(broker, sub)
    now = now_timestamp()
    sub["createdAt"] = now
    sub["modifiedAt"] = now
    sub["_context"] = body.context_value
    sub["_base"] = str(request.base_url)
    sub["_status"] = {}
    broker.storage.ensure_tenant(tenant)
    if not broker.storage.insert(kind, tenant, sub["id"], sub):
        raise NgsiLdError("AlreadyExists", f"subscription {sub['id']} already exists")
    if kind == CSOURCE_SUBSCRIPTION and isinstance(broker.notifier, Notifier):
        try:
            broker.notifier.initial_csource_notification(tenant, sub)
        except Exception:  # noqa: BLE001 - the subscription exists; a failed first notification is logged
            log.exception("initial notification of %s failed", sub["id"])
    headers = {"Location": _path(kind) + sub["id"], **tenant_headers(tenant)}
    return Response(status_code=201, headers=headers)


def _sys_attrs(request: Request) -> bool:
    options = {o.strip() for o in request.query_params.get("options", "").split(",") if o.strip()}
    if options - {"sysAttrs"}:
        raise invalid_request(f"unsupported options {sorted(options - {'sysAttrs'})}")
    return "sysAttrs" in options


async def list_subscriptions(request: Request, broker: Broker, kind: str = SUBSCRIPTION) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    page = parse_page(request)
    sys_attrs = _sys_attrs(request)
    broker.require_tenant(tenant)
    subs = broker.storage.list(kind, tenant)
    body = [_render(s, ctx, sys_attrs, kind, broker) for s in subs[page.offset : page.offset + page.limit]]
    headers = tenant_headers(tenant)
    if page.count:
        headers["NGSILD-Results-Count"] = str(len(subs))
    response = json_response(body, ctx, accept, headers=headers)
    for value in page_links(request, page, len(subs)):
        response.headers.append("Link", value)
    return response


def _load(broker: Broker, tenant: str, sub_id: str, kind: str = SUBSCRIPTION) -> dict[str, Any]:
    if not is_uri(sub_id):
        raise bad_request(f"subscription id {sub_id!r} is not a URI")
    sub = broker.storage.get(kind, tenant, sub_id)
    if sub is None:
        raise not_found(f"subscription {sub_id} does not exist")
    return sub


async def retrieve_subscription(
    request: Request, broker: Broker, sub_id: str, kind: str = SUBSCRIPTION
) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    sys_attrs = _sys_attrs(request)
    broker.require_tenant(tenant)
    sub = _load(broker, tenant, sub_id, kind)
    return json_response(
        _render(sub, ctx, sys_attrs, kind, broker), ctx, accept, headers=tenant_headers(tenant)
    )


async def update_subscription(
    request: Request, broker: Broker, sub_id: str, kind: str = SUBSCRIPTION
) -> Response:
    body = await read_body(request, allow_merge_patch=True)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    existing = _load(broker, tenant, sub_id, kind)
    payload = body.payload
    if not isinstance(payload, dict):
        raise bad_request("the subscription fragment shall be a JSON object")
    payload = {k: v for k, v in payload.items() if k != "@context"}
    if not payload:
        raise bad_request("the subscription fragment is empty")
    if not set(payload) & (KNOWN_MEMBERS - {"id", "type", "@context"}):
        raise bad_request("the subscription fragment holds no subscription member")
    updated = validate_subscription(payload, ctx, existing)
    await _warm_contexts(broker, updated)
    updated["modifiedAt"] = now_timestamp()
    if body.context_value is not None:
        updated["_context"] = body.context_value
    broker.storage.update(kind, tenant, sub_id, updated)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def delete_subscription(
    request: Request, broker: Broker, sub_id: str, kind: str = SUBSCRIPTION
) -> Response:
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    _load(broker, tenant, sub_id, kind)
    broker.storage.delete(kind, tenant, sub_id)
    return Response(status_code=204, headers=tenant_headers(tenant))


# Context Source Registration Subscriptions (clauses 5.11.2 - 5.11.6): same data type, other resource.
async def create_csource_subscription(request: Request, broker: Broker) -> Response:
    return await create_subscription(request, broker, CSOURCE_SUBSCRIPTION)


async def list_csource_subscriptions(request: Request, broker: Broker) -> Response:
    return await list_subscriptions(request, broker, CSOURCE_SUBSCRIPTION)


async def retrieve_csource_subscription(request: Request, broker: Broker, sub_id: str) -> Response:
    return await retrieve_subscription(request, broker, sub_id, CSOURCE_SUBSCRIPTION)


async def update_csource_subscription(request: Request, broker: Broker, sub_id: str) -> Response:
    return await update_subscription(request, broker, sub_id, CSOURCE_SUBSCRIPTION)


async def delete_csource_subscription(request: Request, broker: Broker, sub_id: str) -> Response:
    return await delete_subscription(request, broker, sub_id, CSOURCE_SUBSCRIPTION)
