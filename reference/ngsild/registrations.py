"""Context source registrations (clauses 5.9.2 - 5.9.5, 5.2.9, 5.2.10, 5.2.34, 4.3.6) and discovery
(clause 5.10.1 Retrieve, 5.10.2 Query Context Source Registrations, matching as in clause 5.12).

Registrations are stored with entity types and attribute names in expanded form. Distributed operations
(forwarding requests to the registered Context Sources) are not implemented; see README.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .broker import ENTITY, Broker
from .context import ActiveContext
from .errors import NgsiLdError, bad_request, invalid_request, not_found
from .geo import geo_predicate, parse_geoquery
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
from .model import check_name, is_uri, now_timestamp, parse_datetime, parse_scope, validate_geometry
from .query import parse_id_pattern, parse_q, parse_type_expression, q_attribute_names, scope_predicate

REGISTRATION = "csourceRegistration"
MODES = {"inclusive", "exclusive", "redirect", "auxiliary"}
AUXILIARY_OPERATIONS = {"retrieveOps", "retrieveEntity", "queryEntity"}
READ_ONLY_MEMBERS = {"createdAt", "modifiedAt", "deletedAt", "status", "timesSent", "timesFailed",
                     "lastSuccess", "lastFailure"}  # fmt: skip


def _names(value: Any, member: str, ctx: ActiveContext) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"{member} shall be a non-empty array of strings")
    for name in value:
        check_name(name, f"{member} item")
    return [ctx.expand(v) for v in value]


def _entity_info(entity: Any, ctx: ActiveContext) -> dict[str, Any]:
    if not isinstance(entity, dict) or "type" not in entity:
        raise bad_request("each EntityInfo shall be an object with a type (clause 5.2.8)")
    types = entity["type"] if isinstance(entity["type"], list) else [entity["type"]]
    if not types or not all(isinstance(t, str) and t for t in types):
        raise bad_request("EntityInfo type shall be a string or a non-empty array of strings")
    for type_name in types:
        check_name(type_name, "EntityInfo type")
    info: dict[str, Any] = {"type": [ctx.expand(t) for t in types]}
    if "id" in entity:
        if not is_uri(entity["id"]):
            raise bad_request("EntityInfo id shall be a URI")
        info["id"] = entity["id"]
    if "idPattern" in entity:
        if not isinstance(entity["idPattern"], str) or not entity["idPattern"]:
            raise bad_request("EntityInfo idPattern shall be a non-empty string")
        parse_id_pattern(entity["idPattern"])
        info["idPattern"] = entity["idPattern"]
    return info


def _information(value: Any, ctx: ActiveContext) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise bad_request("information shall be a non-empty array of RegistrationInfo")
    result: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict):
            raise bad_request("each RegistrationInfo shall be an object")
        info: dict[str, Any] = {}
        if "entities" in item:
            entities = item["entities"]
            if not isinstance(entities, list) or not entities:
                raise bad_request("RegistrationInfo entities shall be a non-empty array of EntityInfo")
            info["entities"] = [_entity_info(e, ctx) for e in entities]
        for member in ("propertyNames", "relationshipNames"):
            if member in item:
                info[member] = _names(item[member], member, ctx)
        if not info:
            raise bad_request("a RegistrationInfo shall have entities, propertyNames or relationshipNames")
        result.append(info)
    return result


def _time_interval(value: Any, member: str) -> dict[str, Any]:
    if not isinstance(value, dict) or "startAt" not in value:
        raise bad_request(f"{member} shall be a TimeInterval with startAt (clause 5.2.11)")
    start = parse_datetime(value["startAt"])
    if start is None:
        raise bad_request(f"{member}.startAt shall be a DateTime")
    out = {"startAt": value["startAt"]}
    if "endAt" in value:
        end = parse_datetime(value["endAt"])
        if end is None:
            raise bad_request(f"{member}.endAt shall be a DateTime")
        if end < start:
            raise bad_request(f"{member}.endAt shall not be before startAt")
        out["endAt"] = value["endAt"]
    return out


def _key_values(value: Any, member: str) -> list[dict[str, str]]:
    if not isinstance(value, list) or not all(
        isinstance(i, dict) and isinstance(i.get("key"), str) and i["key"] and isinstance(i.get("value"), str)
        for i in value
    ):
        raise bad_request(f"{member} shall be an array of KeyValuePair {{key, value}}")
    return value


def _management(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("management shall be a RegistrationManagementInfo object (clause 5.2.34)")
    if "localOnly" in value and not isinstance(value["localOnly"], bool):
        raise bad_request("management.localOnly shall be a boolean")
    if "cacheDuration" in value and not isinstance(value["cacheDuration"], str):
        raise bad_request("management.cacheDuration shall be a string (duration)")
    for member in ("timeout", "cooldown"):
        if member in value:
            number = value[member]
            if not isinstance(number, (int, float)) or isinstance(number, bool) or number < 1:
                raise bad_request(f"management.{member} shall be a number >= 1")
    return value


def _non_empty_string(value: Any, member: str) -> str:
    if not isinstance(value, str) or not value:
        raise bad_request(f"{member} shall be a non-empty string")
    return value


def _validate(payload: Any, ctx: ActiveContext, existing: dict[str, Any] | None) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise bad_request("the registration shall be a JSON object")
    reg: dict[str, Any] = copy.deepcopy(existing) if existing else {}
    if existing is None:
        if payload.get("type") != "ContextSourceRegistration":
            raise bad_request('a registration shall have "type": "ContextSourceRegistration"')
        reg_id = payload.get("id", f"urn:ngsi-ld:ContextSourceRegistration:{uuid.uuid4()}")
        if not is_uri(reg_id):
            raise bad_request(f"registration id {reg_id!r} is not a URI")
        reg["id"] = reg_id
        reg["type"] = "ContextSourceRegistration"
    else:
        if "id" in payload and payload["id"] != existing["id"]:
            raise bad_request("the registration id cannot be changed")
        if "type" in payload and payload["type"] != "ContextSourceRegistration":
            raise bad_request('a registration shall have "type": "ContextSourceRegistration"')
    for member, value in payload.items():
        if member in ("id", "type", "@context") or member in READ_ONLY_MEMBERS:
            continue
        if member == "information":
            reg[member] = _information(value, ctx)
        elif member == "endpoint":
            if not is_uri(value):
                raise bad_request("endpoint shall be a URI")
            reg[member] = value
        elif member == "mode":
            if not isinstance(value, str) or value not in MODES:
                raise bad_request(f"mode shall be one of {sorted(MODES)}")
            reg[member] = value
        elif member == "expiresAt":
            expires = parse_datetime(value)
            if expires is None:
                raise bad_request("expiresAt shall be a DateTime")
            if expires <= (parse_datetime(now_timestamp()) or expires):
                raise bad_request("expiresAt shall be in the future")
            reg[member] = value
        elif member in ("observationInterval", "managementInterval"):
            reg[member] = _time_interval(value, member)
        elif member in ("location", "observationSpace", "operationSpace"):
            validate_geometry(value, member)
            reg[member] = value
        elif member in ("registrationName", "description", "contextSourceAlias", "refreshRate"):
            reg[member] = _non_empty_string(value, member)
        elif member == "tenant":
            reg[member] = _non_empty_string(value, member)
        elif member == "scope":
            parse_scope(value)
            reg[member] = value
        elif member == "contextSourceInfo":
            reg[member] = _key_values(value, member)
        elif member == "management":
            reg[member] = _management(value)
        elif member == "operations":
            if not isinstance(value, list) or not value or not all(isinstance(o, str) and o for o in value):
                raise bad_request("operations shall be a non-empty array of strings")
            reg[member] = value
        elif member == "datasetId":
            ids = value if isinstance(value, list) else [value]
            if not ids or not all(isinstance(i, str) and (i == "@none" or is_uri(i)) for i in ids):
                raise bad_request("datasetId shall hold URIs or @none")
            reg[member] = value
        else:
            reg[member] = value  # additional members (AnyValue) are kept as given
    if "information" not in reg:
        raise bad_request("a registration shall have information")
    if "endpoint" not in reg:
        raise bad_request("a registration shall have an endpoint")
    _check_mode(reg)
    return reg


def _check_mode(reg: dict[str, Any]) -> None:
    """Rules of the registration modes (clause 4.3.6.3)."""
    mode = reg.get("mode", "inclusive")
    if mode == "exclusive":
        for info in reg["information"]:
            if "propertyNames" not in info and "relationshipNames" not in info:
                raise bad_request("an exclusive registration shall list the attribute names it provides")
            entities = info.get("entities")
            if not entities or any("id" not in e or "idPattern" in e for e in entities):
                raise bad_request("an exclusive registration shall identify each entity by id (no idPattern)")
    if mode == "auxiliary" and "operations" in reg:
        # 5.9.2: an auxiliary registration only offers retrieveOps, retrieveEntity, queryEntity
        others = set(reg["operations"]) - AUXILIARY_OPERATIONS
        if others:
            raise bad_request(
                "an auxiliary registration shall only offer retrieveOps, retrieveEntity or queryEntity, "
                f"not {sorted(others)}"
            )


def _infos_overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True if two RegistrationInfo may cover the same entity attribute."""
    names_a = set(a.get("propertyNames", [])) | set(a.get("relationshipNames", []))
    names_b = set(b.get("propertyNames", [])) | set(b.get("relationshipNames", []))
    if names_a and names_b and not names_a & names_b:
        return False
    ents_a, ents_b = a.get("entities"), b.get("entities")
    if not ents_a or not ents_b:
        return True
    for ea in ents_a:
        for eb in ents_b:
            if not set(ea["type"]) & set(eb["type"]):
                continue
            if "id" in ea and "id" in eb and ea["id"] != eb["id"]:
                continue
            return True
    return False


