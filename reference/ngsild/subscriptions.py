"""Context subscriptions (clauses 5.8.1 - 5.8.5, 5.2.12) and notifications (clause 5.11.1 - 5.11.2).

Stored subscription: the validated payload with entity types, watched attributes and notified attributes
in expanded form, the user @context it was created with (to evaluate ``q`` and compact notifications), and
the notification status members (timesSent, lastNotification, lastSuccess, lastFailure).

Notifications are computed synchronously when an entity changes and delivered by a background asyncio
task (HTTP POST to ``notification.endpoint.uri``, 5 s timeout). Periodic (``timeInterval``) subscriptions
are stored and listed but not notified.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import urllib.error
import urllib.request
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .broker import Broker
from .context import ActiveContext
from .entities import tenant_headers
from .errors import NgsiLdError, bad_request, not_found
from .geo import geo_predicate, parse_geoquery
from .http import (
    JSON,
    JSONLD,
    body_context_member,
    context_url_for,
    json_response,
    link_header_value,
    negotiate,
    read_body,
    request_context,
    resolve_context,
    tenant_of,
)
from .model import is_uri, now_timestamp, parse_datetime
from .query import parse_q, parse_type_expression
from .query_api import parse_page
from .render import RenderOptions, render_entity

SUBSCRIPTION = "subscription"
TRIGGERS = {
    "entityCreated",
    "entityUpdated",
    "entityDeleted",
    "attributeCreated",
    "attributeUpdated",
    "attributeDeleted",
}
DEFAULT_TRIGGERS = ["attributeCreated", "attributeUpdated"]
FORMATS = {"normalized", "keyValues", "concise", "simplified"}
DELIVERY_TIMEOUT_S = 5.0


def _string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"{name} shall be a non-empty array of strings")
    return value


def _validate_entities(value: Any, ctx: ActiveContext) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise bad_request("entities shall be a non-empty array of EntitySelector")
    selectors: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not item["type"]:
            raise bad_request("each EntitySelector shall be an object with a type")
        selector: dict[str, Any] = {"type": item["type"]}
        parse_type_expression(item["type"], ctx)
        if "id" in item:
            if not is_uri(item["id"]):
                raise bad_request(f"EntitySelector id {item['id']!r} is not a URI")
            selector["id"] = item["id"]
        if "idPattern" in item:
            if not isinstance(item["idPattern"], str):
                raise bad_request("idPattern shall be a string")
            try:
                re.compile(item["idPattern"])
            except re.error as exc:
                raise bad_request(f"invalid idPattern: {exc}") from exc
            selector["idPattern"] = item["idPattern"]
        selectors.append(selector)
    return selectors


def _validate_notification(value: Any, ctx: ActiveContext) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("notification shall be an object")
    endpoint = value.get("endpoint")
    if not isinstance(endpoint, dict) or not is_uri(endpoint.get("uri")):
        raise bad_request("notification.endpoint.uri shall be a URI")
    accept = endpoint.get("accept", JSON)
    if accept not in (JSON, JSONLD, "application/geo+json"):
        raise bad_request(f"unsupported notification.endpoint.accept {accept!r}")
    notification: dict[str, Any] = {"endpoint": {**endpoint, "accept": accept}}
    if "attributes" in value:
        notification["attributes"] = [ctx.expand(a) for a in _string_list(value["attributes"], "attributes")]
    fmt = value.get("format", "normalized")
    if fmt not in FORMATS:
        raise bad_request(f"unsupported notification format {fmt!r}")
    notification["format"] = "keyValues" if fmt == "simplified" else fmt
    for flag in ("sysAttrs", "showChanges"):
        if flag in value:
            if not isinstance(value[flag], bool):
                raise bad_request(f"{flag} shall be a boolean")
            notification[flag] = value[flag]
    receiver_info = endpoint.get("receiverInfo")
    if receiver_info is not None and (
        not isinstance(receiver_info, list)
        or not all(
            isinstance(i, dict) and isinstance(i.get("key"), str) and isinstance(i.get("value"), str)
            for i in receiver_info
        )
    ):
        raise bad_request("receiverInfo shall be an array of {key, value} strings")
    return notification


def _validate(payload: Any, ctx: ActiveContext, existing: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a full subscription (existing None) or a fragment merged into an existing one."""
    if not isinstance(payload, dict):
        raise bad_request("the subscription shall be a JSON object")
    sub: dict[str, Any] = copy.deepcopy(existing) if existing else {}
    if existing is None:
        if payload.get("type") != "Subscription":
            raise bad_request('a subscription shall have "type": "Subscription"')
        raw_id = payload.get("id", f"urn:ngsi-ld:Subscription:{uuid.uuid4()}")
        if not is_uri(raw_id):
            raise bad_request(f"subscription id {raw_id!r} is not a URI")
        sub["id"] = raw_id
        sub["type"] = "Subscription"
    elif "id" in payload and payload["id"] != existing["id"]:
        raise bad_request("the subscription id cannot be changed")
    elif "type" in payload and payload["type"] != "Subscription":
        raise bad_request('a subscription shall have "type": "Subscription"')
    for member in ("subscriptionName", "description"):
        if member in payload:
            if not isinstance(payload[member], str):
                raise bad_request(f"{member} shall be a string")
            sub[member] = payload[member]
    if "entities" in payload:
        sub["entities"] = _validate_entities(payload["entities"], ctx)
    if "watchedAttributes" in payload:
        sub["watchedAttributes"] = [
            ctx.expand(a) for a in _string_list(payload["watchedAttributes"], "watchedAttributes")
        ]
    if "notificationTrigger" in payload:
        triggers = _string_list(payload["notificationTrigger"], "notificationTrigger")
        if set(triggers) - TRIGGERS:
            raise bad_request(f"unknown notificationTrigger {sorted(set(triggers) - TRIGGERS)}")
        sub["notificationTrigger"] = triggers
    if "q" in payload:
        if not isinstance(payload["q"], str):
            raise bad_request("q shall be a string")
        parse_q(payload["q"], ctx)
        sub["q"] = payload["q"]
    if "geoQ" in payload:
        geo_q = payload["geoQ"]
        if not isinstance(geo_q, dict):
            raise bad_request("geoQ shall be an object")
        parse_geoquery(
            geo_q.get("georel"),
            geo_q.get("geometry"),
            geo_q.get("coordinates", ""),
            ctx.expand(geo_q.get("geoproperty", "location")),
        )
        sub["geoQ"] = geo_q
    if "scopeQ" in payload:
        sub["scopeQ"] = str(payload["scopeQ"])
    if "lang" in payload:
        sub["lang"] = str(payload["lang"])
    if "notification" in payload:
        sub["notification"] = _validate_notification(payload["notification"], ctx)
    for member in ("timeInterval", "throttling"):
        if member in payload:
            value = payload[member]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise bad_request(f"{member} shall be a positive number")
            sub[member] = value
    if "expiresAt" in payload:
        expires = parse_datetime(payload["expiresAt"])
        if expires is None:
            raise bad_request("expiresAt shall be a DateTime")
        if existing is None and expires <= (parse_datetime(now_timestamp()) or expires):
            raise bad_request("expiresAt shall be in the future")
        sub["expiresAt"] = payload["expiresAt"]
    if "isActive" in payload:
        if not isinstance(payload["isActive"], bool):
            raise bad_request("isActive shall be a boolean")
        sub["isActive"] = payload["isActive"]
    if "notification" not in sub:
        raise bad_request("a subscription shall have a notification member")
    if "entities" not in sub and "watchedAttributes" not in sub:
        raise bad_request("a subscription shall have entities or watchedAttributes")
    if "timeInterval" in sub and "watchedAttributes" in sub:
        raise bad_request("timeInterval and watchedAttributes shall not be used together")
    if "timeInterval" in sub and "throttling" in sub:
        raise bad_request("timeInterval and throttling shall not be used together")
    sub.setdefault("isActive", True)
    return sub


