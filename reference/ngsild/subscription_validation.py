"""Validation of context and registration subscriptions (clauses 5.2.12 - 5.2.15, 5.8.1, 5.8.2): a full
subscription on creation, or a fragment merged into the stored one on update. Names are stored
expanded (watched and notified attributes, entity types), as clause 5.8.1 requires."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from . import mqtt
from .context import ActiveContext
from .errors import bad_request
from .geo import parse_geoquery
from .http import GEOJSON, JSON, JSONLD
from .model import check_name, is_uri, now_timestamp, parse_datetime
from .query import parse_q, parse_type_expression, scope_predicate

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
    if "attributes" in notification and ("pick" in notification or "omit" in notification):
        # attributes is the deprecated synonym of a projection (5.2.14): never combined with pick or omit
        raise bad_request("notification.attributes shall not be used together with pick or omit")
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


def validate_subscription(
    payload: Any, ctx: ActiveContext, existing: dict[str, Any] | None
) -> dict[str, Any]:
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
