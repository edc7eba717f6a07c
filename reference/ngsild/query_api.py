"""Query Entities (clause 5.7.2, GET /entities) and Query Entities via POST (clause 5.7.2 / 6.23).

Pagination (``limit``/``offset``/``count``, see http.parse_page): results are ordered by entity creation
order (a stable order), so paging with offset yields each entity exactly once.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from . import distributed, entity_maps
from .broker import ENTITY, MAX_LIMIT, Broker
from .context import ActiveContext
from .errors import NgsiLdError, bad_request
from .geo import geo_predicate, parse_geoquery
from .geojson import entity_feature, feature_collection
from .http import (
    GEOJSON,
    JSON,
    JSONLD,
    Page,
    json_response,
    negotiate,
    page_links,
    parse_page,
    projection_members,
    read_body,
    render_options_from,
    request_context,
    resolve_context,
    tenant_headers,
    tenant_of,
)
from .linked import Join, apply_join, parse_join
from .model import is_uri, now_timestamp
from .query import (
    Predicate,
    parse_attrs_param,
    parse_q,
    q_attribute_names,
    scope_predicate,
    selector_predicate,
    type_names_in,
)
from .render import RenderOptions, render_entity

# Entity members that are not Attributes (clause 4.5.1, 6.3.11): attrs naming only these names no Attribute
SYSTEM_MEMBERS = {
    "",
    "id",
    "type",
    "scope",
    "@id",
    "@type",
    "@context",
    "createdAt",
    "modifiedAt",
    "deletedAt",
}


@dataclass
class EntityFilter:
    predicates: list[Predicate] = field(default_factory=list)
    attrs: list[str] | None = None
    # what distributed retrieval needs to pick registrations and ask the sources (clause 4.3)
    ids: list[str] | None = None
    type_expr: str | None = None
    q_attrs: set[str] = field(default_factory=set)
    forward_body: Any = None  # the Query of POST /entityOperations/query, None for GET /entities
    join: Join | None = None  # linked entity retrieval (clause 4.5.23)

    def matches(self, entity: dict[str, Any]) -> bool:
        if self.attrs is not None and not (set(self.attrs) & set(entity["attrs"])):
            return False
        return all(p(entity) for p in self.predicates)


async def _remote_entities(
    request: Request,
    broker: Broker,
    tenant: str,
    ctx: ActiveContext,
    flt: EntityFilter,
    allowed: set[str] | None = None,
    maps: entity_maps.MapUse | None = None,
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Entities (stored form) and the registrations of the matching context sources that answered them;
    ``allowed``: the registration ids an EntityMap in use permits (None: any)."""
    if not distributed.should_forward(request, broker):
        return []
    wanted = set(flt.attrs or []) | flt.q_attrs or None
    registrations = distributed.matching_registrations(
        broker, tenant, "queryEntity", ctx, flt.ids, flt.type_expr, wanted
    )
    if allowed is not None:
        registrations = [r for r in registrations if r.get("id") in allowed]
    if not registrations:
        return []
    params = distributed.forwarded_params(request) + [("limit", str(MAX_LIMIT))]
    if flt.forward_body is None:
        answers = await distributed.forward(
            request, broker, tenant, ctx, registrations, "/entities", params, maps=maps
        )
    else:
        body = {
            k: v
            for k, v in flt.forward_body.items()
            if k not in ("@context", "pick", "omit", "lang", "entityMap")
        }
        answers = await distributed.forward(
            request, broker, tenant, ctx, registrations, "/entityOperations/query", params, body, maps
        )
    return [(e, reg) for reg, entities in answers for e in entities]


def _stored_candidates(
    broker: Broker, tenant: str, flt: EntityFilter, ctx: ActiveContext
) -> list[dict[str, Any]]:
    """The stored entities that can match: those of the ids asked for, and (for a plain type list such as
    ``A,B``) those whose stored JSON names one of the types; the full test comes after."""
    types = None
    expr = flt.type_expr
    if expr and not re.search(r"[;()]", expr) and "*" not in expr:
        types = [json.dumps(t, ensure_ascii=False) for t in type_names_in(expr, ctx)]
    return broker.storage.list(ENTITY, tenant, ids=flt.ids or None, containing=types)