def _status(sub: dict[str, Any]) -> str:
    expires = sub.get("expiresAt")
    if (
        expires
        and parse_datetime(expires) is not None
        and parse_datetime(expires) < parse_datetime(now_timestamp())
    ):
        return "expired"
    return "active" if sub.get("isActive", True) else "paused"


def _render(sub: dict[str, Any], ctx: ActiveContext, sys_attrs: bool) -> dict[str, Any]:
    out = {k: v for k, v in sub.items() if not k.startswith("_")}
    if "watchedAttributes" in out:
        out["watchedAttributes"] = [ctx.compact(a) for a in out["watchedAttributes"]]
    notification = dict(out["notification"])
    if "attributes" in notification:
        notification["attributes"] = [ctx.compact(a) for a in notification["attributes"]]
    for member in ("timesSent", "timesFailed", "lastNotification", "lastSuccess", "lastFailure"):
        if member in sub.get("_status", {}):
            notification[member] = sub["_status"][member]
    notification["status"] = "failed" if sub.get("_status", {}).get("lastFailed") else "ok"
    out["notification"] = notification
    out["status"] = _status(sub)
    if not sys_attrs:
        out.pop("createdAt", None)
        out.pop("modifiedAt", None)
    return out


# -------------------------------------------------------------------------- handlers


