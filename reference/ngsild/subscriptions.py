"""Context subscriptions (clauses 5.8.1 - 5.8.5, 5.2.12 - 5.2.15) and notifications (clause 5.11.1 - 5.11.2).

Stored subscription: the validated payload with watched attributes and notified attributes in expanded
form, the user @context it was created with (``_context``, used to evaluate ``q`` and to compact
notifications) and the delivery bookkeeping (``_status``: timesSent, timesFailed, lastNotification,
lastSuccess, lastFailure, lastFailed).

On-change subscriptions are matched synchronously when an entity changes (``Broker.notify_change``); the
notification is built at once and delivered by a background asyncio task (HTTP POST off the event loop,
in a worker thread), never blocking the request that caused it. Deliveries of one subscription keep their
order. Periodic subscriptions (``timeInterval``) are served by a ticker task that wakes every 100 ms.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import http.client
import json
import logging
import re
import urllib.error
import urllib.request
import uuid
from contextlib import suppress
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .broker import ENTITY, Broker
from .context import ActiveContext
from .entities import tenant_headers
from .errors import NgsiLdError, bad_request, not_found
from .geo import geo_predicate, parse_geoquery
from .geojson import entity_feature, feature_collection
from .http import (
    GEOJSON,
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
from .model import check_name, is_uri, now_timestamp, parse_datetime
from .query import parse_q, parse_type_expression
from .query_api import page_links, parse_page, scope_predicate
from .registrations import REGISTRATION, csf_predicate, render_registration
from .render import RenderOptions, render_entity

log = logging.getLogger("reference.ngsild")

SUBSCRIPTION = "subscription"
CSOURCE_SUBSCRIPTION = "csourceSubscription"
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
DEFAULT_TIMEOUT_S = 5.0
MAX_TIMEOUT_S = 30.0
TICK_S = 0.1
REMOVABLE_MEMBERS = {
    "subscriptionName",
    "description",
    "entities",
    "watchedAttributes",
    "notificationTrigger",
    "timeInterval",
    "q",
    "geoQ",
    "csf",
    "expiresAt",
    "throttling",
    "temporalQ",
    "scopeQ",
    "lang",
    "localOnly",
    "jsonldContext",
    "datasetId",
}
KNOWN_MEMBERS = {
    "id",
    "type",
    "@context",
    "subscriptionName",
    "description",
    "entities",
    "watchedAttributes",
    "notificationTrigger",
    "timeInterval",
    "q",
    "geoQ",
    "csf",
    "isActive",
    "notification",
    "expiresAt",
    "throttling",
    "temporalQ",
    "scopeQ",
    "lang",
    "localOnly",
    "jsonldContext",
    "datasetId",
    # read-only members a client may echo back; ignored
    "status",
    "createdAt",
    "modifiedAt",
    "deletedAt",
}


# ----------------------------------------------------------------------------- validation


def _string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"{name} shall be a non-empty array of strings")
    return value


def _attribute_names(value: Any, name: str, ctx: ActiveContext) -> list[str]:
    names = _string_list(value, name)
    for item in names:
        check_name(item, f"{name} item")
    return [ctx.expand(a) for a in names]


def _validate_entities(value: Any, ctx: ActiveContext) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise bad_request("entities shall be a non-empty array of EntitySelector")
    selectors: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("type"), str) or not item["type"]:
            raise bad_request("each EntitySelector shall be an object with a type (clause 5.2.33)")
        parse_type_expression(item["type"], ctx)
        # stored expanded (term to URI expansion, 5.8.1), compacted with the reader's @context on retrieval
        selector: dict[str, Any] = {"type": map_type_names(item["type"], ctx.expand)}
        if "id" in item:
            if not is_uri(item["id"]):
                raise bad_request(f"EntitySelector id {item['id']!r} is not a URI")
            selector["id"] = item["id"]
        if "idPattern" in item:
            if not isinstance(item["idPattern"], str) or not item["idPattern"]:
                raise bad_request("idPattern shall be a non-empty string")
            try:
                re.compile(item["idPattern"])
            except re.error as exc:
                raise bad_request(f"invalid idPattern: {exc}") from exc
            selector["idPattern"] = item["idPattern"]
        selectors.append(selector)
    return selectors


_TYPE_NAME_RE = re.compile(r"[^(),;|\s]+")


def map_type_names(expression: str, convert: Any) -> str:
    """Apply `convert` to every type name of an entity type selection (clause 4.17), keeping operators."""
    if expression.strip() == "*":
        return expression
    return _TYPE_NAME_RE.sub(lambda m: convert(m.group(0)), expression)


def _key_values(value: Any, name: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not all(
        isinstance(i, dict) and isinstance(i.get("key"), str) and i["key"] and isinstance(i.get("value"), str)
        for i in value
    ):
        raise bad_request(f"{name} shall be an array of KeyValuePair {{key, value}} with string members")
    return [{"key": i["key"], "value": i["value"]} for i in value]


def _validate_endpoint(endpoint: Any) -> dict[str, Any]:
    if not isinstance(endpoint, dict):
        raise bad_request("notification.endpoint shall be an object (clause 5.2.15)")
    if not is_uri(endpoint.get("uri")):
        raise bad_request("notification.endpoint.uri shall be a URI")
    out: dict[str, Any] = {"uri": endpoint["uri"]}
    accept = endpoint.get("accept", JSON)
    if accept not in (JSON, JSONLD, GEOJSON):
        raise bad_request(f"unsupported notification.endpoint.accept {accept!r}")
    out["accept"] = accept
    for member in ("timeout", "cooldown"):
        if member in endpoint:
            value = endpoint[member]
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 1:
                raise bad_request(f"notification.endpoint.{member} shall be a number >= 1")
            out[member] = value
    for member in ("receiverInfo", "notifierInfo"):
        if member in endpoint:
            out[member] = _key_values(endpoint[member], f"notification.endpoint.{member}")
    return out


def _validate_notification(value: Any, ctx: ActiveContext, existing: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("notification shall be an object (NotificationParams, clause 5.2.14)")
    notification: dict[str, Any] = copy.deepcopy(existing) if existing else {}
    if "endpoint" in value:
        notification["endpoint"] = _validate_endpoint(value["endpoint"])
    if "endpoint" not in notification:
        raise bad_request("notification.endpoint is mandatory")
    if "attributes" in value:
        notification["attributes"] = _attribute_names(value["attributes"], "notification.attributes", ctx)
    for member in ("pick", "omit"):
        if member in value:
            names = _string_list(value[member], f"notification.{member}")
            notification[member] = names
    if "pick" in notification and "omit" in notification:
        raise bad_request("notification.pick and notification.omit shall not be used together")
    if "format" in value:
        fmt = value["format"]
        if not isinstance(fmt, str) or fmt not in FORMATS:
            raise bad_request(f"unsupported notification format {fmt!r}")
        notification["format"] = "keyValues" if fmt == "simplified" else fmt
    for flag in ("sysAttrs", "showChanges"):
        if flag in value:
            if not isinstance(value[flag], bool):
                raise bad_request(f"notification.{flag} shall be a boolean")
            notification[flag] = value[flag]
    if notification.get("showChanges") and notification.get("format") == "keyValues":
        raise bad_request("showChanges cannot be true when the notification format is keyValues")
    if "join" in value:
        if not isinstance(value["join"], str) or value["join"] not in ("flat", "inline", "@none"):
            raise bad_request("notification.join shall be flat, inline or @none")
        notification["join"] = value["join"]
    if "joinLevel" in value:
        level = value["joinLevel"]
        if not isinstance(level, (int, float)) or isinstance(level, bool) or level < 1:
            raise bad_request("notification.joinLevel shall be a number >= 1")
        notification["joinLevel"] = level
    return notification


def _validate_geo_q(geo_q: Any, ctx: ActiveContext) -> dict[str, Any]:
    if not isinstance(geo_q, dict):
        raise bad_request("geoQ shall be an object (GeoQuery, clause 5.2.13)")
    for member in ("georel", "geometry", "coordinates"):
        if member not in geo_q:
            raise bad_request(f"geoQ.{member} is mandatory")
    if not isinstance(geo_q["georel"], str) or not isinstance(geo_q["geometry"], str):
        raise bad_request("geoQ.georel and geoQ.geometry shall be strings")
    geoproperty = geo_q.get("geoproperty", "location")
    if not isinstance(geoproperty, str) or not geoproperty:
        raise bad_request("geoQ.geoproperty shall be a string")
    parse_geoquery(geo_q["georel"], geo_q["geometry"], geo_q["coordinates"], ctx.expand(geoproperty))
    return {k: geo_q[k] for k in ("georel", "geometry", "coordinates", "geoproperty") if k in geo_q}


def _positive_number(value: Any, name: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 1:
        raise bad_request(f"{name} shall be a number >= 1")
    return value


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
    else:
        if "id" in payload and payload["id"] != existing["id"]:
            raise bad_request("the subscription id cannot be changed")
        if "type" in payload and payload["type"] != "Subscription":
            raise bad_request('a subscription shall have "type": "Subscription"')
        # an optional member set to null (JSON null or urn:ngsi-ld:null, clause 5.5.8) is removed
        removed = {
            k for k, v in payload.items() if k in REMOVABLE_MEMBERS and v in (None, "urn:ngsi-ld:null")
        }
        for member in removed:
            sub.pop(member, None)
        payload = {k: v for k, v in payload.items() if k not in removed}
    for member in ("subscriptionName", "description", "csf"):
        if member in payload:
            if not isinstance(payload[member], str):
                raise bad_request(f"{member} shall be a string")
            sub[member] = payload[member]
    if "csf" in payload:
        parse_q(payload["csf"], ctx)  # a valid query string as per clause 4.9 (5.2.12)
    if "entities" in payload:
        sub["entities"] = _validate_entities(payload["entities"], ctx)
    if "watchedAttributes" in payload:
        sub["watchedAttributes"] = _attribute_names(payload["watchedAttributes"], "watchedAttributes", ctx)
    if "notificationTrigger" in payload:
        triggers = _string_list(payload["notificationTrigger"], "notificationTrigger")
        if set(triggers) - TRIGGERS:
            raise bad_request(f"unknown notificationTrigger {sorted(set(triggers) - TRIGGERS)}")
        sub["notificationTrigger"] = triggers
    if "q" in payload:
        if not isinstance(payload["q"], str) or not payload["q"].strip():
            raise bad_request("q shall be a non-empty string")
        parse_q(payload["q"], ctx)
        sub["q"] = payload["q"]
    if "geoQ" in payload:
        sub["geoQ"] = _validate_geo_q(payload["geoQ"], ctx)
    if "scopeQ" in payload:
        if not isinstance(payload["scopeQ"], str):
            raise bad_request("scopeQ shall be a string")
        scope_predicate(payload["scopeQ"])
        sub["scopeQ"] = payload["scopeQ"]
    if "lang" in payload:
        if not isinstance(payload["lang"], str) or not payload["lang"].strip():
            raise bad_request("lang shall be a non-empty string")
        sub["lang"] = payload["lang"]
    if "datasetId" in payload:
        ids = _string_list(payload["datasetId"], "datasetId")
        if not all(i == "@none" or is_uri(i) for i in ids):
            raise bad_request("datasetId items shall be URIs or @none")
        sub["datasetId"] = ids
    if "jsonldContext" in payload:
        if not is_uri(payload["jsonldContext"]):
            raise bad_request("jsonldContext shall be a URI")
        sub["jsonldContext"] = payload["jsonldContext"]
    for flag in ("isActive", "localOnly"):
        if flag in payload:
            if not isinstance(payload[flag], bool):
                raise bad_request(f"{flag} shall be a boolean")
            sub[flag] = payload[flag]
    if "temporalQ" in payload:
        if not isinstance(payload["temporalQ"], dict):
            raise bad_request("temporalQ shall be an object")
        sub["temporalQ"] = payload["temporalQ"]
    if "notification" in payload:
        sub["notification"] = _validate_notification(payload["notification"], ctx, sub.get("notification"))
    for member in ("timeInterval", "throttling"):
        if member in payload:
            sub[member] = _positive_number(payload[member], member)
    if "expiresAt" in payload:
        expires = parse_datetime(payload["expiresAt"])
        if expires is None:
            raise bad_request("expiresAt shall be a DateTime")
        if existing is None and expires <= (parse_datetime(now_timestamp()) or expires):
            raise bad_request("expiresAt shall be in the future")
        sub["expiresAt"] = payload["expiresAt"]
    if "notification" not in sub:
        raise bad_request("a subscription shall have a notification member")
    if "timeInterval" in sub:
        if "watchedAttributes" in sub:
            raise bad_request("timeInterval and watchedAttributes shall not be used together")
        if "throttling" in sub:
            raise bad_request("timeInterval and throttling shall not be used together")
        if "entities" not in sub and not sub.get("localOnly"):
            raise bad_request("a periodic subscription (timeInterval) shall have entities")
    if "entities" not in sub and "watchedAttributes" not in sub:
        raise bad_request("a subscription shall have entities or watchedAttributes (or both)")
    # isActive is only rendered when the client gave it (its default, true, shows in status)
    return sub


# ------------------------------------------------------------------------------- rendering


def subscription_status(sub: dict[str, Any]) -> str:
    expires = parse_datetime(sub.get("expiresAt"))
    if expires is not None and expires <= (parse_datetime(now_timestamp()) or expires):
        return "expired"
    return "active" if sub.get("isActive", True) else "paused"


def _render(sub: dict[str, Any], ctx: ActiveContext, sys_attrs: bool) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in sub.items() if not k.startswith("_")}
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
    sub = _validate(body.payload, ctx, None)
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
        raise bad_request(f"unsupported options {sorted(options - {'sysAttrs'})}")
    return "sysAttrs" in options


async def list_subscriptions(request: Request, broker: Broker, kind: str = SUBSCRIPTION) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    page = parse_page(request)
    sys_attrs = _sys_attrs(request)
    broker.require_tenant(tenant)
    subs = broker.storage.list(kind, tenant)
    body = [_render(s, ctx, sys_attrs) for s in subs[page.offset : page.offset + page.limit]]
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
    return json_response(_render(sub, ctx, sys_attrs), ctx, accept, headers=tenant_headers(tenant))


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
    updated = _validate(payload, ctx, existing)
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


# ---------------------------------------------------------------------------- change analysis


class Change:
    """What an entity change did, per attribute (expanded names)."""

    def __init__(self, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        self.before = before
        self.after = after
        old = (before or {}).get("attrs", {})
        new = (after or {}).get("attrs", {})
        self.created = {a for a in new if a not in old}
        self.deleted = {a for a in old if a not in new}
        self.updated: set[str] = set()
        self.deleted_instances: dict[str, list[dict[str, Any]]] = {}
        for attr in set(old) & set(new):
            old_by = {i.get("datasetId"): i for i in old[attr]}
            new_by = {i.get("datasetId"): i for i in new[attr]}
            gone = [i for k, i in old_by.items() if k not in new_by]
            if gone:
                self.deleted_instances[attr] = gone
            if any(k not in old_by or old_by[k] != v for k, v in new_by.items()):
                self.updated.add(attr)
        for attr in self.deleted:
            self.deleted_instances[attr] = old[attr]
        self.entity_created = before is None and after is not None
        self.entity_deleted = after is None and before is not None

    def fired(self, triggers: set[str], watched: list[str] | None) -> bool:
        def relevant(attrs: set[str]) -> bool:
            return bool(attrs if watched is None else attrs & set(watched))

        if self.entity_created:
            if "entityCreated" in triggers:
                return True
            return "attributeCreated" in triggers and relevant(self.created)
        if "entityUpdated" in triggers:
            triggers = triggers | {"attributeCreated", "attributeUpdated", "attributeDeleted"}
        if "attributeCreated" in triggers and relevant(self.created):
            return True
        if "attributeUpdated" in triggers and relevant(self.updated):
            return True
        deleted = self.deleted | set(self.deleted_instances)
        if self.entity_deleted:
            return "entityDeleted" in triggers or ("attributeDeleted" in triggers and relevant(deleted))
        return "attributeDeleted" in triggers and relevant(deleted)


# ------------------------------------------------------------------------------- the notifier


# notifications go straight to the endpoint: environment proxy settings are not applied
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# a dedicated pool: slow endpoints never starve the request handlers' thread pool (nor, much, each other)
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="notify")


def _post(uri: str, headers: dict[str, str], body: bytes, timeout: float) -> bool:
    if not re.match(r"^https?://", uri):
        return False
    request = urllib.request.Request(uri, data=body, headers=headers, method="POST")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, TimeoutError, OSError, ValueError, http.client.HTTPException):
        return False


def _selector_covers(selector: dict[str, Any], info: dict[str, Any], ctx: ActiveContext) -> bool:
    """An EntitySelector of a subscription may select entities described by a registration EntityInfo."""
    if not parse_type_expression(selector["type"], ctx)({"types": info["type"], "id": "", "attrs": {}}):
        return False
    if "id" in selector and "id" in info and selector["id"] != info["id"]:
        return False
    return not (
        "id" not in selector and "idPattern" in selector and "id" in info
        and not re.search(selector["idPattern"], info["id"])
    )  # fmt: skip


def _selector_matches(selector: dict[str, Any], entity: dict[str, Any], ctx: ActiveContext) -> bool:
    if "id" in selector:
        if selector["id"] != entity["id"]:
            return False
    elif "idPattern" in selector and not re.search(selector["idPattern"], entity["id"]):
        return False
    return parse_type_expression(selector["type"], ctx)(entity)


class Notifier:
    """Matches entity changes against subscriptions and delivers notifications in the background."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self.tails: dict[tuple[str, str], asyncio.Task[None]] = {}
        self.ticker: asyncio.Task[None] | None = None
        self.next_due: dict[tuple[str, str], float] = {}
        broker.listeners.append(self.on_change)
        broker.registration_listeners.append(self.on_registration)
        broker.notifier = self
        broker.request_hooks.append(self.ensure_started)

    # ---------------------------------------------------------------- lifecycle
    def ensure_started(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self.ticker is None or self.ticker.done():
            self.ticker = loop.create_task(self._tick_forever())

    # ----------------------------------------------------------------- on-change
    def on_change(self, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
        subs = self.broker.storage.list(SUBSCRIPTION, tenant)
        if not subs:
            return
        change = Change(before, after)
        for sub in subs:
            try:
                self._consider(tenant, sub, change)
            except NgsiLdError:
                continue
            except Exception:  # noqa: BLE001 - one bad subscription never stops the others
                log.exception("subscription %s failed", sub.get("id"))

    def _context(self, sub: dict[str, Any]) -> ActiveContext:
        return self.broker.resolver.resolve(sub.get("_context"))

    def _matches(
        self, sub: dict[str, Any], entity: dict[str, Any], ctx: ActiveContext, deleted: bool
    ) -> bool:
        if "entities" in sub and not any(_selector_matches(s, entity, ctx) for s in sub["entities"]):
            return False
        if deleted:
            return True
        if "q" in sub and not parse_q(sub["q"], ctx)(entity):
            return False
        if "scopeQ" in sub and not scope_predicate(sub["scopeQ"])(entity):
            return False
        geo_q = sub.get("geoQ")
        if geo_q:
            query = parse_geoquery(
                geo_q["georel"],
                geo_q["geometry"],
                geo_q["coordinates"],
                ctx.expand(geo_q.get("geoproperty", "location")),
            )
            if query is not None and not geo_predicate(query)(entity):
                return False
        return True

    def _consider(self, tenant: str, sub: dict[str, Any], change: Change) -> None:
        if subscription_status(sub) != "active" or "timeInterval" in sub:
            return
        triggers = set(sub.get("notificationTrigger", DEFAULT_TRIGGERS))
        if not change.fired(triggers, sub.get("watchedAttributes")):
            return
        ctx = self._context(sub)
        entity = change.after if change.after is not None else change.before
        assert entity is not None
        if not self._matches(sub, entity, ctx, change.entity_deleted):
            return
        if not self._may_send(sub):
            return
        out_ctx, url = self._notification_context(sub, ctx)
        data = [self._render_changed(sub, change, out_ctx)]
        self._send(tenant, sub, data, out_ctx, url, [change.after] if change.after is not None else None)

    def _may_send(self, sub: dict[str, Any]) -> bool:
        status = sub.get("_status", {})
        now = parse_datetime(now_timestamp())
        assert now is not None
        throttling = sub.get("throttling")
        last = parse_datetime(status.get("lastNotification"))
        if throttling and last and (now - last).total_seconds() < throttling:
            return False
        cooldown = sub["notification"]["endpoint"].get("cooldown")
        failure = parse_datetime(status.get("lastFailure"))
        if (
            cooldown
            and failure
            and status.get("lastFailed")
            and (now - failure).total_seconds() * 1000 < cooldown
        ):
            return False
        return True

    def _options(self, sub: dict[str, Any], ctx: ActiveContext) -> RenderOptions:
        notification = sub["notification"]
        attrs = notification.get("attributes")
        opts = RenderOptions(
            format=notification.get("format", "normalized"),
            sys_attrs=bool(notification.get("sysAttrs")),
            attrs=set(attrs) if attrs else None,
            lang=sub.get("lang"),
        )
        if "datasetId" in sub:
            opts.dataset_ids = {None if d == "@none" else d for d in sub["datasetId"]}
        for member in ("pick", "omit"):
            if member in notification:
                names = {
                    n if n in ("id", "type", "scope") else ctx.compact(ctx.expand(n))
                    for n in notification[member]
                }
                setattr(opts, member, names)
        return opts

    def _render_changed(self, sub: dict[str, Any], change: Change, ctx: ActiveContext) -> dict[str, Any]:
        """The entity as notified: current state, deleted attributes as urn:ngsi-ld:null (with their
        previous value when showChanges), previous values of changed attributes when showChanges."""
        opts = self._options(sub, ctx)
        now = now_timestamp()
        show_changes = bool(sub["notification"].get("showChanges"))
        if change.entity_deleted:
            assert change.before is not None
            entity = copy.deepcopy(change.before)
            entity["attrs"] = {}
        else:
            assert change.after is not None
            entity = copy.deepcopy(change.after)
        if show_changes and change.before is not None and not change.entity_deleted:
            old = change.before["attrs"]
            for attr, instances in entity["attrs"].items():
                for inst in instances:
                    previous = next(
                        (i for i in old.get(attr, []) if i.get("datasetId") == inst.get("datasetId")), None
                    )
                    if previous is None or previous["type"] != inst["type"]:
                        continue
                    member = _value_member(inst["type"])
                    if previous.get(member) != inst.get(member):
                        inst["_previous"] = _previous_value(previous)
        for attr, gone in change.deleted_instances.items():
            for inst in gone:
                marker = {"type": inst["type"], "_deleted": True, "deletedAt": now}
                for member in ("datasetId", "createdAt", "modifiedAt"):
                    if member in inst:
                        marker[member] = inst[member]
                if show_changes:
                    marker["_previous"] = _previous_value(inst)
                entity["attrs"].setdefault(attr, []).append(marker)
        data = render_entity(entity, ctx, opts)
        if change.entity_deleted:
            # the deletion time is always given for a deleted entity (sysAttrs adds createdAt/modifiedAt)
            data = {k: v for k, v in data.items() if k not in ("createdAt", "modifiedAt")}
            head = {"id": data.pop("id"), "type": data.pop("type")}
            if "scope" in data:
                head["scope"] = data.pop("scope")
            if opts.sys_attrs:
                head["createdAt"] = entity["createdAt"]
                head["modifiedAt"] = entity["modifiedAt"]
            head["deletedAt"] = now
            data = {**head, **data}
        return data

    # ------------------------------------------------------------------- sending
    def _notification_context(self, sub: dict[str, Any], ctx: ActiveContext) -> tuple[ActiveContext, str]:
        """The context used to compact the notification and the URL announced for it."""
        if sub.get("jsonldContext"):
            with suppress(NgsiLdError):
                return self.broker.resolver.resolve(sub["jsonldContext"]), sub["jsonldContext"]
        hosted: str | None = None
        if ctx.source is not None and not isinstance(ctx.source, str):
            entry = self.broker.host_context(ctx.source, "ImplicitlyCreated", now_timestamp())
            hosted = (
                str(sub.get("_base", "http://127.0.0.1/")).rstrip("/")
                + "/ngsi-ld/v1/jsonldContexts/"
                + entry.id
            )
        return ctx, context_url_for(ctx, hosted)

    def _send(
        self,
        tenant: str,
        sub: dict[str, Any],
        data: list[dict[str, Any]],
        ctx: ActiveContext,
        link_url: str,
        entities: list[dict[str, Any]] | None,
    ) -> None:
        endpoint = sub["notification"]["endpoint"]
        accept = endpoint.get("accept", JSON)
        payload: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": sub["id"],
            "notifiedAt": now_timestamp(),
        }
        receiver_info = {i["key"]: i["value"] for i in endpoint.get("receiverInfo") or []}
        headers = {"Content-Type": JSON}
        if accept == GEOJSON:
            opts = self._options(sub, ctx)
            features = []
            for index, rendered in enumerate(data):
                stored = entities[index] if entities and index < len(entities) else None
                if stored is not None:
                    features.append(entity_feature(stored, rendered, ctx, "location", opts))
                else:
                    properties = {k: v for k, v in rendered.items() if k != "id"}
                    features.append(
                        {
                            "id": rendered.get("id"),
                            "type": "Feature",
                            "geometry": None,
                            "properties": properties,
                        }
                    )
            collection = feature_collection(features)
            if receiver_info.get("Prefer", "").replace(" ", "") != "body=json":
                collection["@context"] = body_context_member(ctx)
            payload["data"] = collection
            headers["Content-Type"] = GEOJSON
        else:
            payload["data"] = data
        self._dispatch(tenant, SUBSCRIPTION, sub, payload, headers, ctx, link_url)

    def _dispatch(
        self,
        tenant: str,
        kind: str,
        sub: dict[str, Any],
        payload: dict[str, Any],
        headers: dict[str, str],
        ctx: ActiveContext,
        link_url: str,
    ) -> None:
        """Add the @context (body or Link), tenant and receiverInfo headers; deliver in the background."""
        endpoint = sub["notification"]["endpoint"]
        receiver_info = {i["key"]: i["value"] for i in endpoint.get("receiverInfo") or []}
        if endpoint.get("accept", JSON) == JSONLD:
            headers["Content-Type"] = JSONLD
            payload = {"@context": body_context_member(ctx), **payload}
        else:
            headers["Link"] = link_header_value(link_url)
        if tenant:
            headers["NGSILD-Tenant"] = tenant
        headers.update(receiver_info)
        status = sub.setdefault("_status", {})
        status["lastNotification"] = payload["notifiedAt"]
        self.broker.storage.update(kind, tenant, sub["id"], sub)
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        timeout = (
            min(MAX_TIMEOUT_S, endpoint["timeout"] / 1000) if "timeout" in endpoint else DEFAULT_TIMEOUT_S
        )
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        key = (tenant, kind + " " + sub["id"])
        previous = self.tails.get(key)
        task = loop.create_task(
            self._deliver(previous, tenant, kind, sub["id"], endpoint["uri"], headers, body, timeout)
        )
        self.tails[key] = task
        task.add_done_callback(lambda t, k=key: self.tails.pop(k, None) if self.tails.get(k) is t else None)

    async def _deliver(
        self,
        previous: asyncio.Task[None] | None,
        tenant: str,
        kind: str,
        sub_id: str,
        uri: str,
        headers: dict[str, str],
        body: bytes,
        timeout: float,
    ) -> None:
        if previous is not None and not previous.done():
            with suppress(Exception):
                await asyncio.wait([previous])
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(_EXECUTOR, _post, uri, headers, body, timeout)
        sub = self.broker.storage.get(kind, tenant, sub_id)
        if sub is None:
            return
        status = sub.setdefault("_status", {})
        now = now_timestamp()
        status["timesSent"] = status.get("timesSent", 0) + 1
        if ok:
            status["lastSuccess"] = now
            status["lastFailed"] = False
        else:
            status["timesFailed"] = status.get("timesFailed", 0) + 1
            status["lastFailure"] = now
            status["lastFailed"] = True
        self.broker.storage.update(kind, tenant, sub_id, sub)

    # --------------------------------------------------- registration subscriptions
    def _registration_matches(
        self, sub: dict[str, Any], reg: dict[str, Any] | None, ctx: ActiveContext
    ) -> bool:
        if reg is None:
            return False
        expires = parse_datetime(reg.get("expiresAt"))
        if expires is not None and expires <= (parse_datetime(now_timestamp()) or expires):
            return False
        watched = set(sub.get("watchedAttributes", []))

        def info_ok(info: dict[str, Any]) -> bool:
            entities = info.get("entities")
            if "entities" in sub and entities:
                if not any(_selector_covers(s, e, ctx) for s in sub["entities"] for e in entities):
                    return False
            names = set(info.get("propertyNames", [])) | set(info.get("relationshipNames", []))
            return not (watched and names and not names & watched)

        if not any(info_ok(i) for i in reg["information"]):
            return False
        geo_q = sub.get("geoQ")
        if geo_q:
            if "location" not in reg:
                return False
            query = parse_geoquery(geo_q["georel"], geo_q["geometry"], geo_q["coordinates"], "location")
            pseudo = {"attrs": {"location": [{"type": "GeoProperty", "value": reg["location"]}]}}
            if query is not None and not geo_predicate(query)(pseudo):
                return False
        if sub.get("csf") and not csf_predicate(sub["csf"], ctx)(reg):
            return False
        return True

    def on_registration(
        self, tenant: str, before: dict[str, Any] | None, after: dict[str, Any] | None
    ) -> None:
        for sub in self.broker.storage.list(CSOURCE_SUBSCRIPTION, tenant):
            try:
                if subscription_status(sub) != "active" or not self._may_send(sub):
                    continue
                ctx = self._context(sub)
                was, now = (
                    self._registration_matches(sub, before, ctx),
                    self._registration_matches(sub, after, ctx),
                )
                if now:
                    reason = "updated" if was else "newlyMatching"
                elif was:
                    reason = "noLongerMatching"
                else:
                    continue
                self._send_registrations(tenant, sub, [after if after is not None else before], reason)
            except NgsiLdError:
                continue
            except Exception:  # noqa: BLE001
                log.exception("registration subscription %s failed", sub.get("id"))

    def initial_csource_notification(self, tenant: str, sub: dict[str, Any]) -> None:
        """First notification of a registration subscription: every registration matching now."""
        if subscription_status(sub) != "active":
            return
        ctx = self._context(sub)
        matching = [
            r
            for r in self.broker.storage.list(REGISTRATION, tenant)
            if self._registration_matches(sub, r, ctx)
        ]
        if matching:
            self._send_registrations(tenant, sub, matching, "newlyMatching")

    def _send_registrations(
        self, tenant: str, sub: dict[str, Any], regs: list[dict[str, Any] | None], reason: str
    ) -> None:
        ctx, url = self._notification_context(sub, self._context(sub))
        sys_attrs = bool(sub["notification"].get("sysAttrs"))
        payload: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "CsourceNotification",
            "subscriptionId": sub["id"],
            "notifiedAt": now_timestamp(),
            "data": [render_registration(r, ctx, sys_attrs) for r in regs if r is not None],
            "triggerReason": reason,
        }
        self._dispatch(tenant, CSOURCE_SUBSCRIPTION, sub, payload, {"Content-Type": JSON}, ctx, url)

    # ------------------------------------------------------------------ periodic
    async def _tick_forever(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(TICK_S)
            try:
                self._tick(loop.time())
            except Exception:  # noqa: BLE001 - the ticker must survive any bad subscription
                continue

    def _tick(self, now: float) -> None:
        seen: set[tuple[str, str]] = set()
        for tenant, sub in self.broker.storage.list_all_tenants(SUBSCRIPTION):
            if "timeInterval" not in sub:
                continue
            key = (tenant, sub["id"])
            seen.add(key)
            due = self.next_due.get(key)
            if due is None:
                self.next_due[key] = now + sub["timeInterval"]
                continue
            if now < due:
                continue
            self.next_due[key] = now + sub["timeInterval"]
            if subscription_status(sub) != "active" or not self._may_send(sub):
                continue
            try:
                self._periodic(tenant, sub)
            except NgsiLdError:
                continue
        for key in set(self.next_due) - seen:
            del self.next_due[key]

    def _periodic(self, tenant: str, sub: dict[str, Any]) -> None:
        ctx = self._context(sub)
        entities = [e for e in self.broker.storage.list(ENTITY, tenant) if self._matches(sub, e, ctx, False)]
        if not entities:
            return
        out_ctx, url = self._notification_context(sub, ctx)
        opts = self._options(sub, out_ctx)
        data = [render_entity(e, out_ctx, opts) for e in entities]
        self._send(tenant, sub, data, out_ctx, url, entities)


def _previous_value(inst: dict[str, Any]) -> Any:
    """The stored value member of an instance (rendering converts it like the current value)."""
    return copy.deepcopy(inst.get(_value_member(inst["type"])))


def _value_member(attr_type: str) -> str:
    return {
        "Property": "value",
        "GeoProperty": "value",
        "Relationship": "object",
        "LanguageProperty": "languageMap",
        "ListProperty": "valueList",
        "ListRelationship": "objectList",
        "VocabProperty": "vocab",
        "JsonProperty": "json",
    }[attr_type]