def _entity_conflict(broker: Broker, tenant: str, reg: dict[str, Any]) -> None:
    """5.9.2: an exclusive registration conflicts with an existing entity holding one of its attributes; a
    redirect registration conflicts with any existing entity it matches."""
    mode = reg.get("mode", "inclusive")
    if mode not in ("exclusive", "redirect"):
        return
    for info in reg["information"]:
        names = set(info.get("propertyNames", [])) | set(info.get("relationshipNames", []))
        for entity_info in info.get("entities", []):
            candidates: Sequence[dict[str, Any] | None]
            if "id" in entity_info:
                candidates = [broker.storage.get(ENTITY, tenant, entity_info["id"])]
            elif mode == "redirect":
                candidates = broker.storage.list(ENTITY, tenant)
            else:
                continue
            for entity in candidates:
                if entity is None or not set(entity_info["type"]) & set(entity["types"]):
                    continue
                if "idPattern" in entity_info and not re.search(entity_info["idPattern"], entity["id"]):
                    continue
                if mode == "exclusive" and not names & set(entity["attrs"]):
                    continue
                if mode == "redirect" and names and not names & set(entity["attrs"]):
                    continue
                raise NgsiLdError(
                    "Conflict", f"the {mode} registration conflicts with the existing entity {entity['id']}"
                )