async def create_subscription(request: Request, broker: Broker) -> Response:
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    sub = _validate(body.payload, ctx, None)
    now = now_timestamp()
    sub["createdAt"] = now
    sub["modifiedAt"] = now
    sub["_context"] = body.context_value
    sub["_status"] = {"timesSent": 0}
    broker.storage.ensure_tenant(tenant)
    if not broker.storage.insert(SUBSCRIPTION, tenant, sub["id"], sub):
        raise NgsiLdError("AlreadyExists", f"subscription {sub['id']} already exists")
    headers = {"Location": "/ngsi-ld/v1/subscriptions/" + sub["id"], **tenant_headers(tenant)}
    return Response(status_code=201, headers=headers)


def _sys_attrs(request: Request) -> bool:
    return "sysAttrs" in request.query_params.get("options", "").split(",")


async def list_subscriptions(request: Request, broker: Broker) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    page = parse_page(request)
    subs = broker.storage.list(SUBSCRIPTION, tenant)
    body = [_render(s, ctx, _sys_attrs(request)) for s in subs[page.offset : page.offset + page.limit]]
    headers = tenant_headers(tenant)
    if page.count:
        headers["NGSILD-Results-Count"] = str(len(subs))
    return json_response(body, ctx, accept, headers=headers)


def _load(broker: Broker, tenant: str, sub_id: str) -> dict[str, Any]:
    if not is_uri(sub_id):
        raise bad_request(f"subscription id {sub_id!r} is not a URI")
    sub = broker.storage.get(SUBSCRIPTION, tenant, sub_id)
    if sub is None:
        raise not_found(f"subscription {sub_id} does not exist")
    return sub


async def retrieve_subscription(request: Request, broker: Broker, sub_id: str) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    sub = _load(broker, tenant, sub_id)
    return json_response(_render(sub, ctx, _sys_attrs(request)), ctx, accept, headers=tenant_headers(tenant))


async def update_subscription(request: Request, broker: Broker, sub_id: str) -> Response:
    body = await read_body(request, allow_merge_patch=True)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    existing = _load(broker, tenant, sub_id)
    payload = body.payload
    if isinstance(payload, dict):
        payload = {k: v for k, v in payload.items() if k != "@context"}
        if not payload:
            raise bad_request("the subscription fragment is empty")
    updated = _validate(payload, ctx, existing)
    updated["modifiedAt"] = now_timestamp()
    if body.context_value is not None:
        updated["_context"] = body.context_value
    broker.storage.update(SUBSCRIPTION, tenant, sub_id, updated)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def delete_subscription(request: Request, broker: Broker, sub_id: str) -> Response:
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    _load(broker, tenant, sub_id)
    broker.storage.delete(SUBSCRIPTION, tenant, sub_id)
    return Response(status_code=204, headers=tenant_headers(tenant))


# ---------------------------------------------------------------------- notification


