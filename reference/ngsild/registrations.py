"""Context source registrations: CRUD only (clauses 5.9.2 - 5.9.5, 5.2.9). No distributed operations."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .broker import Broker
from .context import ActiveContext
from .entities import tenant_headers
from .errors import NgsiLdError, bad_request, not_found
from .http import (
    JSON,
    JSONLD,
    json_response,
    negotiate,
    read_body,
    request_context,
    resolve_context,
    tenant_of,
)
from .model import is_uri, now_timestamp, parse_datetime
from .query import parse_type_expression
from .query_api import parse_page

REGISTRATION = "csourceRegistration"
MODES = {"inclusive", "exclusive", "redirect", "auxiliary"}


def _names(value: Any, member: str, ctx: ActiveContext) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"{member} shall be a non-empty array of strings")
    return [ctx.expand(v) for v in value]


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
                raise bad_request("RegistrationInfo entities shall be a non-empty array")
            info["entities"] = []
            for entity in entities:
                if not isinstance(entity, dict) or "type" not in entity:
                    raise bad_request("each EntityInfo shall be an object with a type")
                types = entity["type"] if isinstance(entity["type"], list) else [entity["type"]]
                if not all(isinstance(t, str) and t for t in types):
                    raise bad_request("EntityInfo type shall be a string or an array of strings")
                for type_name in types:
                    parse_type_expression(type_name, ctx)
                if "id" in entity and not is_uri(entity["id"]):
                    raise bad_request("EntityInfo id shall be a URI")
                info["entities"].append({**entity, "type": [ctx.expand(t) for t in types]})
        for member in ("propertyNames", "relationshipNames"):
            if member in item:
                info[member] = _names(item[member], member, ctx)
        if not info:
            raise bad_request("a RegistrationInfo shall have entities, propertyNames or relationshipNames")
        result.append(info)
    return result


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
    elif "id" in payload and payload["id"] != existing["id"]:
        raise bad_request("the registration id cannot be changed")
    for member, value in payload.items():
        if member in ("id", "type", "@context"):
            continue
        if member == "information":
            reg[member] = _information(value, ctx)
        elif member == "endpoint":
            if not is_uri(value):
                raise bad_request("endpoint shall be a URI")
            reg[member] = value
        elif member == "mode":
            if value not in MODES:
                raise bad_request(f"mode shall be one of {sorted(MODES)}")
            reg[member] = value
        elif member == "expiresAt":
            if parse_datetime(value) is None:
                raise bad_request("expiresAt shall be a DateTime")
            reg[member] = value
        else:
            reg[member] = value  # other registration members (operations, scope, ...) are kept as given
    if "information" not in reg:
        raise bad_request("a registration shall have information")
    if "endpoint" not in reg:
        raise bad_request("a registration shall have an endpoint")
    return reg


def _render(reg: dict[str, Any], ctx: ActiveContext) -> dict[str, Any]:
    out = {k: v for k, v in reg.items() if not k.startswith("_") and k not in ("createdAt", "modifiedAt")}
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


async def create_registration(request: Request, broker: Broker) -> Response:
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    reg = _validate(body.payload, ctx, None)
    reg["createdAt"] = reg["modifiedAt"] = now_timestamp()
    broker.storage.ensure_tenant(tenant)
    if not broker.storage.insert(REGISTRATION, tenant, reg["id"], reg):
        raise NgsiLdError("AlreadyExists", f"registration {reg['id']} already exists")
    headers = {"Location": "/ngsi-ld/v1/csourceRegistrations/" + reg["id"], **tenant_headers(tenant)}
    return Response(status_code=201, headers=headers)


async def list_registrations(request: Request, broker: Broker) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    page = parse_page(request)
    regs = broker.storage.list(REGISTRATION, tenant)
    type_filter = request.query_params.get("type")
    if type_filter is not None:
        wanted = parse_type_expression(type_filter, ctx)
        regs = [
            r
            for r in regs
            if any(wanted({"types": e["type"]}) for i in r["information"] for e in i.get("entities", []))
        ]
    body = [_render(r, ctx) for r in regs[page.offset : page.offset + page.limit]]
    headers = tenant_headers(tenant)
    if page.count:
        headers["NGSILD-Results-Count"] = str(len(regs))
    return json_response(body, ctx, accept, headers=headers)


async def retrieve_registration(request: Request, broker: Broker, reg_id: str) -> Response:
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    return json_response(
        _render(_load(broker, tenant, reg_id), ctx), ctx, accept, headers=tenant_headers(tenant)
    )


async def update_registration(request: Request, broker: Broker, reg_id: str) -> Response:
    body = await read_body(request, allow_merge_patch=True)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    existing = _load(broker, tenant, reg_id)
    if isinstance(body.payload, dict) and not {k for k in body.payload if k != "@context"}:
        raise bad_request("the registration fragment is empty")
    updated = _validate(body.payload, ctx, existing)
    updated["modifiedAt"] = now_timestamp()
    broker.storage.update(REGISTRATION, tenant, reg_id, updated)
    return Response(status_code=204, headers=tenant_headers(tenant))


async def delete_registration(request: Request, broker: Broker, reg_id: str) -> Response:
    tenant = tenant_of(request)
    broker.require_tenant(tenant)
    _load(broker, tenant, reg_id)
    broker.storage.delete(REGISTRATION, tenant, reg_id)
    return Response(status_code=204, headers=tenant_headers(tenant))
