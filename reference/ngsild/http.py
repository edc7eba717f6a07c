"""HTTP binding details of NGSI-LD (ETSI GS CIM 009 clause 6.3): media types, Link header, tenants.

Also the small request/response helpers the handler modules share: tenant headers, pagination
(``limit``/``offset``/``count`` and the prev/next Link headers) and the rendering options of a request.
Handler modules take these from here, never from each other.

Pagination (clause 5.5.9, 6.3.10): ``limit`` defaults to 20 and may not exceed MAX_LIMIT (1000; above it
403 TooManyResults is answered). ``limit=0`` is only allowed together with ``count=true``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .broker import DEFAULT_LIMIT, MAX_LIMIT
from .context import CORE_CONTEXT_URL, ActiveContext, ContextResolver, is_core_url
from .errors import NgsiLdError, bad_request, invalid_request
from .model import is_uri
from .query import parse_attrs_param
from .render import RenderOptions, parse_options

JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
JSON = "application/json"
JSONLD = "application/ld+json"
GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"

_LINK_PARAM_RE = re.compile(r';\s*([A-Za-z0-9!#$&+\-.^_`|~]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^;,\s]*))?')


def parse_link_header(value: str) -> list[tuple[str, dict[str, str]]]:
    """Parse an RFC 8288 Link header into (target, params) pairs; several values may be comma separated."""
    links: list[tuple[str, dict[str, str]]] = []
    pos = 0
    length = len(value)
    while pos < length:
        start = value.find("<", pos)
        if start < 0:
            break
        end = value.find(">", start)
        if end < 0:
            raise bad_request("malformed Link header: unterminated <URI>")
        target = value[start + 1 : end].strip()
        pos = end + 1
        params: dict[str, str] = {}
        while True:
            match = _LINK_PARAM_RE.match(value, pos)
            if not match:
                break
            raw = match.group(2) or ""
            if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
                raw = raw[1:-1].replace('\\"', '"')
            params.setdefault(match.group(1).lower(), raw)
            pos = match.end()
        comma = value.find(",", pos)
        pos = comma + 1 if comma >= 0 else length
        links.append((target, params))
    return links


def link_context_url(request: Request) -> str | None:
    """The JSON-LD context URL announced by the Link header(s), if any."""
    found: list[str] = []
    for header in request.headers.getlist("link"):
        for target, params in parse_link_header(header):
            rels = params.get("rel", "").split()
            if JSONLD_CONTEXT_REL in rels:
                found.append(target)
    if len(found) > 1:
        raise bad_request("more than one JSON-LD context Link header was supplied")
    if found and not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", found[0]):
        raise bad_request(f"the JSON-LD context Link header does not hold an absolute URI: {found[0]!r}")
    return found[0] if found else None


def link_header_value(url: str) -> str:
    return f'<{url}>; rel="{JSONLD_CONTEXT_REL}"; type="{JSONLD}"'


def media_type(content_type: str | None) -> str:
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


def parse_accept(header: str | None, offered: list[str]) -> str | None:
    """Proactive negotiation (RFC 9110 12.5.1). Returns the chosen offered type, or None if none fits."""
    if header is None or not header.strip():
        return offered[0]
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        mtype = pieces[0].lower()
        if not mtype:
            continue
        quality = 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        for index, candidate in enumerate(offered):
            if mtype == candidate:
                specificity = 2
            elif mtype == "*/*" or (mtype.endswith("/*") and candidate.startswith(mtype[:-1])):
                specificity = 0 if mtype == "*/*" else 1
            else:
                continue
            rank = (quality, specificity, -index)
            if best is None or rank > best:
                best = rank
                chosen = candidate
    return chosen


def negotiate(request: Request, offered: list[str] | None = None) -> str:
    chosen = parse_accept(request.headers.get("accept"), offered or [JSON, JSONLD])
    if chosen is None:
        raise NgsiLdError(
            "InvalidRequest",
            "the Accept header does not allow application/json or application/ld+json",
            status=406,
            title="Not Acceptable",
        )
    return chosen


def tenant_of(request: Request) -> str:
    return request.headers.get("ngsild-tenant", "") or ""


def tenant_headers(tenant: str) -> dict[str, str]:
    return {"NGSILD-Tenant": tenant} if tenant else {}


def no_content(tenant: str) -> Response:
    return Response(status_code=204, headers=tenant_headers(tenant))


@dataclass
class JsonBody:
    payload: Any
    context_value: Any  # the user @context (URL, object, array) or None
    from_body: bool


async def read_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise invalid_request("the request payload body is empty")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid_request(f"the request payload body is not valid JSON: {exc}") from exc


async def read_body(request: Request, allow_merge_patch: bool = False) -> JsonBody:
    """Read an NGSI-LD payload and find its @context following clause 6.3.5."""
    ctype = media_type(request.headers.get("content-type"))
    allowed = {JSON, JSONLD} | ({MERGE_PATCH} if allow_merge_patch else set())
    if ctype not in allowed:
        raise NgsiLdError(
            "InvalidRequest",
            f"unsupported Content-Type {ctype or '(none)'}; use application/json or application/ld+json",
            status=415,
            title="Unsupported Media Type",
        )
    payload = await read_json(request)
    link = link_context_url(request)
    body_ctx = _body_context(payload)
    if ctype == JSONLD:
        if link is not None:
            raise bad_request("a JSON-LD Link header shall not be used with Content-Type application/ld+json")
        if body_ctx is _MISSING:
            raise bad_request("Content-Type application/ld+json requires an @context member in the payload")
        return JsonBody(payload, body_ctx, True)
    if body_ctx is not _MISSING:
        raise bad_request("an @context member in the payload requires Content-Type application/ld+json")
    return JsonBody(payload, link, False)


_MISSING: Any = object()


def _body_context(payload: Any) -> Any:
    if isinstance(payload, dict):
        return payload.get("@context", _MISSING)
    if isinstance(payload, list) and payload:
        contexts = [item.get("@context", _MISSING) for item in payload if isinstance(item, dict)]
        present = [c for c in contexts if c is not _MISSING]
        if not present:
            return _MISSING
        if len(present) != len(payload):
            raise bad_request("every element of an application/ld+json array shall carry an @context")
        first = present[0]
        if any(c != first for c in present[1:]):
            return first  # each element is processed with its own @context (see per_item_context)
        return first
    return _MISSING


async def resolve_context(resolver: ContextResolver, value: Any) -> ActiveContext:
    if resolver.needs_fetch(value):
        return await run_in_threadpool(resolver.resolve, value)
    return resolver.resolve(value)


async def request_context(request: Request, resolver: ContextResolver) -> ActiveContext:
    """The @context of a GET/DELETE request: Link header or core."""
    return await resolve_context(resolver, link_context_url(request))


def context_url_for(ctx: ActiveContext, hosted_url: str | None = None) -> str:
    source = ctx.source
    if source is None:
        return CORE_CONTEXT_URL
    if isinstance(source, str):
        return source
    return hosted_url or CORE_CONTEXT_URL


def needs_hosting(ctx: ActiveContext) -> bool:
    """True when the request context is not a single URL, so a Link header needs a served copy of it."""
    return ctx.source is not None and not isinstance(ctx.source, str)


def body_context_member(ctx: ActiveContext) -> Any:
    source = ctx.source
    if source is None:
        return CORE_CONTEXT_URL
    items = source if isinstance(source, list) else [source]
    if any(isinstance(i, str) and is_core_url(i) for i in items):
        return source
    return [*items, CORE_CONTEXT_URL]


def json_response(
    payload: Any,
    ctx: ActiveContext,
    accept: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    hosted_url: str | None = None,
) -> Response:
    out_headers = dict(headers or {})
    if accept == JSONLD:
        if isinstance(payload, dict):
            payload = {"@context": body_context_member(ctx), **payload}
        elif isinstance(payload, list):
            member = body_context_member(ctx)
            payload = [{"@context": member, **p} if isinstance(p, dict) else p for p in payload]
        media = JSONLD
    elif accept == GEOJSON:
        media = GEOJSON
        out_headers["Link"] = link_header_value(context_url_for(ctx, hosted_url))
    else:
        media = JSON
        out_headers["Link"] = link_header_value(context_url_for(ctx, hosted_url))
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status_code=status,
        media_type=media,
        headers=out_headers,
    )


def entity_location(entity_id: str) -> str:
    return "/ngsi-ld/v1/entities/" + quote(entity_id, safe=":@")


# ------------------------------------------------------------------------------ pagination


def _parse_int(value: str | None, name: str, default: int) -> int:
    if value is None or value == "":
        return default
    if not re.match(r"^\d+$", value.strip()):
        raise bad_request(f"{name} shall be a non-negative integer")
    return int(value)


@dataclass
class Page:
    limit: int
    offset: int
    count: bool


def parse_page(request: Request) -> Page:
    params = request.query_params
    limit = _parse_int(params.get("limit"), "limit", DEFAULT_LIMIT)
    offset = _parse_int(params.get("offset"), "offset", 0)
    count_raw = params.get("count", "false").lower()
    if count_raw not in ("true", "false"):
        raise bad_request("count shall be true or false")
    count = count_raw == "true"
    if limit > MAX_LIMIT:
        raise NgsiLdError("TooManyResults", f"limit {limit} exceeds the maximum of {MAX_LIMIT}")
    if limit == 0 and not count:
        raise bad_request("limit=0 is only allowed together with count=true")
    return Page(limit=limit, offset=offset, count=count)


def page_links(request: Request, page: Page, total: int) -> list[str]:
    """Link header values rel="prev" / rel="next" for paging through a result set (clause 6.3.10)."""
    if page.limit == 0:
        return []
    links: list[str] = []
    items = [(k, v) for k, v in request.query_params.multi_items() if k not in ("offset", "limit")]

    def target(offset: int) -> str:
        query = urlencode([*items, ("limit", str(page.limit)), ("offset", str(offset))])
        return f"{request.url.path}?{query}"

    if page.offset > 0:
        links.append(f'<{target(max(0, page.offset - page.limit))}>; rel="prev"; type="application/ld+json"')
    if page.offset + page.limit < total:
        links.append(f'<{target(page.offset + page.limit)}>; rel="next"; type="application/ld+json"')
    return links


# ------------------------------------------------------------------------ rendering options


def render_options_from(request: Request, ctx: ActiveContext) -> RenderOptions:
    """The rendering asked for by the query parameters options/format, attrs, pick/omit, lang, datasetId."""
    params = request.query_params
    representation, sys_attrs = parse_options(params.get("options"), params.get("format"))
    opts = RenderOptions(format=representation, sys_attrs=sys_attrs)
    attrs = parse_attrs_param(params.get("attrs"), ctx)
    pick = params.get("pick")
    omit = params.get("omit")
    if pick is not None and omit is not None:
        raise bad_request("pick and omit shall not be used together")
    if pick is not None:
        opts.pick = _member_names(pick, "pick", ctx)
        picked_attrs = [ctx.expand(n) for n in opts.pick if n not in ENTITY_MEMBERS]
        attrs = (attrs or []) + picked_attrs if attrs is not None else None
    if omit is not None:
        opts.omit = _member_names(omit, "omit", ctx)
    opts.attrs = set(attrs) if attrs is not None else None
    lang = params.get("lang")
    if lang is not None:
        if not lang.strip():
            raise bad_request("empty lang parameter")
        opts.lang = lang
    dataset = params.getlist("datasetId")
    if dataset:
        ids: set[str | None] = set()
        for raw in dataset:
            for item in raw.split(","):
                item = item.strip()
                ids.add(None if item == "@none" else item)
        opts.dataset_ids = ids
    return opts


ENTITY_MEMBERS = ("id", "type", "scope")
_NAME_RE = re.compile(r"^[^\W\d_]\w*(:[^\W\d_]\w*)?$")


def projection_members(items: list[str], what: str, ctx: ActiveContext) -> set[str]:
    """The entity members named by pick or omit (clause 4.21): id, type, scope or attribute names.

    Each member is a name (clause 4.6.2) or a URI; an empty member (``a,,b``, a trailing comma) or
    one with other characters (``sp eed``, ``speed{``) is a malformed projection: 400 BadRequestData.
    """
    if not items:
        raise bad_request(f"empty {what} parameter: it shall name at least one entity member")
    names: set[str] = set()
    for item in items:
        item = item.strip()
        if not item:
            raise bad_request(f"{what} holds an empty entity member")
        if item in ENTITY_MEMBERS:
            names.add(item)
            continue
        if not _NAME_RE.match(item) and not is_uri(item):
            raise bad_request(f"{what} member {item!r} is neither an attribute name nor a URI (clause 4.21)")
        names.add(ctx.compact(ctx.expand(item)))
    return names


def _member_names(raw: str, what: str, ctx: ActiveContext) -> set[str]:
    if not raw.strip():
        raise bad_request(f"empty {what} parameter: it shall name at least one entity member")
    # ',' separates members; V1.9.1 adds '|' as a synonym, taken here too
    return projection_members(re.split(r"[,|]", raw), what, ctx)