class Notifier:
    """Matches entity changes against subscriptions and delivers notifications in the background."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.queue: asyncio.Queue[tuple[str, str, dict[str, Any], dict[str, str], bytes]] | None = None
        self.worker: asyncio.Task[None] | None = None
        broker.listeners.append(self.on_change)

    def on_change(self, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        subs = self.broker.storage.list(SUBSCRIPTION, tenant)
        if not subs:
            return
        triggers = _triggers(before, after)
        entity = after if after is not None else before
        assert entity is not None
        changed = _changed_attributes(before, after)
        for sub in subs:
            try:
                self._consider(tenant, sub, entity, triggers, changed, after is None)
            except NgsiLdError:
                continue

    def _consider(
        self,
        tenant: str,
        sub: dict[str, Any],
        entity: dict[str, Any],
        triggers: set[str],
        changed: set[str],
        deleted: bool,
    ) -> None:
        if _status(sub) != "active" or "timeInterval" in sub:
            return
        wanted = set(sub.get("notificationTrigger", DEFAULT_TRIGGERS))
        if not wanted & triggers:
            return
        ctx = self.broker.resolver.resolve(sub.get("_context"))
        if "entities" in sub and not any(_selector_matches(s, entity, ctx) for s in sub["entities"]):
            return
        watched = sub.get("watchedAttributes")
        if watched and not (set(watched) & changed):
            return
        if not deleted:
            if "q" in sub and not parse_q(sub["q"], ctx)(entity):
                return
            geo_q = sub.get("geoQ")
            if geo_q:
                query = parse_geoquery(
                    geo_q.get("georel"),
                    geo_q.get("geometry"),
                    geo_q.get("coordinates", ""),
                    ctx.expand(geo_q.get("geoproperty", "location")),
                )
                if query is not None and not geo_predicate(query)(entity):
                    return
        throttling = sub.get("throttling")
        last = sub.get("_status", {}).get("lastNotification")
        if throttling and last:
            last_dt, now_dt = parse_datetime(last), parse_datetime(now_timestamp())
            if last_dt and now_dt and (now_dt - last_dt).total_seconds() < throttling:
                return
        self._enqueue(tenant, sub, entity, ctx, deleted)

    def _enqueue(
        self, tenant: str, sub: dict[str, Any], entity: dict[str, Any], ctx: ActiveContext, deleted: bool
    ) -> None:
        notification = sub["notification"]
        attrs = notification.get("attributes")
        opts = RenderOptions(
            format=notification.get("format", "normalized"),
            sys_attrs=bool(notification.get("sysAttrs")),
            attrs=set(attrs) if attrs else None,
            lang=sub.get("lang"),
        )
        data = render_entity(entity, ctx, opts)
        if deleted:
            data = {"id": entity["id"], "type": data["type"], "deletedAt": now_timestamp()}
        endpoint = notification["endpoint"]
        payload: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": sub["id"],
            "notifiedAt": now_timestamp(),
            "data": [data],
        }
        headers = {"Content-Type": JSON}
        if endpoint.get("accept") == JSONLD:
            headers["Content-Type"] = JSONLD
            payload["@context"] = body_context_member(ctx)
        else:
            headers["Link"] = link_header_value(context_url_for(ctx))
        if tenant:
            headers["NGSILD-Tenant"] = tenant
        for info in endpoint.get("receiverInfo") or []:
            headers[info["key"]] = info["value"]
        sub.setdefault("_status", {})["lastNotification"] = payload["notifiedAt"]
        self.broker.storage.update(SUBSCRIPTION, tenant, sub["id"], sub)
        body = json.dumps(payload).encode("utf-8")
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self.queue is None:
            self.queue = asyncio.Queue()
        if self.worker is None or self.worker.done():
            self.worker = loop.create_task(self._deliver_forever())
        self.queue.put_nowait((tenant, sub["id"], endpoint, headers, body))

    async def _deliver_forever(self) -> None:
        assert self.queue is not None
        while True:
            tenant, sub_id, endpoint, headers, body = await self.queue.get()
            ok = await run_in_threadpool(_post, endpoint["uri"], headers, body)
            sub = self.broker.storage.get(SUBSCRIPTION, tenant, sub_id)
            if sub is None:
                continue
            status = sub.setdefault("_status", {})
            now = now_timestamp()
            if ok:
                status["timesSent"] = status.get("timesSent", 0) + 1
                status["lastSuccess"] = now
                status["lastFailed"] = False
            else:
                status["timesFailed"] = status.get("timesFailed", 0) + 1
                status["lastFailure"] = now
                status["lastFailed"] = True
            self.broker.storage.update(SUBSCRIPTION, tenant, sub_id, sub)


def _post(uri: str, headers: dict[str, str], body: bytes) -> bool:
    if not re.match(r"^https?://", uri):
        return False
    request = urllib.request.Request(uri, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_S) as response:  # noqa: S310
            return 200 <= response.status < 300
    except (urllib.error.URLError, TimeoutError, OSError, ValueError):
        return False


def _selector_matches(selector: dict[str, Any], entity: dict[str, Any], ctx: ActiveContext) -> bool:
    if "id" in selector and selector["id"] != entity["id"]:
        return False
    if (
        "id" not in selector
        and "idPattern" in selector
        and not re.search(selector["idPattern"], entity["id"])
    ):
        return False
    return parse_type_expression(selector["type"], ctx)(entity)


def _changed_attributes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> set[str]:
    old = (before or {}).get("attrs", {})
    new = (after or {}).get("attrs", {})
    changed = {a for a in set(old) | set(new) if a not in old or a not in new}
    for attr in set(old) & set(new):
        if _strip_times(old[attr]) != _strip_times(new[attr]) or old[attr] != new[attr]:
            changed.add(attr)
    return changed


def _strip_times(instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in i.items() if k not in ("createdAt", "modifiedAt")} for i in instances]


def _triggers(before: dict[str, Any] | None, after: dict[str, Any] | None) -> set[str]:
    if before is None and after is not None:
        return {"entityCreated", "attributeCreated"} if after["attrs"] else {"entityCreated"}
    if after is None:
        return {"entityDeleted"}
    assert before is not None
    found = {"entityUpdated"}
    old, new = before["attrs"], after["attrs"]
    if set(new) - set(old):
        found.add("attributeCreated")
    if set(old) - set(new):
        found.add("attributeDeleted")
    if any(old[a] != new[a] for a in set(old) & set(new)):
        found.add("attributeUpdated")
    return found