async def _respond(
    request: Request,
    broker: Broker,
    tenant: str,
    ctx: ActiveContext,
    flt: EntityFilter,
    opts: RenderOptions,
    page: Page,
    accept: str,
) -> Response:
    maps = entity_maps.use_for(request, broker, tenant, (flt.forward_body or {}).get("entityMap"))
    fixed = maps.entity_ids()  # a live EntityMap fixes the set of entities (paging over it)
    matched = [
        e
        for e in _stored_candidates(broker, tenant, flt, ctx)
        if flt.matches(e) and (fixed is None or e["id"] in fixed)
    ]
    for e in matched:
        maps.saw(e["id"], entity_maps.LOCAL)
    remote = await _remote_entities(request, broker, tenant, ctx, flt, maps.registrations(), maps)
    remote = [(e, reg) for e, reg in remote if fixed is None or e["id"] in fixed]
    if remote:
        by_id = {e["id"]: i for i, e in enumerate(matched)}
        for entity, reg in remote:
            maps.saw(entity["id"], str(reg.get("id")))
            mode = reg.get("mode", "inclusive")
            if entity["id"] in by_id:
                index = by_id[entity["id"]]
                matched[index] = distributed.merge(matched[index], entity, mode)
                continue
            local = broker.storage.get(ENTITY, tenant, entity["id"])
            by_id[entity["id"]] = len(matched)
            matched.append(distributed.merge(local, entity, mode))
    selected = matched[page.offset : page.offset + page.limit]
    body: Any = [render_entity(e, ctx, opts) for e in selected]
    if flt.join is not None and accept != GEOJSON:
        body = apply_join(
            flt.join,
            list(zip(selected, body, strict=True)),
            lambda i: broker.storage.get(ENTITY, tenant, i),
            ctx,
            opts,
        )
    if accept == GEOJSON:
        geometry_property = request.query_params.get("geometryProperty", "location")
        body = feature_collection(
            [entity_feature(e, r, ctx, geometry_property, opts) for e, r in zip(selected, body, strict=True)]
        )
    headers = {**tenant_headers(tenant), **distributed.warnings_of(request)}
    if page.count:
        headers["NGSILD-Results-Count"] = str(len(matched))
    maps.finish(broker, headers)
    hosted = broker.link_url_for(request, ctx, now_timestamp()) if accept != JSONLD else None
    response = json_response(body, ctx, accept, headers=headers, hosted_url=hosted)
    for value in page_links(request, page, len(matched)):
        response.headers.append("Link", value)
    return response


async def query_entities(request: Request, broker: Broker) -> Response:
    accept = negotiate(request, [JSON, JSONLD, GEOJSON])
    ctx = await request_context(request, broker.resolver)
    tenant = tenant_of(request)
    params = request.query_params
    ids = [i.strip() for i in params.get("id", "").split(",") if i.strip()] or None
    id_pattern = params.get("idPattern")
    type_expr = params.get("type")
    q = params.get("q")
    georel = params.get("georel")
    attrs_raw = params.get("attrs")
    # Clause 5.7.2: a selector of entity types, Attribute names (a non-system Attribute among them), a
    # query, a geo-query or local scope shall be given; ids or an idPattern alone do not suffice.
    attribute_names = [a.strip() for a in (attrs_raw or "").split(",") if a.strip() not in SYSTEM_MEMBERS]
    if not any(
        [
            type_expr,
            q,
            georel,
            attribute_names,
            params.get("scopeQ"),
            params.get("local", "").lower() == "true",
        ]
    ):
        raise bad_request(
            "at least one of type, attrs (naming an Attribute), q, a geo-query, scopeQ or local=true is required"
        )
    page = parse_page(request)
    opts = render_options_from(request, ctx)
    flt = EntityFilter(ids=ids, type_expr=type_expr, join=parse_join(params))
    flt.predicates.append(selector_predicate(ids, id_pattern, type_expr, ctx))
    flt.attrs = parse_attrs_param(attrs_raw, ctx)
    if q is not None:
        flt.predicates.append(parse_q(q, ctx))
        flt.q_attrs = q_attribute_names(q, ctx)
    geoproperty = ctx.expand(params.get("geoproperty", "location"))
    geoquery = parse_geoquery(georel, params.get("geometry"), params.get("coordinates"), geoproperty)
    if geoquery is not None:
        flt.predicates.append(geo_predicate(geoquery))
    if params.get("scopeQ") is not None:
        flt.predicates.append(scope_predicate(params["scopeQ"]))
    if not broker.storage.tenant_exists(tenant):
        raise NgsiLdError("NonexistentTenant", f"tenant {tenant!r} does not exist")
    return await _respond(request, broker, tenant, ctx, flt, opts, page, accept)


def _string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise bad_request(f"{name} shall be a non-empty array of strings")
    return value


