"""Context subscriptions (clauses 5.8.1 - 5.8.5, 5.2.12 - 5.2.15) and registration subscriptions
(clauses 5.11.2 - 5.11.6): validation, rendering and the HTTP handlers.

Stored subscription: the validated payload with watched attributes and notified attributes in expanded
form, the user @context it was created with (``_context``, used to evaluate ``q`` and to compact
notifications) and the delivery bookkeeping (``_status``: timesSent, timesFailed, lastNotification,
lastSuccess, lastFailure, lastFailed).

Matching entity changes and sending the notifications is the notifier's work (notifier.py).
"""

from __future__ import annotations

import copy
import logging
import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import mqtt
from .broker import Broker
from .context import ActiveContext
from .errors import NgsiLdError, bad_request, invalid_request, not_found
from .geo import parse_geoquery
from .http import (
    GEOJSON,
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
from .model import check_name, is_uri, now_timestamp, parse_datetime
from .notifier import CSOURCE_SUBSCRIPTION, SUBSCRIPTION, Notifier, subscription_status
from .query import parse_q, parse_type_expression, scope_predicate

log = logging.getLogger("reference.ngsild")

TRIGGERS = {
    "entityCreated",
    "entityUpdated",
    "entityDeleted",
    "attributeCreated",
    "attributeUpdated",
    "attributeDeleted",
}
FORMATS = {"normalized", "keyValues", "concise", "simplified"}
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
    if mqtt.is_mqtt(out["uri"]):
        problem = mqtt.endpoint_problem(out["uri"], out.get("notifierInfo"))
        if problem:
            raise bad_request(problem + " (clause 7.2)")
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
