"""Temporal API, consumption handlers: 5.7.3 Retrieve Temporal Evolution of an Entity (6.19), 5.7.4 Query
Temporal Evolution of Entities by GET /temporal/entities (6.18) and by POST /temporal/entityOperations/query
(6.24)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .broker import Broker
from .context import ActiveContext
from .errors import bad_request
from .geo import geo_predicate, parse_geoquery
from .http import (
    JSON,
    JSONLD,
    Page,
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
from .query import parse_q, scope_predicate, selector_predicate
from .temporal_history import TEMPORAL_ENTITY, load_temporal
from .temporal_query import TemporalQuery, common_params, projection, select_instances, temporal_params
from .temporal_render import render_temporal


async def retrieve_temporal(request: Request, broker: Broker, entity_id: str) -> Response:
    """5.7.3 Retrieve Temporal Evolution of an Entity."""
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    tq = common_params(request, ctx)
    broker.require_tenant(tenant)
    doc = load_temporal(broker, tenant, entity_id)
    attrs = select_instances(broker.storage.instances(tenant, entity_id), tq)
    return json_response(render_temporal(doc, attrs, tq, ctx), ctx, accept, headers=tenant_headers(tenant))


@dataclass
class EntityMatch:
    # on id and type only: checked before the instances of an entity are loaded
    selectors: list[Callable[[dict[str, Any]], bool]] = field(default_factory=list)
    predicates: list[Callable[[dict[str, Any]], bool]] = field(default_factory=list)


def _pseudo_entity(doc: dict[str, Any], attrs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {"id": doc["id"], "types": doc["types"], "scope": doc.get("scope"), "attrs": attrs}


def _run_query(
    request: Request,
    broker: Broker,
    tenant: str,
    ctx: ActiveContext,
    tq: TemporalQuery,
    match: EntityMatch,
    page: Page,
    accept: str,
) -> Response:
    broker.require_tenant(tenant)
    results = []
    for doc in broker.storage.list(TEMPORAL_ENTITY, tenant):
        if not all(p(_pseudo_entity(doc, {})) for p in match.selectors):
            continue
        attrs = select_instances(broker.storage.instances(tenant, doc["id"]), tq)
        pseudo = _pseudo_entity(doc, attrs)
        if not all(p(pseudo) for p in match.predicates):
            continue
        if (tq.timerel is not None or tq.attrs is not None) and not attrs:
            continue
        results.append((doc, attrs))
    selected = results[page.offset : page.offset + page.limit]
    body = [render_temporal(doc, attrs, tq, ctx) for doc, attrs in selected]
    headers = tenant_headers(tenant)
    if page.count:
        headers["NGSILD-Results-Count"] = str(len(results))
    response = json_response(body, ctx, accept, headers=headers)
    for value in page_links(request, page, len(results)):
        response.headers.append("Link", value)
    return response


async def query_temporal(request: Request, broker: Broker) -> Response:
    """5.7.4 Query Temporal Evolution of Entities (GET /temporal/entities)."""
    accept = negotiate(request, [JSON, JSONLD])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    params = request.query_params
    ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()] or None
    if not any(
        [ids, params.get("idPattern"), params.get("type"), params.get("attrs"), params.get("q"),
         params.get("georel"), params.get("scopeQ"), params.get("local", "").lower() == "true"]
    ):  # fmt: skip
        raise bad_request("at least one of id, idPattern, type, attrs, q, geo-query or scopeQ is required")
    page = parse_page(request)
    tq = common_params(request, ctx)
    match = EntityMatch()
    match.selectors.append(selector_predicate(ids, params.get("idPattern"), params.get("type"), ctx))
    if params.get("q") is not None:
        match.predicates.append(parse_q(params["q"], ctx))
    geo = parse_geoquery(
        params.get("georel"), params.get("geometry"), params.get("coordinates"),
        ctx.expand(params.get("geoproperty", "location")),
    )  # fmt: skip
    if geo is not None:
        match.predicates.append(geo_predicate(geo))
    if params.get("scopeQ") is not None:
        match.predicates.append(scope_predicate(params["scopeQ"]))
    return _run_query(request, broker, tenant, ctx, tq, match, page, accept)


async def query_temporal_post(request: Request, broker: Broker) -> Response:
    """5.7.4 Query Temporal Evolution of Entities via POST /temporal/entityOperations/query (6.24)."""
    accept = negotiate(request, [JSON, JSONLD])
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    query = body.payload
    if not isinstance(query, dict) or query.get("type") != "Query":
        raise bad_request('the payload shall be a Query object with "type": "Query"')
    temporal_q = query.get("temporalQ", {})
    if not isinstance(temporal_q, dict):
        raise bad_request("temporalQ shall be an object")
    page = parse_page(request)
    params = request.query_params
    merged = {**temporal_q}
    for key in ("lastN", "aggrMethods", "aggrPeriodDuration"):
        if key in query and key not in merged:
            merged[key] = query[key]
    tq = temporal_params(merged.get, ctx, params.get("options"), params.get("format"))
    if "attrs" in query:
        attrs = query["attrs"]
        if not isinstance(attrs, list) or not attrs or not all(isinstance(a, str) and a for a in attrs):
            raise bad_request("attrs shall be a non-empty array of strings")
        tq.attrs = {ctx.expand(a) for a in attrs}
    if query.get("lang") is not None:
        tq.lang = str(query["lang"])
    for member in ("pick", "omit"):
        if query.get(member) is not None:
            setattr(tq, member, projection(query[member], ctx))
    match = EntityMatch()
    selectors = query.get("entities")
    if selectors is not None:
        if not isinstance(selectors, list) or not selectors:
            raise bad_request("entities shall be a non-empty array of EntitySelector")
        alternatives = []
        for selector in selectors:
            if not isinstance(selector, dict):
                raise bad_request("each EntitySelector shall be an object")
            raw_type = selector.get("type")
            if raw_type is not None and not isinstance(raw_type, str):
                raise bad_request("EntitySelector type shall be a string")
            sel_id = selector.get("id")
            alternatives.append(
                selector_predicate([sel_id] if sel_id else None, selector.get("idPattern"), raw_type, ctx)
            )
        match.selectors.append(lambda e: any(a(e) for a in alternatives))
    elif "attrs" not in query and "q" not in query and "geoQ" not in query and "scopeQ" not in query:
        raise bad_request("the Query shall have entities, attrs, q, geoQ or scopeQ")
    if query.get("q") is not None:
        if not isinstance(query["q"], str):
            raise bad_request("q shall be a string")
        match.predicates.append(parse_q(query["q"], ctx))
    geo_q = query.get("geoQ")
    if geo_q is not None:
        if not isinstance(geo_q, dict):
            raise bad_request("geoQ shall be an object")
        geo = parse_geoquery(
            geo_q.get("georel"), geo_q.get("geometry"), geo_q.get("coordinates", ""),
            ctx.expand(geo_q.get("geoproperty", "location")),
        )  # fmt: skip
        if geo is not None:
            match.predicates.append(geo_predicate(geo))
    if query.get("scopeQ") is not None:
        match.predicates.append(scope_predicate(str(query["scopeQ"])))
    return _run_query(request, broker, tenant, ctx, tq, match, page, accept)