def _check_conflicts(broker: Broker, tenant: str, reg: dict[str, Any]) -> None:
    """An exclusive registration shall not overlap another exclusive or redirect one (clause 4.3.6.3)."""
    mode = reg.get("mode", "inclusive")
    if mode not in ("exclusive", "redirect"):
        return
    _entity_conflict(broker, tenant, reg)
    for other in broker.storage.list(REGISTRATION, tenant):
        if other["id"] == reg["id"]:
            continue
        other_mode = other.get("mode", "inclusive")
        if other_mode not in ("exclusive", "redirect") or (mode == other_mode == "redirect"):
            continue
        if any(_infos_overlap(a, b) for a in reg["information"] for b in other["information"]):
            raise NgsiLdError(
                "Conflict", f"the {mode} registration overlaps the {other_mode} registration {other['id']}"
            )


def render_registration(reg: dict[str, Any], ctx: ActiveContext, sys_attrs: bool = False) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in reg.items() if not k.startswith("_")}
    if not sys_attrs:
        out.pop("createdAt", None)
        out.pop("modifiedAt", None)
    info_out = []
    for info in reg["information"]:
        item = dict(info)
        if "entities" in item:
            item["entities"] = [
                {
                    **e,
                    "type": [ctx.compact(t) for t in e["type"]]
                    if len(e["type"]) > 1
                    else ctx.compact(e["type"][0]),
                }
                for e in item["entities"]
            ]
        for member in ("propertyNames", "relationshipNames"):
            if member in item:
                item[member] = [ctx.compact(n) for n in item[member]]
        info_out.append(item)
    out["information"] = info_out
    return out


def _load(broker: Broker, tenant: str, reg_id: str) -> dict[str, Any]:
    if not is_uri(reg_id):
        raise bad_request(f"registration id {reg_id!r} is not a URI")
    reg = broker.storage.get(REGISTRATION, tenant, reg_id)
    if reg is None:
        raise not_found(f"registration {reg_id} does not exist")
    return reg


def _sys_attrs(request: Request) -> bool:
    options = {o.strip() for o in request.query_params.get("options", "").split(",") if o.strip()}
    if options - {"sysAttrs"}:
        raise invalid_request(f"unsupported options {sorted(options - {'sysAttrs'})}")
    return "sysAttrs" in options