async def query_post(request: Request, broker: Broker) -> Response:
    accept = negotiate(request, [JSON, JSONLD, GEOJSON])
    body = await read_body(request)
    ctx = await resolve_context(broker.resolver, body.context_value)
    tenant = tenant_of(request)
    query = body.payload
    if not isinstance(query, dict):
        raise bad_request("the payload shall be a Query object")
    if query.get("type") != "Query":
        raise bad_request('the Query payload shall have "type": "Query"')
    page = parse_page(request)
    opts = render_options_from(request, ctx)
    flt = EntityFilter(forward_body=query)
    selectors = query.get("entities")
    if selectors is not None:
        if not isinstance(selectors, list) or not selectors:
            raise bad_request("entities shall be a non-empty array of EntitySelector")
        alternatives: list[Predicate] = []
        for selector in selectors:
            if not isinstance(selector, dict):
                raise bad_request("each EntitySelector shall be an object")
            sel_id = selector.get("id")
            if sel_id is not None and not is_uri(sel_id):
                raise bad_request(f"invalid entity id {sel_id!r}")
            raw_type = selector.get("type")
            if raw_type is None:
                # EntitySelector (clause 5.2.33): type is mandatory, id and idPattern are optional
                raise bad_request("each EntitySelector shall have a type")
            if not isinstance(raw_type, str):
                if isinstance(raw_type, list) and all(isinstance(t, str) for t in raw_type):
                    raw_type = ",".join(raw_type)
                else:
                    raise bad_request("EntitySelector type shall be a string")
            alternatives.append(
                selector_predicate([sel_id] if sel_id else None, selector.get("idPattern"), raw_type, ctx)
            )
        flt.predicates.append(lambda e: any(a(e) for a in alternatives))
        # every selector is an object whose id is absent or a URI: use the ids only when all selectors carry one
        selector_ids = [i for sel in selectors if isinstance(i := sel.get("id"), str)]
        flt.ids = selector_ids if len(selector_ids) == len(selectors) else None
        selector_types = [sel.get("type") for sel in selectors if isinstance(sel, dict)]
        if selector_types and all(isinstance(t, str) and t for t in selector_types):
            flt.type_expr = ",".join(f"({t})" for t in selector_types)
    attrs = query.get("attrs")
    if attrs is not None:
        flt.attrs = [ctx.expand(a) for a in _string_list(attrs, "attrs")]
        opts.attrs = set(flt.attrs)
    for member in ("pick", "omit"):
        if query.get(member) is not None:
            setattr(opts, member, projection_members(_string_list(query[member], member), member, ctx))
    if query.get("q") is not None:
        if not isinstance(query["q"], str):
            raise bad_request("q shall be a string")
        flt.predicates.append(parse_q(query["q"], ctx))
        flt.q_attrs = q_attribute_names(query["q"], ctx)
    geo_q = query.get("geoQ")
    if geo_q is not None:
        if not isinstance(geo_q, dict):
            raise bad_request("geoQ shall be an object")
        geoproperty = ctx.expand(geo_q.get("geoproperty", "location"))
        coordinates = geo_q.get("coordinates")
        geoquery = parse_geoquery(
            geo_q.get("georel"),
            geo_q.get("geometry"),
            coordinates if coordinates is not None else "",
            geoproperty,
        )
        if geoquery is not None:
            flt.predicates.append(geo_predicate(geoquery))
    if query.get("scopeQ") is not None:
        flt.predicates.append(scope_predicate(str(query["scopeQ"])))
    if query.get("lang") is not None:
        opts.lang = str(query["lang"])
    if query.get("datasetId") is not None:
        opts.dataset_ids = {
            None if d == "@none" else d for d in _string_list(query["datasetId"], "datasetId")
        }
    # Clause 5.7.2 as for GET /entities: an entity selector (which has a type), Attribute names, q, geoQ,
    # scopeQ or local=true shall be given
    named_attributes = [a for a in query.get("attrs") or [] if a not in SYSTEM_MEMBERS]
    local = request.query_params.get("local", "").lower() == "true"
    if not (selectors or named_attributes or query.get("q") or geo_q or query.get("scopeQ") or local):
        raise bad_request("the Query shall hold entities, attrs (naming an Attribute), q, geoQ or scopeQ")
    if not broker.storage.tenant_exists(tenant):
        raise NgsiLdError("NonexistentTenant", f"tenant {tenant!r} does not exist")
    return await _respond(request, broker, tenant, ctx, flt, opts, page, accept)
