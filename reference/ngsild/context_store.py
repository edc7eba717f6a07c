"""@context management, /jsonldContexts (ETSI GS CIM 009 V1.8.1 clause 5.13; HTTP binding 6.30, 6.31).

Three kinds of stored @contexts (clause 5.13.1): "Hosted" (added by a client, POST /jsonldContexts),
"ImplicitlyCreated" (an inline or array @context of a request that a Link header or a notification has
to reference by URL; see Broker.link_url_for and the notifier) and "Cached" (a remote @context the
broker downloaded, the core @context among them). Hosted and ImplicitlyCreated ones are served by
their local id; a Cached one is addressed by its local id or by its original URL, and only its
metadata is served (the V1.8.1 OpenAPI answers 422 OperationNotSupported for its content).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from .broker import Broker, HostedContext
from .context import CORE_CONTEXT_URL, is_core_url
from .context_fetch import CacheEntry
from .errors import NgsiLdError, bad_request, not_found
from .http import JSON, JSONLD, negotiate, read_json, resolve_context
from .model import now_timestamp

CORE_LOCAL_ID = "ngsi-ld-core-context-v1.8"
KINDS = ("Hosted", "Cached", "ImplicitlyCreated")


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name, "false")
    if raw not in ("true", "false"):
        raise bad_request(f"{name} shall be true or false, got {raw!r}")
    return raw == "true"


def _local_url(request: Request, context_id: str) -> str:
    return str(request.base_url).rstrip("/") + "/ngsi-ld/v1/jsonldContexts/" + context_id


def _metadata(url: str, local_id: str, kind: str, created: str, **optional: Any) -> dict[str, Any]:
    """LdContextMetadata (clause 5.13.3.5). The creation time is given under both names the spec
    uses for it: createdAt (the clause text) and timestamp (the V1.8.1 OpenAPI schema)."""
    out = {"URL": url, "localId": local_id, "kind": kind, "createdAt": created, "timestamp": created}
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def _hosted_metadata(request: Request, hosted: HostedContext) -> dict[str, Any]:
    return _metadata(_local_url(request, hosted.id), hosted.id, hosted.kind, hosted.created_at)


def _cached_metadata(entry: CacheEntry) -> dict[str, Any]:
    return _metadata(
        entry.url,
        entry.local_id,
        "Cached",
        entry.created_at,
        lastUsage=entry.last_usage,
        numberOfHits=entry.hits,
    )


def _core_metadata(broker: Broker) -> dict[str, Any]:
    return _metadata(CORE_CONTEXT_URL, CORE_LOCAL_ID, "Cached", broker.resolver.started)


def _is_core(ident: str) -> bool:
    return ident == CORE_LOCAL_ID or is_core_url(ident)


def _json(body: Any, media: str = JSON) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), media_type=media)


async def list_contexts(request: Request, broker: Broker) -> Response:
    """5.13.3 List @contexts: URLs, or LdContextMetadata with details=true; kind filters."""
    details = _flag(request, "details")
    kind = request.query_params.get("kind")
    if kind is not None and kind not in KINDS:
        raise bad_request("kind shall be Hosted, Cached or ImplicitlyCreated")
    entries = [_core_metadata(broker)]
    entries += [_cached_metadata(e) for e in broker.resolver.cache_entries()]
    entries += [_hosted_metadata(request, h) for h in list(broker.hosted.values())]
    if kind is not None:
        entries = [e for e in entries if e["kind"] == kind]
    return _json(entries if details else [e["URL"] for e in entries])


def _valid_context_value(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(i, (str, dict)) for i in items)


async def add_context(request: Request, broker: Broker) -> Response:
    """5.13.2 Add @context: store a Hosted @context; the remote ones it names become Cached."""
    payload = await read_json(request)
    if not isinstance(payload, dict) or "@context" not in payload:
        raise bad_request("the payload shall be a JSON object with an @context member")
    if not _valid_context_value(payload["@context"]):
        raise bad_request("@context shall be a URL, an object, or a non-empty array of these")
    try:
        await resolve_context(broker.resolver, payload["@context"])
    except NgsiLdError as error:
        if error.name != "LdContextNotAvailable":  # an unreachable import does not stop hosting
            raise
    hosted = broker.host_context(payload["@context"], "Hosted", now_timestamp())
    return Response(status_code=201, headers={"Location": "/ngsi-ld/v1/jsonldContexts/" + hosted.id})


async def serve_context(request: Request, broker: Broker, context_id: str) -> Response:
    """5.13.4 Serve @context: the @context (Hosted, ImplicitlyCreated) or its metadata (every kind)."""
    details = _flag(request, "details")
    hosted = broker.hosted.get(context_id)
    if hosted is not None:
        if details:
            return _json(_hosted_metadata(request, hosted))
        return _json({"@context": hosted.context}, negotiate(request, [JSONLD, JSON]))
    if _is_core(context_id):
        if details:
            return _json(_core_metadata(broker))
        return _json(broker.resolver.core_document, negotiate(request, [JSONLD, JSON]))
    entry = broker.resolver.cached_entry(context_id)
    if entry is None:
        raise not_found(f"no @context with local id {context_id}")
    if details:
        return _json(_cached_metadata(entry))
    raise NgsiLdError(
        "OperationNotSupported",
        f"@context {context_id} is of kind Cached: only its metadata is served (details=true)",
    )


async def delete_context(request: Request, broker: Broker, context_id: str) -> Response:
    """5.13.5 Delete and Reload @context. reload=true is for Cached @contexts only (download again;
    if that fails the stored copy stays and the answer is 504 LdContextNotAvailable)."""
    hosted = broker.hosted.get(context_id)
    entry = None if hosted is not None else broker.resolver.cached_entry(context_id)
    if hosted is None and entry is None and not _is_core(context_id):
        raise not_found(f"no @context with local id {context_id}")
    reload = _flag(request, "reload")
    if _is_core(context_id):
        raise bad_request("the core @context cannot be deleted or reloaded")
    if hosted is not None:
        if reload:
            raise bad_request(f"reload applies to Cached @contexts only, {context_id} is {hosted.kind}")
        broker.hosted.pop(hosted.id, None)
        return Response(status_code=204)
    assert entry is not None
    if reload:
        await _reload(broker, entry.url)
    else:
        broker.resolver.forget(entry.url)
    return Response(status_code=204)


async def _reload(broker: Broker, url: str) -> None:
    await run_in_threadpool(broker.resolver.reload, url)