async def create_registration(request: Request, broker: Broker) -> Response:
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    reg = _validate(body.payload, ctx, None)
    reg["createdAt"] = reg["modifiedAt"] = now_timestamp()
    if broker.storage.get(REGISTRATION, tenant, reg["id"]) is not None:
        raise NgsiLdError("AlreadyExists", f"registration {reg['id']} already exists")
    _check_conflicts(broker, tenant, reg)
    broker.storage.ensure_tenant(tenant)
    if not broker.storage.insert(REGISTRATION, tenant, reg["id"], reg):
        raise NgsiLdError("AlreadyExists", f"registration {reg['id']} already exists")
    broker.notify_registration(tenant, None, reg)
    headers = {"Location": "/ngsi-ld/v1/csourceRegistrations/" + reg["id"], **tenant_headers(tenant)}
    return Response(status_code=201, headers=headers)


# ------------------------------------------------------------------------------ discovery


def _types_match(predicate: Any, entity_info: dict[str, Any]) -> bool:
    return bool(predicate({"types": entity_info["type"], "id": entity_info.get("id", ""), "attrs": {}}))


def _info_matches_entities(
    info: dict[str, Any],
    ids: list[str] | None,
    id_pattern: re.Pattern[str] | None,
    type_pred: Any,
) -> bool:
    entities = info.get("entities")
    if not entities:
        return True  # no entity restriction: the source may provide any entity
    for entity in entities:
        if type_pred is not None and not _types_match(type_pred, entity):
            continue
        if ids is not None:
            if "id" in entity and entity["id"] not in ids:
                continue
            if "id" not in entity and "idPattern" in entity:
                if not any(re.search(entity["idPattern"], i) for i in ids):
                    continue
        if id_pattern is not None and "id" in entity and not id_pattern.search(entity["id"]):
            continue
        return True
    return False


def _info_matches_attrs(info: dict[str, Any], attrs: set[str] | None) -> bool:
    if not attrs:
        return True
    names = set(info.get("propertyNames", [])) | set(info.get("relationshipNames", []))
    return not names or bool(names & attrs)


def _interval_overlaps(interval: dict[str, Any], start: Any, end: Any) -> bool:
    i_start = parse_datetime(interval["startAt"])
    i_end = parse_datetime(interval.get("endAt"))
    if end is not None and i_start is not None and i_start > end:
        return False
    return not (start is not None and i_end is not None and i_end < start)


def _temporal_filter(request: Request) -> Any:
    """None when no temporal query; else a predicate on a registration (observation/management interval)."""
    params = request.query_params
    timerel = params.get("timerel")
    if timerel is None:
        if params.get("timeAt") is not None or params.get("endTimeAt") is not None:
            raise bad_request("timeAt/endTimeAt require timerel")
        return None
    if timerel not in ("before", "after", "between"):
        raise bad_request("timerel shall be before, after or between")
    time_at = parse_datetime(params.get("timeAt"))
    if time_at is None:
        raise bad_request("timeAt shall be a DateTime")
    end_time = parse_datetime(params.get("endTimeAt")) if params.get("endTimeAt") is not None else None
    if timerel == "between":
        if end_time is None:
            raise bad_request("timerel=between requires endTimeAt")
        start, end = time_at, end_time
    elif timerel == "before":
        start, end = None, time_at
    else:
        start, end = time_at, None
    timeproperty = params.get("timeproperty", "observedAt")
    if timeproperty not in ("observedAt", "createdAt", "modifiedAt", "deletedAt"):
        raise bad_request("timeproperty shall be observedAt, createdAt, modifiedAt or deletedAt")
    member = "observationInterval" if timeproperty == "observedAt" else "managementInterval"

    def check(reg: dict[str, Any]) -> bool:
        interval = reg.get(member)
        return interval is not None and _interval_overlaps(interval, start, end)

    return check


def csf_predicate(csf: str, ctx: ActiveContext) -> Any:
    """Context source filter: the q language evaluated over the registration's own members."""
    predicate = parse_q(csf, ctx)

    def check(reg: dict[str, Any]) -> bool:
        pseudo = {
            "id": reg["id"],
            "types": ["ContextSourceRegistration"],
            "attrs": {
                ctx.expand(k): [{"type": "Property", "value": v, "subs": {}}]
                for k, v in reg.items()
                if not k.startswith("_") and k not in ("id", "type")
            },
        }
        return bool(predicate(pseudo))

    return check


