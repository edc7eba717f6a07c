"""Request dispatch for /ngsi-ld/v1/.

Path segments are split on the *raw* (still percent-encoded) path and decoded one by one, so that an
entity id holding an encoded "/" (``%2F``) still addresses a single resource.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response

from . import (
    batch,
    context_store,
    discovery,
    distributed_batch,
    distributed_modes,
    distributed_temporal,
    entities,
    entity_maps,
    query_api,
    registrations,
    subscriptions,
    temporal,
)
from .broker import Broker
from .errors import NgsiLdError, problem_response

Handler = Callable[..., Awaitable[Response]]
PREFIX = "/ngsi-ld/v1/"
log = logging.getLogger("reference.ngsild")

# (method, path pattern) -> handler. "{name}" segments are captured and passed as keyword arguments.
ROUTES: list[tuple[str, tuple[str, ...], Handler]] = [
    ("POST", ("entities",), distributed_modes.wrap("createEntity", entities.create_entity)),
    ("GET", ("entities",), query_api.query_entities),
    ("GET", ("entities", "{entity_id}"), entities.retrieve_entity),
    ("DELETE", ("entities", "{entity_id}"), distributed_modes.wrap("deleteEntity", entities.delete_entity)),
    ("PUT", ("entities", "{entity_id}"), distributed_modes.wrap("replaceEntity", entities.replace_entity)),
    ("PATCH", ("entities", "{entity_id}"), distributed_modes.wrap("mergeEntity", entities.merge_entity)),
    (
        "POST",
        ("entities", "{entity_id}", "attrs"),
        distributed_modes.wrap("appendAttrs", entities.append_entity_attrs),
    ),
    (
        "PATCH",
        ("entities", "{entity_id}", "attrs"),
        distributed_modes.wrap("updateEntity", entities.update_entity_attrs),
    ),
    (
        "PATCH",
        ("entities", "{entity_id}", "attrs", "{attr_id}"),
        distributed_modes.wrap("updateAttrs", entities.partial_attribute_update),
    ),
    (
        "PUT",
        ("entities", "{entity_id}", "attrs", "{attr_id}"),
        distributed_modes.wrap("replaceAttrs", entities.replace_attribute),
    ),
    (
        "DELETE",
        ("entities", "{entity_id}", "attrs", "{attr_id}"),
        distributed_modes.wrap("deleteAttrs", entities.delete_attribute),
    ),
    ("POST", ("entityOperations", "create"), distributed_batch.wrap("create", batch.batch_create)),
    ("POST", ("entityOperations", "upsert"), distributed_batch.wrap("upsert", batch.batch_upsert)),
    ("POST", ("entityOperations", "update"), distributed_batch.wrap("update", batch.batch_update)),
    ("POST", ("entityOperations", "delete"), distributed_batch.wrap("delete", batch.batch_delete)),
    ("POST", ("entityOperations", "merge"), distributed_batch.wrap("merge", batch.batch_merge)),
    ("POST", ("entityOperations", "query"), query_api.query_post),
    ("GET", ("types",), discovery.list_types),
    ("GET", ("types", "{type_name}"), discovery.type_details),
    ("GET", ("attributes",), discovery.list_attributes),
    ("GET", ("attributes", "{attr_name}"), discovery.attribute_details),
    ("GET", ("jsonldContexts",), context_store.list_contexts),
    ("POST", ("jsonldContexts",), context_store.add_context),
    ("GET", ("jsonldContexts", "{context_id}"), context_store.serve_context),
    ("DELETE", ("jsonldContexts", "{context_id}"), context_store.delete_context),
    ("POST", ("subscriptions",), subscriptions.create_subscription),
    ("GET", ("subscriptions",), subscriptions.list_subscriptions),
    ("GET", ("subscriptions", "{sub_id}"), subscriptions.retrieve_subscription),
    ("PATCH", ("subscriptions", "{sub_id}"), subscriptions.update_subscription),
    ("DELETE", ("subscriptions", "{sub_id}"), subscriptions.delete_subscription),
    ("POST", ("csourceSubscriptions",), subscriptions.create_csource_subscription),
    ("GET", ("csourceSubscriptions",), subscriptions.list_csource_subscriptions),
    ("GET", ("csourceSubscriptions", "{sub_id}"), subscriptions.retrieve_csource_subscription),
    ("PATCH", ("csourceSubscriptions", "{sub_id}"), subscriptions.update_csource_subscription),
    ("DELETE", ("csourceSubscriptions", "{sub_id}"), subscriptions.delete_csource_subscription),
    ("POST", ("csourceRegistrations",), registrations.create_registration),
    ("GET", ("csourceRegistrations",), registrations.list_registrations),
    ("GET", ("csourceRegistrations", "{reg_id}"), registrations.retrieve_registration),
    ("PATCH", ("csourceRegistrations", "{reg_id}"), registrations.update_registration),
    ("DELETE", ("csourceRegistrations", "{reg_id}"), registrations.delete_registration),
    ("GET", ("entityMap", "{map_id}"), entity_maps.retrieve_entity_map),
    ("PATCH", ("entityMap", "{map_id}"), entity_maps.update_entity_map),
    ("DELETE", ("entityMap", "{map_id}"), entity_maps.delete_entity_map),
    ("GET", ("info", "sourceIdentity"), discovery.source_identity),
    ("POST", ("temporal", "entities"), distributed_temporal.wrap("upsertTemporal", temporal.upsert_temporal)),
    ("GET", ("temporal", "entities"), temporal.query_temporal),
    ("GET", ("temporal", "entities", "{entity_id}"), temporal.retrieve_temporal),
    (
        "DELETE",
        ("temporal", "entities", "{entity_id}"),
        distributed_temporal.wrap("deleteTemporal", temporal.delete_temporal),
    ),
    (
        "POST",
        ("temporal", "entities", "{entity_id}", "attrs"),
        distributed_temporal.wrap("appendAttrsTemporal", temporal.append_temporal_attrs),
    ),
    (
        "DELETE",
        ("temporal", "entities", "{entity_id}", "attrs", "{attr_id}"),
        distributed_temporal.wrap("deleteAttrsTemporal", temporal.delete_temporal_attr),
    ),
    (
        "PATCH",
        ("temporal", "entities", "{entity_id}", "attrs", "{attr_id}", "{instance_id}"),
        distributed_temporal.wrap("updateAttrInstanceTemporal", temporal.update_temporal_instance),
    ),
    (
        "DELETE",
        ("temporal", "entities", "{entity_id}", "attrs", "{attr_id}", "{instance_id}"),
        distributed_temporal.wrap("deleteAttrInstanceTemporal", temporal.delete_temporal_instance),
    ),
    ("POST", ("temporal", "entityOperations", "query"), temporal.query_temporal_post),
]


def register(method: str, pattern: tuple[str, ...], handler: Handler) -> None:
    ROUTES.append((method, pattern, handler))


def _match(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    params: dict[str, str] = {}
    for expected, actual in zip(pattern, segments, strict=True):
        if expected.startswith("{"):
            if not actual:
                return None
            params[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return params


def _empty_segment(segments: list[str]) -> str | None:
    """The name of the path parameter left empty (``/entities//attrs``) in a path that some route
    would match if it were filled; None if there is none. Such an id is not a URI: 400, not 404."""
    for _method, pattern, _handler in ROUTES:
        if len(pattern) != len(segments):
            continue
        empty = [e for e, a in zip(pattern, segments, strict=True) if e.startswith("{") and not a]
        if empty and all(e == a or e.startswith("{") for e, a in zip(pattern, segments, strict=True)):
            return empty[0][1:-1]
    return None


def make_endpoint(broker: Broker) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        rest = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        segments = [unquote(s) for s in rest.split("/")]
        if segments and segments[-1] == "" and len(segments) > 1:
            segments = segments[:-1]
        allowed: list[str] = []
        for hook in broker.request_hooks:
            hook()
        try:
            for method, pattern, handler in ROUTES:
                params = _match(pattern, segments)
                if params is None:
                    continue
                if method != request.method:
                    allowed.append(method)
                    continue
                return await handler(request, broker, **params)
            empty = _empty_segment(segments)
            if empty is not None:
                raise NgsiLdError("BadRequestData", f"the path parameter {empty} is empty (not a URI)")
            if allowed:
                error = NgsiLdError(
                    "InvalidRequest",
                    f"method {request.method} is not allowed here",
                    status=405,
                    title="Method not allowed",
                )
                return problem_response(error, headers={"Allow": ", ".join(sorted(set(allowed)))})
            raise NgsiLdError("ResourceNotFound", f"no NGSI-LD resource at {request.url.path}")
        except NgsiLdError as error:
            return problem_response(error)
        except Exception as exc:  # never leak a stack trace; a bug is an InternalError
            log.exception("internal error")
            return problem_response(
                NgsiLdError("InternalError", f"internal error: {type(exc).__name__}: {exc}")
            )

    return endpoint


def all_methods() -> list[str]:
    return ["GET", "POST", "PUT", "PATCH", "DELETE"]