async def list_registrations(request: Request, broker: Broker) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    params = request.query_params
    page = parse_page(request)
    sys_attrs = _sys_attrs(request)
    ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()] or None
    if ids and not all(is_uri(i) for i in ids):
        raise bad_request("id shall hold URIs")
    id_pattern = parse_id_pattern(params["idPattern"]) if params.get("idPattern") is not None else None
    type_pred = parse_type_expression(params["type"], ctx) if params.get("type") is not None else None
    attrs: set[str] | None = None
    if params.get("attrs") is not None:
        names = [a.strip() for a in params["attrs"].split(",") if a.strip()]
        if not names:
            raise bad_request("empty attrs parameter")
        attrs = {ctx.expand(n) for n in names}
    if params.get("q") is not None:
        attrs = (attrs or set()) | q_attribute_names(params["q"], ctx)
    if not any(
        params.get(p) is not None
        for p in ("id", "idPattern", "type", "attrs", "q", "georel", "scopeQ", "csf")
    ):
        # 5.10.2: neither entity types nor attribute names (nor another selector): BadRequestData
        raise bad_request(
            "a registration query needs at least one of type, attrs, id, idPattern, q, geo-query"
        )
    geoproperty = params.get("geoproperty") or "location"
    if geoproperty not in ("location", "observationSpace", "operationSpace"):
        raise bad_request(
            "geoproperty shall be location, observationSpace or operationSpace for registrations"
        )
    geo = parse_geoquery(params.get("georel"), params.get("geometry"), params.get("coordinates"), "location")
    scope = scope_predicate(params["scopeQ"]) if params.get("scopeQ") is not None else None
    csf = csf_predicate(params["csf"], ctx) if params.get("csf") is not None else None
    temporal = _temporal_filter(request)
    broker.require_tenant(tenant)
    now = parse_datetime(now_timestamp())
    selected = []
    for reg in broker.storage.list(REGISTRATION, tenant):
        expires = parse_datetime(reg.get("expiresAt"))
        if expires is not None and now is not None and expires <= now:
            continue  # an expired registration is no longer valid (clause 5.2.9)
        if temporal is None:
            if "observationInterval" in reg or "managementInterval" in reg:
                continue
        elif not temporal(reg):
            continue
        if not any(
            _info_matches_entities(i, ids, id_pattern, type_pred) and _info_matches_attrs(i, attrs)
            for i in reg["information"]
        ):
            continue
        if geo is not None:
            if geoproperty not in reg:
                continue  # the geoquery is matched against that GeoProperty of the registration
            pseudo = {"attrs": {"location": [{"type": "GeoProperty", "value": reg[geoproperty]}]}}
            if not geo_predicate(geo)(pseudo):
                continue
        if scope is not None and not scope({"scope": parse_scope(reg["scope"]) if "scope" in reg else []}):
            continue
        if csf is not None and not csf(reg):
            continue
        selected.append(reg)
    body = [render_registration(r, ctx, sys_attrs) for r in selected[page.offset : page.offset + page.limit]]
    headers = tenant_headers(tenant)
    if page.count:
        headers["NGSILD-Results-Count"] = str(len(selected))
    response = json_response(body, ctx, accept, headers=headers)
    for value in page_links(request, page, len(selected)):
        response.headers.append("Link", value)
    return response


async def retrieve_registration(request: Request, broker: Broker, reg_id: str) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    sys_attrs = _sys_attrs(request)
    broker.require_tenant(tenant)
    return json_response(
        render_registration(_load(broker, tenant, reg_id), ctx, sys_attrs),
        ctx,
        accept,
        headers=tenant_headers(tenant),
    )


async def update_registration(request: Request, broker: Broker, reg_id: str) -> Response:
    body = await read_body(request, allow_merge_patch=True)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    existing = _load(broker, tenant, reg_id)
    if not isinstance(body.payload, dict):
        raise bad_request("the registration fragment shall be a JSON object")
    if not {k for k in body.payload if k != "@context"}:
        raise bad_request("the registration fragment is empty")
    updated = _validate(body.payload, ctx, existing)
    _check_conflicts(broker, tenant, updated)
    updated["modifiedAt"] = now_timestamp()
    broker.storage.update(REGISTRATION, tenant, reg_id, updated)
    broker.notify_registration(tenant, existing, updated)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def delete_registration(request: Request, broker: Broker, reg_id: str) -> Response:
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    existing = _load(broker, tenant, reg_id)
    broker.storage.delete(REGISTRATION, tenant, reg_id)
    broker.notify_registration(tenant, existing, None)
    return Response(status_code=204, headers=tenant_headers(tenant))
